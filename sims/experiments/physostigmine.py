"""Physostigmine (cholinesterase inhibitor) during NREM: `python -m sims.experiments.physostigmine`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/physostigmine.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("physostigmine")

if __name__ == "__main__":
    run(EXPERIMENT)
