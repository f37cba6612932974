"""Opening many runs as one Dataset along `brain`; which paths are runs; logged, unlogged and diverged steps; a trained
cortex opened from its run directory (open_cortex)."""
import copy
import re
import shutil

import netCDF4
import numpy as np
import pytest
import torch
import xarray as xr

from analysis.load import diverged_day, epoch_mean, logged, logged_mask, open_cortex, open_run, open_runs
from cortex import Cortex, to_activity
from records.errors import PadError
from sims.life.simulator import Simulator, run
from tests.helpers import live, tiny_config


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for scenario, seed in (("pad", 0), ("pad", 1), ("no_rem", 0)):
        run(tiny_config(f"scenario={scenario}", f"seed={seed}", "data.train_size=192", "epochs=1", "eval.every=0"),
            root / f"{scenario}_{seed}")
    return root


def test_open_runs_stacks_brains_with_scenario_and_seed(runs):
    ds = open_runs(str(runs / "*"))
    assert ds.sizes["brain"] == 3
    assert sorted(zip(ds.condition.values.tolist(), ds.seed.values.tolist())) == [("no_rem", 0), ("pad", 0), ("pad", 1)]
    # no_rem has 2 steps a day, pad 3: the shorter run is padded, and per-step states are per brain
    assert ds.state.dims == ("brain", "step") and ds.sizes["step"] == 3 * 3
    no_rem = ds.where(ds.condition == "no_rem", drop=True)
    assert np.isnan(no_rem.loss_reconstruction.values[0, 6:]).all()
    assert list(no_rem.state.values[0, :6]) == ["WAKE", "NREM"] * 3
    means = ds.loss_reconstruction.groupby("condition").mean("brain")
    assert set(means.condition.values) == {"pad", "no_rem"}


def test_one_run_equals_its_activity_file(runs):
    one = open_run(runs / "pad_0")
    stacked = open_runs([runs / "pad_0" / "activity.nc"])
    np.testing.assert_array_equal(one.loss_kl.values, stacked.loss_kl.values)


# --- which paths are runs --------------------------------------------------------------------------------------------
@pytest.fixture
def multirun(runs, tmp_path):
    """A multirun-like folder: two runs, Hydra's multirun.yaml, and a job folder that never wrote an activity file."""
    root = tmp_path / "multirun" / "2024-01-01"
    for name in ("pad_0", "no_rem_0"):
        shutil.copytree(runs / name, root / name)
    (root / "multirun.yaml").write_text("hydra: {}\n")
    (root / "crashed" / ".hydra").mkdir(parents=True)
    return root


def test_a_glob_skips_what_is_not_a_run_and_a_run_named_twice_counts_once(multirun, capsys):
    ds = open_runs([str(multirun.parent / "*" / "*"), str(multirun / "pad_0"), str(multirun / "pad_0" / "activity.nc")])
    assert ds.sizes["brain"] == 2 and sorted(ds.condition.values.tolist()) == ["no_rem", "pad"]
    err = capsys.readouterr().err.splitlines()
    assert sorted(err) == sorted([
        f"note: {multirun / 'crashed'}: skipped (not a run directory: no activity.nc)",
        f"note: {multirun / 'multirun.yaml'}: skipped (not a run directory: no activity.nc)",
        f"warning: {multirun / 'pad_0'}: named twice ({str(multirun.parent / '*' / '*')!r} and "
        f"{str(multirun / 'pad_0')!r}); counted once",
        f"warning: {multirun / 'pad_0'}: named twice ({str(multirun.parent / '*' / '*')!r} and "
        f"{str(multirun / 'pad_0' / 'activity.nc')!r}); counted once"])


@pytest.mark.parametrize("name, expected", [
    ("nowhere", "{root}/nowhere: no such run directory"),
    ("multirun.yaml", "{root}/multirun.yaml: not a run directory (no activity.nc)"),
    ("crashed", "{root}/crashed: not a run directory (no activity.nc)"),
    ("nothing*", "{root}/nothing*: matches nothing"),
    ("m*.yaml", "{root}/m*.yaml: matches no run directory (none holds activity.nc)"),
])
def test_paths_that_are_not_runs_are_one_line_errors(multirun, name, expected):
    with pytest.raises(PadError) as error:
        open_runs(str(multirun / name))
    assert str(error.value) == expected.format(root=multirun)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
@pytest.mark.parametrize("file", ["activity.nc", "evaluation.nc"])
def test_a_damaged_netcdf_file_is_an_error_naming_it(multirun, file, damage):
    path = multirun / "pad_0" / file
    data = (multirun / "pad_0" / "activity.nc").read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"not a netCDF file\n" * 50)
    with pytest.raises(PadError, match=rf"^{re.escape(str(path))}: not a readable netCDF file") as error:
        open_runs(str(multirun / "*"))
    assert "\n" not in str(error.value)


# --- logged, not logged, diverged ------------------------------------------------------------------------------------
FLAGS = {"flag_masks": [1, 2, 4, 8, 16], "units": "1",
         "flag_meanings": "loss_reconstruction loss_kl loss_latent loss_discriminator discriminator_output"}


def synthetic_steps(kl: np.ndarray, bits: np.ndarray, diverged=(np.nan, np.nan)) -> xr.Dataset:
    """Two brains, 2 epochs of 2 days of (WAKE, NREM, REM): loss_kl as given (brain, 12), its `logged` bit (2) where
    `bits` is set."""
    states = np.array(["WAKE", "NREM", "REM"] * 4)
    day = np.repeat(np.arange(4), 3)
    return xr.Dataset({"loss_kl": (("brain", "step"), kl.astype(np.float32)),
                       "logged": (("brain", "step"), np.where(bits, 2, 0).astype(np.uint8), FLAGS),
                       "diverged_day": ("brain", np.array(diverged, np.float64))},
                      coords={"brain": [0, 1], "state": ("step", states), "day": ("step", day),
                              "step_epoch": ("step", 1 + day // 2), "condition": ("brain", ["pad", "pad"]),
                              "seed": ("brain", [0, 1])})


WAKE = np.arange(12) % 3 == 0  # Wake steps: days 0, 1 (epoch 1), 2, 3 (epoch 2)


def kl_steps():
    """Brain 0 healthy (KL 1, 2 | 3, 4); brain 1 diverges on day 2 (a logged NaN), then logs a finite 5 on day 3."""
    kl = np.full((2, 12), np.nan)
    kl[0, WAKE], kl[1, WAKE] = [1, 2, 3, 4], [1, 2, np.nan, 5]
    return kl


def test_a_divergence_is_not_averaged_away_and_an_unlogged_nan_is():
    ds = synthetic_steps(kl_steps(), np.broadcast_to(WAKE, (2, 12)), diverged=(np.nan, 2))
    mean = epoch_mean(ds, "loss_kl")
    np.testing.assert_array_equal(mean.values, [[1.5, 3.5], [1.5, np.nan]])  # NREM/REM NaN skipped, day 2's NaN not
    assert mean.dims == ("brain", "epoch") and list(mean.epoch.values) == [1, 2]
    naive = ds.loss_kl.groupby("step_epoch").mean("step")  # what the README's old recipe did: a clean-looking 5
    assert naive.sel(step_epoch=2).values[1] == 5
    np.testing.assert_array_equal(epoch_mean(ds, "loss_kl", state="WAKE").values, mean.values)
    assert np.isnan(epoch_mean(ds, "loss_kl", state="REM").values).all()  # never logged in REM
    values = logged(ds, "loss_kl").values
    assert np.isnan(values[:, ~WAKE]).all() and np.isnan(values[1, 6]) and values[1, 9] == 5
    np.testing.assert_array_equal(logged_mask(ds, "loss_kl").values, np.broadcast_to(WAKE, (2, 12)))
    np.testing.assert_array_equal(diverged_day(ds).values, [np.nan, 2])


def test_an_infinity_diverges_too_and_is_found_without_diverged_day():
    kl = kl_steps()
    kl[1, 6] = np.inf
    ds = synthetic_steps(kl, np.broadcast_to(WAKE, (2, 12))).drop_vars("diverged_day")
    np.testing.assert_array_equal(epoch_mean(ds, "loss_kl").values, [[1.5, 3.5], [1.5, np.nan]])
    np.testing.assert_array_equal(diverged_day(ds).values, [np.nan, 2])  # from the flags and the values
    assert np.isinf(logged(ds, "loss_kl").values[1, 6])


def test_files_without_flags_fall_back_to_nan_means_not_logged():
    kl = kl_steps()
    kl[0, 3] = np.inf  # a non-finite value that is not NaN still shows
    old = synthetic_steps(kl, np.zeros((2, 12), bool)).drop_vars(["logged", "diverged_day"])
    np.testing.assert_array_equal(epoch_mean(old, "loss_kl").values, [[np.nan, 3.5], [1.5, 5]])
    np.testing.assert_array_equal(diverged_day(old).values, [1, np.nan])  # step 3 is day 1
    # open_runs of an old and a new run: the old brain's flags are NaN (missing), each brain reads as its file says
    new = synthetic_steps(kl_steps(), np.broadcast_to(WAKE, (2, 12)), diverged=(np.nan, 2)).isel(brain=[1])
    mixed = xr.concat([old.isel(brain=[1]), new], dim="brain", join="outer")
    assert np.isnan(mixed.logged.values[0]).all()
    np.testing.assert_array_equal(epoch_mean(mixed, "loss_kl").values, [[1.5, 5], [1.5, np.nan]])
    np.testing.assert_array_equal(diverged_day(mixed).values, [np.nan, 2])


def test_logged_flags_of_a_real_run_match_its_states(runs):
    ds = open_run(runs / "pad_0")
    if "logged" not in ds:
        pytest.skip("the simulator does not write the logged flags yet")
    wake = ds.state.values == "WAKE"
    np.testing.assert_array_equal(logged_mask(ds, "loss_kl").values[0], wake)
    np.testing.assert_array_equal(logged_mask(ds, "loss_latent").values[0], ds.state.values == "NREM")
    np.testing.assert_allclose(epoch_mean(ds, "loss_kl").values[0], ds.loss_kl.values[0, wake].mean(), rtol=1e-6)
    assert np.isnan(diverged_day(ds).values).all()


# --- a trained cortex: open_cortex -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A two-epoch tiny run lived in this process, so the training cortex itself is at hand: (run directory, the
    cortex's state after each epoch, the simulator)."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    sim = Simulator(tiny_config("data.train_size=128", "epochs=2", "eval.every=0"), run_dir)
    states = {}
    for epoch in (1, 2):
        live(sim, 1)
        states[epoch] = copy.deepcopy(sim.brain.cortex.state_dict())
    return run_dir, states, sim


def assert_weights(cortex, state) -> None:
    got = cortex.state_dict()
    assert list(got) == list(state)
    for name, value in state.items():
        assert torch.equal(got[name], value), name


def test_open_cortex_gives_the_training_cortex(trained):
    run_dir, states, sim = trained
    cortex = open_cortex(run_dir)  # the last saved epoch
    assert isinstance(cortex, Cortex) and not cortex.training
    assert {p.device.type for p in cortex.parameters()} == {"cpu"}
    assert_weights(cortex, states[2])
    images = to_activity(sim.world.test_x[:16])  # (16, 3, 32, 32)
    with torch.no_grad():
        got, want = cortex.encode(images), sim.brain.cortex.encode(images)
        torch.testing.assert_close(got.z, want.z, rtol=0, atol=0)
        torch.testing.assert_close(got.d_logit, want.d_logit, rtol=0, atol=0)
        torch.testing.assert_close(cortex.generate(got.z), sim.brain.cortex.generate(want.z), rtol=0, atol=0)
    first = open_cortex(run_dir, epoch=1)
    assert_weights(first, states[1])
    assert not all(torch.equal(a, b) for a, b in zip(first.parameters(), cortex.parameters()))  # it learned


def test_open_cortex_without_per_epoch_files_takes_last_pt(trained, tmp_path):
    run_dir, states, _ = trained
    kept = tmp_path / "run"
    shutil.copytree(run_dir, kept)
    for path in (kept / "checkpoints").glob("cortex_epoch_*.pt"):
        path.unlink()
    assert_weights(open_cortex(kept), states[2])
    (kept / "activity.nc").unlink()  # then the configuration comes from last.pt too
    assert_weights(open_cortex(kept), states[2])
    with pytest.raises(PadError, match=r"^epoch 1: no cortex weights in .*\(none saved\)$"):
        open_cortex(kept, epoch=1)


def test_open_cortex_bad_input_is_one_line(trained, tmp_path):
    run_dir, _, _ = trained
    (tmp_path / "empty").mkdir()
    (tmp_path / "a_file").write_text("x")
    other = tmp_path / "other"  # a run directory holding another brain's cortex file
    shutil.copytree(run_dir, other)
    with netCDF4.Dataset(other / "activity.nc", "a") as nc:
        nc.setncattr("run_id", "0badf00d")
    cases = [
        (tmp_path / "nowhere", {}, "no such run directory"),
        (tmp_path / "a_file", {}, "not a folder"),
        (tmp_path / "empty", {}, "not a run directory (no activity.nc, no checkpoints/last.pt)"),
        (run_dir, {"epoch": 7}, "epoch 7: no cortex weights in"),
        (run_dir, {"device": "nonsense"}, "device=nonsense: not a device"),
        (other, {}, f"{other / 'checkpoints' / 'cortex_epoch_002.pt'}: the cortex of another brain"),
    ]
    for path, kwargs, message in cases:
        with pytest.raises(PadError) as error:
            open_cortex(path, **kwargs)
        assert message in str(error.value) and "\n" not in str(error.value), str(error.value)
