"""Resuming: a run killed (SIGKILL) or interrupted (Ctrl-C) in the middle of an epoch, then rerun with the same command,
ends exactly where an uninterrupted run ends: the same parameters and the same logged figures (CPU)."""
import math
import os
import re
import select
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
import xarray as xr

from records.checkpoints import load_checkpoint
from sims.jobs.registry import compose_config
from sims.life.resume import run_id
from tests.helpers import merged

DAYS = 12  # days per epoch: 192 training images in batches of 16
EPOCHS = 2
PROGRESS = re.compile(rb"epoch (\d+)/\d+ day (\d+)/(\d+)")
NON_DETERMINISTIC = ("epoch_seconds",)  # wall-clock time of an epoch


@pytest.fixture(scope="module")
def args(tiny):
    # progress=true: the progress bar on stderr tells the tests which day the run is living
    return merged(tiny, f"data.train_size={DAYS * 16}", f"epochs={EPOCHS}", "progress=true")


@pytest.fixture(scope="module")
def reference(start_night, args, tmp_path_factory):
    """The uninterrupted run, started at once (it runs beside the interrupted ones); call to wait for its directory."""
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    process = start_night(*args, f"hydra.run.dir={run_dir}", stderr=subprocess.DEVNULL)

    def finished():
        assert process.wait(timeout=300) == 0
        return run_dir

    yield finished
    if process.poll() is None:
        process.kill()
        process.wait()


def wait_for_day(process: subprocess.Popen, epoch: int, day: int, timeout: float = 300) -> int:
    """Read the run's progress bar until it has lived `day` days of `epoch`; returns the day it reports."""
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 1.0)
        chunk = os.read(process.stderr.fileno(), 65536) if ready else b""
        if ready and not chunk:
            break  # the run ended
        seen += chunk
        progress = [(int(e), int(d)) for e, d, _ in PROGRESS.findall(seen)]
        if progress and progress[-1][0] == epoch and progress[-1][1] >= day:
            return progress[-1][1]
        if progress and progress[-1][0] > epoch:
            break
    raise AssertionError(f"never saw day {day} of epoch {epoch}; stderr ended with {seen[-500:]!r}")


def load(path):
    return load_checkpoint(path)


def assert_same(a, b, where: str = "") -> None:
    """Exactly equal, tensor by tensor (torch.equal; a NaN equals a NaN: unlogged figures), through dicts and lists."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        if a.is_floating_point():
            assert torch.equal(a.isnan(), b.isnan()), where
            a, b = a.nan_to_num(0.0), b.nan_to_num(0.0)
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (where, a.keys(), getattr(b, "keys", lambda: b)())
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):  # a NaN number (diverged_day: never) equals a NaN
        assert isinstance(b, float) and math.isnan(b), (where, a, b)
    else:
        assert a == b, (where, a, b)


def without_wall_clock(recorder: dict) -> dict:
    epochs = {e: {k: v for k, v in f.items() if k not in NON_DETERMINISTIC} for e, f in recorder["epochs"].items()}
    return recorder | {"epochs": epochs}


def assert_same_results(run_dir, reference_dir) -> None:
    """The same brain, history and random state in last.pt, the same per-epoch cortices, the same activity.nc."""
    got, want = load(run_dir / "checkpoints" / "last.pt"), load(reference_dir / "checkpoints" / "last.pt")
    assert got.keys() == want.keys()
    assert_same(got["brain"], want["brain"], "brain")
    n_tensors = sum(isinstance(t, torch.Tensor) for t in want["brain"]["cortex"].values())
    assert n_tensors > 10  # the comparison saw the cortex's weights
    assert_same(without_wall_clock(got["recorder"]), without_wall_clock(want["recorder"]), "recorder")
    for key in ("epoch", "day_in_epoch", "order", "streams", "config"):
        assert_same(got[key], want[key], key)
    for epoch in range(1, EPOCHS + 1):
        name = f"cortex_epoch_{epoch:03d}.pt"
        assert_same(load(run_dir / "checkpoints" / name), load(reference_dir / "checkpoints" / name), name)
    with xr.open_dataset(run_dir / "activity.nc") as a, xr.open_dataset(reference_dir / "activity.nc") as b:
        assert a["epoch"].values.tolist() == list(range(1, EPOCHS + 1))
        assert a.sizes["step"] == EPOCHS * DAYS * 3
        assert np.isfinite(a["readout_accuracy"].values).all()
        xr.testing.assert_identical(a.drop_vars(NON_DETERMINISTIC).load(), b.drop_vars(NON_DETERMINISTIC).load())


def test_killed_mid_epoch_and_rerun_ends_as_if_never_killed(start_night, run_night, args, reference, tmp_path):
    run_dir = tmp_path / "run"
    process = start_night(*args, f"hydra.run.dir={run_dir}")
    try:
        day = wait_for_day(process, epoch=2, day=3)
        assert process.poll() is None  # still running: the kill lands before the run's end
        process.kill()
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        process.kill()
        process.stderr.close()
    # What the kill left: the checkpoint of epoch 1's end; the days of epoch 2 it had lived are lost.
    state = load(run_dir / "checkpoints" / "last.pt")
    assert (state["epoch"], state["day_in_epoch"]) == (2, 0) and 3 <= day < DAYS
    assert not (run_dir / "checkpoints" / f"cortex_epoch_{EPOCHS:03d}.pt").exists()

    rerun = run_night(*args, f"hydra.run.dir={run_dir}")
    assert rerun.returncode == 0, rerun.stderr
    assert f"done: {run_dir} " in rerun.stdout
    assert_same_results(run_dir, reference())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGUSR2], ids=lambda s: s.name)
def test_a_signal_saves_the_day_and_the_same_command_resumes_in_the_default_run_directory(start_night, run_night, args,
                                                                                          reference, tmp_path, signum):
    """Ctrl-C, SIGTERM (kill, SLURM's first word) and SIGUSR2 (SLURM's warning before a time limit) alike. No
    hydra.run.dir: the default run directory is a function of the brain's configuration, so the same command finds the
    checkpoint again (and another seed does not)."""
    process = start_night(*args, cwd=tmp_path)
    try:
        day = wait_for_day(process, epoch=2, day=3)
        assert process.poll() is None
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 128 + signum, stderr.decode()[-2000:]  # 130, 143, 140
    assert b"run the same command to resume" in stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    # The checkpoint holds the day the interrupt arrived in: mid-epoch, at or after the day the progress bar showed.
    state = load(run_dir / "checkpoints" / "last.pt")
    assert state["epoch"] == 2 and day <= state["day_in_epoch"] < DAYS, (state["epoch"], state["day_in_epoch"], day)
    assert state["order"] is not None  # the epoch's order of the world, to live its remaining days

    rerun = run_night(*args, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert f"done: {run_dir} " in rerun.stdout and len(list((tmp_path / "runs").iterdir())) == 1
    assert_same_results(run_dir, reference())


def test_the_default_run_directory_is_a_function_of_what_defines_the_brain():
    ident = lambda *o: run_id(compose_config(list(o)))
    base = ident("scenario=pad", "seed=0")
    assert base == ident("scenario=pad", "seed=0") == ident("epochs=7", "eval.every=0", "progress=false", "device=cpu")
    others = [ident("seed=1"), ident("scenario=no_rem"), ident("hippocampus.recombination=noise"),
              ident("data.train_size=640"), ident("eval.probes=8"), ident("optim.idle_parameters=frozen")]
    assert len({base, *others}) == len(others) + 1
