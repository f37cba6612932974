"""The epoch-end evaluation hook: linear separability of z and dreams of fixed probe memories.

Uses its own random generators, so evaluating (or not) never changes the course of training; each metric has its own
stream of (seed, epoch), so `python -m analysis.evaluate` repeats these figures from the saved weights.
"""
import copy

import numpy as np
import torch
from torch import Tensor

from analysis.measure import cohort_latent_code, dreams_of, latent_code, measure, measure_cohort
from cortex import Cortex, to_activity
from hippocampus import HippocampusConfig
from sims.config import EvalConfig
from world import World


@torch.no_grad()
def dreams(cortex: Cortex, probes: Tensor, hc: HippocampusConfig, seed: int) -> dict[str, np.ndarray]:
    """Dreams of the probe memories; the REM dreams' noise is the same every epoch."""
    z = latent_code(cortex)(probes)
    noise = torch.randn(z.shape, generator=torch.Generator(device=z.device).manual_seed(seed), device=z.device)
    nrem, rem = dreams_of(cortex, z, noise, hc)
    return {"dream_nrem": nrem.cpu().numpy(), "dream_rem": rem.cpu().numpy()}


def probe_images(world: World, n: int) -> Tensor:
    return to_activity(world.test_x[:n])


def evaluate(cortex: Cortex, world: World, cfg: EvalConfig, hc: HippocampusConfig, seed: int, epoch: int) -> dict:
    """The metrics of `analysis.measure.measure` (the same code `python -m analysis.evaluate` runs) and the dreams.

    Measured in float32 whatever the brain's dtype, as `analysis.evaluate` measures the saved weights."""
    cortex = _float32(cortex)
    figures = measure(latent_code(cortex), world, seed, epoch, **metric_options(cfg))
    return figures | dreams(cortex, probe_images(world, cfg.probes), hc, seed)


def evaluate_cohort(cortices: list[Cortex], world: World, cfg: EvalConfig, hcs: list[HippocampusConfig],
                    seeds: list[int], epochs: list[int]) -> list[dict]:
    """`evaluate` of several brains at once (their metric options `cfg` shared): the encodings and the read-outs of
    all of them in batch (`analysis.measure.measure_cohort`), each brain with its own streams; dreams brain by brain."""
    cortices = [_float32(c) for c in cortices]
    figures = measure_cohort(cohort_latent_code(cortices), world, seeds, epochs, **metric_options(cfg))
    probes = probe_images(world, cfg.probes)
    return [f | dreams(c, probes, hc, seed) for f, c, hc, seed in zip(figures, cortices, hcs, seeds)]


def metric_options(cfg: EvalConfig) -> dict:
    """The keyword arguments of `analysis.measure.measure` an evaluation config sets (brains sharing them can be
    measured together)."""
    return {"readout_epochs": cfg.readout_epochs, "readout_lr": cfg.readout_lr, "readout_batch": cfg.readout_batch,
            "occlusion": cfg.occlusion, "geometry": cfg.geometry}


def _float32(cortex: Cortex) -> Cortex:
    return cortex if next(cortex.parameters()).dtype == torch.float32 else copy.deepcopy(cortex).float()
