"""Occlusion robustness by the paper's recipe (REFERENCE.md, Evaluation; paper, Figure 5 and "Linear classification").

The linear read-out trained on latents of clean images is evaluated on latents of test images occluded by grey squares of
side 4 with drop probability 0, 0.1, ..., 1.0, each image with its own random mask (shared by its channels), as the
authors' `Occlude` transform did per test image. At p = 0 nothing is dropped, so the accuracy is the clean accuracy; at
p = 1 every image is uniformly grey (0 in [-1, 1]), every latent is E(0), the read-out predicts a single class, and the
accuracy is that class's share of the test labels (chance level for balanced classes).

Everything runs on the images' device in batches, without host synchronisation: accuracies come back as a device tensor.
"""
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import Tensor

from analysis.readout import Readout
from cortex import occlude, to_activity
from records.variables import OCCLUSION_LEVELS  # 0, 0.1, ..., 1.0 as in the paper's Figure 5


@dataclass(frozen=True)
class OcclusionCurve:
    drop_probs: Tensor  # (levels,) float, on the CPU
    accuracy: Tensor  # (levels,) percent correct, on the images' device
    square: int  # side of the occluding squares, in pixels


def default_generator(device: torch.device, seed: int = 0) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def occluded_batches(images: Tensor, drop_prob: float, square: int, generator: torch.Generator, batch: int):
    """Yield (rows, x): uint8 images (n, 3, 32, 32) as low-level activity in [-1, 1], occluded with
    one mask per image (squares of side `square` dropped with probability `drop_prob`), `batch` images at a time."""
    device = images.device
    for start in range(0, images.shape[0], batch):
        x = to_activity(images[start:start + batch])
        n = x.shape[0]
        p = torch.full((n,), float(drop_prob), device=device)
        s = torch.full((n,), int(square), dtype=torch.int64, device=device)
        yield slice(start, start + n), occlude(x, p, s, generator, shared=False)


@torch.no_grad()
def occluded_latents(encode: Callable[[Tensor], Tensor], images: Tensor, drop_prob: float, *, square: int = 4,
                     generator: torch.Generator | None = None, batch: int = 1000) -> Tensor:
    """Latents (n, latent_dim) of occluded copies of uint8 images (n, 3, 32, 32), one random mask per image."""
    generator = generator or default_generator(images.device)
    return torch.cat([encode(x) for _, x in occluded_batches(images, drop_prob, square, generator, batch)])


@torch.no_grad()
def occlusion_robustness(encode: Callable[[Tensor], Tensor], readout: Readout, images: Tensor, labels: Tensor, *,
                         drop_probs: Sequence[float] = OCCLUSION_LEVELS, square: int = 4,
                         generator: torch.Generator | None = None, batch: int = 1000) -> OcclusionCurve:
    """Accuracy (percent) of `readout` (trained on clean latents) on latents of occluded test images, per drop probability.

    encode: low-level activity in [-1, 1] (b, 3, 32, 32) -> z (b, latent_dim); images: uint8 (n, 3, 32, 32) and labels
    (n,) int64 on one device; generator: on that device (default: seeded 0), so a curve is reproducible.
    """
    generator = generator or default_generator(images.device)
    accuracies = []
    for p in drop_probs:
        correct = torch.zeros((), dtype=torch.int64, device=images.device)
        for rows, x in occluded_batches(images, p, square, generator, batch):
            correct += (readout.predict(encode(x)) == labels[rows]).sum()
        accuracies.append(correct.to(torch.float32) * (100.0 / images.shape[0]))
    return OcclusionCurve(torch.tensor([float(p) for p in drop_probs]), torch.stack(accuracies), int(square))
