"""Every file the project writes (activity, evaluation, checkpoints, cached statistics) is written atomically."""
import os
from pathlib import Path
from typing import Callable

from records.errors import PadError


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to write a temporary file beside `path`, then rename it onto `path` (os.replace is atomic on
    one file system), so a reader or a run killed at any moment sees the old file or the whole new one, never half.

    The temporary name carries the process id: two processes writing the same file (a shared cache) never write into
    each other's temporary. On any exception the temporary is removed and the old file is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def check_writable_folder(path: str | os.PathLike, name: str) -> Path:
    """`path` is a folder, or can be made as one, that this process can write in; otherwise a PadError
    `NAME: reason` (one line). Checked before anything is written, so that bad input damages nothing."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise PadError(f"{name}: exists and is not a folder")
    ancestor = path
    while not ancestor.exists():
        if ancestor.is_symlink():  # exists() is False for a link to nowhere, and for a loop of links
            raise PadError(f"{name}: {ancestor} is a symbolic link that leads nowhere (broken, or a loop)")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise PadError(f"{name}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise PadError(f"{name}: {ancestor} is not writable (read-only file system or no permission)")
    return path
