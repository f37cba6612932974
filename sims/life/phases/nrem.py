"""NREM, perturbed dreaming: G dreams a replayed episode, the dream is occluded, E learns to recover the episode."""
import torch
import torch.nn.functional as F
from torch import Tensor

from cortex import Cortex, random_mask
from cortex.population import population_statistics
from neuromod import Plasticity
from sims.life.brain import Brain
from sims.life.config import NremPhase
from sims.life.phases.learning import Phase, StepResult, Structure


def structure(plasticity: Plasticity, cfg: NremPhase) -> Structure:
    """With weight 0 (the authors' N = 0) nothing is learned, but E's update still happens, as in the authors' loop,
    where the NREM slot's optimizer step ran whatever N was: a momentum-only step under idle_parameters=momentum."""
    return Structure(True, cfg.weight != 0)


def arguments(cortex: Cortex, episodes: Tensor, plasticity: Plasticity, cfg: NremPhase,
              generator: torch.Generator) -> tuple:
    """Draws from `generator`: the drop probability, the square size, then the mask's cells (cortex.random_mask)."""
    mask = random_mask(cortex.image_size, generator, cfg.max_square).to(episodes.dtype)  # (1, 1, size, size)
    return episodes, mask, cfg.weight


def losses(cortex: Cortex, episodes: Tensor, mask: Tensor, weight) -> tuple[Tensor, dict[str, Tensor], None]:
    """episodes: (batch, latent_dim) replayed latent codes, the targets. Only E's trunk and latent head learn."""
    with torch.no_grad():
        dream = cortex.generate(episodes) * mask
    activities = cortex.trunk(dream)  # the occluded dream drives V1 ... IT
    z = cortex.latent(activities[-1])
    latent = F.mse_loss(z, episodes)
    return weight * latent, {"loss_latent": latent} | population_statistics(activities + (z,)), None


NREM = Phase("nrem", structure, arguments, losses)
