"""NREM, perturbed dreaming: G dreams a replayed episode, the dream is occluded, E learns to recover the episode."""
import torch
import torch.nn.functional as F
from torch import Tensor

from cortex import random_occlusion
from neuromod import Plasticity
from sims.brain import Brain
from sims.config import NremPhase
from sims.phases.learning import StepResult, learn, update


def nrem_step(brain: Brain, episodes: Tensor, plasticity: Plasticity, cfg: NremPhase,
              generator: torch.Generator) -> StepResult:
    """episodes: (batch, latent_dim) replayed latent codes, the targets. Only E's trunk and latent head learn.

    With weight 0 (the authors' N = 0) nothing is learned, but E's update still happens, as in the authors' loop,
    where the NREM slot's optimizer step ran whatever N was: a momentum-only step under idle_parameters=momentum.
    Draws from `generator`: the drop probability, the square size, then the mask's cells (cortex.random_occlusion).
    """
    if cfg.weight == 0:
        update(brain, plasticity)
        return StepResult({})
    cortex = brain.cortex
    with torch.no_grad():
        dream = random_occlusion(cortex.generate(episodes), generator, cfg.max_square)
    z = cortex.latent(cortex.trunk(dream)[-1])
    latent = F.mse_loss(z, episodes)
    learn(brain, cfg.weight * latent, plasticity)
    return StepResult({"loss_latent": latent.detach()})
