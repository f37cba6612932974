"""What the analysis command lines share: bad input ends with one line on stderr, `error: <message>`, and exit status 2,
never a traceback (argparse's own errors included), before anything is written."""
import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from records.errors import PadError
from records.files import check_writable_folder


def bad_input(message: object) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line (`error: ...`, status 2) instead of the usage text and the error."""

    def error(self, message: str) -> NoReturn:
        bad_input(message)


def writable_folder(path: Path, option: str) -> Path:
    """`path` as an output folder: an existing folder, or one that can be made; a PadError naming `option` otherwise."""
    return check_writable_folder(path, f"{option} {path}")

@contextmanager
def one_line_errors(out: object):
    """Bad input (a PadError) and a write that fails on the way (an OSError: a full disk, a folder made read-only
    meanwhile) end the command in one line naming the output `out`."""
    try:
        yield
    except PadError as error:
        bad_input(error)
    except OSError as error:
        bad_input(f"--out {out}: cannot write {error.filename or ''} ({error.strerror or type(error).__name__})")
