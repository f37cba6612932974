"""Recorded activity (analysis.activity, sims.life.recording): what every area does for the probe memories, both pathways,
each state, against a forward pass written here by hand from the cortex's own convolutions; the same units, probes,
masks and noise at every recording and after a resume; `record` for a user's images; its bad input in one line."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import xarray as xr

from analysis.activity import per_epoch, record, recorded
from cortex import Cortex, CortexConfig, to_activity
from records.errors import PadError
from sims.life.simulator import Simulator
from tests.helpers import live, tiny_config


def by_hand(cortex: Cortex, x, mask, noise, leak: float, lam: float = 0.5, lam_cortex: float = 0.5):
    """[state][pathway] -> per area (V1, V2, V4, IT, z) flattened activity, from the weights alone: LeakyReLU(leak)
    feedforward but into z (linear), LeakyReLU feedback but into V1 (tanh); REM seeds by the paper's formula."""
    def up(h):
        acts = [h]
        for area in cortex.areas[:-1]:
            h = F.leaky_relu(F.conv2d(h, area.ff.weight, area.ff.bias, stride=2, padding=1), leak)
            acts.append(h)
        top = cortex.areas[-1].ff
        return acts + [F.conv2d(h, top.weight, top.bias).flatten(1)]

    def down(z):
        acts, h = [z], z[:, :, None, None]
        for k, area in reversed(list(enumerate(cortex.areas))):
            stride, padding = (1, 0) if k == len(cortex.areas) - 1 else (2, 1)
            h = F.conv_transpose2d(h, area.fb.weight, area.fb.bias, stride=stride, padding=padding)
            h = torch.tanh(h) if k == 0 else F.leaky_relu(h, leak)
            acts.insert(0, h)
        return acts

    z = up(x)[-1]
    seeds = lam_cortex * (lam * z + (1 - lam) * z.roll(-1, 0)) + (1 - lam_cortex) * noise
    replay, dream = down(z), down(seeds)
    flat = lambda acts: [a.flatten(1) for a in acts]
    return [[flat(up(x)), flat(replay)], [flat(up(replay[0] * mask)), flat(replay)], [flat(up(dream[0])), flat(dream)]]


@pytest.fixture(scope="module")
def lived(tmp_path_factory):
    """A float64 brain that lived two epochs, recording also every 4 days."""
    sim = Simulator(tiny_config("dtype=float64", "epochs=2", "record.every_days=4"), tmp_path_factory.mktemp("run"))
    live(sim, 2)
    return sim


def test_recorded_activity_equals_a_forward_pass_by_hand(lived):
    plan, cortex = lived.recording, lived.brain.cortex
    day = max(lived.recorder.recordings.by_day)
    values = lived.recorder.recordings.by_day[day][1]  # (state, pathway, probe, area, unit)
    with torch.no_grad():
        want = by_hand(cortex, plan.images, plan.masks, plan.noise, lived.cfg.cortex.leak)
    assert values.shape == (3, 2, len(plan.images), 5, 16)
    for s in range(3):
        for p in range(2):
            for a, units in enumerate(plan.units):
                np.testing.assert_allclose(values[s, p, :, a], want[s][p][a][:, units].numpy(), rtol=1e-12, atol=1e-14,
                                           err_msg=f"state {s} pathway {p} area {a}")
    assert not np.array_equal(values[0, 0], values[1, 0])  # the NREM dream is not the image


def test_probes_are_class_balanced_test_images_and_units_name_their_place(lived):
    with xr.open_dataset(lived.activity_path) as ds:
        activity = recorded(ds).load()
    labels = activity["probe_label"].values
    assert np.array_equal(np.bincount(labels), np.full(10, 5))  # shapes: 10 classes, 5 probes each by default
    test_x, test_y = lived.world.test_x.cpu(), lived.world.test_y.cpu().numpy()
    assert np.array_equal(test_y[activity["probe_index"].values], labels)
    np.testing.assert_array_equal(lived.recording.images.numpy(), to_activity(test_x[activity["probe_index"].values]))
    shapes = lived.cfg.cortex.area_shapes()
    for a, (area, shape) in enumerate(shapes.items()):  # (channel, row, col) is where the flat index points
        where = [activity[c].sel(area=area).values for c in ("unit_channel", "unit_row", "unit_col")]
        assert np.array_equal(np.ravel_multi_index(where, shape), lived.recording.units[a].numpy())
    assert list(activity["recording_day"].values) == [4, 8, 10, 12, 16, 20]  # every 4 days and the epoch ends
    assert list(activity["recording_epoch"].values) == [1, 1, 1, 2, 2, 2]


def test_the_units_and_values_are_the_same_after_a_resume(lived, tmp_path):
    config = tiny_config("dtype=float64", "epochs=2", "record.every_days=4")
    first = Simulator(config, tmp_path)
    live(first, 1)
    resumed = Simulator(config, tmp_path)  # from the checkpoint
    for got, want in zip(resumed.recording.units, lived.recording.units):
        assert torch.equal(got, want)
    assert torch.equal(resumed.recording.masks, lived.recording.masks)
    live(resumed, 1)
    got, want = resumed.recorder.recordings.by_day, lived.recorder.recordings.by_day
    assert got.keys() == want.keys()
    for day in want:
        assert got[day][0] == want[day][0] and np.array_equal(got[day][1], want[day][1]), day


def test_record_takes_uint8_or_activity_and_draws_its_units_from_the_seed():
    cortex = Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32)).double()
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    a, b = record(cortex, images, units=8, seed=3), record(cortex, to_activity(images).double(), units=8, seed=3)
    xr.testing.assert_identical(a, b)
    assert a["activity"].dims == ("state", "pathway", "probe", "area", "unit") and a["activity"].shape == (3, 2, 6, 5, 8)
    every = record(cortex, images, units="all", seed=3)["activity"]
    assert every.sizes["unit"] == 3 * 32 * 32 and int(every.sel(area="z").notnull().sum("unit")[0, 0, 0]) == 32
    np.testing.assert_array_equal(every.sel(area="V1", state="WAKE", pathway="feedforward").values,
                                  to_activity(images).double().flatten(1).numpy())  # V1 is the image itself


@pytest.mark.parametrize("images,message", [
    (torch.zeros(2, 3, 16, 16), "images of shape (2, 3, 16, 16): expected (n, 3, 32, 32)"),
    (torch.zeros(2, 32, 32, 3), "images of shape (2, 32, 32, 3)"),
    (torch.zeros(2, 3, 32, 32, dtype=torch.int64), "images of dtype torch.int64"),
    (torch.full((2, 3, 32, 32), 200.0), "images: floats must be finite and lie in [-1, 1]"),
])
def test_record_refuses_images_it_cannot_read_in_one_line(images, message):
    with pytest.raises(PadError) as refused:
        record(Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32)), images, units=4)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_a_file_without_recorded_activity_says_so():
    with pytest.raises(PadError, match="no recorded activity"):
        recorded(xr.Dataset())


def test_per_epoch_takes_each_epochs_last_recording():
    """Brain 0 recorded on days 2 (epoch 1), 4 (epoch 1's end) and 8 (epoch 2); brain 1 only at epoch 2's end and
    epoch 3's (its third recording padded, as open_runs pads a shorter run): by hand, epoch by epoch."""
    values = xr.DataArray([[10.0, 11.0, 12.0], [20.0, 21.0, np.nan]], dims=("brain", "recording"))
    ds = xr.Dataset(coords={"epoch": [1, 2, 3], "recording_epoch": (("brain", "recording"),
                                                                    [[1, 1, 2], [2, 3, -1]])})
    got = per_epoch(values, ds)
    np.testing.assert_array_equal(got.transpose("brain", "epoch").values,
                                  [[11.0, 12.0, np.nan], [np.nan, 20.0, 21.0]])
    assert list(got.epoch.values) == [1, 2, 3]
