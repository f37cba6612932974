"""Run (or resume) a night-by-night PAD simulation: `python sims/run_night.py [scenario=NAME] [key=value ...]`.

Sweeps: `python sims/run_night.py -m scenario=pad,no_rem seed=0,1`. Bad input (a key, a value, the data, a run directory
made with another configuration) ends with one line on stderr, `error: KEY...: reason`, and exit status 2, before
Hydra writes anything into a run directory. A brain whose losses, weights or Adam state become non-finite stops with a
one-line diagnosis and exit status 3 (a sweep goes on with its other jobs, then exits with 3), keeping its last good
checkpoint. Ctrl-C, SIGTERM and SIGUSR2 save a checkpoint at the current day and exit with 130, 143 and 140;
the same command resumes (sims/jobs/outcomes.py: every status and end line, in one place).
"""
import sys
from contextlib import ExitStack
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra
from omegaconf import DictConfig

from records.errors import PadError
from sims.jobs.preflight import preflight
from sims.jobs.registry import register_configs
from sims.jobs.job import report_finished, run_job
from sims.jobs.outcomes import DIVERGED, INTERRUPTED, bad_input, diverged_jobs, fail

register_configs()


@hydra.main(config_path="conf", config_name="config", version_base=None)
def simulate(cfg: DictConfig) -> None:
    run_job(cfg)


def main() -> None:
    with ExitStack() as locks:  # the run directories of the brains this process lives, held until it ends
        try:
            finished = preflight(sys.argv[1:], locks)
        except PadError as e:
            bad_input(e)
        except KeyboardInterrupt:
            fail("\ninterrupted before the run began", INTERRUPTED)
        if finished is None:
            simulate()
            if diverged_jobs:
                sys.exit(DIVERGED)
            return
        run_dir, cfg = finished
        report_finished(cfg, run_dir)


if __name__ == "__main__":
    main()
