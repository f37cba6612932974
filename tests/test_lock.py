"""One process per run directory (records.lock): a second process is refused in one line naming the directory and
the holder, touching nothing; a lock whose process died (SIGKILL) is taken over; cohorts take every brain's lock.

The case that made it necessary: the same run directory given to two commands 0.3 s apart (two terminals, a SLURM job
requeued while its first copy lives) used to mix two brains in one folder, both exiting 0."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import xarray as xr
import yaml

from records.checkpoints import load_checkpoint
from records.errors import PadError
from records.lock import check_free, run_lock
from sims.life.cohort import run_cohort
from tests.helpers import tiny_config

HOLD = "import sys, time; from records.lock import run_lock\nwith run_lock(sys.argv[1]):\n print('held', flush=True)\n" \
       " time.sleep(120)"


@pytest.fixture
def holder(tmp_path, cli_env):
    """Another process holding `tmp_path / 'run'`'s lock until killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "run")], env=cli_env, stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_a_held_directory_is_refused_naming_the_holder(tmp_path, holder):
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}  # the .lock's note of its holder too
    for attempt in (lambda: run_lock(tmp_path / "run").__enter__(), lambda: check_free(tmp_path / "run")):
        with pytest.raises(PadError) as refused:
            attempt()
        message = str(refused.value)
        assert message.startswith(f"{(tmp_path / 'run').resolve()}: in use by another run (pid {holder.pid} on "
                                  f"{socket.gethostname()} since ") and "\n" not in message, message
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with run_lock(tmp_path / "run"):  # no stale lock: the kernel let go of it with the process
        assert (tmp_path / "run" / ".lock").read_text().startswith(f"pid {os.getpid()} ")
    check_free(tmp_path / "run")


def test_the_lock_is_reentrant_within_a_process_and_released_by_the_outermost(tmp_path, cli_env):
    probe = [sys.executable, "-c", "import sys; from records.lock import check_free; check_free(sys.argv[1])",
             str(tmp_path / "run")]
    with run_lock(tmp_path / "run"):
        with run_lock(tmp_path / "run"):
            pass
        assert subprocess.run(probe, env=cli_env, capture_output=True).returncode == 1  # still held: PadError
    assert subprocess.run(probe, env=cli_env, capture_output=True).returncode == 0


def test_a_cohort_takes_every_brains_lock(tmp_path, holder):
    jobs = [(tiny_config("epochs=1", "seed=0"), tmp_path / "free"), (tiny_config("epochs=1", "seed=1"), tmp_path / "run")]
    with pytest.raises(PadError, match="in use by another run"):
        run_cohort(jobs)
    assert not (tmp_path / "free" / "checkpoints").exists()  # refused before any brain lived
    check_free(tmp_path / "free")  # and the lock it had taken was given back


def test_two_commands_on_one_run_directory(start_night, run_night, tiny, tmp_path):
    """The reported case: seed 0, then 0.3 s later seed 1 for 2 epochs, in one directory. (The first is given 50
    epochs so that it is still alive when the second comes; SIGTERM then ends it, saving its day.)"""
    run_dir, tiny = tmp_path / "run", [a for a in tiny if not a.startswith("epochs=")]
    first = start_night(*tiny, "epochs=50", "seed=0", f"hydra.run.dir={run_dir}")
    try:
        deadline = time.monotonic() + 60
        while not (run_dir / ".lock").exists():
            assert first.poll() is None and time.monotonic() < deadline, "the first run never took its lock"
            time.sleep(0.05)
        time.sleep(0.3)
        second = run_night(*tiny, "epochs=2", "seed=1", f"hydra.run.dir={run_dir}")
        assert first.poll() is None, "the first run ended before the second came: the test proves nothing"
        assert second.returncode == 2 and " since " in second.stderr, second.stderr
        assert second.stderr.count("\n") == 1 and second.stderr.startswith(
            f"error: {run_dir.resolve()}: in use by another run (pid {first.pid} on {socket.gethostname()} since "), \
            second.stderr
        first.send_signal(signal.SIGTERM)
        _, stderr = first.communicate(timeout=300)
        assert first.returncode == 128 + signal.SIGTERM, stderr.decode()[-2000:]
    finally:
        first.kill()
    assert yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())["seed"] == 0
    assert yaml.safe_load(load_checkpoint(run_dir / "checkpoints" / "last.pt")["config"])["seed"] == 0
    cortices = sorted((run_dir / "checkpoints").glob("cortex_epoch_*.pt"))
    with xr.open_dataset(run_dir / "activity.nc") as activity:  # every epoch's cortex is the one brain's
        assert {load_checkpoint(c)["run_id"] for c in cortices} <= {activity.attrs["run_id"]}
