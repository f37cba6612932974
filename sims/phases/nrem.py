"""NREM, perturbed dreaming: G dreams a replayed episode, the dream is occluded, E learns to recover the episode."""
import torch
import torch.nn.functional as F
from torch import Tensor

from cortex import random_occlusion
from neuromod import Plasticity
from sims.brain import Brain
from sims.config import NremPhase
from sims.phases.learning import learn


def nrem_step(brain: Brain, episodes: Tensor, plasticity: Plasticity, cfg: NremPhase,
              generator: torch.Generator) -> dict[str, Tensor]:
    """episodes: (batch, latent_dim) recalled latent codes, the targets. Only E's trunk and latent head learn."""
    if cfg.weight == 0:
        return {}
    cortex = brain.cortex
    with torch.no_grad():
        dream = random_occlusion(cortex.generate(episodes), generator, cfg.max_square)
    z = cortex.latent(cortex.trunk(dream)[-1])
    latent = F.mse_loss(z, episodes)
    learn(brain, cfg.weight * latent, plasticity)
    return {"loss_latent": latent.detach()}
