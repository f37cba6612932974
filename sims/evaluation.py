"""The epoch-end evaluation hook: linear separability of z and dreams of fixed probe memories.

Uses its own random generators, so evaluating (or not) never changes the course of training.
"""
import numpy as np
import torch
from torch import Tensor

from analysis.measure import measure, measurement_generator
from cortex import Cortex
from hippocampus import STRATEGIES, HippocampusConfig
from sims.config import EvalConfig
from sims.world import World
from sims.world.world import to_activity


def latent_code(cortex: Cortex):
    return lambda x: cortex.latent(cortex.trunk(x)[-1])


@torch.no_grad()
def dreams(cortex: Cortex, probes: Tensor, hc: HippocampusConfig, seed: int) -> dict[str, np.ndarray]:
    """NREM dream G(z) of each probe; REM dream of each probe recombined with the next one and fixed noise."""
    z = latent_code(cortex)(probes)
    noise_gen = torch.Generator(device=z.device).manual_seed(seed)
    noise = torch.randn(z.shape, generator=noise_gen, device=z.device)
    seeds = STRATEGIES[hc.recombination](z, z.roll(-1, 0), noise, hc)
    return {"dream_nrem": cortex.generate(z).cpu().numpy(), "dream_rem": cortex.generate(seeds).cpu().numpy()}


def probe_images(world: World, n: int) -> Tensor:
    return to_activity(world.test_x[:n])


def evaluate(cortex: Cortex, world: World, cfg: EvalConfig, hc: HippocampusConfig, seed: int, epoch: int) -> dict:
    """The metrics of `analysis.evaluate.measure` (the same code `python -m analysis.evaluate` runs) and the dreams."""
    generator = measurement_generator(world.train_x.device, seed, epoch)
    figures = measure(latent_code(cortex), world, generator, readout_epochs=cfg.readout_epochs, readout_lr=cfg.readout_lr,
                      readout_batch=cfg.readout_batch, occlusion=cfg.occlusion, geometry=cfg.geometry)
    return figures | dreams(cortex, probe_images(world, cfg.probes), hc, seed)
