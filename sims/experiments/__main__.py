"""`python -m sims.experiments NAME|FILE [--full] [--seeds S,S,...] [--out DIR] [--cfg job] [KEY=VALUE ...]`: runs
the experiment of the config group (sims/experiments/conf/experiment/NAME.yaml) or of a YAML file of the same keys
(sims/experiments/design.py), as `python -m sims.experiments.NAME` runs the group's own; `--cfg job` prints it."""
import sys

from records.errors import PadError
from sims.experiments.design import load, names
from sims.experiments.runner import fail, run


def main(argv: list[str] | None = None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        fail(f"python -m sims.experiments: name an experiment first ({', '.join(names())}, or a YAML file)")
    try:
        experiment = load(argv[0])
    except PadError as e:
        fail(f"python -m sims.experiments: {e}")
    return run(experiment, argv[1:], prog=f"python -m sims.experiments {argv[0]}")


if __name__ == "__main__":
    main()
