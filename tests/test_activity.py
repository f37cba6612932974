"""`activity.nc`: opens with xarray, every variable declared with units and a description, every state covered."""
import numpy as np
import pytest
import xarray as xr
from omegaconf import OmegaConf

from cortex.population import NAMES as POPULATION
from records.variables import (DEVICE_STEP_VARIABLES, DREAM_VARIABLES, EPOCH_VARIABLES, GEOMETRY_VARIABLES,
                               HOST_STEP_VARIABLES)
from sims.life.simulator import run
from tests.helpers import tiny_config

PRODUCED_BY = {  # which per-step figures each state must have produced (the population statistics in every area)
    "WAKE": {"loss_reconstruction", "loss_kl", "loss_discriminator", "discriminator_output", *POPULATION},
    "NREM": {"loss_latent", *POPULATION},
    "REM": {"loss_discriminator", "discriminator_output", *POPULATION},
}


@pytest.fixture(scope="module")
def activity(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    run(tiny_config("epochs=2", "data.train_size=320"), run_dir)
    with xr.open_dataset(run_dir / "activity.nc") as ds:
        yield ds.load()


def test_every_variable_has_units_and_a_description(activity):
    declared = DEVICE_STEP_VARIABLES + HOST_STEP_VARIABLES + EPOCH_VARIABLES + DREAM_VARIABLES
    for var in set(declared) - set(GEOMETRY_VARIABLES):  # geometry is measured on request (eval.geometry=true)
        assert var.name in activity, var.name
        assert activity[var.name].dims == var.dims
    for name, da in activity.data_vars.items():
        assert "units" in da.attrs and da.attrs.get("long_name"), name


def test_per_step_variables_cover_every_state_that_ran(activity):
    assert set(np.unique(activity.state.values)) == {"WAKE", "NREM", "REM"}
    assert activity.sizes["step"] == 2 * 5 * 3  # 2 epochs x 5 days x (Wake, NREM, REM)
    for state, names in PRODUCED_BY.items():
        steps = activity.sel(step=activity.state == state)
        for name in names:
            assert np.isfinite(steps[name].values).all(), (state, name)
    assert np.isnan(activity.loss_latent.sel(step=activity.state != "NREM")).all()


def test_levels_and_plasticity_per_step_follow_the_controller(activity):
    by_state = {s: activity.sel(step=activity.state == s) for s in ("WAKE", "NREM", "REM")}
    assert (by_state["WAKE"].ach == 1).all() and (by_state["WAKE"].na == 1).all()
    assert (by_state["REM"].na == 0).all() and (by_state["REM"].generator_sign == -1).all()
    assert (by_state["NREM"].discriminator_gate == 0).all() and (by_state["NREM"].generator_sign == 0).all()
    assert (by_state["WAKE"].discriminator_target == 1).all() and (by_state["REM"].discriminator_target == 0).all()


def test_coordinates_epochs_and_config(activity):
    assert list(activity.epoch.values) == [1, 2]
    assert list(np.unique(activity.step_epoch.values)) == [1, 2]
    assert list(activity.day.values[::3]) == list(range(10))
    assert activity.condition.values.tolist() == ["pad"] and activity.seed.values.tolist() == [0]
    assert np.isfinite(activity.readout_accuracy).all()
    assert activity.dream_rem.shape == (1, 2, 4, 3, 32, 32) and np.abs(activity.dream_nrem).max() <= 1
    config = OmegaConf.create(activity.attrs["config"])
    assert config.data.train_size == 320 and config.scenario_name == "pad"
    assert activity.attrs["pad_version"]


def test_occlusion_curve_starts_at_the_clean_accuracy(activity):
    curve = activity.occlusion_accuracy
    assert curve.dims == ("brain", "epoch", "occlusion")
    np.testing.assert_allclose(activity.occlusion.values, np.arange(11) / 10)
    np.testing.assert_allclose(curve.sel(occlusion=0).values, activity.readout_accuracy.values)  # nothing dropped
