"""The running of jobs: run_night.py's preflight (every check before anything is written), one job of a sweep, the
Hydra wiring, and how a process ends (exit statuses and end lines). It uses the brain's life (sims.life), never the
other way round."""
