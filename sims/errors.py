class PadError(Exception):
    """Bad input: a key, a value or a file. Its message is one line naming the offender; the run stops without damage."""
