"""REM, adversarial dreaming: G dreams recombined episodes; E's discriminator learns "internal", G learns to fool it."""
import torch
from torch import Tensor

from cortex import Cortex
from cortex.population import population_statistics
from neuromod import Plasticity
from sims.life.brain import Brain
from sims.life.config import RemPhase
from sims.life.phases.learning import Phase, StepResult, Structure, discriminator_loss


def structure(plasticity: Plasticity, cfg: RemPhase) -> Structure:
    """With weight 0 (the authors' R = 0) nothing happens at all, as in the authors' loop."""
    return Structure(cfg.weight != 0, True)


def arguments(cortex: Cortex, seeds: Tensor, plasticity: Plasticity, cfg: RemPhase, generator: torch.Generator) -> tuple:
    """Draws nothing (the recall drew the seeds' noise)."""
    return seeds, plasticity.discriminator_target, cfg.weight * plasticity.discriminator_gain  # gain 1 but in graded mode


def losses(cortex: Cortex, seeds: Tensor, target, scale) -> tuple[Tensor, dict[str, Tensor], None]:
    """seeds: (batch, latent_dim) recombined codes. E's trunk and discriminator head descend the loss; G's plasticity
    has the controller's sign (-1 by default: G ascends it). The latent head gets no gradient."""
    activities = cortex.trunk(cortex.generate(seeds))  # the recombined dream drives V1 ... IT
    logit = cortex.discriminate(activities[-1])
    fake = discriminator_loss(logit, target)
    with torch.no_grad():  # REM learns nothing through z: its code is computed for the statistics only
        z = cortex.latent(activities[-1].detach())
    figures = {"loss_discriminator": fake, "discriminator_output": torch.sigmoid(logit).mean()}
    return scale * fake, figures | population_statistics(activities + (z,)), None


REM = Phase("rem", structure, arguments, losses)
