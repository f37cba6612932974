"""Every file the project writes (activity, evaluation, checkpoints, cached statistics) is written atomically."""
import os
from pathlib import Path
from typing import Callable


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
