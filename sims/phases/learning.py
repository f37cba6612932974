"""Losses shared by the phases, the one result type every phase step returns, and the one place where gradients
become weight changes."""
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from neuromod import Plasticity
from sims.brain import Brain
from sims.config import IdleParameters


class StepResult(NamedTuple):
    figures: dict[str, Tensor]  # name -> 0-d device tensor (declared in records.variables); only what the step made
    episodes: Tensor | None = None  # (batch, latent_dim) latent codes for the hippocampus to store (Wake), detached


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
    """One backward pass, then one update (`update`)."""
    loss.backward()
    update(brain, plasticity)


def update(brain: Brain, plasticity: Plasticity) -> None:
    """One Adam step of E and, where plastic, of G (sign-switched: G ascends the loss); then gradients are cleared.

    A parameter without a gradient in this phase (not on the loss's path, or no loss at all) moves on its Adam
    momentum under idle_parameters=momentum, whose clearing fills gradients with zeros (PyTorch 1.x zero_grad()),
    and is skipped under frozen, whose clearing deletes them (PyTorch 2). A parameter never given a gradient has no
    gradient tensor and is skipped under both.
    """
    brain.encoder_optimizer.step()
    if plasticity.generator_plastic:
        if plasticity.generator_sign < 0:
            torch._foreach_neg_([p.grad for p in brain.cortex.generator_parameters() if p.grad is not None])
        if plasticity.generator_gain == 1:
            brain.generator_optimizer.step()
        else:  # graded neuromodulation: the level scales G's learning rate for this step
            group = brain.generator_optimizer.param_groups[0]
            lr, group["lr"] = group["lr"], group["lr"] * plasticity.generator_gain
            brain.generator_optimizer.step()
            group["lr"] = lr
    set_to_none = brain.idle_parameters == IdleParameters.frozen
    brain.encoder_optimizer.zero_grad(set_to_none=set_to_none)
    brain.generator_optimizer.zero_grad(set_to_none=set_to_none)
