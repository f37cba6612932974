"""Small configurations shared by the tests: a tiny cortex and data set so a step takes milliseconds on CPU."""
from sims.jobs.registry import compose_config

TINY = [
    "data=shapes", "data.train_size=640", "data.test_size=200", "cortex.channels=[3,8,16,32]", "cortex.latent_dim=32",
    "eval.readout_epochs=2", "eval.probes=4", "progress=false", "device=cpu", "record.units_per_area=16",
]


def tiny_config(*overrides: str):
    return compose_config(TINY + list(overrides))


def merged(base: list[str], *overrides: str) -> list[str]:
    """`base` with `overrides` appended, each replacing the entry of the same key (the command line refuses a key
    given twice)."""
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    return [o for o in base if o.split("=", 1)[0].lstrip("+~") not in keys] + list(overrides)


def live(sim, epochs: int) -> None:
    """`epochs` whole epochs of a Simulator through its public epoch protocol (evaluation, files, checkpoint)."""
    for _ in range(epochs):
        sim.begin_epoch()
        while not sim.epoch_done:
            sim.live_day()
        sim.end_epoch()


class SpiedPhase:
    """A phase of sims.life.phases.PHASES whose lone-brain step is `spy` (a test's window on each step)."""

    def __init__(self, phase, spy):
        self.name, self.step = phase.name, spy
