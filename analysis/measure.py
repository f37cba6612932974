"""The paper's measurements of a cortex at one epoch.

`measure` is what the simulator's epoch-end hook calls, and what `python -m analysis.evaluate RUN_DIR` calls on the
weights a run saved. Each metric draws from its own random stream (`metric_generator`), a function of the brain's seed,
the epoch and the metric's name only: switching one metric on or off, or measuring later, never changes another's figures.
"""
from typing import Callable, Protocol

import numpy as np
import torch
from torch import Tensor

from analysis.geometry import latent_geometry, pca, project
from analysis.readout import encode_dataset, linear_readout
from analysis.robustness import occluded_latents, occlusion_robustness
from cortex import Cortex
from hippocampus import STRATEGIES, HippocampusConfig

METRICS = ("readout", "occlusion", "geometry", "pca", "fid")  # the metrics that draw random numbers


def latent_code(cortex: Cortex) -> Callable[[Tensor], Tensor]:
    """E_z: low-level activity (n, 3, 32, 32) -> z (n, latent_dim), without the discriminator head."""
    return lambda x: cortex.latent(cortex.trunk(x)[-1])


@torch.no_grad()
def dreams_of(cortex: Cortex, z: Tensor, noise: Tensor, hc: HippocampusConfig) -> tuple[Tensor, Tensor]:
    """NREM dreams G(z) of memories z (n, latent_dim), and REM dreams of each memory recombined (the run's strategy)
    with the next one and cortical noise (n, latent_dim)."""
    return cortex.generate(z), cortex.generate(STRATEGIES[hc.recombination](z, z.roll(-1, 0), noise, hc))


def metric_generator(device: torch.device | str, seed: int, epoch: int, metric: str) -> torch.Generator:
    """The random stream of one metric at one epoch (read-out init and shuffles; occlusion masks; geometry's pairs and
    masks; PCA's masks; FID's REM noise): a child of (seed, epoch) keyed by the metric's name (numpy's SeedSequence),
    so streams are independent of each other and of which metrics run, and a later measurement repeats the hook's."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r}: not one of {METRICS}")
    sequence = np.random.SeedSequence(entropy=(seed % 2**64, epoch), spawn_key=tuple(metric.encode()))
    return torch.Generator(device=device).manual_seed(int(sequence.generate_state(1, np.uint64)[0]))


class Data(Protocol):
    """uint8 images (n, 3, 32, 32) and int64 labels on one device; `test_exact` (n_test,) bool."""

    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    test_exact: Tensor


def measure(encode: Callable[[Tensor], Tensor], data: Data, seed: int, epoch: int, *, readout_epochs: int = 20,
            readout_lr: float = 0.2, readout_batch: int = 64, occlusion: bool = True,
            geometry: bool = False) -> dict[str, float | np.ndarray]:
    """Linear separability (all and exact test images), and optionally the occlusion curve and the distance ratios,
    each metric with its own stream of (seed, epoch) on the data's device."""
    stream = lambda metric: metric_generator(data.train_x.device, seed, epoch, metric)
    with torch.no_grad():
        train_z, test_z = encode_dataset(encode, data.train_x), encode_dataset(encode, data.test_x)
    classes = int(max(data.train_y.max(), data.test_y.max())) + 1
    readout = linear_readout(train_z, data.train_y, classes=classes, epochs=readout_epochs, lr=readout_lr,
                             batch=readout_batch, generator=stream("readout"))
    exact = data.test_exact
    figures = {
        "readout_accuracy": readout.accuracy(test_z, data.test_y).item(),
        "readout_accuracy_exact": readout.accuracy(test_z[exact], data.test_y[exact]).item() if exact.any() else np.nan,
    }
    with torch.no_grad():
        if occlusion:
            curve = occlusion_robustness(encode, readout, data.test_x, data.test_y, generator=stream("occlusion"))
            figures["occlusion_accuracy"] = curve.accuracy.cpu().numpy()
        if geometry:
            ratios = latent_geometry(encode, data.test_x, data.test_y, generator=stream("geometry"))
            figures["intra_inter_ratio"] = float(ratios.intra_inter)
            figures["occluded_inter_ratio"] = float(ratios.occluded_inter)
    return figures


@torch.no_grad()
def pca_projections(encode: Callable[[Tensor], Tensor], data: Data, seed: int, epoch: int,
                    n: int = 1000) -> dict[str, np.ndarray]:
    """The first n test images' z and their 30%-occluded copies' z on the clean latents' first two principal axes
    (the paper's Figure 6b-d)."""
    images, labels = data.test_x[:n], data.test_y[:n]
    clean = encode_dataset(encode, images)
    occluded = occluded_latents(encode, images, 0.3, square=4,
                                generator=metric_generator(images.device, seed, epoch, "pca"))
    fit = pca(clean, 2)
    return {"pca_clean": fit.projections.cpu().numpy(), "pca_label": labels.cpu().numpy(),
            "pca_occluded": project(occluded, clean, fit.components).cpu().numpy()}
