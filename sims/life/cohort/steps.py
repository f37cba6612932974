"""One step of a group of a cohort's brains whose steps share a structure (sims.life.phases.learning.Structure): each
brain's draws from its own streams, the phase's loss function of all of them in one pass (torch.func.vmap over the
stacked weights, or brain by brain), one backward pass for the group, and one Adam step per pathway."""
from functools import partial

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

from neuromod import Plasticity
from sims.life.cohort.stack import PATHWAYS, Stack
from sims.life.phases import Phase, StepResult, Structure
from sims.life.phases.learning import autocast, pathway_updates


class Pathways(nn.Module):
    """What torch.func.functional_call calls: a phase's loss function on a cortex whose weights are the call's."""

    def __init__(self, cortex: nn.Module):
        super().__init__()
        self.cortex = cortex

    def forward(self, losses, *arguments):
        loss, figures, episodes = losses(self.cortex, *arguments)
        return loss, figures, () if episodes is None else episodes  # vmap returns tensors only: () for "none"


def group_step(stack: Stack, pathways: Pathways, members: list[int], phase: Phase, structure: Structure,
               plasticities: list[Plasticity], arguments: list[tuple], vectorized: bool) -> list[StepResult]:
    """members: the brains' indices in the stack; arguments: each brain's `phase.arguments(...)` (drawn by the caller
    from the brain's streams only where structure.loss). Returns each brain's StepResult, as a lone step would."""
    results = [StepResult({})] * len(members)
    if not structure.update:
        return results
    rules = [{u.pathway: u for u in pathway_updates(p)} for p in plasticities]  # each brain's, as a lone step's
    grads: dict[str, list[Tensor] | None] = {n: None for n in stack.names}
    if structure.loss:
        compute = _vectorized if vectorized else _brain_by_brain
        grads, results = compute(stack, pathways, members, partial(phase.losses, **dict(structure.options)), arguments)
        for n, g in grads.items():
            if g is not None:
                stack.has_grad[members, stack.column[n]] = True
    for pathway in PATHWAYS:
        stepping = [j for j, rule in enumerate(rules) if pathway in rule]
        entries = [(members[j], n, None if grads[n] is None else _signed(grads[n][j], rules[j][pathway].sign))
                   for j in stepping for n in stack.pathway[pathway]]
        gains = {members[j]: rules[j][pathway].lr_gain for j in stepping if rules[j][pathway].lr_gain != 1}
        if entries:
            stack.step(pathway, entries, gains)
    return results


def _signed(grad: Tensor, sign: int) -> Tensor:
    """A gradient of a pathway that ascends the loss (REM's G) negated, as a lone step negates p.grad."""
    return grad.neg() if sign < 0 else grad


def _results(figures: list[dict], episodes: list) -> list[StepResult]:
    return [StepResult({k: v.detach() for k, v in f.items()}, None if isinstance(e, tuple) else e.detach())
            for f, e in zip(figures, episodes)]


def _brain_by_brain(stack, pathways, members, losses, arguments):
    """Each brain's losses on its own slice of the stack (the lone brain's arithmetic), one backward for all."""
    leaves, total, figures, episodes = [], 0, [], []
    for i, args in zip(members, arguments):
        params = {n: stack.params[n][i].detach().requires_grad_() for n in stack.names}
        with autocast(stack.device, stack.autocast):
            loss, f, e = functional_call(pathways, {f"cortex.{n}": p for n, p in params.items()}, (losses, *args))
        leaves.append(params)
        total, figures, episodes = total + loss, figures + [f], episodes + [e]
    flat = [p for params in leaves for p in params.values()]
    found = torch.autograd.grad(total, flat, allow_unused=True)
    per_name = {n: list(found[k::len(stack.names)]) for k, n in enumerate(stack.names)}
    grads = {n: None if g[0] is None else g for n, g in per_name.items()}
    return grads, _results(figures, episodes)


def _vectorized(stack, pathways, members, losses, arguments):
    """All the brains' losses in one vmapped pass over the stacked weights (grouped convolutions), one backward."""
    everyone = members == list(range(stack.size))  # else the members' rows, stacked from views (an index tensor
    # of `members` would be host data copied to the device: a synchronisation on CUDA)
    params = {n: (p.detach() if everyone else torch.stack([p[i] for i in members])).requires_grad_()
              for n, p in stack.params.items()}
    batched, in_dims = _batched(arguments, stack.params[stack.names[0]])
    call = lambda p, *a: functional_call(pathways, {f"cortex.{n}": t for n, t in p.items()}, (losses, *a))
    with autocast(stack.device, stack.autocast):
        loss, figures, episodes = vmap(call, in_dims=(0, *in_dims))(params, *batched)
    found = torch.autograd.grad(loss.sum(), list(params.values()), allow_unused=True)
    grads = {n: None if g is None else list(g.unbind(0)) for n, g in zip(params, found)}
    per_brain = [{k: v[j] for k, v in figures.items()} for j in range(len(members))]
    return grads, _results(per_brain, [()] * len(members) if isinstance(episodes, tuple) else list(episodes))


def _batched(arguments: list[tuple], like: Tensor) -> tuple[list, list]:
    """The brains' arguments stacked along a leading brain axis: tensors stacked (a brain's None, where others have a
    tensor, becomes zeros: noise of std 0 adds nothing); numbers as `_numbers`; all None stays None."""
    batched, in_dims = [], []
    for values in zip(*arguments):
        tensors = [v for v in values if isinstance(v, Tensor)]
        if tensors:
            batched.append(torch.stack([v if isinstance(v, Tensor) else torch.zeros_like(tensors[0]) for v in values]))
        elif all(v is None for v in values):
            batched.append(None)
        else:
            batched.append(_numbers(values, like))
        in_dims.append(0 if isinstance(batched[-1], Tensor) else None)  # a number shared by all is not mapped over
    return batched, in_dims


def _numbers(values: tuple, like: Tensor) -> Tensor | float:
    """The brains' numbers (weights, targets, gains) without copying host data to the device (torch.tensor(values,
    device=cuda) would, and synchronise): the one Python number where they agree, an unbatched operand that travels as
    a kernel argument, as in a lone step; else a (brains,) tensor of the brains' dtype filled on the device number by
    number. Either way, the arithmetic of a tensor of `values`: the number rounded to the dtype times the operand."""
    if all(v == values[0] for v in values):
        return values[0]
    return torch.stack([torch.full((), v, dtype=like.dtype, device=like.device) for v in values])
