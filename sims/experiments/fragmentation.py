"""Sleep fragmentation: `python -m sims.experiments.fragmentation`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/fragmentation.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("fragmentation")

if __name__ == "__main__":
    run(EXPERIMENT)
