"""Signals that stop a run at the end of the day it is living, after saving a checkpoint there, so nothing is lost:
Ctrl-C (SIGINT, exit status 130), SIGTERM (what `kill` and SLURM send first, 143) and SIGUSR2 (SLURM's warning
before a time limit or a preemption, `--signal=USR2@120`, 140). A second one of them stops at once.

Whoever listened before keeps its say: once the checkpoint is saved, a Python handler installed before the run
(submitit's, which requeues the job on SIGUSR2 and shrugs off SIGTERM) gets the signal, and the run goes on if that
handler returns; a signal that was ignored is ignored. Otherwise the run stops with 128 + the signal's number.
"""
import signal

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2)


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal (after saving its checkpoint, unless stopped at once); its exit status."""

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.status = 128 + signum


class Interrupts:
    """`with Interrupts() as interrupts:` the signals of STOPPING only set `interrupts.pending`; the run looks at it
    once a day, saves, then calls `interrupts.stop(where)`."""

    def __enter__(self) -> "Interrupts":
        self.pending: int | None = None
        self.previous = {s: signal.signal(s, self._on_signal) for s in STOPPING}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)

    def _on_signal(self, signum: int, frame) -> None:
        if self.pending is not None:
            raise Interrupted(signum, f"{signal.Signals(signum).name} again: stopped at once")
        self.pending = signum

    def stop(self, saved: str) -> None:
        """The checkpoint is saved (`saved` says where): hand the signal on, or stop with 128 + its number."""
        signum, self.pending = self.pending, None
        previous = self.previous[signum]
        if previous is signal.SIG_IGN:
            return
        if callable(previous) and previous is not signal.default_int_handler:
            previous(signum, None)  # e.g. submitit's: requeues the job and exits, or bypasses the signal
            return
        raise Interrupted(signum, f"{'interrupted' if signum == signal.SIGINT else signal.Signals(signum).name}; {saved}")
