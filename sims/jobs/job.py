"""One job of `run_night.py`: run (or resume) one brain in the run directory Hydra gave it, and say how it ended.

Its own module (not run_night.py's `__main__`) so that launchers that ship the job to other processes or machines
(joblib, submitit) pickle it by reference.
"""
from pathlib import Path

import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from records.errors import Diverged, PadError
from sims.jobs.outcomes import DIVERGED, already_ran, bad_input, diverged, done, fail, stop_interrupted
from sims.life.simulator import rebuild_activity, run


def report_finished(cfg: DictConfig, run_dir: Path) -> None:
    """A run that had already finished: its activity file rebuilt from its checkpoint if missing or damaged, then its
    done line."""
    try:
        if rebuild_activity(cfg, run_dir):
            print(f"{run_dir / 'activity.nc'}: was missing or damaged; rebuilt from {run_dir / 'checkpoints' / 'last.pt'}")
    except PadError as e:
        bad_input(e)
    done(run_dir)


def run_job(cfg: DictConfig) -> None:
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest convolutions once
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run(cfg, run_dir, finished=lambda lived: already_ran(run_dir, lived, cfg.epochs))
    except PadError as e:
        bad_input(e)
    except OSError as e:  # a full disk, a folder made read-only during the run: one line, the last checkpoint kept
        bad_input(f"{e.filename or run_dir}: {e.strerror or e}")
    except Diverged as e:
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            diverged(run_dir, e)
            return
        fail(f"error: {e}", DIVERGED)
    except KeyboardInterrupt as e:
        stop_interrupted(e)
    done(run_dir)
