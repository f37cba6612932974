"""The cohort launcher's work: each job started as Hydra's basic launcher starts it, then trained in its cohort.

Each job goes through Hydra's own `run_job` (hydra.core.utils), as with the basic launcher, so Hydra composes its
sweep config, makes its run directory (hydra.sweep.dir/hydra.sweep.subdir), writes `.hydra/config.yaml`, `hydra.yaml`
and `overrides.yaml` and sets up logging exactly as for a lone job; the task it runs there only collects the job's
config (without the `hydra` node, what `sims.jobs.job.run_job` gets) and its run directory. Then `sims.life.cohort.run_cohort`
trains the chunk together. How a brain ends is reported as `sims.jobs.job` reports it for a lone job of a sweep: `done:
RUN_DIR (...)`; a diverged brain is one line on stderr, the sweep goes on and `run_night.py` exits with 3 at its end
(`sims.jobs.outcomes.diverged_jobs`); bad input or a failing disk ends the sweep with 2, Ctrl-C with 130 (SIGTERM 143, SIGUSR2
140, each after saving every brain's checkpoint).
"""
import logging
from pathlib import Path
from typing import Sequence

import torch
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from omegaconf import DictConfig, open_dict

from records.errors import PadError
from sims.life.cohort import run_cohort
from sims.jobs.job import report_finished
from sims.jobs.outcomes import already_ran, bad_input, diverged, done, stop_interrupted
from sims.jobs.preflight import check_hydra_keys, epochs_done, runs_elsewhere

log = logging.getLogger(__name__)

Job = tuple[DictConfig, Path]  # a brain's task config and its run directory, as run_cohort takes them


def launch(launcher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list[JobReturn]:
    """Every job of `job_overrides` (in sweep order), in consecutive cohorts of at most `launcher.size`: each job
    started as the basic launcher starts it, then the cohorts' unfinished brains trained by `launcher.train` (here,
    one cohort after the other; under submitit, one job per cohort); a JobReturn per job, in the same order."""
    setup_globals()
    config, context = launcher.config, launcher.hydra_context
    assert config is not None and context is not None
    try:
        check_hydra_keys(config, multirun=True)  # preflight checked them already; a launcher may be reached without it
    except PadError as e:
        bad_input(e)
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    Path(str(config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    size = int(launcher.size)
    starts = range(0, len(job_overrides), size)
    log.info(f"Launching {len(job_overrides)} jobs as {len(starts)} cohort(s) of at most {size} brains")
    returns: list[JobReturn] = []
    cohorts: list[list[Job]] = []  # each cohort's brains still to train
    here = not runs_elsewhere(config.hydra.launcher)  # the brains live on this machine (not on SLURM nodes)
    for n, start in enumerate(starts, 1):
        chunk = job_overrides[start:start + size]
        first = initial_job_idx + start
        log.info(f"Cohort {n}/{len(starts)}: jobs #{first} to #{first + len(chunk) - 1}")
        started = [_start(launcher, first + k, overrides) for k, overrides in enumerate(chunk)]
        if to_train := _unfinished([ret.return_value for ret in started], here):
            cohorts.append(to_train)
        for ret in started:
            ret.return_value = None  # what sims.jobs.job.run_job returns: COMPLETED, diverged or not (as a lone sweep's job)
        returns.extend(started)
    for cohort, outcomes in zip(cohorts, launcher.train(cohorts)):
        _report(cohort, outcomes)
    return returns


def train_in_process(cohorts: list[list[Job]], vectorize: str) -> list[list[str | None]]:
    """The cohorts trained in this process, one after the other; bad input or a failing disk ends the sweep with 2,
    a stopping signal with 128 + its number (sims.life.interrupts)."""
    outcomes = []
    for jobs in cohorts:
        try:
            outcomes.append(train_cohort(jobs, vectorize))
        except PadError as e:
            bad_input(e)
        except OSError as e:  # a full disk, a folder made read-only during the run: one line, the last checkpoints kept
            bad_input(os_error(e))
        except KeyboardInterrupt as e:
            stop_interrupted(e)
    return outcomes


def train_cohort(jobs: list[Job], vectorize: str) -> list[str | None]:
    """One cohort trained, wherever it runs (this process, a submitit job): per brain None (it lived to its end) or
    its divergence diagnosis."""
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest convolutions once
    return run_cohort(jobs, vectorize=vectorize)


def os_error(e: OSError) -> str:
    return f"{e.filename or 'the cohort'}: {e.strerror or e}"


def _start(launcher, idx: int, overrides: Sequence[str]) -> JobReturn:
    """Job `idx` as the basic launcher runs it, with a task that only collects (config, run directory)."""
    log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
    sweep_config = launcher.hydra_context.config_loader.load_sweep_config(launcher.config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = idx
        sweep_config.hydra.job.num = idx
    ret = run_job(hydra_context=launcher.hydra_context, task_function=_collect, config=sweep_config,
                  job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    _ = ret.return_value  # raises (Hydra's own report) if even collecting failed
    return ret


def _collect(cfg: DictConfig) -> Job:
    """The task each job runs inside Hydra's run_job: its config, and the run directory Hydra made for it."""
    return cfg, Path(HydraConfig.get().runtime.output_dir)


def _unfinished(jobs: list[Job], here: bool) -> list[Job]:
    """The jobs whose brains have epochs left (their device checked if they live `here`, on this machine); a finished
    one has no place in a cohort: it says so, as a rerun of a lone job does."""
    to_train = []
    for cfg, run_dir in jobs:
        if (lived := _epochs_lived(cfg, run_dir, here)) >= cfg.epochs:
            _report_finished(cfg, run_dir, lived)
        else:
            to_train.append((cfg, run_dir))
    return to_train


def _report(jobs: list[Job], outcomes: list[str | None]) -> None:
    """How each brain of a cohort ended, as sims.jobs.job says it for a lone job of a sweep."""
    for (cfg, run_dir), outcome in zip(jobs, outcomes):
        if outcome is None:
            done(run_dir)
        else:  # its divergence diagnosis: the sweep goes on, exit 3 at its end
            diverged(run_dir, outcome)


def _epochs_lived(cfg: DictConfig, run_dir: Path, here: bool) -> int:
    try:
        return epochs_done(cfg, run_dir, here)
    except PadError as e:
        bad_input(e)


def _report_finished(cfg: DictConfig, run_dir: Path, lived: int) -> None:
    """What a rerun of a finished brain says (sims.life.simulator.run, then sims.jobs.job); a missing or damaged activity file
    is rebuilt from the checkpoint, as run_night.py does for a finished lone run."""
    already_ran(run_dir, lived, cfg.epochs)
    report_finished(cfg, run_dir)
