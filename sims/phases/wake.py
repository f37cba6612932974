"""Wake: the world drives V1; E and G learn to reconstruct it; the discriminator learns "external"."""
import torch
import torch.nn.functional as F
from torch import Tensor

from neuromod import Plasticity
from sims.brain import Brain
from sims.config import WakePhase
from sims.phases.learning import StepResult, discriminator_loss, kl_divergence, learn


def wake_step(brain: Brain, x: Tensor, plasticity: Plasticity, cfg: WakePhase,
              generator: torch.Generator) -> StepResult:
    """x: (batch, 3, 32, 32). The episodes are z (batch, latent_dim) before the update, detached.

    Draws from `generator` the latent noise (batch, latent_dim) where latent_noise_std > 0, nothing otherwise.
    A term with weight 0 is left out of the loss (the authors skipped its backward pass).
    """
    cortex = brain.cortex
    enc = cortex.encode(x)
    z_to_g = enc.z
    if cfg.latent_noise_std > 0:
        noise = torch.randn(enc.z.shape, generator=generator, device=x.device, dtype=enc.z.dtype)
        z_to_g = z_to_g + cfg.latent_noise_std * noise
    reconstruction = F.mse_loss(cortex.generate(z_to_g), x)
    kl = kl_divergence(enc.z)
    loss = kl + cfg.weight * reconstruction if cfg.weight != 0 else kl
    figures = {"loss_reconstruction": reconstruction, "loss_kl": kl, "discriminator_output": enc.d.mean()}
    if plasticity.discriminator_gate:
        real = discriminator_loss(enc.d_logit, plasticity.discriminator_target)
        loss = loss + plasticity.discriminator_gain * real  # gain 1 but in graded mode
        figures["loss_discriminator"] = real
    learn(brain, loss, plasticity)
    return StepResult({k: v.detach() for k, v in figures.items()}, enc.z.detach())
