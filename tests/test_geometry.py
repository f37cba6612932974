"""Latent geometry against independent routes: numpy on the same sampled pairs, exact all-pairs means, clusters whose
ratios are known, the exact expected distance to an occluded constant image, and PCA against numpy."""
import math

import numpy as np
import torch

from analysis.geometry import (clean_occluded_distance, different_class_pairs, inter_class_distance,
                               intra_class_distance, latent_geometry, pca, project, same_class_pairs)
from analysis.readout import encode_dataset
from cortex import Cortex, CortexConfig


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def unbalanced(n: int, seed: int):
    """z (n, 8) and labels with class shares 0.1, 0.2, 0.3, 0.4."""
    gen = seeded(seed)
    labels = torch.multinomial(torch.tensor([0.1, 0.2, 0.3, 0.4]), n, replacement=True, generator=gen)
    return torch.randn(n, 8, generator=gen) + labels[:, None], labels


def test_pairs_follow_the_recipe():
    _, labels = unbalanced(400, seed=0)
    a, b = same_class_pairs(labels, 1000, seeded(1))
    assert torch.equal(labels[a], labels[b]) and (a != b).all()
    assert torch.equal(labels[a], torch.arange(4).repeat_interleave(1000))  # 1000 pairs per class
    a, b = different_class_pairs(labels, 40000, seeded(2))
    assert (labels[a] != labels[b]).all()
    # uniform over ordered different-class pairs: P(class of a = c, class of b = c') = n_c n_c' / sum over c != c''
    n = torch.bincount(labels, minlength=4).double()
    expected = torch.outer(n, n).fill_diagonal_(0)
    expected /= expected.sum()
    observed = torch.zeros(4, 4, dtype=torch.float64).index_put_((labels[a], labels[b]), torch.ones(40000).double(),
                                                                 accumulate=True) / 40000
    assert (observed - expected).abs().max() < 4 * math.sqrt(0.25 / 40000)  # 4 SE of a share


def test_distances_match_numpy_on_the_same_pairs():
    z, labels = unbalanced(300, seed=3)
    zn, ln = z.double().numpy(), labels.numpy()
    intra_pairs = [p.numpy() for p in same_class_pairs(labels, 50, seeded(4))]
    per_class = [np.linalg.norm(zn[intra_pairs[0]] - zn[intra_pairs[1]], axis=1)[ln[intra_pairs[0]] == c].mean()
                 for c in range(4)]
    inter_pairs = [p.numpy() for p in different_class_pairs(labels, 500, seeded(5))]
    inter = np.linalg.norm(zn[inter_pairs[0]] - zn[inter_pairs[1]], axis=1).mean()
    intra_t = intra_class_distance(z, labels, 50, seeded(4))
    inter_t = inter_class_distance(z, labels, 500, seeded(5))
    assert np.isclose(intra_t.item(), np.mean(per_class), rtol=1e-5)
    assert np.isclose(inter_t.item(), inter, rtol=1e-5)
    assert np.isclose((intra_t / inter_t).item(), np.mean(per_class) / inter, rtol=1e-5)


def all_pairs_means(z: np.ndarray, labels: np.ndarray):
    """Exact means over all ordered pairs of distinct same-class images (per class, then over classes) and over all
    ordered different-class pairs, with the standard deviations of those distances."""
    d = np.linalg.norm(z[:, None] - z[None], axis=2)
    same = labels[:, None] == labels[None]
    intra = [d[(labels[:, None] == c) & (labels[None] == c) & ~np.eye(len(z), dtype=bool)] for c in np.unique(labels)]
    return np.mean([x.mean() for x in intra]), max(x.std() for x in intra), d[~same].mean(), d[~same].std()


def test_sampled_means_approach_the_all_pairs_means():
    z, labels = unbalanced(60, seed=6)
    intra, intra_sd, inter, inter_sd = all_pairs_means(z.double().numpy(), labels.numpy())
    # The sampled means are means of i.i.d. draws from the all-pairs distributions (pairs with replacement), so their
    # errors have standard deviation sd / sqrt(pairs) (the intra mean over 4 classes: at most max sd / sqrt(pairs)).
    # 5 such SEs bound a false failure below 1e-6.
    assert abs(intra_class_distance(z, labels, 20000, seeded(7)).item() - intra) < 5 * intra_sd / math.sqrt(20000)
    assert abs(inter_class_distance(z, labels, 20000, seeded(8)).item() - inter) < 5 * inter_sd / math.sqrt(20000)


def test_separated_clusters_give_ratio_near_zero_and_identical_clusters_near_one():
    gen = seeded(9)
    labels = torch.randint(0, 10, (2000,), generator=gen)
    centres = torch.randn(10, 16, generator=gen) * 100
    z = centres[labels] + 0.1 * torch.randn(2000, 16, generator=gen)
    ratio = intra_class_distance(z, labels, generator=seeded(10)) / inter_class_distance(z, labels, generator=seeded(11))
    assert ratio.item() < 0.01
    z = torch.randn(2000, 16, generator=gen)  # labels independent of z: every class has the same distribution
    ratio = intra_class_distance(z, labels, generator=seeded(12)) / inter_class_distance(z, labels, generator=seeded(13))
    assert abs(ratio.item() - 1) < 0.03  # distances ~ sqrt(32) +- 0.7: SE of each mean < 0.3%


def test_clean_occluded_distance_of_white_images_is_known():
    images = torch.full((50, 3, 32, 32), 255, dtype=torch.uint8)  # activity 1 everywhere
    flat = lambda x: x.flatten(1)
    z = encode_dataset(flat, images)
    # k of the 64 squares (4x4, 3 channels) go grey: distance sqrt(48 k), k ~ Binomial(64, 0.3)
    pmf = [math.comb(64, k) * 0.3 ** k * 0.7 ** (64 - k) for k in range(65)]
    mean = sum(p * math.sqrt(48 * k) for k, p in enumerate(pmf))
    sd = math.sqrt(sum(p * 48 * k for k, p in enumerate(pmf)) - mean ** 2)
    measured = clean_occluded_distance(flat, images, z, generator=seeded(14), batch=3000).item()
    assert abs(measured - mean) < 5 * sd / math.sqrt(10000)
    assert clean_occluded_distance(flat, images, z, 100, drop_prob=0.0, generator=seeded(15)).item() == 0
    full = clean_occluded_distance(flat, images, z, 100, drop_prob=1.0, generator=seeded(16)).item()
    assert math.isclose(full, math.sqrt(3072), rel_tol=1e-6)


def test_latent_geometry_of_a_tiny_cortex_is_its_parts_in_order():
    torch.manual_seed(0)
    cortex = Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32))
    encode = lambda x: cortex.latent(cortex.trunk(x)[-1])
    gen = seeded(17)
    images = torch.randint(0, 256, (200, 3, 32, 32), generator=gen, dtype=torch.uint8)
    labels = torch.randint(0, 10, (200,), generator=gen)
    geometry = latent_geometry(encode, images, labels, pairs_per_class=100, inter_pairs=1000, occluded_pairs=300,
                               generator=seeded(18))
    with torch.no_grad():
        z, gen = encode_dataset(encode, images), seeded(18)
        parts = (intra_class_distance(z, labels, 100, gen), inter_class_distance(z, labels, 1000, gen),
                 clean_occluded_distance(encode, images, z, 300, generator=gen))
    assert torch.allclose(torch.stack([geometry.intra, geometry.inter, geometry.clean_occluded]), torch.stack(parts))
    assert torch.isclose(geometry.intra_inter, parts[0] / parts[1])
    assert torch.isclose(geometry.occluded_inter, parts[2] / parts[1])


def test_pca_matches_numpy_and_projects_occluded_latents_on_clean_axes():
    gen = seeded(19)
    z = torch.randn(500, 6, generator=gen, dtype=torch.float64) * torch.tensor([5.0, 3, 2, 1, 0.5, 0.1]).double()
    z = z @ torch.linalg.qr(torch.randn(6, 6, generator=gen, dtype=torch.float64))[0] + 7  # rotated, off-centre
    projections, components, ratio = pca(z, k=2)
    values, vectors = np.linalg.eigh(np.cov(z.numpy(), rowvar=False))  # ascending
    values, vectors = values[::-1], vectors[:, ::-1]
    signs = np.sign(np.sum(components.numpy() * vectors[:, :2].T, axis=1))
    assert np.allclose(components.numpy(), signs[:, None] * vectors[:, :2].T, atol=1e-8)
    assert np.allclose(ratio.numpy(), values[:2] / values.sum(), atol=1e-10)
    centred = z.numpy() - z.numpy().mean(0)
    assert np.allclose(projections.numpy(), centred @ components.numpy().T, atol=1e-8)
    assert np.allclose(projections.var(0, correction=1).numpy(), values[:2], rtol=1e-8)
    assert torch.allclose(project(z, z, components), projections)
    occluded = z + 0.3 * torch.randn(500, 6, generator=gen, dtype=torch.float64)
    expected = (occluded.numpy() - z.numpy().mean(0)) @ components.numpy().T
    assert np.allclose(project(occluded, z, components).numpy(), expected, atol=1e-8)
    assert (components.gather(1, components.abs().argmax(1, keepdim=True)) > 0).all()  # sign convention
