"""REM, adversarial dreaming: G dreams recombined episodes; E's discriminator learns "internal", G learns to fool it."""
import torch
from torch import Tensor

from neuromod import Plasticity
from sims.brain import Brain
from sims.config import RemPhase
from sims.phases.learning import StepResult, discriminator_loss, learn


def rem_step(brain: Brain, seeds: Tensor, plasticity: Plasticity, cfg: RemPhase,
             generator: torch.Generator) -> StepResult:
    """seeds: (batch, latent_dim) recombined codes. E's trunk and discriminator head descend the loss;
    G's plasticity has the controller's sign (-1 by default: G ascends it). The latent head gets no gradient.
    With weight 0 (the authors' R = 0) nothing happens at all, as in the authors' loop. Draws nothing."""
    if cfg.weight == 0:
        return StepResult({})
    cortex = brain.cortex
    logit = cortex.discriminate(cortex.trunk(cortex.generate(seeds))[-1])
    fake = discriminator_loss(logit, plasticity.discriminator_target)
    learn(brain, cfg.weight * plasticity.discriminator_gain * fake, plasticity)  # gain 1 but in graded mode
    return StepResult({"loss_discriminator": fake.detach(), "discriminator_output": torch.sigmoid(logit).mean().detach()})
