"""The epoch-end evaluation hook: linear separability of z and dreams of fixed probe memories.

Uses its own random generators, so evaluating (or not) never changes the course of training; each metric has its own
stream of (seed, epoch), so `python -m analysis.evaluate` repeats these figures from the saved weights.
"""
import copy

import numpy as np
import torch
from torch import Tensor

from analysis.measure import dreams_of, latent_code, measure
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
    if next(cortex.parameters()).dtype != torch.float32:
        cortex = copy.deepcopy(cortex).float()
    figures = measure(latent_code(cortex), world, seed, epoch, readout_epochs=cfg.readout_epochs, readout_lr=cfg.readout_lr,
                      readout_batch=cfg.readout_batch, occlusion=cfg.occlusion, geometry=cfg.geometry)
    return figures | dreams(cortex, probe_images(world, cfg.probes), hc, seed)
