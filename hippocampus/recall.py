"""How recalled episodes become the top-down seed of a dream, for NREM replay and REM recombination alike.

A strategy declares what it needs (yesterday's episodes, cortical noise) and how it combines them. The paper's REM
("mix"): z_mix = lambda' (lambda z + (1 - lambda) z_old) + (1 - lambda') eps; on the first day of an epoch, with no
z_old, z_mix = lambda' z + (1 - lambda') eps. The paper's NREM replays single episodes ("single").
"""
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from hippocampus.config import HippocampusConfig
from hippocampus.store import Hippocampus


def _memories(today: Tensor, yesterday: Tensor | None, cfg: HippocampusConfig) -> Tensor:
    if yesterday is None:
        return today
    return cfg.memory_mix * today + (1 - cfg.memory_mix) * yesterday


@dataclass(frozen=True)
class Strategy:
    """combine(today (n, dim), yesterday (n, dim) or None, noise (n, dim) or None, cfg) -> seeds (n, dim)."""

    combine: Callable[[Tensor, Tensor | None, Tensor | None, HippocampusConfig], Tensor]
    needs_yesterday: bool
    needs_noise: bool
    description: str

    def __call__(self, today: Tensor, yesterday: Tensor | None, noise: Tensor | None, cfg: HippocampusConfig) -> Tensor:
        return self.combine(today, yesterday, noise, cfg)


STRATEGIES: dict[str, Strategy] = {
    "mix": Strategy(lambda t, y, e, cfg: cfg.cortex_mix * _memories(t, y, cfg) + (1 - cfg.cortex_mix) * e,
                    needs_yesterday=True, needs_noise=True,
                    description="convex mix of two days' episodes, diluted with cortical noise (the paper's REM)"),
    "memories": Strategy(lambda t, y, e, cfg: _memories(t, y, cfg), needs_yesterday=True, needs_noise=False,
                         description="mix of two days' episodes without noise"),
    "single": Strategy(lambda t, y, e, cfg: t, needs_yesterday=False, needs_noise=False,
                       description="one episode, as stored (the paper's NREM; REM 'without memory mix')"),
    "noise": Strategy(lambda t, y, e, cfg: e, needs_yesterday=False, needs_noise=True,
                      description="spontaneous cortical activity alone"),
}


def recall(hippocampus: Hippocampus, strategy: str, cfg: HippocampusConfig, day: int, n: int,
           first_day_of_epoch: bool, generator: torch.Generator) -> Tensor:
    """Recall n of today's episodes (and of yesterday's, unless today opens an epoch) and combine them. (n, dim)

    Draws from `generator`, in this order: today's picks, yesterday's picks (only where a day holds more than n
    episodes), then the noise (n, dim).
    """
    how = STRATEGIES[strategy]
    today = hippocampus.recall_day(day, n, generator)
    if today is None:
        raise RuntimeError(f"the hippocampus holds no episode of day {day}")
    yesterday = None
    if how.needs_yesterday and not first_day_of_epoch:
        yesterday = hippocampus.recall_day(day - 1, n, generator)
        if yesterday is None:
            raise RuntimeError(f"strategy {strategy!r} needs day {day - 1}'s episodes, which the hippocampus no "
                               f"longer holds (capacity {hippocampus.capacity})")
    noise = None
    if how.needs_noise:
        noise = torch.randn(today.shape, generator=generator, device=today.device, dtype=today.dtype)
    return how(today, yesterday, noise, cfg)
