"""One runnable script per classic sleep-deprivation experiment (`python -m sims.experiments.NAME [--full]`)."""
