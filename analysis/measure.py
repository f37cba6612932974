"""The paper's measurements of a cortex at one epoch.

`measure` is what the simulator's epoch-end hook calls, and what `python -m analysis.evaluate RUN_DIR` calls on the
weights a run saved. Each metric draws from its own random stream (`metric_generator`), a function of the brain's seed,
the epoch and the metric's name only: switching one metric on or off, or measuring later, never changes another's figures.
`measure_cohort` measures N brains of one architecture at once (a cohort trained in one process), each brain with its
own streams, so that its figures are the ones `measure` gives it alone; `measure` is the cohort of one.
"""
import copy
from typing import Callable, Protocol, Sequence

import numpy as np
import torch
from torch import Tensor

from analysis.geometry import cohort_geometry, pca, project
from analysis.readout import encode_cohort, encode_dataset, linear_readouts, one_brain
from analysis.robustness import cohort_occlusion_robustness, occluded_latents
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
    each metric with its own stream of (seed, epoch) on the data's device. The cohort of one of `measure_cohort`."""
    return measure_cohort(one_brain(encode), data, [seed], [epoch], readout_epochs=readout_epochs,
                          readout_lr=readout_lr, readout_batch=readout_batch, occlusion=occlusion, geometry=geometry)[0]


def measure_cohort(encode: Callable[[Tensor], Tensor], data: Data, seeds: Sequence[int], epochs: Sequence[int], *,
                   readout_epochs: int = 20, readout_lr: float = 0.2, readout_batch: int = 64, occlusion: bool = True,
                   geometry: bool = False) -> list[dict[str, float | np.ndarray]]:
    """`measure` of N brains of one architecture at once: encode maps activity (N, b, 3, 32, 32), brain i's images in
    row i, to z (N, b, latent_dim) (e.g. torch.func.vmap over stacked weights; see `cohort_latent_code`). Brain i draws
    from its own streams of (seeds[i], epochs[i]) in the lone order, so figure i is `measure` of brain i alone; the
    read-outs train together (one bmm per SGD step) and the occluded images are encoded together. Memory: the lone
    chunks of 1000 images go to all N brains at once, so N times a lone measurement's (CIFAR-10, 20 brains of 256-d
    latents: 2 GB of latents and read-out inputs, plus the encoder's activity for 20 x 1000 images)."""
    if len(seeds) != len(epochs):
        raise ValueError(f"{len(seeds)} seeds but {len(epochs)} epochs: one of each per brain")
    device, brains = data.train_x.device, len(seeds)
    streams = lambda metric: [metric_generator(device, s, e, metric) for s, e in zip(seeds, epochs)]
    train_z = encode_cohort(encode, data.train_x, brains)  # (N, n_train, dim)
    test_z = encode_cohort(encode, data.test_x, brains)  # (N, n_test, dim)
    classes = int(max(data.train_y.max(), data.test_y.max())) + 1
    readout = linear_readouts(train_z, data.train_y, classes=classes, epochs=readout_epochs, lr=readout_lr,
                              batch=readout_batch, generators=streams("readout"))
    del train_z  # N training sets of latents: let them go before the occluded images come
    exact = data.test_exact
    columns = {"readout_accuracy": readout.accuracy(test_z, data.test_y),  # each (N, ...) on the device until the end
               "readout_accuracy_exact": readout.accuracy(test_z[:, exact], data.test_y[exact]) if exact.any()
               else torch.full((brains,), np.nan)}
    if occlusion:
        columns["occlusion_accuracy"] = cohort_occlusion_robustness(encode, readout, data.test_x, data.test_y,
                                                                    generators=streams("occlusion")).accuracy
    if geometry:
        ratios = cohort_geometry(encode, data.test_x, data.test_y, test_z, generators=streams("geometry"))
        columns |= {"intra_inter_ratio": ratios.intra_inter, "occluded_inter_ratio": ratios.occluded_inter}
    return _per_brain({name: column.cpu().numpy() for name, column in columns.items()}, brains)


def _per_brain(columns: dict[str, np.ndarray], brains: int) -> list[dict[str, float | np.ndarray]]:
    """Brain i's figures from the cohort's columns (N, ...): scalars as Python floats, curves as their own arrays."""
    pick = lambda column, i: float(column[i]) if column.ndim == 1 else column[i].copy()
    return [{name: pick(column, i) for name, column in columns.items()} for i in range(brains)]


def cohort_map(cortices: Sequence[Cortex], fn: Callable[..., Tensor], vectorized: bool = True) -> Callable[..., Tensor]:
    """fn(cortex, *args) of N cortices of one architecture at once: every argument and result has a leading brain
    axis, brain i's in row i. vectorized: by torch.func.vmap over their stacked weights (a copy: later training of the
    cortices is not seen), each convolution one grouped convolution, so results agree with fn's on each cortex to
    rounding, not bit for bit; else cortex by cortex (fn's own arithmetic, the faster on a CPU)."""
    if not vectorized:
        return lambda *args: torch.stack([fn(cortex, *(a[i] for a in args)) for i, cortex in enumerate(cortices)])
    calls = [_Call(cortex, fn) for cortex in cortices]
    params, buffers = torch.func.stack_module_state(calls)
    base = copy.deepcopy(calls[0]).to("meta")  # the architecture only; the weights come from the stacked state
    batched = torch.func.vmap(lambda p, b, *args: torch.func.functional_call(base, (p, b), args))
    return lambda *args: batched(params, buffers, *args)


def cohort_latent_code(cortices: Sequence[Cortex], vectorized: bool = True) -> Callable[[Tensor], Tensor]:
    """E_z of N cortices at once (`cohort_map`): activity (N, b, 3, 32, 32) -> z (N, b, latent_dim)."""
    return cohort_map(cortices, lambda cortex, x: latent_code(cortex)(x), vectorized)


class _Call(torch.nn.Module):
    """fn on a cortex as a module, so torch.func.functional_call can run it on stacked weights."""

    def __init__(self, cortex: Cortex, fn: Callable[..., Tensor]):
        super().__init__()
        self.cortex, self.fn = cortex, fn

    def forward(self, *args) -> Tensor:
        return self.fn(self.cortex, *args)


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
