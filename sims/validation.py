"""The values of a configuration that types alone do not check, each refused with one line naming its key.

Called by the preflight (before Hydra writes anything) and by the simulator (for runs started from Python).
"""
import math

from neuromod import BrainState
from records.errors import PadError
from sims.config import PadConfig


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
