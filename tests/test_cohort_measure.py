"""`measure_cohort`: each brain of a cohort measured together gets the figures `measure` gives it alone (its own
streams, drawn in the lone order); the read-outs trained together have the lone weights bit for bit; the training
images reach the brains as one expanded chunk; and the comparison would catch brains that share a stream or swap
seeds."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import analysis.measure
from analysis.measure import cohort_latent_code, latent_code, measure, measure_cohort, metric_generator
from analysis.readout import encode_cohort, linear_readout, linear_readouts
from cortex import Cortex, CortexConfig

SEEDS, EPOCHS = [3, 11, 7], [1, 4, 2]  # a different seed and epoch per brain: different streams
OPTIONS = dict(readout_epochs=2, geometry=True)


def structured_data(n_train: int = 320, n_test: int = 120, seed: int = 0) -> SimpleNamespace:
    """Images whose mean colour follows the class, under noise (something to read out); every third test image exact."""
    gen = torch.Generator().manual_seed(seed)

    def images(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.arange(n) % 10
        x = 40 + 20 * labels[:, None, None, None] + 30 * torch.randn(n, 3, 32, 32, generator=gen)
        return x.clamp(0, 255).to(torch.uint8), labels

    (train_x, train_y), (test_x, test_y) = images(n_train), images(n_test)
    return SimpleNamespace(train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y,
                           test_exact=torch.arange(n_test) % 3 == 0)


@pytest.fixture(scope="module")
def data() -> SimpleNamespace:
    return structured_data()


@pytest.fixture(scope="module")
def cortices() -> list[Cortex]:
    # init_std 0.1 rather than 0.02: the default initialisation's latents are so small that 2 read-out epochs stay at
    # chance (every figure 10.0 for every brain), and equal figures would prove nothing
    cortices = []
    for seed in range(3):
        torch.manual_seed(seed)
        cortices.append(Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32, init_std=0.1)))
    return cortices


def looped(cortices: list[Cortex]):
    """A cohort encoder (N, b, 3, 32, 32) -> (N, b, dim) running each cortex on its row: the lone arithmetic exactly."""
    codes = [latent_code(cortex) for cortex in cortices]
    return lambda x: torch.stack([code(row) for code, row in zip(codes, x)])


def differences(got: dict, expected: dict) -> list[str]:
    """The names of the figures that are not exactly equal (and of those present in only one)."""
    names = set(got) | set(expected)
    return sorted(n for n in names if n not in got or n not in expected or not np.array_equal(got[n], expected[n]))


@pytest.fixture(scope="module")
def lone(cortices, data) -> list[dict]:
    return [measure(latent_code(c), data, s, e, **OPTIONS) for c, s, e in zip(cortices, SEEDS, EPOCHS)]


def test_each_brain_gets_exactly_its_lone_figures(cortices, data, lone):
    cohort = measure_cohort(looped(cortices), data, SEEDS, EPOCHS, **OPTIONS)
    assert len(cohort) == 3
    for got, expected in zip(cohort, lone):
        # the same arithmetic (bmm computes each brain's slice on its own, see analysis/readout.py), so exactly equal
        assert differences(got, expected) == []
        assert set(got) == {"readout_accuracy", "readout_accuracy_exact", "occlusion_accuracy", "intra_inter_ratio",
                            "occluded_inter_ratio"}
        assert isinstance(got["readout_accuracy"], float) and got["occlusion_accuracy"].shape == (11,)
    # the figures tell the brains apart, so equality is no accident of constant figures
    assert len({f["intra_inter_ratio"] for f in lone}) == 3 and len({f["occluded_inter_ratio"] for f in lone}) == 3
    assert all(f["readout_accuracy"] > 15 for f in lone)  # above chance (10)
    assert len({tuple(f["occlusion_accuracy"]) for f in lone}) == 3


def test_metrics_off_are_off_and_on_give_the_same_readout(cortices, data, lone):
    cohort = measure_cohort(looped(cortices), data, SEEDS, EPOCHS, readout_epochs=2, occlusion=False)
    for got, expected in zip(cohort, lone):
        assert set(got) == {"readout_accuracy", "readout_accuracy_exact"}
        # each metric has its own stream: switching the occlusion curve and geometry off leaves the read-out as it was
        assert got["readout_accuracy"] == expected["readout_accuracy"]
        assert got["readout_accuracy_exact"] == expected["readout_accuracy_exact"]


@pytest.mark.parametrize("dim, batch", [(32, 64), (4, 4)])  # (4, 4): bmm's plain loop below 400 multiply-adds
def test_readouts_trained_together_have_the_lone_weights(dim, batch):
    gen = torch.Generator().manual_seed(dim)
    z, labels = torch.randn(3, 300, dim, generator=gen), torch.randint(0, 10, (300,), generator=gen)
    streams = lambda: [metric_generator("cpu", s, e, "readout") for s, e in zip(SEEDS, EPOCHS)]
    together = linear_readouts(z, labels, epochs=2, batch=batch, generators=streams())
    assert together.weight.shape == (3, 10, dim) and together.bias.shape == (3, 10)
    for i, generator in enumerate(streams()):
        alone = linear_readout(z[i], labels, epochs=2, batch=batch, generator=generator)
        # one thread: bit for bit; several: bmm splits a cohort's work over threads otherwise than one brain's, measured
        # at 7e-8 of the weights after 2 epochs
        torch.testing.assert_close(together.weight[i], alone.weight, rtol=0, atol=1e-6)
        torch.testing.assert_close(together.bias[i], alone.bias, rtol=0, atol=1e-6)
        assert torch.equal(together.accuracy(z, labels)[i], alone.accuracy(z[i], labels))
    with pytest.raises(ValueError, match="2 generators for a cohort of 3"):
        linear_readouts(z, labels, generators=streams()[:2])


def test_training_images_reach_every_brain_as_one_expanded_chunk():
    images = torch.randint(0, 256, (2500, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    calls = []

    def recording(x):
        calls.append((tuple(x.shape), x.stride(0)))
        return x.flatten(2)[..., :5]

    z = encode_cohort(recording, images, 4)
    # chunks of 1000 images per brain, all 4 brains reading the same memory (stride 0): no copy per brain
    assert calls == [((4, 1000, 3, 32, 32), 0), ((4, 1000, 3, 32, 32), 0), ((4, 500, 3, 32, 32), 0)]
    assert z.shape == (4, 2500, 5) and torch.equal(z[3], images.flatten(1)[:, :5].float() / 127.5 - 1)


def test_vmap_over_stacked_weights_agrees_to_rounding(cortices, data, lone):
    batched, exact = cohort_latent_code(cortices), looped(cortices)
    z, reference = encode_cohort(batched, data.test_x, 3), encode_cohort(exact, data.test_x, 3)
    # vmap turns each convolution into one grouped convolution, another summation order: measured max difference
    # 1.4e-6 on latents up to 1.8 (7.5e-7 of the largest, a few float32 ulps); 1e-5 leaves a 13x margin
    assert (z - reference).abs().max() <= 1e-5 * reference.abs().max()
    cohort = measure_cohort(batched, data, SEEDS, EPOCHS, **OPTIONS)
    for got, expected in zip(cohort, lone):
        # ratios: measured differences at most 6e-8 (one ulp of ratios near 0.5); 1e-5 relative leaves a wide margin
        for name in ("intra_inter_ratio", "occluded_inter_ratio"):
            assert got[name] == pytest.approx(expected[name], rel=1e-5), name
        # accuracies: measured equal; allow one of the 120 (40 exact) test images to flip on a near-tie of logits
        assert abs(got["readout_accuracy"] - expected["readout_accuracy"]) <= 100 / 120 + 1e-4
        assert abs(got["readout_accuracy_exact"] - expected["readout_accuracy_exact"]) <= 100 / 40 + 1e-4
        assert np.abs(got["occlusion_accuracy"] - expected["occlusion_accuracy"]).max() <= 100 / 120 + 1e-4


def one_stream_for_all():
    """A deliberate bug: `metric_generator` handing every brain the same stream of a metric (brain 0's), so the brains'
    draws interleave in one stream instead of each following its own."""
    streams = {}

    def shared(device, seed, epoch, metric):
        if metric not in streams:
            streams[metric] = metric_generator(device, SEEDS[0], EPOCHS[0], metric)
        return streams[metric]

    return shared


def test_the_comparison_catches_shared_streams_and_swapped_seeds(cortices, data, lone, monkeypatch):
    swapped = measure_cohort(looped(cortices), data, SEEDS[::-1], EPOCHS[::-1], **OPTIONS)
    assert differences(swapped[0], lone[0]) != [] and differences(swapped[2], lone[2]) != []
    with monkeypatch.context() as patch:
        patch.setattr(analysis.measure, "metric_generator", one_stream_for_all())
        shared = measure_cohort(looped(cortices), data, SEEDS, EPOCHS, **OPTIONS)
    for i in (0, 1, 2):  # even brain 0: its first shuffle comes after brains 1 and 2 drew their initial weights
        caught = set(differences(shared[i], lone[i]))
        assert {"occlusion_accuracy", "intra_inter_ratio", "occluded_inter_ratio"} <= caught
    with pytest.raises(ValueError, match="3 seeds but 2 epochs"):
        measure_cohort(looped(cortices), data, SEEDS, EPOCHS[:2])
