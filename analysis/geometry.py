"""Latent geometry by the paper's recipe (Materials and methods, "Clustering distances"; REFERENCE.md, Evaluation).

Euclidean distances between latents z:
- intra-class: 1000 random pairs of distinct images of the same class, for each class; the mean over classes of the
  per-class means (equal pair counts per class make this the mean over all sampled pairs);
- inter-class: 10000 random pairs of images of different classes, uniform over such (ordered) pairs;
- clean-occluded: 10000 random images and their occluded copies (drop probability 0.3, squares of side 4, one mask per
  image);
reported as intra/inter and clean-occluded/inter ratios (paper, Figure 6e, f). Pairs are drawn with replacement, on the
device, by tensor indexing. PCA (Figure 6b-d): a centred SVD; occluded latents are projected on the clean axes.

Differences from the authors' compute_distances.py, which this follows only where it agrees with the text: they took the
mean squared difference per unit (nn.MSELoss, i.e. squared Euclidean distance / latent_dim) rather than the Euclidean
distance; 500 pairs per class (intra: first vs second half of the class; inter: the class vs the other classes;
clean-occluded: the same 500 images) instead of 1000 / 10000 / 10000; images from the training set; and one occlusion
mask shared by each class's batch of 500 (their `Occlude(...)(x, d=1)`), rather than one per image.
"""
from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence

import torch
from torch import Tensor

from analysis.readout import encode_dataset, one_brain
from analysis.robustness import cohort_occluded_latents, default_generator


class Pairs(NamedTuple):
    first: Tensor  # (pairs,) int64 indices
    second: Tensor  # (pairs,) int64 indices


def class_blocks(labels: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(order, classes, counts, offsets): indices sorted by label, and each class's block in that order."""
    order = torch.argsort(labels, stable=True)
    classes, counts = torch.unique(labels, return_counts=True)  # sorted, like `order`
    offsets = torch.cumsum(counts, 0) - counts
    return order, classes, counts, offsets


def draw(bound: Tensor, generator: torch.Generator) -> Tensor:
    """One integer uniform in [0, bound[k]) for each entry of the int64 tensor `bound`."""
    u = torch.rand(bound.shape, generator=generator, device=bound.device, dtype=torch.float64)
    return (u * bound).floor().to(torch.int64).clamp_(max=bound - 1)


def same_class_pairs(labels: Tensor, pairs_per_class: int, generator: torch.Generator) -> Pairs:
    """`pairs_per_class` random pairs of distinct images for each class with 2+ images, class by class (sorted labels)."""
    order, _, counts, offsets = class_blocks(labels)
    usable = (counts >= 2).nonzero().flatten()
    block = usable.repeat_interleave(pairs_per_class)  # (classes * pairs,)
    n = counts[block]
    a = draw(n, generator)
    b = draw(n - 1, generator)
    b = b + (b >= a).to(torch.int64)  # uniform over the class's images other than a
    return Pairs(order[offsets[block] + a], order[offsets[block] + b])


def different_class_pairs(labels: Tensor, pairs: int, generator: torch.Generator) -> Pairs:
    """`pairs` random ordered pairs (i, j) with labels[i] != labels[j], uniform over all such pairs.

    i is drawn with weight (n - size of its class), the number of partners it has; j uniformly among those partners.
    """
    order, classes, counts, offsets = class_blocks(labels)
    if classes.numel() < 2:
        raise ValueError("inter-class pairs need images of at least two classes")
    block = torch.searchsorted(classes, labels)  # (n,) each image's class block
    others = labels.shape[0] - counts[block]
    first = torch.multinomial(others.to(torch.float64), pairs, replacement=True, generator=generator)
    c = block[first]
    r = draw(others[first], generator)  # position among the images outside class c, in label order
    r = r + counts[c] * (r >= offsets[c]).to(torch.int64)  # skip class c's block
    return Pairs(first, order[r])


def distances(z: Tensor, pairs: Pairs) -> Tensor:
    """Euclidean distances (pairs,) between z[first] and z[second]."""
    return (z[pairs.first] - z[pairs.second]).norm(dim=1)


def intra_class_distance(z: Tensor, labels: Tensor, pairs_per_class: int = 1000,
                         generator: torch.Generator | None = None) -> Tensor:
    """Mean over classes of the mean distance of `pairs_per_class` random same-class pairs (0-d tensor)."""
    generator = generator or default_generator(z.device)
    d = distances(z, same_class_pairs(labels, pairs_per_class, generator))
    return d.view(-1, pairs_per_class).mean(1).mean()


def inter_class_distance(z: Tensor, labels: Tensor, pairs: int = 10000,
                         generator: torch.Generator | None = None) -> Tensor:
    """Mean distance of `pairs` random different-class pairs (0-d tensor)."""
    generator = generator or default_generator(z.device)
    return distances(z, different_class_pairs(labels, pairs, generator)).mean()


def clean_occluded_distance(encode: Callable[[Tensor], Tensor], images: Tensor, z: Tensor, pairs: int = 10000, *,
                            drop_prob: float = 0.3, square: int = 4, generator: torch.Generator | None = None,
                            batch: int = 1000) -> Tensor:
    """Mean distance between the clean latents z of `pairs` random images (with replacement) and the latents of their
    occluded copies, one mask per image (0-d tensor). z: clean latents of all `images` (uint8) under `encode`."""
    generator = generator or default_generator(images.device)
    return cohort_clean_occluded_distance(one_brain(encode), images, z.unsqueeze(0), pairs, drop_prob=drop_prob,
                                          square=square, generators=[generator], batch=batch)[0]


def cohort_clean_occluded_distance(encode: Callable[[Tensor], Tensor], images: Tensor, z: Tensor, pairs: int = 10000, *,
                                   drop_prob: float = 0.3, square: int = 4, generators: Sequence[torch.Generator],
                                   batch: int = 1000) -> Tensor:
    """`clean_occluded_distance` of a cohort, (N,): brain i draws its images, then their masks, from generators[i]; its
    clean latents z[i] (z: (N, n, dim)); encode (N, b, 3, 32, 32) -> (N, b, dim) takes each brain's own images."""
    device = images.device
    rows = torch.stack([torch.randint(images.shape[0], (pairs,), generator=g, device=device) for g in generators])
    occluded = cohort_occluded_latents(encode, images, drop_prob, generators=generators, square=square, batch=batch,
                                       index=rows)  # (N, pairs, dim)
    clean = z[torch.arange(z.shape[0], device=device)[:, None], rows]  # (N, pairs, dim)
    return (clean - occluded).norm(dim=-1).mean(-1)


@dataclass(frozen=True)
class LatentGeometry:
    intra: Tensor  # 0-d mean intra-class distance; (N,) for a cohort
    inter: Tensor  # 0-d mean inter-class distance; (N,) for a cohort
    clean_occluded: Tensor  # 0-d mean clean-vs-occluded distance; (N,) for a cohort

    @property
    def intra_inter(self) -> Tensor:
        return self.intra / self.inter

    @property
    def occluded_inter(self) -> Tensor:
        return self.clean_occluded / self.inter


@torch.no_grad()
def latent_geometry(encode: Callable[[Tensor], Tensor], images: Tensor, labels: Tensor, *, pairs_per_class: int = 1000,
                    inter_pairs: int = 10000, occluded_pairs: int = 10000, drop_prob: float = 0.3, square: int = 4,
                    generator: torch.Generator | None = None, batch: int = 1000) -> LatentGeometry:
    """The three mean distances of the paper's Figure 6e, f for uint8 images (n, 3, 32, 32) and labels (n,) on one
    device; `encode` maps [-1, 1] activity to z. Ratios: `.intra_inter`, `.occluded_inter`."""
    generator = generator or default_generator(images.device)
    z = encode_dataset(encode, images, batch)
    cohort = cohort_geometry(one_brain(encode), images, labels, z.unsqueeze(0), generators=[generator],
                             pairs_per_class=pairs_per_class, inter_pairs=inter_pairs, occluded_pairs=occluded_pairs,
                             drop_prob=drop_prob, square=square, batch=batch)
    return LatentGeometry(cohort.intra[0], cohort.inter[0], cohort.clean_occluded[0])


@torch.no_grad()
def cohort_geometry(encode: Callable[[Tensor], Tensor], images: Tensor, labels: Tensor, z: Tensor, *,
                    generators: Sequence[torch.Generator], pairs_per_class: int = 1000, inter_pairs: int = 10000,
                    occluded_pairs: int = 10000, drop_prob: float = 0.3, square: int = 4,
                    batch: int = 1000) -> LatentGeometry:
    """`latent_geometry` of a cohort, each distance (N,): brain i's clean latents z[i] of `images` (z: (N, n, dim)),
    its pairs and masks from generators[i] in the lone order (intra pairs, inter pairs, occluded images, masks).
    The pair distances are cheap and go brain by brain; the occluded images of all brains are encoded together."""
    intra = torch.stack([intra_class_distance(zi, labels, pairs_per_class, g) for zi, g in zip(z, generators)])
    inter = torch.stack([inter_class_distance(zi, labels, inter_pairs, g) for zi, g in zip(z, generators)])
    clean_occluded = cohort_clean_occluded_distance(encode, images, z, occluded_pairs, drop_prob=drop_prob,
                                                    square=square, generators=generators, batch=batch)
    return LatentGeometry(intra, inter, clean_occluded)


class PCA(NamedTuple):
    projections: Tensor  # (n, k) centred z on the components
    components: Tensor  # (k, latent_dim) orthonormal principal axes, largest variance first
    explained_variance_ratio: Tensor  # (k,) share of the total variance along each axis


def pca(z: Tensor, k: int = 2) -> PCA:
    """Principal components of z (n, d) by an SVD of the centred data (torch.linalg). Signs are fixed so that each
    component's largest-magnitude loading is positive (as scikit-learn does), so axes are reproducible."""
    centred = z - z.mean(0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    components = vh[:k]
    biggest = components.abs().argmax(1, keepdim=True)
    components = components * components.gather(1, biggest).sign()
    variance = s.square()
    return PCA(centred @ components.T, components, variance[:k] / variance.sum())


def project(z: Tensor, reference: Tensor, components: Tensor) -> Tensor:
    """z (n, d) on the principal axes of `reference` (e.g. occluded latents on the clean latents' axes), centred by the
    reference's mean: (n, k)."""
    return (z - reference.mean(0)) @ components.T
