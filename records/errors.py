"""The one error type a user sees: raised by the world, the simulator and its checks, caught by `run_night.py`."""


class PadError(Exception):
    """Bad input: a key, a value or a file. Its message is one line naming the offender; the run stops without damage."""


class Diverged(Exception):
    """A brain's losses, weights or Adam state became non-finite. Its message is the one-line diagnosis (day, phase,
    figure); the run stops, keeping its last good checkpoint, and the activity file shows where it happened."""
