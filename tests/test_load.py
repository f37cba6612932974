"""Opening many runs as one Dataset along `brain`."""
import numpy as np
import pytest

from analysis.load import open_run, open_runs
from sims.simulator import run
from tests.helpers import tiny_config


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
    assert sorted(zip(ds.scenario.values.tolist(), ds.seed.values.tolist())) == [("no_rem", 0), ("pad", 0), ("pad", 1)]
    # no_rem has 2 steps a day, pad 3: the shorter run is padded, and per-step states are per brain
    assert ds.state.dims == ("brain", "step") and ds.sizes["step"] == 3 * 3
    no_rem = ds.where(ds.scenario == "no_rem", drop=True)
    assert np.isnan(no_rem.loss_reconstruction.values[0, 6:]).all()
    assert list(no_rem.state.values[0, :6]) == ["WAKE", "NREM"] * 3
    means = ds.loss_reconstruction.groupby("scenario").mean("brain")
    assert set(means.scenario.values) == {"pad", "no_rem"}


def test_one_run_equals_its_activity_file(runs):
    one = open_run(runs / "pad_0")
    stacked = open_runs([runs / "pad_0" / "activity.nc"])
    np.testing.assert_array_equal(one.loss_kl.values, stacked.loss_kl.values)
