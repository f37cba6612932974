"""Per-step population statistics of every area (cortex.population): activity_mean, active_fraction and
population_sparseness, dims (brain, step, area).

Checked against closed forms, against a forward pass written out by hand with the statistics computed in a numpy
double loop (Wake, NREM and REM steps, float64), a cohort against its brains alone, per-state epoch means, and
training: computing them changes no weight, Adam state or random draw by a bit."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import xarray as xr

from analysis.load import diverged_day, epoch_mean
from cortex import random_mask
from cortex.population import NAMES, area_statistics, population_statistics
from records.checkpoints import load_checkpoint
from records.variables import logged_flag_attrs
from sims.life.cohort import run_cohort
from sims.life.phases import nrem, rem, wake
from sims.life.recorder import Recorder
from sims.life.phases import PHASES
from sims.life.simulator import Simulator, run
from tests.helpers import SpiedPhase, live, tiny_config

SMALL = ["data.train_size=64", "optim.batch_size=16", "eval.every=0", "keep_epoch_cortex=false", "epochs=2"]
AREAS = ["V1", "V2", "V4", "IT", "z"]


def statistics(values) -> tuple[float, float, float]:
    """(mean, active fraction, population sparseness) of one area's (batch, units) activity, via area_statistics."""
    return tuple(float(s) for s in area_statistics(torch.tensor(values, dtype=torch.float64)))


# --- the statistic in closed form ---------------------------------------------------------------------------------
def test_closed_forms_of_the_statistics():
    n = 7
    assert statistics(np.zeros((2, n))) == (0.0, 0.0, 1.0)  # silent: maximally sparse, never NaN
    assert statistics(-np.ones((2, n)))[1:] == (0.0, 1.0)  # rectified: negative activity is silence
    one = np.zeros((3, n))
    one[:, 2] = [0.5, 1.0, 4.0]
    assert statistics(one)[1:] == pytest.approx((1 / n, 1.0), abs=1e-15)  # one active unit of N
    assert statistics(np.full((2, n), 0.3))[1:] == pytest.approx((1.0, 0.0), abs=1e-15)  # uniform: 0
    # 4 units, by hand: r = (1, 2, 0, 1); mean r = 1, mean r^2 = 6/4; a = 2/3; S = (1/3) / (3/4) = 4/9
    mean, active, sparse = statistics([[1.0, 2.0, -3.0, 1.0]])
    assert (mean, active) == (0.25, 0.75) and sparse == pytest.approx(4 / 9, abs=1e-15)
    # per sample, then the batch mean: a silent sample (1) and the 4-unit sample above (4/9)
    assert statistics([[1.0, 2.0, -3.0, 1.0], [0.0, -1.0, 0.0, 0.0]])[2] == pytest.approx((1 + 4 / 9) / 2, abs=1e-15)
    assert statistics([[2.0], [0.0]]) == (1.0, 0.5, 1.0)  # one unit: the normalisation is undefined, 1
    assert np.isnan(statistics([[1.0, np.nan, 0.5]])).all()  # a diverged activity shows in every figure


def test_area_shapes_are_flattened_and_stacked_per_area():
    a = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]], dtype=torch.float64)  # (1, 1, 2, 2): one active unit of 4
    z = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    figures = population_statistics([a, z])
    assert set(figures) == set(NAMES) and all(v.shape == (2,) for v in figures.values())
    torch.testing.assert_close(figures["activity_mean"], torch.tensor([0.25, 0.5], dtype=torch.float64))
    torch.testing.assert_close(figures["active_fraction"], torch.tensor([0.25, 1.0], dtype=torch.float64))
    torch.testing.assert_close(figures["population_sparseness"], torch.tensor([1.0, 0.0], dtype=torch.float64))


# --- logged figures against a forward pass by hand ----------------------------------------------------------------
def feedforward_by_hand(cortex, x: torch.Tensor, leak: float) -> list[torch.Tensor]:
    """V1 (= x) ... IT, then z, from the areas' feedforward weights."""
    activities = [x]
    for area in cortex.areas[:-1]:
        activities.append(F.leaky_relu(F.conv2d(activities[-1], area.ff.weight, area.ff.bias, stride=2, padding=1),
                                       leak))
    top = cortex.areas[-1].ff
    return activities + [F.conv2d(activities[-1], top.weight, top.bias).flatten(1)]


def generate_by_hand(cortex, z: torch.Tensor, leak: float) -> torch.Tensor:
    """G(z) from the areas' feedback weights: tanh in V1, LeakyReLU above."""
    a, n = z[:, :, None, None], len(cortex.areas)
    for i in reversed(range(n)):
        fb = cortex.areas[i].fb
        a = F.conv_transpose2d(a, fb.weight, fb.bias, stride=1 if i == n - 1 else 2, padding=0 if i == n - 1 else 1)
        a = torch.tanh(a) if i == 0 else F.leaky_relu(a, leak)
    return a


def statistics_by_hand(activity: np.ndarray) -> tuple[float, float, float]:
    """The definitions, sample by sample and unit by unit."""
    batch, units = activity.shape
    total, active, sparseness = 0.0, 0, 0.0
    for b in range(batch):
        m1 = m2 = 0.0
        for u in range(units):
            value = float(activity[b, u])
            total, active = total + value, active + (value > 0)
            r = max(value, 0.0)
            m1, m2 = m1 + r, m2 + r * r
        m1, m2 = m1 / units, m2 / units
        sparseness += 1.0 if m2 == 0 else (1 - m1 * m1 / m2) / (1 - 1 / units)
    return total / (batch * units), active / (batch * units), sparseness / batch


def test_logged_figures_equal_a_forward_pass_and_statistics_by_hand(tmp_path, monkeypatch):
    """The first Wake, NREM and REM step of a float64 run: the logged figures of every area equal the statistics of
    the activities of a hand-written forward pass of the cortex as it was before the step, on the step's own input
    (Wake: the image; NREM: the replayed episode's dream, occluded by the step's own mask; REM: the dream of the
    recombined seeds)."""
    seen = {}  # drive -> (step index, cortex before the step, inputs, the step's generator state, phase config)
    calls = []
    for drive, phase in list(PHASES.items()):
        def spy(brain, inputs, plasticity, cfg, generator, _step=phase.step, _drive=drive):
            if _drive not in seen:
                seen[_drive] = (len(calls), copy.deepcopy(brain.cortex), inputs.clone(), generator.get_state(), cfg)
            calls.append(_drive)
            return _step(brain, inputs, plasticity, cfg, generator)
        monkeypatch.setitem(PHASES, drive, SpiedPhase(phase, spy))
    sim = Simulator(tiny_config(*SMALL, "dtype=float64", "epochs=1"), tmp_path)
    live(sim, 1)
    leak = sim.cfg.cortex.leak
    with xr.open_dataset(tmp_path / "activity.nc") as ds:
        activity = ds.isel(brain=0).load()
    assert list(activity.area.values) == AREAS and len(seen) == 3
    for drive, (k, cortex, inputs, state, cfg) in seen.items():
        with torch.no_grad():
            if drive.name == "SENSORY":
                drive_v1 = inputs
            elif drive.name == "REPLAY":
                generator = torch.Generator().set_state(state)
                mask = random_mask(cortex.image_size, generator, cfg.max_square).to(torch.float64)
                drive_v1 = generate_by_hand(cortex, inputs, leak) * mask
            else:
                drive_v1 = generate_by_hand(cortex, inputs, leak)
            activities = feedforward_by_hand(cortex, drive_v1, leak)
        expected = np.array([statistics_by_hand(a.flatten(1).numpy()) for a in activities])  # (area, figure)
        for j, name in enumerate(NAMES):
            logged = activity[name].isel(step=k)
            assert logged.dims == ("area",)
            np.testing.assert_allclose(logged.values, expected[:, j], rtol=1e-10, atol=1e-12, err_msg=f"{drive} {name}")
    state = activity.state.values
    for name in NAMES:  # every step learned here, so every step logged every area
        assert np.isfinite(activity[name].values).all(), name
        assert activity[name].dims == ("step", "area") and activity[name].attrs["units"] == "1"
    assert {state[k] for k, *_ in seen.values()} == {"WAKE", "NREM", "REM"}


# --- training is unchanged ----------------------------------------------------------------------------------------
def test_the_statistics_change_no_weight_adam_state_or_draw(tmp_path, monkeypatch):
    """The same brain with and without the statistics (population_statistics replaced by nothing in every phase): every
    weight, Adam state, hippocampus, stream and scalar figure is identical to the bit."""
    with_them = Simulator(tiny_config(*SMALL), tmp_path / "with")
    live(with_them, 2)
    for module in (wake, nrem, rem):
        monkeypatch.setattr(module, "population_statistics", lambda activities: {})
    without = Simulator(tiny_config(*SMALL), tmp_path / "without")
    live(without, 2)
    a, b = with_them.brain.state_dict(), without.brain.state_dict()
    flat = lambda s, where="": ([(where, s)] if isinstance(s, torch.Tensor) else
                                [x for k, v in s.items() for x in flat(v, f"{where}.{k}")] if isinstance(s, dict) else
                                [x for i, v in enumerate(s) for x in flat(v, f"{where}[{i}]")]
                                if isinstance(s, (list, tuple)) else [(where, s)])
    pairs = list(zip(flat(a), flat(b)))
    assert len(pairs) == len(flat(b)) and len(pairs) > 20
    for (where, x), (_, y) in pairs:
        assert torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y, where
    for p, state in with_them.streams.state_dict().items():
        assert torch.equal(state, without.streams.state_dict()[p]), p
    got, want = with_them.recorder.dataset(), without.recorder.dataset()
    for name in ("loss_reconstruction", "loss_kl", "loss_latent", "loss_discriminator", "discriminator_output"):
        np.testing.assert_array_equal(got[name].values, want[name].values, err_msg=name)
    assert np.isnan(want["population_sparseness"].values).all() and np.isfinite(got["population_sparseness"]).all()


# --- a cohort, and per-state epoch means --------------------------------------------------------------------------
@pytest.mark.parametrize("vectorize", ["loop", "vmap"])
def test_a_cohort_logs_what_its_brains_log_alone(vectorize, tmp_path):
    """float64: brain by brain to the bit (the lone brain's arithmetic), vmapped (grouped convolutions) to 1e-9."""
    cfgs = {name: tiny_config(*SMALL, "dtype=float64", f"seed={k}", *extra)
            for k, (name, extra) in enumerate({"pad": [], "no_nrem": ["scenario=no_nrem"]}.items())}
    for name, cfg in cfgs.items():
        run(cfg, tmp_path / "lone" / name)
    assert run_cohort([(cfg, tmp_path / "cohort" / name) for name, cfg in cfgs.items()], vectorize) == [None, None]
    for name in cfgs:
        with xr.open_dataset(tmp_path / "lone" / name / "activity.nc") as a, \
                xr.open_dataset(tmp_path / "cohort" / name / "activity.nc") as b:
            a, b = a.load(), b.load()
        assert list(b.area.values) == AREAS
        np.testing.assert_array_equal(a.logged.values, b.logged.values)
        for figure in NAMES:
            want, got = a[figure].values, b[figure].values
            assert want.shape == (1, a.sizes["step"], len(AREAS)) and np.isfinite(want).any()
            if vectorize == "loop":
                np.testing.assert_array_equal(got, want, err_msg=f"{name} {figure}")
            else:
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=f"{name} {figure}")
        for key in ("cortex",):  # and the weights they were computed from
            for p, w in load_checkpoint(tmp_path / "lone" / name / "checkpoints" / "last.pt")["brain"][key].items():
                got = load_checkpoint(tmp_path / "cohort" / name / "checkpoints" / "last.pt")["brain"][key][p]
                assert torch.allclose(got, w, rtol=0, atol=1e-9 * w.abs().max().item()), p


def test_per_state_epoch_means_are_per_area(tmp_path):
    run(tiny_config(*SMALL), tmp_path)
    with xr.open_dataset(tmp_path / "activity.nc") as ds:
        ds = ds.load()
    for figure in NAMES:
        mean = epoch_mean(ds, figure, state="REM")
        assert mean.dims == ("brain", "area", "epoch") and list(mean.area.values) == AREAS
        values, states, epochs = ds[figure].values[0], ds.state.values, ds.step_epoch.values
        for e, epoch in enumerate(mean.epoch.values):
            steps = (states == "REM") & (epochs == epoch)
            assert steps.sum() > 0
            np.testing.assert_allclose(mean.values[0, :, e], values[steps].mean(0), rtol=1e-6)
        assert not np.allclose(mean.values, epoch_mean(ds, figure, state="WAKE").values)  # the states differ


# --- the recorder: per-area columns, divergence, older checkpoints ------------------------------------------------
def test_the_recorder_names_a_diverged_area_and_widens_older_checkpoints():
    recorder = Recorder(1, 2, torch.device("cpu"), {}, "pad", 0, areas=AREAS)
    assert recorder.width == 5 + 3 * len(AREAS)
    recorder.begin_epoch()
    per_area = lambda *v: torch.tensor(v)
    recorder.log_step(0, {"loss_latent": torch.tensor(0.5), "activity_mean": per_area(1, 2, 3, 4, 5),
                          "active_fraction": per_area(0.1, 0.2, 0.3, 0.4, 0.5),
                          "population_sparseness": per_area(0.5, 0.5, float("nan"), 0.5, 0.5)})
    assert recorder.buffer_logged[0] == (1 << 2) | (1 << 5) | (1 << 6) | (1 << 7)
    row = recorder.buffer[0].numpy()
    assert row[2] == 0.5 and list(row[5:10]) == [1, 2, 3, 4, 5] and np.isnan(row[[0, 1, 3, 4]]).all()
    name_value = recorder.first_nonfinite(0, 1)
    assert name_value[:2] == (0, "population_sparseness[V4]") and np.isnan(name_value[2])
    recorder.rows = 1  # as log_night would have noted the row
    assert set(recorder.recent(1)) == {"loss_latent"}  # the progress bar's figures: scalars only
    old = recorder.state_dict()  # a checkpoint made before the statistics: 5 columns
    old["buffer"], old["steps"] = old["buffer"][:, :5], [torch.ones(3, 5)]
    resumed = Recorder(1, 2, torch.device("cpu"), {}, "pad", 0, areas=AREAS)
    resumed.load_state_dict(old)
    assert resumed.buffer.shape == (2, recorder.width) and resumed.buffer[0, 2] == 0.5
    assert resumed.buffer[:, 5:].isnan().all() and resumed.steps[0].shape == (3, recorder.width)
    assert np.isnan(resumed.steps[0][:, 5:]).all() and (resumed.steps[0][:, :5] == 1).all()


def test_diverged_day_sees_a_non_finite_area():
    """A logged NaN in one area of one step is a divergence on that step's day; a NaN whose bit is clear is not."""
    values = np.full((1, 4, len(AREAS)), 0.5)
    values[0, 2, 1] = np.nan  # step 2 (day 1), area V2: logged, so a divergence
    values[0, 1, :] = np.nan  # step 1: not logged
    bit = 1 << 7  # population_sparseness
    ds = xr.Dataset({"population_sparseness": (("brain", "step", "area"), values),
                     "logged": (("brain", "step"), np.array([[bit, 0, bit, bit]], np.uint8),
                                logged_flag_attrs())},
                    coords={"day": ("step", [0, 0, 1, 1]), "area": AREAS, "brain": [0]})
    assert diverged_day(ds).values.tolist() == [1.0]
    values[0, 2, 1] = 0.5
    assert np.isnan(diverged_day(ds.assign(population_sparseness=(("brain", "step", "area"), values))).values).all()
