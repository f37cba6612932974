"""FID: the torch Fréchet distance against scipy's (pytorch-fid's formula), the Inception features' input handling and
determinism, the cached real statistics, and FID's known behaviour on real CIFAR-10 (skipped where
../shared/data/cifar10/train.npz is missing). Inception-v3 at 299x299 costs about 0.3 s per image on one CPU core, so
the default tests see 140 images; the larger check (1200 images, about 8 minutes) is marked slow."""
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch

from analysis import fid as F

TRAIN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cifar10" / "train.npz"
HALF = 50  # images per side in the default CIFAR-10 check: FID at n = HALF // 2 and n = HALF
CHUNK = 5  # the batch size of every feature computation here, so that repeated runs see the same batches


def scipy_frechet(mu1, sigma1, mu2, sigma2, eps=1e-6) -> float:
    """pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of S1 S2), the reference formula."""
    diff = mu1 - mu2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)  # singular: covariances of n < d samples
        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            offset = np.eye(len(sigma1)) * eps
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def torch_frechet(f1: torch.Tensor, f2: torch.Tensor) -> float:
    return F.frechet_distance(*F.statistics(f1), *F.statistics(f2)).item()


def numpy_frechet(f1: torch.Tensor, f2: torch.Tensor) -> float:
    a, b = f1.double().numpy(), f2.double().numpy()
    return scipy_frechet(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def load_train(n: int) -> torch.Tensor:
    """The first n CIFAR-10 training images, uint8 (n, 3, 32, 32)."""
    with np.load(TRAIN) as d:
        return torch.from_numpy(np.ascontiguousarray(d["x"][:n].transpose(0, 3, 1, 2)))


def noise_images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread, as the command-line tests run: on a shared 2-core machine two threads wait on each other
    (Inception 0.3 s per image with one, 0.5 to 0.9 s with two; a 2048-d eigendecomposition 2 s against 3 to 30 s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pool() -> tuple[torch.Tensor, bool]:
    """2 * HALF real training images, or smooth synthetic ones where CIFAR-10 is missing (then flag False)."""
    if TRAIN.exists():
        return load_train(2 * HALF), True
    g = torch.Generator().manual_seed(1)
    coarse = torch.rand(2 * HALF, 3, 4, 4, generator=g) * 255
    return torch.nn.functional.interpolate(coarse, size=32, mode="bilinear").round().to(torch.uint8), False


@pytest.fixture(scope="module")
def pool_features(pool) -> torch.Tensor:
    return F.inception_features(pool[0], batch=CHUNK)


@pytest.fixture(scope="module")
def noise_features() -> torch.Tensor:
    return F.inception_features(noise_images(HALF // 2), batch=CHUNK)


def test_weights_are_the_packaged_inception(pool_features):
    assert F.weights_path().is_file()
    assert pool_features.shape == (2 * HALF, 2048) and pool_features.dtype == torch.float32
    assert (pool_features >= 0).all() and pool_features.mean() > 0.1  # pool3 follows a ReLU; natural images light it


def test_features_are_deterministic(pool, pool_features):
    again = F.inception_features(pool[0][:CHUNK], batch=CHUNK)
    assert torch.equal(again, pool_features[:CHUNK])


def test_uint8_and_the_equivalent_float_input_give_the_same_features(pool, pool_features):
    as_float = pool[0][:CHUNK].to(torch.float32) / 127.5 - 1.0  # the simulator's low-level activity range
    assert torch.equal(F.inception_features(as_float, batch=CHUNK), pool_features[:CHUNK])


def test_input_checks():
    with pytest.raises(ValueError, match="n, 3, H, W"):
        F.inception_features(torch.zeros(2, 1, 32, 32, dtype=torch.uint8))
    with pytest.raises(TypeError, match="uint8 or float"):
        F.inception_features(torch.zeros(2, 3, 32, 32, dtype=torch.int64))
    assert F.inception_features(torch.zeros(0, 3, 32, 32, dtype=torch.uint8)).shape == (0, 2048)


def test_statistics_match_numpy():
    x = torch.randn(300, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3 + 1
    mu, sigma = F.statistics(x.to(torch.float32))
    assert mu.dtype == sigma.dtype == torch.float64
    np.testing.assert_allclose(mu.numpy(), x.numpy().mean(0), rtol=1e-6)
    np.testing.assert_allclose(sigma.numpy(), np.cov(x.numpy(), rowvar=False), rtol=1e-5)


def test_frechet_distance_closed_form():
    """Commuting (diagonal) covariances: FID = |dmu|^2 + sum (sqrt(a) - sqrt(b))^2."""
    a, b = torch.tensor([1.0, 4.0, 9.0, 0.0], dtype=torch.float64), torch.tensor([4.0, 1.0, 9.0, 2.0], dtype=torch.float64)
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([1.0, 1.0, 0.0, 3.0])
    expected = 1 + 4 + 1 + 1 + 0 + 2
    assert F.frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)).item() == pytest.approx(expected, rel=1e-12)
    assert F.frechet_distance(mu1, torch.diag(a), mu1, torch.diag(a)).item() == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("dim", [16, 256])
def test_frechet_distance_matches_scipy_on_gaussians_of_known_covariance(dim):
    g = torch.Generator().manual_seed(dim)
    root1 = torch.randn(dim, dim, generator=g, dtype=torch.float64) / dim ** 0.5
    root2 = root1 + 0.3 * torch.randn(dim, dim, generator=g, dtype=torch.float64) / dim ** 0.5
    f1 = torch.randn(4 * dim, dim, generator=g, dtype=torch.float64) @ root1.T
    f2 = torch.randn(4 * dim, dim, generator=g, dtype=torch.float64) @ root2.T + 0.2
    assert torch_frechet(f1, f2) == pytest.approx(numpy_frechet(f1, f2), rel=1e-6)  # sample statistics
    known = torch.zeros(dim), root1 @ root1.T, torch.full((dim,), 0.2), root2 @ root2.T  # the population's
    ours = F.frechet_distance(*known).item()
    assert ours == pytest.approx(scipy_frechet(*(t.numpy().astype(np.float64) for t in known)), rel=1e-6)


def test_frechet_distance_matches_scipy_on_inception_features(pool_features, noise_features):
    """On the first 256 of the 2048 features (scipy's sqrtm of 2048 x 2048 takes minutes here; the slow test does it)."""
    a, b, noise = pool_features[:HALF, :256], pool_features[HALF:, :256], noise_features[:, :256]
    for f1, f2 in ((a, b), (a[:CHUNK], b[:CHUNK]), (a, noise)):  # covariances of rank n - 1 < 256, like FID's at n < 2048
        assert torch_frechet(f1, f2) == pytest.approx(numpy_frechet(f1, f2), rel=1e-6)


def test_real_statistics_are_computed_once_and_cached(pool, pool_features, tmp_path, monkeypatch):
    images = pool[0]
    mu, sigma = F.real_statistics(images, CHUNK, tmp_path, batch=CHUNK)
    mu_ref, sigma_ref = F.statistics(pool_features[:CHUNK])
    assert torch.equal(mu, mu_ref) and torch.equal(sigma, sigma_ref)
    [cached] = tmp_path.iterdir()
    assert cached.name.startswith(f"fid_stats_n{CHUNK}_") and cached.suffix == ".npz"
    with np.load(cached) as d:
        assert d["n"].item() == CHUNK and d["weights_sha1"].item() == F.WEIGHTS_SHA1

    def fake_features(x, batch=100, device=None):  # from here on only the cache logic is under test
        return x.flatten(1)[:, :5].to(torch.float32)

    monkeypatch.setattr(F, "inception_features", fake_features)
    mu2, sigma2 = F.real_statistics(images, CHUNK, tmp_path)
    assert torch.equal(mu2, mu) and torch.equal(sigma2, sigma)  # read back, not recomputed
    F.real_statistics(images[1:], CHUNK, tmp_path)  # other data: another file beside it
    F.real_statistics(images, CHUNK + 1, tmp_path)  # another n: another file
    assert len(list(tmp_path.iterdir())) == 3

    single = tmp_path / "sub" / "real.npz"  # a file path: one entry, replaced when n or the data change
    first = F.real_statistics(images, 4, single)
    second = F.real_statistics(images, 6, single)
    assert first[0].shape == second[0].shape == (5,) and not torch.equal(first[1], second[1])
    with np.load(single) as d:
        assert d["n"].item() == 6
    assert [p.name for p in single.parent.iterdir()] == ["real.npz"]  # no temporary file left behind


def test_fid_convenience(monkeypatch):
    monkeypatch.setattr(F, "inception_features", lambda x, batch=100, device=None: x.flatten(1)[:, :6].to(torch.float32))
    real = torch.rand(40, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    fake = real.flip(0) * 0.5
    stats = F.statistics(F.inception_features(real))
    expected = F.frechet_distance(*stats, *F.statistics(F.inception_features(fake)))
    assert F.fid(fake, stats).item() == pytest.approx(expected.item(), rel=1e-12)


def fid_report(real: torch.Tensor, noise: torch.Tensor, sizes: list[int]) -> dict:
    """FID of two disjoint halves of `real` at each n in sizes, and of real images against as many noise images."""
    half = len(real) // 2
    out = {n: torch_frechet(real[:n], real[half:half + n]) for n in sizes}
    out["noise"] = torch_frechet(real[:len(noise)], noise)
    return out


def test_cifar10_fid_is_small_for_real_images_shrinks_with_n_and_is_large_for_noise(pool, pool_features, noise_features):
    if not pool[1]:
        pytest.skip(f"no CIFAR-10 at {TRAIN}")
    report = fid_report(pool_features, noise_features, [HALF // 2, HALF])
    print("CIFAR-10 FID", report)
    small, large = report[HALF // 2], report[HALF]  # measured: about 250 and 205 (FID's bias is about 1/n)
    assert 100 < large < 0.9 * small < 270  # the small-sample bias falls as n grows
    assert report["noise"] > 1.5 * small  # measured: about 480, against real images at the same n


@pytest.mark.slow
def test_cifar10_fid_at_a_hundred_and_four_hundred_images():
    if not TRAIN.exists():
        pytest.skip(f"no CIFAR-10 at {TRAIN}")
    real = F.inception_features(load_train(800), batch=50)
    noise = F.inception_features(noise_images(400), batch=50)
    report = fid_report(real, noise, [100, 400])
    print("CIFAR-10 FID", report)  # measured: about 167 at n = 100, 87 at n = 400
    assert report[400] < 0.7 * report[100] and report["noise"] > 4 * report[400]
    a, b = real[:400], real[400:]
    assert torch_frechet(a, b) == pytest.approx(numpy_frechet(a, b), rel=1e-6)  # all 2048 features
    assert torch_frechet(a, noise) == pytest.approx(numpy_frechet(a, noise), rel=1e-6)
