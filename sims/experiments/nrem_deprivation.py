"""Selective slow-wave (NREM) deprivation: `python -m sims.experiments.nrem_deprivation`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/nrem_deprivation.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("nrem_deprivation")

if __name__ == "__main__":
    run(EXPERIMENT)
