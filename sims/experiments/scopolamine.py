"""Scopolamine (muscarinic antagonist) at night: `python -m sims.experiments.scopolamine`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/scopolamine.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("scopolamine")

if __name__ == "__main__":
    run(EXPERIMENT)
