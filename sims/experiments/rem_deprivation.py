"""Selective REM deprivation with rebound: `python -m sims.experiments.rem_deprivation`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/rem_deprivation.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("rem_deprivation")

if __name__ == "__main__":
    run(EXPERIMENT)
