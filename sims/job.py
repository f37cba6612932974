"""One job of `run_night.py`: run (or resume) one brain in the run directory Hydra gave it, and say how it ended.

Its own module (not run_night.py's `__main__`) so that launchers that ship the job to other processes or machines
(joblib, submitit) pickle it by reference.
"""
import sys
from pathlib import Path
from typing import NoReturn

import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from records.errors import Diverged, PadError
from sims.simulator import rebuild_activity, run

FILES = "activity.nc, checkpoints/, .hydra/config.yaml"
DIVERGED = 3  # exit status of a run (or of a sweep in this process with a job) whose brain diverged
diverged_jobs: list[str] = []  # a sweep goes on past a diverged brain; its status says one diverged


def fail(message: str, status: int) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(status)


def stop_interrupted(e: KeyboardInterrupt) -> NoReturn:
    """A run stopped by Ctrl-C, SIGTERM or SIGUSR2 (sims.interrupts): its one line, and 128 + the signal's number
    (130 for a KeyboardInterrupt raised elsewhere)."""
    fail(f"\n{e or 'interrupted'}; run the same command to resume", getattr(e, "status", 130))


def report_finished(cfg: DictConfig, run_dir: Path) -> None:
    """A run that had already finished: its activity file rebuilt from its checkpoint if missing or damaged, then its
    done line."""
    try:
        if rebuild_activity(cfg, run_dir):
            print(f"{run_dir / 'activity.nc'}: was missing or damaged; rebuilt from {run_dir / 'checkpoints' / 'last.pt'}")
    except PadError as e:
        fail(f"error: {e}", 2)
    print(f"done: {run_dir} ({FILES})")


def run_job(cfg: DictConfig) -> None:
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
        stop_interrupted(e)
    print(f"done: {run_dir} ({FILES})")
