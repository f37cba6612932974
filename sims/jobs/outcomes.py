"""How a `run_night.py` process ends, in one place: its exit statuses and the lines it prints when a brain ends, for
run_night.py, sims.jobs.job and the cohort launchers alike.

Exit statuses: 0 every brain done; 2 bad input or a failing disk (one line on stderr, `error: ...`, before anything is
written where it can be); 3 a brain diverged (one line with its diagnosis; a sweep goes on with its other brains and
exits with 3 at its end); 130 Ctrl-C, 143 SIGTERM, 140 SIGUSR2 (128 + the signal's number, after every brain saved its
checkpoint: the same command resumes).
"""
import sys
from pathlib import Path
from typing import NoReturn

BAD_INPUT, DIVERGED, INTERRUPTED = 2, 3, 130
FILES = "activity.nc, checkpoints/, .hydra/config.yaml"
diverged_jobs: list[str] = []  # the run directories of this process's sweep whose brains diverged (exit 3 at its end)


def fail(message: str, status: int) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(status)


def bad_input(problem: object) -> NoReturn:
    fail(f"error: {problem}", BAD_INPUT)


def stop_interrupted(e: KeyboardInterrupt) -> NoReturn:
    """A run stopped by Ctrl-C, SIGTERM or SIGUSR2 (sims.life.interrupts): its one line, and 128 + the signal's number
    (130 for a KeyboardInterrupt raised elsewhere)."""
    fail(f"\n{e or 'interrupted'}; run the same command to resume", getattr(e, "status", INTERRUPTED))


def done(run_dir: Path) -> None:
    print(f"done: {run_dir} ({FILES})")


def already_ran(run_dir: Path, lived: int, epochs: int) -> None:
    print(f"{run_dir}: already ran {lived} epochs (epochs={epochs}); nothing to do")


def diverged(run_dir: Path, diagnosis: object) -> None:
    """A brain of a sweep that diverged: its one line; the sweep goes on and ends with DIVERGED."""
    print(f"error: {run_dir}: {diagnosis}", file=sys.stderr)
    diverged_jobs.append(str(run_dir))
