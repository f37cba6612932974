"""Acute total sleep deprivation with recovery: `python -m sims.experiments.total_deprivation`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/total_deprivation.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("total_deprivation")

if __name__ == "__main__":
    run(EXPERIMENT)
