"""Linear separability by the paper's recipe, as tensor code on the device, for one brain or a cohort at once.

Frozen, unnormalised latents; a linear layer (latent_dim -> classes) initialised as torch.nn.Linear; plain SGD
(lr 0.2, no momentum), batch 64 with a fresh shuffle each epoch and the last partial batch dropped (the authors'
DataLoader had drop_last=True), 20 epochs, cross-entropy; test accuracy by argmax over all test images. The gradient of the mean cross-entropy is written out
((softmax - onehot) / batch), which is what autograd computes, without autograd's bookkeeping per step.

A cohort is N brains of one architecture measured together: latents (N, n, dim), brain i's in row i, and one batched
matmul per SGD step for all of them. A lone brain is the cohort of one (`one_brain`), so both run the same arithmetic:
torch.bmm computes each brain's slice on its own (CPU: one gemm per slice, or a plain loop below 400 multiply-adds),
so brain i's figures do not depend on which cohort it was measured in.
"""
import math
from typing import Callable, NamedTuple, Sequence

import torch
from torch import Tensor

from cortex import to_activity


class Readout(NamedTuple):
    """One read-out: weight (classes, dim), bias (classes,); or a cohort's: (N, classes, dim), (N, classes)."""

    weight: Tensor
    bias: Tensor

    def predict(self, z: Tensor) -> Tensor:
        """Classes (n,) of z (n, dim); a cohort's (N, n) of z (N, n, dim), brain i's read-out on its z[i]."""
        return (z @ self.weight.mT + self.bias.unsqueeze(-2)).argmax(-1)

    def accuracy(self, z: Tensor, labels: Tensor) -> Tensor:
        """Percent correct on labels (n,): a 0-d device tensor, or (N,) for a cohort."""
        return (self.predict(z) == labels).float().mean(-1) * 100

    def brain(self, i: int) -> "Readout":
        """Brain i's read-out from a cohort's."""
        return Readout(self.weight[i], self.bias[i])


def one_brain(encode: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """A lone encoder (b, 3, 32, 32) -> (b, dim) as the encoder of a cohort of one: (1, b, 3, 32, 32) -> (1, b, dim)."""
    return lambda x: encode(x[0]).unsqueeze(0)


@torch.no_grad()
def encode_cohort(encode: Callable[[Tensor], Tensor], images: Tensor, brains: int, batch: int = 1000) -> Tensor:
    """Latents (N, n, dim) of uint8 images (n, 3, 32, 32) seen by every brain, `batch` images per brain at a time
    (memory stays bounded); each chunk goes to all N brains as an expanded view, not N copies."""
    chunks = (to_activity(chunk) for chunk in images.split(batch))
    return torch.cat([encode(x.expand(brains, *x.shape)) for x in chunks], dim=1)


@torch.no_grad()
def encode_dataset(encode: Callable[[Tensor], Tensor], images: Tensor, batch: int = 1000) -> Tensor:
    """Latents (n, latent_dim) of uint8 images (n, 3, 32, 32), converted to [-1, 1] batch by batch on their device."""
    return encode_cohort(one_brain(encode), images, 1, batch)[0]


@torch.no_grad()
def linear_readout(z: Tensor, labels: Tensor, *, classes: int = 10, epochs: int = 20, lr: float = 0.2,
                   batch: int = 64, generator: torch.Generator | None = None) -> Readout:
    """Train the linear read-out on (z, labels) and return it."""
    return linear_readouts(z.unsqueeze(0), labels, classes=classes, epochs=epochs, lr=lr, batch=batch,
                           generators=[generator]).brain(0)


@torch.no_grad()
def linear_readouts(z: Tensor, labels: Tensor, *, classes: int = 10, epochs: int = 20, lr: float = 0.2,
                    batch: int = 64, generators: Sequence[torch.Generator | None]) -> Readout:
    """Train a cohort's read-outs at once: brain i's on its latents z[i] (z: (N, n, dim)) and the shared labels (n,),
    drawing its initial weights and then one shuffle per epoch from generators[i], in the lone read-out's order
    (None: the global generator). Returns the cohort's Readout, weight (N, classes, dim)."""
    brains, n, dim = z.shape
    if len(generators) != brains:
        raise ValueError(f"{len(generators)} generators for a cohort of {brains} brains")
    if n < batch:
        raise ValueError(f"{n} training latents are fewer than one read-out batch of {batch}")
    params = torch.stack([_initial(classes, dim, g, z.device) for g in generators])  # (N, classes, dim + 1)
    onehot = torch.nn.functional.one_hot(labels, classes).to(z.dtype)  # (n, classes)
    _train(params, z, onehot, n - n % batch, epochs, lr, batch, generators)
    return Readout(params[..., :dim].clone(), params[..., dim].clone())


def _initial(classes: int, dim: int, generator: torch.Generator | None, device: torch.device) -> Tensor:
    """nn.Linear's default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), weight then bias: (classes, dim + 1)."""
    bound = 1 / math.sqrt(dim)
    uniform = lambda *shape: (torch.rand(*shape, generator=generator, device=device) * 2 - 1) * bound
    weight, bias = uniform(classes, dim), uniform(classes)
    return torch.cat([weight, bias[:, None]], dim=1)


def _train(params: Tensor, z: Tensor, onehot: Tensor, full: int, epochs: int, lr: float, batch: int,
           generators: Sequence[torch.Generator | None]) -> None:
    """SGD on the cross-entropy, in place on params (N, classes, dim + 1); each step all brains in one bmm per matmul.

    Each epoch gathers every brain's shuffled latents into one buffer, reused across epochs: a brain's gather reads only
    its own latents, which a CPU's cache holds (one gather of all brains' rows interleaved took twice as long, 47 ms
    against 23 ms for 16 brains of 5000 latents over 2 epochs, measured), and the steps are views of the buffer, so a
    GPU launches the same kernels per step whatever N."""
    brains, n, dim = z.shape
    classes = onehot.shape[1]
    inputs = z.new_ones(brains, full, dim + 1)  # (N, full, dim + 1): the bias is the weight of a constant 1
    targets = onehot.new_empty(brains, full, classes)  # (N, full, classes)
    for _ in range(epochs):
        for i, generator in enumerate(generators):
            order = torch.randperm(n, generator=generator, device=z.device)[:full]
            inputs[i, :, :dim] = z[i].index_select(0, order)
            targets[i] = onehot.index_select(0, order)
        steps = zip(inputs.view(brains, -1, batch, dim + 1).unbind(1),
                    targets.view(brains, -1, batch, classes).unbind(1))
        for zb, yb in steps:  # (N, batch, dim + 1) and (N, batch, classes), brain i's step in row i
            error = torch.softmax(torch.bmm(zb, params.mT), dim=-1).sub_(yb)  # (N, batch, classes): batch x dCE/dlogits
            params.sub_(torch.bmm(error.mT, zb), alpha=lr / batch)
