"""Losses shared by the phases, the one result type every phase step returns, the description of a phase that a lone
brain and a cohort share, and the one place where a lone brain's gradients become weight changes."""
from typing import Any, Callable, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from cortex import Cortex
from neuromod import Plasticity
from sims.life.brain import Brain
from sims.life.config import IdleParameters


class StepResult(NamedTuple):
    figures: dict[str, Tensor]  # name -> 0-d device tensor, or (areas,) for the population statistics (declared in
    # records.variables); only what the step made
    episodes: Tensor | None = None  # (batch, latent_dim) latent codes for the hippocampus to store (Wake), detached


class Structure(NamedTuple):
    """What a step's computation looks like (brains whose steps share it are computed together in a cohort)."""

    update: bool  # an optimizer step happens at all (False: the authors' R = 0, nothing happens)
    loss: bool  # a loss is back-propagated before the step (False: the authors' N = 0, a step without a loss)
    options: tuple[tuple[str, Any], ...] = ()  # static keyword arguments of the phase's `losses`


class Phase(NamedTuple):
    """A phase as data, so that a lone brain and a cohort run the same science.

    name: wake, nrem or rem: its config (`phases.NAME`), its loss weight's key in a block's `weights`, and the brain's
    random stream its draws come from; structure(plasticity, cfg) -> Structure; arguments(cortex, inputs, plasticity, cfg, generator) -> the positional
    arguments of losses after the cortex: tensors (inputs and the step's own random draws, drawn from the brain's own
    stream; the cortex only gives their shapes) and numbers (weights, targets, gains); losses(cortex, *arguments, **options) -> (loss, figures, episodes or None),
    a pure function of the weights, which a cohort maps over its brains (torch.func)."""

    name: str
    structure: Callable[[Plasticity, Any], Structure]
    arguments: Callable[[Cortex, Tensor, Plasticity, Any, torch.Generator], tuple]
    losses: Callable[..., tuple[Tensor, dict[str, Tensor], Tensor | None]]

    def step(self, brain: Brain, inputs: Tensor, plasticity: Plasticity, cfg, generator: torch.Generator) -> StepResult:
        """One step of a lone brain (phase_step): inputs are Wake's images (batch, 3, 32, 32), NREM's episodes or REM's
        seeds (batch, latent_dim); Wake's StepResult carries the episodes, z before the update, detached."""
        return phase_step(self, brain, inputs, plasticity, cfg, generator)


def phase_step(phase: Phase, brain: Brain, inputs: Tensor, plasticity: Plasticity, cfg,
               generator: torch.Generator) -> StepResult:
    """One step of a lone brain: the phase's draws, its losses, one backward pass and one update."""
    structure = phase.structure(plasticity, cfg)
    if not structure.update:
        return StepResult({})
    if not structure.loss:
        update(brain, plasticity)
        return StepResult({})
    arguments = phase.arguments(brain.cortex, inputs, plasticity, cfg, generator)
    with autocast(inputs.device, brain.autocast):
        loss, figures, episodes = phase.losses(brain.cortex, *arguments, **dict(structure.options))
    learn(brain, loss, plasticity)
    return StepResult({k: v.detach() for k, v in figures.items()}, None if episodes is None else episodes.detach())


def autocast(device: torch.device, dtype: torch.dtype | None):
    """The context a phase's passes run in: torch.autocast to `dtype`, or nothing where dtype is None."""
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


def kl_divergence(z: Tensor) -> Tensor:
    """KL of the batch statistics of z (batch, dim) from N(0, 1), averaged over dimensions.

    Per dimension j, with batch mean m_j and unbiased batch std s_j: (s_j^2 + m_j^2) / 2 - log s_j - 1/2.
    At least in float32 (z from bfloat16 convolutions under autocast: the batch statistics need the precision).
    """
    z = z.to(torch.promote_types(z.dtype, torch.float32))
    m, s = z.mean(0), z.std(0)
    return ((s**2 + m**2) / 2 - torch.log(s) - 0.5).mean()


def discriminator_loss(logit: Tensor, target: float | Tensor) -> Tensor:
    """BCE of d = sigmoid(logit) against the teaching target (computed from the logit for numerical stability).
    target: a number, or a 0-d tensor (one brain's target inside a cohort's map over brains)."""
    return F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit) * target)


def learn(brain: Brain, loss: Tensor, plasticity: Plasticity) -> None:
    """One backward pass, then one update (`update`)."""
    loss.backward()
    update(brain, plasticity)


class PathwayUpdate(NamedTuple):
    pathway: str  # encoder (E: feedforward weights and discriminator head) or generator (G: feedback weights)
    sign: int  # +1: the pathway descends the loss; -1: it ascends it (its gradients negated)
    lr_gain: float  # factor on the pathway's learning rate for this step


def pathway_updates(plasticity: Plasticity) -> tuple[PathwayUpdate, ...]:
    """The update rule, the one place a lone brain (`update`) and a cohort (sims.life.cohort.steps) read it: E descends its
    loss at its own rate at every update; G steps only where plastic, sign-switched where the neuromodulators say so
    (REM: G ascends the loss), its learning rate scaled by the step's gain (graded neuromodulation)."""
    encoder = PathwayUpdate("encoder", 1, 1.0)
    if not plasticity.generator_plastic:
        return (encoder,)
    return encoder, PathwayUpdate("generator", plasticity.generator_sign, plasticity.generator_gain)


def update(brain: Brain, plasticity: Plasticity) -> None:
    """One torch.optim.Adam step of each pathway that `pathway_updates` steps; then gradients are cleared.

    A parameter without a gradient in this phase (not on the loss's path, or no loss at all) moves on its Adam
    momentum under idle_parameters=momentum, whose clearing fills gradients with zeros (PyTorch 1.x zero_grad()),
    and is skipped under frozen, whose clearing deletes them (PyTorch 2). A parameter never given a gradient has no
    gradient tensor and is skipped under both.
    """
    for pathway, sign, lr_gain in pathway_updates(plasticity):
        optimizer = getattr(brain, f"{pathway}_optimizer")
        if sign < 0:
            torch._foreach_neg_([p.grad for p in optimizer.param_groups[0]["params"] if p.grad is not None])
        group = optimizer.param_groups[0]
        lr, group["lr"] = group["lr"], group["lr"] * lr_gain  # exactly lr where the gain is 1
        optimizer.step()
        group["lr"] = lr
    set_to_none = brain.idle_parameters == IdleParameters.frozen
    brain.encoder_optimizer.zero_grad(set_to_none=set_to_none)
    brain.generator_optimizer.zero_grad(set_to_none=set_to_none)
