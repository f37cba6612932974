"""Shared fixtures: the command line as a user runs it, a tiny CIFAR-10-format data set, and file snapshots."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from records.lock import NAME as LOCK

REPO = Path(__file__).resolve().parents[1]
RUN_NIGHT = REPO / "sims" / "run_night.py"


@pytest.fixture(scope="session")
def cli_env() -> dict:
    """The environment of a command-line run: the repository importable, one CPU thread (fast on a shared machine, and
    the same arithmetic in every run), no inherited data location or Hydra debugging."""
    env = {k: v for k, v in os.environ.items() if k not in ("PAD_DATA", "HYDRA_FULL_ERROR")}
    env.update(PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="session")
def cli_cwd(tmp_path_factory) -> Path:
    """Where command-line runs start, so that nothing lands in the repository (runs/, multirun/, data/)."""
    return tmp_path_factory.mktemp("cwd")


@pytest.fixture(scope="session")
def run_night(cli_env, cli_cwd):
    """`run_night(*args)`: run `python sims/run_night.py ARGS...` to the end; returns the CompletedProcess (text)."""

    def run(*args, timeout: float = 300, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(RUN_NIGHT), *map(str, args)], env=cli_env, cwd=cwd or cli_cwd,
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def run_nights(run_night):
    """`run_nights([args, args, ...])`: several runs of `sims/run_night.py` at once; their CompletedProcesses in order."""

    def run_all(commands: list[list], timeout: float = 300) -> list[subprocess.CompletedProcess]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(lambda args: run_night(*args, timeout=timeout), commands))

    return run_all


@pytest.fixture(scope="session")
def start_night(cli_env, cli_cwd):
    """`start_night(*args, stdout=..., stderr=...)`: start `python sims/run_night.py ARGS...`; returns the Popen."""

    def start(*args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd: Path | None = None) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(RUN_NIGHT), *map(str, args)], env=cli_env, cwd=cwd or cli_cwd,
                                stdout=stdout, stderr=stderr)

    return start


def write_cifar_npz(root: Path, n_train: int, n_test: int, seed: int = 0) -> Path:
    """A CIFAR-10-format data root (root/cifar10/{train,test}.npz: x uint8 (n, 32, 32, 3), y int64 in 0..9)."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar10"
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", n_train), ("test", n_test)):
        y = np.arange(n) % 10
        # class-dependent mean colour plus noise: a little structure for the read-out to find
        x = rng.normal(40 + 20 * y[:, None, None, None], 30, size=(n, 32, 32, 3)).clip(0, 255).astype(np.uint8)
        np.savez(folder / f"{name}.npz", x=x, y=y.astype(np.int64))
    return root


@pytest.fixture(scope="session")
def tiny_cifar(tmp_path_factory) -> Path:
    """A data root holding a small CIFAR-10-format data set (640 training and 200 test images); read in milliseconds."""
    return write_cifar_npz(tmp_path_factory.mktemp("data"), 640, 200)


@pytest.fixture(scope="session")
def tiny(tiny_cifar) -> list[str]:
    """Overrides for a run of a few seconds per epoch on the CPU: a small cortex, small batches, a short read-out."""
    return [f"data.root={tiny_cifar}", "data.train_size=160", "data.test_size=100", "cortex.channels=[3,8,16,32]",
            "cortex.latent_dim=32", "optim.batch_size=16", "eval.readout_epochs=2", "eval.probes=4", "progress=false",
            "device=cpu", "epochs=1", "record.units_per_area=16"]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` (relative path -> (bytes, mtime in ns)): equal snapshots mean nothing was touched.
    A run directory's `.lock` is the lock's own note of its last holder (records.lock), rewritten by every process
    that takes the lock, a finished run's rerun included; a refused process leaves it as it was (tests/test_lock.py)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK}


@pytest.fixture(scope="session")
def file_snapshot():
    return snapshot


@pytest.fixture(scope="session")
def finished_run(run_night, tiny, tmp_path_factory):
    """A finished one-epoch tiny run, shared by the tests that read it or add to its command (each of those must leave
    it unchanged): (its run directory, the overrides that made it, the finished process)."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    args = [*tiny, f"hydra.run.dir={run_dir}"]
    done = run_night(*args)
    assert done.returncode == 0, done.stderr
    return run_dir, args, done
