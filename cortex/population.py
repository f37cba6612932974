"""Population statistics of areas' activity: what a step's feedforward pass did in each area, as three figures.

Per area, over a batch of activities (batch, ...) whose trailing dimensions are the area's N units:
- activity_mean: mean activity over the batch and the units;
- active_fraction: fraction of (sample, unit) pairs with activity > 0;
- population_sparseness: Treves-Rolls sparseness with Vinje & Gallant's (2000) normalisation, per sample across the
  N units of the rectified activity r = max(a, 0): a = mean(r)^2 / mean(r^2), S = (1 - a) / (1 - 1/N), then the
  mean over the batch. S is 0 where every unit is equally active and 1 where one unit carries all the activity; a
  silent population (mean(r^2) = 0) counts as maximally sparse, 1, and so does a one-unit area (N = 1, where the
  normalisation is undefined), so a logged figure is never NaN unless the activity itself is (a divergence).
The figures are computed detached, without autograd, at least in float32: they change no gradient and draw nothing.
"""
from typing import Sequence

import torch
from torch import Tensor

from records.variables import POPULATION_VARIABLES

NAMES = tuple(v.name for v in POPULATION_VARIABLES)  # activity_mean, active_fraction, population_sparseness


@torch.no_grad()
def area_statistics(activity: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """activity: (batch, ...) of one area -> (mean, active fraction, population sparseness), 0-d tensors."""
    a = activity.detach().flatten(1)  # (batch, N)
    a = a.to(torch.promote_types(a.dtype, torch.float32))
    # five cheap passes over the area's activity (large: V2 holds 16384 units per sample by default), chosen for
    # speed on a CPU (count_nonzero, var_mean and a comparison's mean are each several times slower there)
    n, mean = a.shape[1], a.mean()
    r = a.clamp(min=0)  # NaN stays NaN
    nan = 0 * mean  # NaN where the activity holds a NaN (or infinities), else 0: a divergence shows in every figure
    active = r.sign().mean() + nan  # sign(r) is 1 where a > 0, else 0 (sign(NaN) is 0: `nan` tells)
    if n == 1:
        return mean, active, 1 + nan
    m1, m2 = r.mean(1), torch.linalg.vector_norm(r, dim=1).square() / n  # (batch,): mean(r), mean(r^2)
    sparseness = ((1 - m1.square() / m2) / (1 - 1 / n)).clamp(0, 1)  # clamp: rounding near 0 or 1; NaN stays NaN
    sparseness = torch.where(m2 == 0, 1.0, sparseness)  # silent: 1 (a NaN m2 is not 0: it stays NaN)
    return mean, active, sparseness.mean() + nan


@torch.no_grad()
def population_statistics(activities: Sequence[Tensor]) -> dict[str, Tensor]:
    """activities: per area (bottom to top, then z), each (batch, ...) -> {name: (areas,)} for the NAMES figures."""
    per_area = [area_statistics(a) for a in activities]
    return {name: torch.stack([s[k] for s in per_area]) for k, name in enumerate(NAMES)}
