"""The cohort's weights and Adam states: each of the cortex's parameters stacked over the brains, (brains, *shape).

Built from the brains as they stand (fresh or restored from their checkpoints) and written back into them
(`unstack`) in exactly the form a lone brain holds: its parameters and torch.optim.Adam's per-parameter state
(step, exp_avg, exp_avg_sq, present only for parameters that have taken a step), so each brain's checkpoint is a lone
run's. What a lone brain keeps in `p.grad` between steps, whether a parameter holds a (zero-filled) gradient, is
`has_grad`; like a lone run's gradients it is not checkpointed (a resumed lone run starts with none).
"""
import copy

import numpy as np
import torch
from torch import Tensor
from torch.optim.adam import adam

from sims.life.brain import Brain
from sims.life.config import IdleParameters

PATHWAYS = ("encoder", "generator")  # E's optimizer, G's optimizer


class Stack:
    def __init__(self, brains: list[Brain]):
        cortex = brains[0].cortex
        self.names = [n for n, _ in cortex.named_parameters()]
        name_of = {id(p): n for n, p in cortex.named_parameters()}
        self.pathway = {"encoder": [name_of[id(p)] for p in cortex.encoder_parameters()],
                        "generator": [name_of[id(p)] for p in cortex.generator_parameters()]}
        self.column = {n: i for i, n in enumerate(self.names)}
        self.size = len(brains)
        with torch.no_grad():
            self.params = {n: torch.stack([b.cortex.get_parameter(n) for b in brains]) for n in self.names}
        self.exp_avg = {n: torch.zeros_like(p) for n, p in self.params.items()}
        self.exp_avg_sq = {n: torch.zeros_like(p) for n, p in self.params.items()}
        self.device = device = self.params[self.names[0]].device
        self.autocast = brains[0].autocast  # shared by the cohort's brains (sims.life.identity.shared_by_cohort)
        self.steps = {n: torch.zeros(self.size, dtype=torch.float32, device=device) for n in self.names}  # as fused Adam
        self.zeros = {n: torch.zeros_like(p[0]) for n, p in self.params.items()}  # the gradient of an idle parameter
        self.initialized = np.zeros((self.size, len(self.names)), bool)  # has Adam state
        self.has_grad = np.zeros((self.size, len(self.names)), bool)  # holds a gradient tensor (momentum semantics)
        self.momentum = [b.idle_parameters == IdleParameters.momentum for b in brains]
        self.hyper = [{pathway: _hyper(getattr(b, f"{pathway}_optimizer")) for pathway in PATHWAYS} for b in brains]
        self.template = copy.deepcopy(cortex).to("meta")  # the architecture, for torch.func.functional_call
        for i, brain in enumerate(brains):
            self._load_optimizers(i, brain)
        # per brain, per parameter: (weight, exp_avg, exp_avg_sq, step) views that Adam updates in place
        self.views = [{n: (self.params[n][i], self.exp_avg[n][i], self.exp_avg_sq[n][i], self.steps[n][i])
                       for n in self.names} for i in range(self.size)]

    def _load_optimizers(self, i: int, brain: Brain) -> None:
        for pathway in PATHWAYS:
            optimizer = getattr(brain, f"{pathway}_optimizer")
            params = {id(p): n for n, p in brain.cortex.named_parameters()}
            for p, state in optimizer.state.items():
                n = params[id(p)]
                self.exp_avg[n][i].copy_(state["exp_avg"])
                self.exp_avg_sq[n][i].copy_(state["exp_avg_sq"])
                self.steps[n][i].copy_(state["step"])
                self.initialized[i, self.column[n]] = True

    @torch.no_grad()
    def unstack(self, i: int, brain: Brain) -> None:
        """Write brain i's weights and Adam states into `brain` as its own optimizers hold them."""
        for n, p in brain.cortex.named_parameters():
            p.copy_(self.params[n][i])
        for pathway in PATHWAYS:
            optimizer = getattr(brain, f"{pathway}_optimizer")
            for n in self.pathway[pathway]:
                p = brain.cortex.get_parameter(n)
                optimizer.state.pop(p, None)
                if self.initialized[i, self.column[n]]:
                    optimizer.state[p] = {"step": self.steps[n][i].clone(), "exp_avg": self.exp_avg[n][i].clone(),
                                          "exp_avg_sq": self.exp_avg_sq[n][i].clone()}

    def finite(self) -> np.ndarray:
        """(brains,) bool: every weight and Adam moment of the brain is finite (one host synchronisation)."""
        tensors = [t for store in (self.params, self.exp_avg, self.exp_avg_sq) for t in store.values()]
        return torch.stack([torch.isfinite(t).flatten(1).all(1) for t in tensors]).all(0).cpu().numpy()

    def step(self, pathway: str, entries: list[tuple[int, str, Tensor | None]], lr_gain: dict[int, float]) -> None:
        """One Adam step of `pathway` for each (brain, parameter, gradient or None) entry: a gradient is this phase's;
        None is a parameter off the loss's path, which moves on its momentum if it holds a gradient under momentum
        semantics and is skipped otherwise, as torch.optim.Adam (fused) does for a lone brain. lr_gain: brain -> factor
        on its learning rate (graded neuromodulation), absent for 1."""
        buckets: dict[tuple, tuple[list, ...]] = {}
        for i, n, grad in entries:
            column = self.column[n]
            if grad is None:
                if not (self.momentum[i] and self.has_grad[i, column]):
                    continue
                grad = self.zeros[n]
            self.initialized[i, column] = True
            lr, beta1, beta2, eps = self.hyper[i][pathway]
            key = (lr if i not in lr_gain else lr * lr_gain[i], beta1, beta2, eps)
            lists = buckets.setdefault(key, ([], [], [], [], []))
            for store, tensor in zip(lists, (*self.views[i][n], grad)):
                store.append(tensor)
        with torch.no_grad():
            for (lr, beta1, beta2, eps), (params, exp_avgs, exp_avg_sqs, steps, grads) in buckets.items():
                adam(params, grads, exp_avgs, exp_avg_sqs, [], steps, fused=True, amsgrad=False,
                     beta1=beta1, beta2=beta2, lr=lr, weight_decay=0.0, eps=eps, maximize=False)


def _hyper(optimizer: torch.optim.Adam) -> tuple[float, float, float, float]:
    group = optimizer.param_groups[0]
    return group["lr"], group["betas"][0], group["betas"][1], group["eps"]
