"""Night architecture: `python -m sims.experiments.night_architecture`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/night_architecture.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("night_architecture")

if __name__ == "__main__":
    run(EXPERIMENT)
