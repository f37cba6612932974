"""Wake: the world drives V1; E and G learn to reconstruct it; the discriminator learns "external"."""
import torch
import torch.nn.functional as F
from torch import Tensor

from cortex import Cortex
from cortex.population import population_statistics
from neuromod import Plasticity
from sims.life.brain import Brain
from sims.life.config import WakePhase
from sims.life.phases.learning import Phase, StepResult, Structure, discriminator_loss, kl_divergence


def structure(plasticity: Plasticity, cfg: WakePhase) -> Structure:
    """A term with weight 0 is left out of the loss (the authors skipped its backward pass); the discriminator is
    taught only where its gate is open."""
    return Structure(True, True, (("reconstruct", cfg.weight != 0), ("teach", plasticity.discriminator_gate)))


def arguments(cortex: Cortex, x: Tensor, plasticity: Plasticity, cfg: WakePhase, generator: torch.Generator) -> tuple:
    """Draws from `generator` the latent noise (batch, latent_dim) where latent_noise_std > 0, nothing otherwise."""
    noise = None
    if cfg.latent_noise_std > 0:
        noise = torch.randn((x.shape[0], cortex.latent_dim), generator=generator, device=x.device, dtype=x.dtype)
    return (x, noise, cfg.latent_noise_std, cfg.weight, plasticity.discriminator_target, plasticity.discriminator_gain)


def losses(cortex: Cortex, x: Tensor, noise: Tensor | None, noise_std, weight, target, gain, *, reconstruct: bool,
           teach: bool) -> tuple[Tensor, dict[str, Tensor], Tensor]:
    """x: (batch, 3, 32, 32); noise: (batch, latent_dim) or None. The episodes are z (batch, latent_dim) before the
    update."""
    enc = cortex.encode(x)
    z_to_g = enc.z if noise is None else enc.z + noise_std * noise
    reconstruction = F.mse_loss(cortex.generate(z_to_g), x)
    kl = kl_divergence(enc.z)
    loss = kl + weight * reconstruction if reconstruct else kl
    figures = {"loss_reconstruction": reconstruction, "loss_kl": kl, "discriminator_output": enc.d.mean()}
    figures |= population_statistics(enc.activities + (enc.z,))  # x drove V1 ... IT, z
    if teach:
        real = discriminator_loss(enc.d_logit, target)
        loss = loss + gain * real  # gain 1 but in graded mode
        figures["loss_discriminator"] = real
    return loss, figures, enc.z


WAKE = Phase("wake", structure, arguments, losses)
