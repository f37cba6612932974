"""Run (or resume) a night-by-night PAD simulation: `python sims/run_night.py [scenario=NAME] [key=value ...]`.

Sweeps: `python sims/run_night.py -m scenario=pad,no_rem seed=0,1`. Bad input (a key, a value, the data, a run directory
made with another configuration) ends with one line on stderr, `error: KEY...: reason`, and exit status 2, before
Hydra writes anything into a run directory. A brain whose losses, weights or Adam state become non-finite stops with a
one-line diagnosis and exit status 3 (a sweep goes on with its other jobs, then exits with 3), keeping its last good
checkpoint. Ctrl-C saves a checkpoint and exits with 130; the same command resumes.
"""
import sys
from pathlib import Path
from typing import NoReturn

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from records.errors import Diverged, PadError
from sims.preflight import preflight
from sims.registry import register_configs
from sims.simulator import rebuild_activity, run

register_configs()
FILES = "activity.nc, checkpoints/, .hydra/config.yaml"
DIVERGED = 3  # exit status of a run (or of a sweep with a job) whose brain diverged
diverged_jobs: list[str] = []  # a sweep goes on past a diverged brain; its status says one diverged


def fail(message: str, status: int) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(status)


@hydra.main(config_path="conf", config_name="config", version_base=None)
def simulate(cfg: DictConfig) -> None:
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest convolutions once
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run(cfg, run_dir)
    except PadError as e:
        fail(f"error: {e}", 2)
    except OSError as e:  # a full disk, a folder made read-only during the run: one line, the last checkpoint kept
        fail(f"error: {e.filename or run_dir}: {e.strerror or e}", 2)
    except Diverged as e:
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            print(f"error: {run_dir}: {e}", file=sys.stderr)
            diverged_jobs.append(str(run_dir))
            return
        fail(f"error: {e}", DIVERGED)
    except KeyboardInterrupt as e:
        fail(f"\n{e or 'interrupted'}; run the same command to resume", 130)
    print(f"done: {run_dir} ({FILES})")


def main() -> None:
    try:
        finished = preflight(sys.argv[1:])
    except PadError as e:
        fail(f"error: {e}", 2)
    except KeyboardInterrupt:
        fail("\ninterrupted before the run began", 130)
    if finished is None:
        simulate()
        if diverged_jobs:
            sys.exit(DIVERGED)
        return
    run_dir, cfg = finished
    try:
        if rebuild_activity(cfg, run_dir):
            print(f"{run_dir / 'activity.nc'}: was missing or damaged; rebuilt from {run_dir / 'checkpoints' / 'last.pt'}")
    except PadError as e:
        fail(f"error: {e}", 2)
    print(f"done: {run_dir} ({FILES})")


if __name__ == "__main__":
    main()
