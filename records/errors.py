"""The one error type a user sees: raised by the world, the simulator and its checks, caught by `run_night.py`."""


class PadError(Exception):
    """Bad input: a key, a value or a file. Its message is one line naming the offender; the run stops without damage."""
