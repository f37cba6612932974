"""The epoch-end evaluation hook: linear separability of z and dreams of fixed probe memories.

Uses its own random generators, so evaluating (or not) never changes the course of training; each metric has its own
stream of (seed, epoch), so `python -m analysis.evaluate` repeats these figures from the saved weights.
"""
import copy
from dataclasses import astuple

import numpy as np
import torch
from torch import Tensor

from analysis.measure import cohort_latent_code, cohort_map, dreams_of, latent_code, measure, measure_cohort
from cortex import Cortex, to_activity
from hippocampus import HippocampusConfig
from sims.life.config import EvalConfig
from world import World


@torch.no_grad()
def dreams(cortex: Cortex, probes: Tensor, hc: HippocampusConfig, seed: int) -> dict[str, np.ndarray]:
    """Dreams of the probe memories; the REM dreams' noise is the same every epoch."""
    nrem, rem = _dreams(cortex, probes, _dream_noise(cortex, probes, seed), hc)
    return {"dream_nrem": nrem.cpu().numpy(), "dream_rem": rem.cpu().numpy()}


@torch.no_grad()
def cohort_dreams(cortices: list[Cortex], probes: Tensor, hc: HippocampusConfig, seeds: list[int],
                  vectorized: bool = True) -> list[dict]:
    """`dreams` of several brains with one recombination (`hc`) at once (`cohort_map`), each with its own seed's
    noise."""
    noise = torch.stack([_dream_noise(c, probes, seed) for c, seed in zip(cortices, seeds)])  # (N, probes, dim)
    dream = cohort_map(cortices, lambda cortex, x, e: torch.stack(_dreams(cortex, x, e, hc)), vectorized)
    both = dream(probes.expand(len(cortices), *probes.shape), noise).cpu().numpy()  # (N, 2, probes, 3, 32, 32)
    return [{"dream_nrem": b[0], "dream_rem": b[1]} for b in both]


def _dream_noise(cortex: Cortex, probes: Tensor, seed: int) -> Tensor:
    generator = torch.Generator(device=probes.device).manual_seed(seed)
    return torch.randn((probes.shape[0], cortex.latent_dim), generator=generator, device=probes.device)


def _dreams(cortex: Cortex, probes: Tensor, noise: Tensor, hc: HippocampusConfig) -> tuple[Tensor, Tensor]:
    return dreams_of(cortex, latent_code(cortex)(probes), noise, hc)


def probe_images(world: World, n: int) -> Tensor:
    return to_activity(world.test_x[:n])


def evaluate(cortex: Cortex, world: World, cfg: EvalConfig, hc: HippocampusConfig, seed: int, epoch: int) -> dict:
    """The metrics of `analysis.measure.measure` (the same code `python -m analysis.evaluate` runs) and the dreams.

    Measured in float32 whatever the brain's dtype, as `analysis.evaluate` measures the saved weights."""
    cortex = _float32(cortex)
    figures = measure(latent_code(cortex), world, seed, epoch, **metric_options(cfg))
    return figures | dreams(cortex, probe_images(world, cfg.probes), hc, seed)


def evaluate_cohort(cortices: list[Cortex], world: World, cfg: EvalConfig, hcs: list[HippocampusConfig],
                    seeds: list[int], epochs: list[int], vectorized: bool) -> list[dict]:
    """`evaluate` of several brains at once (their metric options `cfg` shared): the read-outs of all of them in one
    batch (`analysis.measure.measure_cohort`), each brain with its own streams; their encodings and dreams vmapped
    over the brains (vectorized) or brain by brain (then every figure is the lone brain's to the bit)."""
    cortices = [_float32(c) for c in cortices]
    figures = measure_cohort(cohort_latent_code(cortices, vectorized), world, seeds, epochs, **metric_options(cfg))
    probes, groups = probe_images(world, cfg.probes), {}
    for i, hc in enumerate(hcs):  # brains that recombine alike dream together
        groups.setdefault(astuple(hc), []).append(i)
    for group in groups.values():
        dreamt = cohort_dreams([cortices[i] for i in group], probes, hcs[group[0]], [seeds[i] for i in group],
                               vectorized)
        for i, d in zip(group, dreamt):
            figures[i] |= d
    return figures


def metric_options(cfg: EvalConfig) -> dict:
    """The keyword arguments of `analysis.measure.measure` an evaluation config sets (brains sharing them can be
    measured together)."""
    return {"readout_epochs": cfg.readout_epochs, "readout_lr": cfg.readout_lr, "readout_batch": cfg.readout_batch,
            "occlusion": cfg.occlusion, "geometry": cfg.geometry}


def _float32(cortex: Cortex) -> Cortex:
    return cortex if next(cortex.parameters()).dtype == torch.float32 else copy.deepcopy(cortex).float()
