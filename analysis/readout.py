"""Linear separability by the paper's recipe, as tensor code on the device.

Frozen, unnormalised latents; a linear layer (latent_dim -> classes) initialised as torch.nn.Linear; plain SGD
(lr 0.2, no momentum), batch 64 with a fresh shuffle each epoch and the last partial batch dropped (the authors'
DataLoader had drop_last=True), 20 epochs, cross-entropy; test accuracy by argmax over all test images. The gradient of the mean cross-entropy is written out
((softmax - onehot) / batch), which is what autograd computes, without autograd's bookkeeping per step.
"""
import math
from typing import Callable, NamedTuple

import torch
from torch import Tensor

from cortex import to_activity


class Readout(NamedTuple):
    weight: Tensor  # (classes, latent_dim)
    bias: Tensor  # (classes,)

    def predict(self, z: Tensor) -> Tensor:
        return (z @ self.weight.T + self.bias).argmax(1)

    def accuracy(self, z: Tensor, labels: Tensor) -> Tensor:
        """Percent correct, a 0-d device tensor."""
        return (self.predict(z) == labels).float().mean() * 100


@torch.no_grad()
def encode_dataset(encode: Callable[[Tensor], Tensor], images: Tensor, batch: int = 1000) -> Tensor:
    """Latents (n, latent_dim) of uint8 images (n, 3, 32, 32), converted to [-1, 1] batch by batch on their device."""
    return torch.cat([encode(to_activity(chunk)) for chunk in images.split(batch)])


@torch.no_grad()
def linear_readout(z: Tensor, labels: Tensor, *, classes: int = 10, epochs: int = 20, lr: float = 0.2,
                   batch: int = 64, generator: torch.Generator | None = None) -> Readout:
    """Train the linear read-out on (z, labels) and return it."""
    n, dim = z.shape
    if n < batch:
        raise ValueError(f"{n} training latents are fewer than one read-out batch of {batch}")
    bound = 1 / math.sqrt(dim)  # nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
    uniform = lambda *shape: (torch.rand(*shape, generator=generator, device=z.device) * 2 - 1) * bound
    weight, bias = uniform(classes, dim), uniform(classes)
    params = torch.cat([weight, bias[:, None]], dim=1)  # (classes, dim + 1): the bias is the weight of a constant 1
    augmented = torch.cat([z, torch.ones(n, 1, dtype=z.dtype, device=z.device)], dim=1)
    onehot = torch.nn.functional.one_hot(labels, classes).to(z.dtype)
    full = n - n % batch
    _train(params, augmented, onehot, full, epochs, lr, batch, generator)
    return Readout(params[:, :dim].clone(), params[:, dim].clone())


def _train(params: Tensor, augmented: Tensor, onehot: Tensor, full: int, epochs: int, lr: float, batch: int,
           generator: torch.Generator | None) -> None:
    """SGD on the cross-entropy, in place on params (classes, dim + 1)."""
    n, width = augmented.shape
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator, device=augmented.device)[:full]
        inputs = augmented[order].view(-1, batch, width)  # one gather per epoch, then views
        targets = onehot[order].view(-1, batch, onehot.shape[1])
        for zb, yb in zip(inputs, targets):
            error = torch.softmax(zb @ params.T, dim=1).sub_(yb)  # batch x dCE/dlogits
            params.sub_(error.T @ zb, alpha=lr / batch)
