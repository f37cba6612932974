"""An SSRI (REM suppression): `python -m sims.experiments.ssri`.
The experiment, its design and predictions with their sources: sims/experiments/conf/experiment/ssri.yaml."""
from sims.experiments.design import load
from sims.experiments.runner import run

EXPERIMENT = load("ssri")

if __name__ == "__main__":
    run(EXPERIMENT)
