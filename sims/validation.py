"""The values of a configuration that types alone do not check, each refused with one line naming its key.

Called by the preflight (before Hydra writes anything) and by the simulator (for runs started from Python).
"""
import math

from hippocampus import STRATEGIES
from neuromod import BrainState, Drive, NeuromodController
from neuromod.drugs import DRUGS
from records.errors import PadError
from sims.config import Autocast, DType, PadConfig
from sims.homeostat import Homeostat


def _check(ok: bool, key: str, value, rule: str) -> None:
    if not ok:
        raise PadError(f"{key}={value}: {rule}")


def _finite(key: str, value: float, low: float | None = None, high: float | None = None, *, closed_high=True) -> None:
    _check(isinstance(value, (int, float)) and math.isfinite(value), key, value, "must be a finite number")
    if low is not None:
        _check(value >= low, key, value, f"must be >= {low}")
    if high is not None:
        _check(value <= high if closed_high else value < high, key, value, f"must be {'<=' if closed_high else '<'} {high}")


def validate(cfg: PadConfig) -> None:
    _check(cfg.epochs >= 1, "epochs", cfg.epochs, "must be >= 1")
    _check(cfg.autocast == Autocast.none or cfg.dtype == DType.float32, "autocast", cfg.autocast.value,
           f"needs dtype=float32 (the weights autocast computes from), not dtype={cfg.dtype.value}")
    _check(cfg.optim.batch_size >= 1, "optim.batch_size", cfg.optim.batch_size, "must be >= 1")
    _finite("optim.lr", cfg.optim.lr, 0)
    _check(cfg.optim.lr > 0, "optim.lr", cfg.optim.lr, "must be > 0")
    _finite("optim.beta1", cfg.optim.beta1, 0, 1, closed_high=False)
    _finite("optim.beta2", cfg.optim.beta2, 0, 1, closed_high=False)
    c = cfg.cortex
    _check(len(c.areas) >= 1 and len(set(c.areas)) == len(c.areas), "cortex.areas", c.areas, "must name distinct areas")
    _check(len(c.channels) == len(c.areas), "cortex.channels", c.channels,
           f"needs one entry per area of cortex.areas ({len(c.areas)})")
    _check(c.channels[0] == 3, "cortex.channels", c.channels, "must start with 3 (V1's activity is an RGB image)")
    _check(all(k >= 1 for k in c.channels), "cortex.channels", c.channels, "must be >= 1 each")
    _check(c.latent_dim >= 1, "cortex.latent_dim", c.latent_dim, "must be >= 1")
    _check(32 // 2 ** (len(c.areas) - 1) == 4, "cortex.areas", c.areas,
           "must hold 4 areas: three halve 32x32 images to 4x4, the top maps 4x4 onto z")
    _finite("cortex.leak", c.leak, 0)
    _finite("cortex.init_std", c.init_std, 0)
    h = cfg.hippocampus
    _check(h.capacity is None or h.capacity >= 1, "hippocampus.capacity", h.capacity, "must be >= 1 (or unset)")
    _finite("hippocampus.memory_mix", h.memory_mix, 0, 1)
    _finite("hippocampus.cortex_mix", h.cortex_mix, 0, 1)
    for state in BrainState:
        levels = getattr(cfg.neuromod, state.value.lower())
        for name in ("ach", "na"):
            _finite(f"neuromod.{state.value.lower()}.{name}", getattr(levels, name), 0)
    _finite("neuromod.ach_threshold", cfg.neuromod.ach_threshold, 0)
    _finite("neuromod.na_threshold", cfg.neuromod.na_threshold, 0)
    for phase in ("wake", "nrem", "rem"):
        _finite(f"phases.{phase}.weight", getattr(cfg.phases, phase).weight, 0)
    _finite("phases.wake.latent_noise_std", cfg.phases.wake.latent_noise_std, 0)
    _check(1 <= cfg.phases.nrem.max_square <= 32, "phases.nrem.max_square", cfg.phases.nrem.max_square,
           "must be between 1 and 32")
    e = cfg.eval
    _check(e.every >= 0, "eval.every", e.every, "must be >= 0 (0: no evaluation)")
    _check(e.readout_epochs >= 1, "eval.readout_epochs", e.readout_epochs, "must be >= 1")
    _finite("eval.readout_lr", e.readout_lr, 0)
    _check(e.readout_lr > 0, "eval.readout_lr", e.readout_lr, "must be > 0")
    _check(e.readout_batch >= 1, "eval.readout_batch", e.readout_batch, "must be >= 1")
    _check(e.probes >= 1, "eval.probes", e.probes, "must be >= 1")
    for key, size in (("data.train_size", cfg.data.train_size), ("data.test_size", cfg.data.test_size)):
        _check(size is None or size >= 1, key, size, "must be >= 1 (or unset: all)")
    validate_protocol(cfg)
    if cfg.homeostat.enabled:
        try:
            Homeostat(cfg.homeostat)
        except ValueError as e:
            raise PadError(str(e)) from None
    validate_schedule(cfg)
    store_capacity(cfg)


def validate_schedule(cfg: PadConfig) -> None:
    """A day of at least one Wake step, driven by the world (NA acting), and nights of whole periods."""
    s = cfg.schedule
    _check(s.day_steps >= 1, "schedule.day_steps", s.day_steps, "must be >= 1")
    _check(s.cycles >= 0, "schedule.cycles", s.cycles, "must be >= 0")
    for i, period in enumerate(s.cycle):
        _check(period.steps >= 0, f"schedule.cycle[{i}].steps", period.steps, "must be >= 0")
    controller = NeuromodController(cfg.neuromod)
    levels = controller.levels(BrainState.WAKE)
    _check(controller.plasticity(levels).drive == Drive.SENSORY, "neuromod.wake", levels,
           "Wake must be driven by the world: NA at or above neuromod.na_threshold, or nothing is ever stored")


def max_wake_steps_per_day(cfg: PadConfig) -> int:
    """An upper bound of the Wake steps of any day, the day's own and a block's arousals: each stores a batch of
    episodes, so the hippocampus is sized with it."""
    return cfg.schedule.day_steps + max([0] + [b.arousals for b in cfg.protocol.blocks])


def validate_protocol(cfg: PadConfig) -> None:
    """Blocks named once, non-empty, in order and not overlapping; their keys meaningful; drugs known, given in
    blocks that exist."""
    protocol, first = cfg.protocol, 1 if cfg.protocol.unit.value == "epoch" else 0
    names, end = set(), first
    for i, b in enumerate(protocol.blocks):
        key = f"protocol.blocks[{i}]"
        _check(b.name not in names and b.name != "", f"{key}.name", b.name, "must be a new, non-empty name")
        names.add(b.name)
        _check(b.start >= end, f"{key}.start", b.start,
               f"must be >= {end} (blocks in order, not overlapping; the {protocol.unit.value}s count from {first})")
        _check(b.stop is None or b.stop > b.start, f"{key}.stop", b.stop, f"must be > start ({b.start}): an empty block")
        _check(b.stop is not None or i == len(protocol.blocks) - 1, f"{key}.stop", b.stop,
               "only the last block may run to the end (stop unset)")
        end = b.stop if b.stop is not None else end
        for state, p in b.keep.items():
            _check(state in ("NREM", "REM", "WAKE"), f"{key}.keep", state, "keys are states: NREM, REM, WAKE")
            _finite(f"{key}.keep.{state}", p, 0, 1)
        _finite(f"{key}.night_fraction", b.night_fraction, 0)
        _check(b.arousals >= 0, f"{key}.arousals", b.arousals, "must be >= 0")
        _check(b.cycles is None or b.cycles >= 0, f"{key}.cycles", b.cycles, "must be >= 0")
        _check(b.cycle is None or all(p.steps >= 0 for p in b.cycle), f"{key}.cycle", b.cycle, "steps must be >= 0")
        for state, levels in b.levels.items():
            _check(state in ("WAKE", "NREM", "REM"), f"{key}.levels", state, "keys are states: WAKE, NREM, REM")
            _finite(f"{key}.levels.{state}.ach", levels.ach, 0)
            _finite(f"{key}.levels.{state}.na", levels.na, 0)
        for phase, weight in b.weights.items():
            _check(phase in ("wake", "nrem", "rem"), f"{key}.weights", phase, "keys are phases: wake, nrem, rem")
            _finite(f"{key}.weights.{phase}", weight, 0)
    for i, dose in enumerate(protocol.drugs):
        key = f"protocol.drugs[{i}]"
        _check(dose.name in DRUGS, f"{key}.name", dose.name, f"unknown drug (one of {', '.join(sorted(DRUGS))})")
        _check(bool(dose.blocks) and set(dose.blocks) <= names, f"{key}.blocks", dose.blocks,
               f"must name blocks of the protocol ({', '.join(sorted(names)) or 'none'})")
        _finite(f"{key}.dose", dose.dose, 0)


def check_data_fits(cfg: PadConfig, train_images: int) -> None:
    """At least one day of the plan's batches in the training set."""
    batches = cfg.schedule.day_steps * cfg.optim.batch_size
    if train_images < batches:
        key = "data.train_size" if cfg.data.train_size else "optim.batch_size"
        raise PadError(f"{key}: {train_images} training images make no full day of {batches} images "
                       f"(optim.batch_size={cfg.optim.batch_size} per Wake step)")


def store_capacity(cfg: PadConfig) -> int:
    """hippocampus.capacity, or two days of episodes where it is unset; refused if too small for the strategies."""
    hc, day_episodes = cfg.hippocampus, max_wake_steps_per_day(cfg) * cfg.optim.batch_size
    for key in ("replay", "recombination"):
        if getattr(hc, key) not in STRATEGIES:
            raise PadError(f"hippocampus.{key}={getattr(hc, key)}: unknown strategy (one of {sorted(STRATEGIES)})")
    days = 2 if any(STRATEGIES[s].needs_yesterday for s in (hc.replay, hc.recombination)) else 1
    if hc.capacity is None:
        return 2 * day_episodes
    if hc.capacity < days * day_episodes:
        raise PadError(f"hippocampus.capacity={hc.capacity}: cannot hold the {days * day_episodes} episodes of "
                       f"{'today and yesterday' if days == 2 else 'one day'} ({day_episodes} a day); "
                       f"leave it unset to size it from the plan")
    return hc.capacity
