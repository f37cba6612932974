"""Losses shared by the phases, and the one place where gradients become weight changes."""
import torch
import torch.nn.functional as F
from torch import Tensor

from neuromod import Plasticity
from sims.brain import Brain


def kl_divergence(z: Tensor) -> Tensor:
    """KL of the batch statistics of z (batch, dim) from N(0, 1), averaged over dimensions.

    Per dimension j, with batch mean m_j and unbiased batch std s_j: (s_j^2 + m_j^2) / 2 - log s_j - 1/2.
    """
    m, s = z.mean(0), z.std(0)
    return ((s**2 + m**2) / 2 - torch.log(s) - 0.5).mean()


def discriminator_loss(logit: Tensor, target: float) -> Tensor:
    """BCE of d = sigmoid(logit) against the teaching target (computed from the logit for numerical stability)."""
    return F.binary_cross_entropy_with_logits(logit, torch.full_like(logit, target))


def learn(brain: Brain, loss: Tensor, plasticity: Plasticity) -> None:
    """One backward pass, then one update of E and, where plastic, of G (sign-switched: G ascends the loss).

    Parameters without a gradient (not on the loss's path) are skipped by Adam: no weight or moment change.
    """
    loss.backward()
    brain.encoder_optimizer.step()
    if plasticity.generator_plastic:
        if plasticity.generator_sign < 0:
            grads = [p.grad for p in brain.cortex.generator_parameters() if p.grad is not None]
            torch._foreach_neg_(grads)
        brain.generator_optimizer.step()
    brain.encoder_optimizer.zero_grad(set_to_none=True)
    brain.generator_optimizer.zero_grad(set_to_none=True)
