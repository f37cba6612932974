"""The values of a configuration: each key's own range, declared once beside its default (`records.schema`), then what
relates keys to each other, to the data and to the machine's memory; each refused with one line naming its key.

Called by the preflight (before Hydra writes anything) and by the simulator (for runs started from Python).
"""
import math
import os
from typing import Sequence

import numpy as np
import torch

from hippocampus import STRATEGIES
from neuromod import BrainState, Drive, NeuromodController
from records.errors import PadError
from records.schema import check
from sims.life.config import Autocast, DType, PadConfig
from sims.life.homeostat import Homeostat
from sims.life.hypnograms import load_nights, max_steps
from sims.life.nights import NightPlanner


def _check(ok: bool, key: str, value, rule: str) -> None:
    if not ok:
        raise PadError(f"{key}={value}: {rule}")


def validate(cfg: PadConfig) -> None:
    check(cfg)
    _check(cfg.autocast == Autocast.none or cfg.dtype == DType.float32, "autocast", cfg.autocast.value,
           f"needs dtype=float32 (the weights autocast computes from), not dtype={cfg.dtype.value}")
    c = cfg.cortex
    _check(len(c.areas) >= 1 and len(set(c.areas)) == len(c.areas), "cortex.areas", c.areas, "must name distinct areas")
    _check(len(c.channels) == len(c.areas), "cortex.channels", c.channels,
           f"needs one entry per area of cortex.areas ({len(c.areas)})")
    _check(c.channels[0] == 3, "cortex.channels", c.channels, "must start with 3 (V1's activity is an RGB image)")
    _check(32 // 2 ** (len(c.areas) - 1) == 4, "cortex.areas", c.areas,
           "must hold 4 areas: three halve 32x32 images to 4x4, the top maps 4x4 onto z")
    validate_protocol(cfg)
    if cfg.homeostat.enabled:
        Homeostat(cfg.homeostat)  # what relates its keys (lower < upper, the baseline night fits)
    validate_schedule(cfg)
    store_capacity(cfg)
    validate_record(cfg)


def validate_record(cfg: PadConfig) -> None:
    """Recorded units exist in every area (z included)."""
    per_area = cfg.record.units_per_area
    for area, shape in ([] if per_area == "all" else cfg.cortex.area_shapes().items()):
        _check(per_area <= math.prod(shape), "record.units_per_area", per_area,
               f"area {area} has only {math.prod(shape)} units {shape}")


def validate_schedule(cfg: PadConfig) -> None:
    """A day driven by the world (NA acting in Wake)."""
    controller = NeuromodController(cfg.neuromod)
    levels = controller.levels(BrainState.WAKE)
    _check(controller.plasticity(levels).drive == Drive.SENSORY, "neuromod.wake", levels,
           "Wake must be driven by the world: NA at or above neuromod.na_threshold, or nothing is ever stored")


def max_wake_steps_per_day(cfg: PadConfig) -> int:
    """An upper bound of the Wake steps of any day, the day's own and a block's arousals: each stores a batch of
    episodes, so the hippocampus is sized with it."""
    waso = lambda b: max_steps(load_nights(b.hypnogram), b.hypnogram, states=(BrainState.WAKE,))
    return cfg.schedule.day_steps + max([0] + [b.arousals + (waso(b) if b.hypnogram else 0)
                                               for b in cfg.protocol.blocks])


def validate_protocol(cfg: PadConfig) -> None:
    """Blocks named once, in order and not overlapping; drugs given in blocks that exist."""
    protocol, first = cfg.protocol, 1 if cfg.protocol.unit.value == "epoch" else 0
    names, end = set(), first
    for i, b in enumerate(protocol.blocks):
        key = f"protocol.blocks[{i}]"
        _check(b.name not in names, f"{key}.name", b.name, "must be a new name (another block has it)")
        names.add(b.name)
        _check(b.start >= end, f"{key}.start", b.start,
               f"must be >= {end} (blocks in order, not overlapping; the {protocol.unit.value}s count from {first})")
        _check(b.stop is None or b.stop > b.start, f"{key}.stop", b.stop, f"must be > start ({b.start}): an empty block")
        _check(b.stop is not None or i == len(protocol.blocks) - 1, f"{key}.stop", b.stop,
               "only the last block may run to the end (stop unset)")
        end = b.stop if b.stop is not None else end
        if b.hypnogram is not None:
            _check(not cfg.homeostat.enabled, f"{key}.hypnogram.source", b.hypnogram.source,
                   "a hypnogram's nights are not planned by the homeostat: set homeostat.enabled=false")
            try:
                load_nights(b.hypnogram)  # read once here, so a bad file fails before the run
            except PadError as e:
                raise PadError(f"{key}.hypnogram.source: {e}") from None
    for i, dose in enumerate(protocol.drugs):
        _check(bool(dose.blocks) and set(dose.blocks) <= names, f"protocol.drugs[{i}].blocks", dose.blocks,
               f"must name blocks of the protocol ({', '.join(sorted(names)) or 'none'})")


def class_counts(labels) -> list[int]:
    """The number of images of each class present in `labels` (a tensor on any device, or an array)."""
    labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    return np.unique(labels, return_counts=True)[1].tolist()


def check_data_fits(cfg: PadConfig, train_images: int, test_classes: Sequence[int], device: torch.device | None) -> None:
    """At least one day of the plan's batches in the training set, the probes among the test images (test_classes:
    the number of test images of each class), and what the run allocates at its start within the memory of `device`
    (None: a device on another machine)."""
    batches, test_images = cfg.schedule.day_steps * cfg.optim.batch_size, sum(test_classes)
    if train_images < batches:
        key = "schedule.day_steps" if cfg.schedule.day_steps > 1 else \
            "data.train_size" if cfg.data.train_size else "optim.batch_size"
        raise PadError(f"{key}: {train_images} training images make no full day of {batches} images "
                       f"(schedule.day_steps={cfg.schedule.day_steps} Wake steps of optim.batch_size="
                       f"{cfg.optim.batch_size})")
    _check(cfg.eval.probes <= test_images, "eval.probes", cfg.eval.probes, f"must be <= the {test_images} test images")
    _check(cfg.record.probes_per_class <= min(test_classes), "record.probes_per_class", cfg.record.probes_per_class,
           f"must be <= {min(test_classes)}, the test images of the rarest class")
    check_memory(cfg, train_images // batches, device)


GIB = 2 ** 30
REMOTE_MEMORY = 2 ** 40  # a device on another machine (a SLURM node): 1 TiB, more than any single GPU holds


def check_memory(cfg: PadConfig, days_per_epoch: int, device: torch.device | None) -> None:
    """The largest allocations a run makes when it starts, each sized by one key, against the device's memory: a key
    set to an absurd size is refused with the figure instead of an out-of-memory crash (or a swapping machine)."""
    from sims.life.recorder import buffer_columns  # the figures logged per step, one column per area for per-area ones

    size, c = torch.finfo(getattr(torch, cfg.dtype.value)).bits // 8, cfg.cortex
    sides = [32 // 2 ** i for i in range(len(c.areas))]
    units = sum(k * side * side for k, side in zip(c.channels, sides)) + c.latent_dim  # one image's activities
    weights = sum(a * b * 16 for a, b in zip(c.channels, c.channels[1:]))  # the areas' 4x4 kernels, one pathway
    head = c.channels[-1] * 16 * c.latent_dim  # the top area's 4x4 map onto z, one pathway
    steps, day_key, day_value = _longest_day(cfg)
    columns = buffer_columns(len(c.areas) + 1)
    capacity = ("hippocampus.capacity", cfg.hippocampus.capacity) if cfg.hippocampus.capacity else \
        max([("optim.batch_size", cfg.optim.batch_size), ("schedule.day_steps", cfg.schedule.day_steps)]
            + [(f"protocol.blocks[{i}].arousals", b.arousals) for i, b in enumerate(cfg.protocol.blocks)],
            key=lambda kv: kv[1])  # the store holds two days of episodes: batch x (day_steps + arousals)
    parts = [  # (key, value, bytes, what)
        (day_key, day_value, days_per_epoch * steps * columns * size,
         f"the recorder's buffer of {days_per_epoch} days x {steps} steps x {columns} figures"),
        (*capacity, store_capacity(cfg) * c.latent_dim * size,
         f"the hippocampus's {store_capacity(cfg)} episodes"),
        ("optim.batch_size", cfg.optim.batch_size, 4 * cfg.optim.batch_size * units * size,
         "a batch's activities (both pathways, before and after their nonlinearity)"),
        ("cortex.channels", c.channels, 2 * 4 * weights * size, "both pathways' weights, gradients and Adam moments"),
        ("cortex.latent_dim", c.latent_dim, 2 * 4 * head * size, "the latent head's and G's top weights, gradients, "
                                                                   "Adam moments"),
    ]
    total, limit = sum(p[2] for p in parts), device_memory(device)
    if total > limit:
        key, value, largest, what = max(parts, key=lambda p: p[2])
        raise PadError(f"{key}={value}: the run would allocate {total / GIB:.3g} GiB as it starts ({what}: "
                       f"{largest / GIB:.3g} GiB), more than the {limit / GIB:.3g} GiB of {device or 'any device'}")


def device_memory(device: torch.device | None) -> int:
    """The memory of `device` in bytes: a GPU's own, this machine's for the CPU, REMOTE_MEMORY where unknown."""
    if device is None:
        return REMOTE_MEMORY
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _longest_day(cfg: PadConfig) -> tuple[int, str, object]:
    """The most steps a day may hold (the recorder's bound), and the key (with its value) that makes it that long."""
    s = cfg.schedule
    length = lambda cycle, cycles: sum(p.steps for p in cycle) * cycles
    sources = [(s.day_steps, "schedule.day_steps", s.day_steps), (length(s.cycle, s.cycles), "schedule.cycles", s.cycles)]
    if cfg.homeostat.enabled:
        sources.append((cfg.homeostat.max_night_steps, "homeostat.max_night_steps", cfg.homeostat.max_night_steps))
    for i, b in enumerate(cfg.protocol.blocks):
        night = length(b.cycle or s.cycle, s.cycles if b.cycles is None else b.cycles)
        lengthened = math.ceil(b.night_fraction * max(night, 1))
        longer = ("night_fraction", b.night_fraction) if b.night_fraction > night else ("cycles", b.cycles)
        sources += [(lengthened, f"protocol.blocks[{i}].{longer[0]}", longer[1]),
                    (b.arousals, f"protocol.blocks[{i}].arousals", b.arousals)]
    _, key, value = max(sources, key=lambda x: x[0])
    return NightPlanner(cfg, 1).max_steps_per_day(), key, value


def store_capacity(cfg: PadConfig) -> int:
    """hippocampus.capacity, or two days of episodes where it is unset; refused if too small for the strategies."""
    hc, day_episodes = cfg.hippocampus, max_wake_steps_per_day(cfg) * cfg.optim.batch_size
    for key in ("replay", "recombination"):
        if getattr(hc, key) not in STRATEGIES:
            raise PadError(f"hippocampus.{key}={getattr(hc, key)}: unknown strategy (one of {', '.join(sorted(STRATEGIES))})")
    days = 2 if any(STRATEGIES[s].needs_yesterday for s in (hc.replay, hc.recombination)) else 1
    if hc.capacity is None:
        return 2 * day_episodes
    if hc.capacity < days * day_episodes:
        raise PadError(f"hippocampus.capacity={hc.capacity}: cannot hold the {days * day_episodes} episodes of "
                       f"{'today and yesterday' if days == 2 else 'one day'} ({day_episodes} a day); "
                       f"leave it unset to size it from the plan")
    return hc.capacity
