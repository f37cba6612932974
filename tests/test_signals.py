"""A lone brain stopped by a signal (sims.life.interrupts): it saves at the end of the day the signal arrived in and stops
with 128 + the signal's number, or hands the signal to the handler that was there before (submitit's requeue) and
lives on. The command line's side (a real process, resumed to the same results) is tests/test_resume.py's."""
import os
import signal

import pytest

from records.checkpoints import load_checkpoint
from sims.life.interrupts import Interrupted
from sims.life.simulator import Simulator
from tests.helpers import tiny_config

SMALL = ["data.train_size=64", "optim.batch_size=16", "eval.every=0", "keep_epoch_cortex=false", "epochs=2"]


def signalled(tmp_path, monkeypatch, signum: int, on_day: int = 2) -> Simulator:
    """A brain that sends itself `signum` while it lives day `on_day` of its first epoch."""
    simulator = Simulator(tiny_config(*SMALL), tmp_path)
    live_day = simulator.live_day

    def day():
        live_day()
        if (simulator.epoch, simulator.day_in_epoch) == (1, on_day):
            os.kill(os.getpid(), signum)

    monkeypatch.setattr(simulator, "live_day", day)
    return simulator


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGUSR2], ids=lambda s: s.name)
def test_a_signal_saves_the_day_and_stops_with_its_status(tmp_path, monkeypatch, signum):
    simulator = signalled(tmp_path, monkeypatch, signum)
    before = signal.getsignal(signum)
    with pytest.raises(Interrupted, match="checkpoint saved in") as stopped:
        simulator.run()
    assert stopped.value.status == 128 + signum
    state = load_checkpoint(simulator.checkpoint_path)
    assert (state["epoch"], state["day_in_epoch"]) == (1, 2)
    assert signal.getsignal(signum) is before  # the handlers are given back


def test_a_handler_that_was_there_before_gets_the_signal_after_the_save(tmp_path, monkeypatch):
    """As submitit's in a SLURM job: it requeues on SIGUSR2 (here it only notes the call) and the run lives on."""
    calls = []
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: calls.append(
        load_checkpoint(tmp_path / "checkpoints" / "last.pt")["day_in_epoch"]))
    try:
        simulator = signalled(tmp_path, monkeypatch, signal.SIGUSR2)
        simulator.run()
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert calls == [2]  # called once, after the checkpoint of day 2 was written
    assert simulator.epoch == 3  # and the run went on to its end


def test_an_ignored_signal_stays_ignored(tmp_path, monkeypatch):
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        simulator = signalled(tmp_path, monkeypatch, signal.SIGTERM)
        simulator.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert simulator.epoch == 3
