"""How recalled episodes become the top-down seed of a dream.

Each strategy maps (today's episodes, the previous day's or None, cortical noise, config) to latent codes (n, dim).
The paper's REM ("mix"): z_mix = lambda' (lambda z + (1 - lambda) z_old) + (1 - lambda') eps; on the first day of an
epoch, with no z_old, z_mix = lambda' z + (1 - lambda') eps.
"""
from typing import Callable

import torch
from torch import Tensor

from hippocampus.config import HippocampusConfig
from hippocampus.store import Hippocampus

Strategy = Callable[[Tensor, Tensor | None, Tensor, HippocampusConfig], Tensor]


def _memories(today: Tensor, previous: Tensor | None, cfg: HippocampusConfig) -> Tensor:
    if previous is None:
        return today
    return cfg.memory_mix * today + (1 - cfg.memory_mix) * previous


def mix(today: Tensor, previous: Tensor | None, noise: Tensor, cfg: HippocampusConfig) -> Tensor:
    """Convex mix of two days' episodes, diluted with cortical noise (the paper's REM)."""
    return cfg.cortex_mix * _memories(today, previous, cfg) + (1 - cfg.cortex_mix) * noise


def memories(today: Tensor, previous: Tensor | None, noise: Tensor, cfg: HippocampusConfig) -> Tensor:
    """Mix of two days' episodes without noise."""
    return _memories(today, previous, cfg)


def single(today: Tensor, previous: Tensor | None, noise: Tensor, cfg: HippocampusConfig) -> Tensor:
    """One episode, as stored ("no memory mix"; NREM's replay)."""
    return today


def noise_only(today: Tensor, previous: Tensor | None, noise: Tensor, cfg: HippocampusConfig) -> Tensor:
    """Spontaneous cortical activity alone."""
    return noise


STRATEGIES: dict[str, Strategy] = {"mix": mix, "memories": memories, "single": single, "noise": noise_only}
_USES_NOISE = {"mix", "noise"}
_USES_PREVIOUS = {"mix", "memories"}


def recombine(
    hippocampus: Hippocampus,
    strategy: str,
    cfg: HippocampusConfig,
    day: int,
    n: int,
    first_day_of_epoch: bool,
    generator: torch.Generator,
) -> Tensor:
    """Recall today's episodes (and, unless today opens an epoch, yesterday's) and recombine them. (n, dim)"""
    today = hippocampus.recall_day(day, n, generator)
    if today is None:
        raise RuntimeError(f"the hippocampus holds no episode of day {day}")
    previous = None
    if strategy in _USES_PREVIOUS and not first_day_of_epoch:
        previous = hippocampus.recall_day(day - 1, n, generator)
    noise = today
    if strategy in _USES_NOISE:
        noise = torch.randn(today.shape, generator=generator, device=today.device)
    return STRATEGIES[strategy](today, previous, noise, cfg)
