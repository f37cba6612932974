"""Table 1: PAD and its pathological conditions: `python -m sims.experiments.table1`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/table1.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("table1")

if __name__ == "__main__":
    run(EXPERIMENT)
