"""Occlusion robustness by the paper's recipe (REFERENCE.md, Evaluation; paper, Figure 5 and "Linear classification").

The linear read-out trained on latents of clean images is evaluated on latents of test images occluded by grey squares of
side 4 with drop probability 0, 0.1, ..., 1.0, each image with its own random mask (shared by its channels), as the
authors' `Occlude` transform did per test image. At p = 0 nothing is dropped, so the accuracy is the clean accuracy; at
p = 1 every image is uniformly grey (0 in [-1, 1]), every latent is E(0), the read-out predicts a single class, and the
accuracy is that class's share of the test labels (chance level for balanced classes).

A cohort of N brains is measured at once: brain i draws its masks from its own generator, in the lone order, and the
occluded images of all brains go through the encoder together ((N, b, 3, 32, 32) -> (N, b, dim)); a lone brain is the
cohort of one. Everything runs on the images' device in batches, without host synchronisation: accuracies come back as
a device tensor.
"""
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
from torch import Tensor

from analysis.readout import Readout, one_brain
from cortex import occlusion_masks, to_activity
from records.variables import OCCLUSION_LEVELS  # 0, 0.1, ..., 1.0 as in the paper's Figure 5


@dataclass(frozen=True)
class OcclusionCurve:
    drop_probs: Tensor  # (levels,) float, on the CPU
    accuracy: Tensor  # (levels,) percent correct, or (N, levels) for a cohort, on the images' device
    square: int  # side of the occluding squares, in pixels


def default_generator(device: torch.device, seed: int = 0) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def cohort_occluded_batches(images: Tensor, drop_prob: float, square: int, generators: Sequence[torch.Generator],
                            batch: int, index: Tensor | None = None,
                            into: Tensor | None = None) -> Iterator[tuple[slice, Tensor]]:
    """Yield (rows, x): x (N, b, 3, 32, 32), brain i's copies of uint8 images (n, 3, 32, 32) as activity in [-1, 1],
    each occluded by its own mask (squares of side `square` dropped with probability `drop_prob`, shared by the
    channels) from generators[i], `batch` images per brain at a time.

    index (N, m): brain i's rows of `images` instead of all, gathered chunk by chunk (N sets of m images never sit in
    memory at once); `rows` then slices index's columns. into (N, batch, 3, 32, 32): written over by every full batch
    of shared images, so a caller must be done with a batch before it asks for the next (on a CPU, the fresh pages of
    N x batch new images cost more than occluding them: 1.1 s of 3.2 s for 16 brains, measured)."""
    device, size, shared = images.device, images.shape[-1], index is None
    count = images.shape[0] if shared else index.shape[1]
    for start in range(0, count, batch):
        x = to_activity(images[start:start + batch] if shared else images[index[:, start:start + batch]])
        b = x.shape[-4]  # x: (b, 3, 32, 32) shared by the brains, or (N, b, 3, 32, 32) one set per brain
        p = torch.full((b,), float(drop_prob), device=device)
        s = torch.full((b,), int(square), dtype=torch.int64, device=device)
        if not shared:
            occluded = x  # a brain's own copies: occluded in place
        elif into is not None and into.shape[1] == b:
            occluded = into
        else:
            occluded = x.new_empty(len(generators), *x.shape)
        for i, generator in enumerate(generators):  # brain by brain into one tensor: no (N, b, 32, 32) stack of masks
            mask = occlusion_masks(b, size, p, s, generator).unsqueeze(1)  # (b, 1, 32, 32): shared by the channels
            torch.mul(x if shared else x[i], mask, out=occluded[i])
        yield slice(start, start + b), occluded


@torch.no_grad()
def cohort_occluded_latents(encode: Callable[[Tensor], Tensor], images: Tensor, drop_prob: float, *,
                            generators: Sequence[torch.Generator], square: int = 4, batch: int = 1000,
                            index: Tensor | None = None) -> Tensor:
    """Latents (N, n, dim) of brain i's occluded copies of uint8 images (n, 3, 32, 32) (or of its rows index[i]), one
    mask per image from generators[i]; encode: (N, b, 3, 32, 32) -> (N, b, dim)."""
    batches = cohort_occluded_batches(images, drop_prob, square, generators, batch, index)
    return torch.cat([encode(x) for _, x in batches], dim=1)


@torch.no_grad()
def occluded_latents(encode: Callable[[Tensor], Tensor], images: Tensor, drop_prob: float, *, square: int = 4,
                     generator: torch.Generator | None = None, batch: int = 1000) -> Tensor:
    """Latents (n, latent_dim) of occluded copies of uint8 images (n, 3, 32, 32), one random mask per image."""
    generator = generator or default_generator(images.device)
    return cohort_occluded_latents(one_brain(encode), images, drop_prob, generators=[generator], square=square,
                                   batch=batch)[0]


@torch.no_grad()
def cohort_occlusion_robustness(encode: Callable[[Tensor], Tensor], readout: Readout, images: Tensor, labels: Tensor,
                                *, generators: Sequence[torch.Generator],
                                drop_probs: Sequence[float] = OCCLUSION_LEVELS, square: int = 4,
                                batch: int = 1000) -> OcclusionCurve:
    """`occlusion_robustness` of a cohort: brain i's read-out (readout.weight (N, classes, dim)) on its latents of the
    test images occluded by masks from generators[i]; encode (N, b, 3, 32, 32) -> (N, b, dim). accuracy (N, levels)."""
    accuracies, brains = [], len(generators)
    into = images.new_empty(brains, min(batch, images.shape[0]), *images.shape[1:], dtype=torch.float32)  # reused
    for p in drop_probs:
        correct = torch.zeros(brains, dtype=torch.int64, device=images.device)  # (N,)
        for rows, x in cohort_occluded_batches(images, p, square, generators, batch, into=into):
            correct += (readout.predict(encode(x)) == labels[rows]).sum(-1)
        accuracies.append(correct.to(torch.float32) * (100.0 / images.shape[0]))
    return OcclusionCurve(torch.tensor([float(p) for p in drop_probs]), torch.stack(accuracies, -1), int(square))


@torch.no_grad()
def occlusion_robustness(encode: Callable[[Tensor], Tensor], readout: Readout, images: Tensor, labels: Tensor, *,
                         drop_probs: Sequence[float] = OCCLUSION_LEVELS, square: int = 4,
                         generator: torch.Generator | None = None, batch: int = 1000) -> OcclusionCurve:
    """Accuracy (percent) of `readout` (trained on clean latents) on latents of occluded test images, per drop probability.

    encode: low-level activity in [-1, 1] (b, 3, 32, 32) -> z (b, latent_dim); images: uint8 (n, 3, 32, 32) and labels
    (n,) int64 on one device; generator: on that device (default: seeded 0), so a curve is reproducible.
    """
    generator = generator or default_generator(images.device)
    cohort = Readout(readout.weight.unsqueeze(0), readout.bias.unsqueeze(0))
    curve = cohort_occlusion_robustness(one_brain(encode), cohort, images, labels, generators=[generator],
                                        drop_probs=drop_probs, square=square, batch=batch)
    return OcclusionCurve(curve.drop_probs, curve.accuracy[0], curve.square)
