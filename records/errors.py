"""The one error type a user sees: raised by the world, the simulator and its checks, caught by `run_night.py`."""


class PadError(Exception):
    """Bad input: a key, a value or a file. Its message is one line naming the offender; the run stops without damage."""


class Diverged(Exception):
    """A brain's losses, weights or Adam state became non-finite. Its message is the one-line diagnosis (day, phase,
    figure); the run stops, keeping its last good checkpoint, and the activity file shows where it happened."""


def first_line(e: BaseException) -> str:
    """An exception's message cut to its first line (its type's name if it has none), for a one-line error."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
