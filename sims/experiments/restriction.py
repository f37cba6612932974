"""Chronic sleep restriction at three doses: `python -m sims.experiments.restriction`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/restriction.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("restriction")

if __name__ == "__main__":
    run(EXPERIMENT)
