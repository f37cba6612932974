"""One process per run directory: an exclusive advisory lock on `RUN_DIR/.lock`, taken without waiting.

The lock is `fcntl.flock`: the kernel holds it for the open file and drops it when the process ends, however it ends
(SIGKILL and power loss included), so a lock left behind by a dead process is no lock and the next run simply takes
it; no stale-file guessing by pid. The file itself stays, holding the last holder's pid, host and start time, which a
refused process names. Within one process the lock is re-entrant (the command line takes it before Hydra writes
anything, then the run takes it again), and it is released when the outermost holder lets go. On NFS, Linux emulates
flock with byte-range locks, which hold across machines where the NFS lock service runs (as on SLURM clusters).
"""
import fcntl
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from records.errors import PadError

NAME = ".lock"
_held: dict[Path, tuple[int, int]] = {}  # run directory -> (open file descriptor, holders in this process)


@contextmanager
def run_lock(run_dir: str | os.PathLike) -> Iterator[None]:
    """Hold `run_dir`'s lock while inside (making the folder if needed); a PadError naming the directory and the
    holder if another process has it."""
    key = Path(run_dir).resolve()
    acquire(key)
    try:
        yield
    finally:
        release(key)


def acquire(run_dir: Path) -> None:
    if run_dir in _held:
        fd, count = _held[run_dir]
        _held[run_dir] = fd, count + 1
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / NAME, os.O_RDWR | os.O_CREAT, 0o644)  # no O_TRUNC: the holder's words stay until it's ours
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "a process that has not yet said who it is"
        os.close(fd)
        raise PadError(f"{run_dir}: in use by another run ({holder}); wait for it to end or use another run "
                       "directory") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                  f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n".encode(), 0)
    _held[run_dir] = fd, 1


def release(run_dir: Path) -> None:
    fd, count = _held[run_dir]
    if count > 1:
        _held[run_dir] = fd, count - 1
        return
    del _held[run_dir]
    os.close(fd)  # closing the only descriptor of the open file drops the flock


def check_free(run_dir: str | os.PathLike) -> None:
    """Refuse (PadError) a run directory another process holds, without creating anything: for a launcher whose
    jobs take their locks in other processes (they would find this process's lock in their way)."""
    path = Path(run_dir).resolve()
    if path in _held or not (path / NAME).exists():
        return
    acquire(path)
    release(path)
