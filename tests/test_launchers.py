"""Sweeps through Hydra's launchers for several processes (joblib) and for a cluster (submitit, here its local
executor) give each brain exactly what a lone run gives it."""
import pytest
import xarray as xr

from records.checkpoints import load_checkpoint
from tests.helpers import merged
from tests.test_resume import assert_same

SWEEP = ["scenario=pad,no_rem", "seed=0,1"]
BRAINS = [("pad", 0), ("pad", 1), ("no_rem", 0), ("no_rem", 1)]
TIMING = ("epoch_seconds",)


@pytest.fixture(scope="module")
def lone(run_nights, tiny, tmp_path_factory):
    """The four brains run alone, each in its own directory."""
    root = tmp_path_factory.mktemp("lone")
    results = run_nights([merged(tiny, f"scenario={s}", f"seed={seed}", f"hydra.run.dir={root / f'{s}_{seed}'}")
                          for s, seed in BRAINS])
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    return root


@pytest.mark.parametrize("launcher", [["hydra/launcher=processes", "hydra.launcher.n_jobs=2"],
                                      ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"]],
                         ids=["joblib", "submitit_local"])
def test_a_sweep_through_a_launcher_equals_lone_runs(launcher, lone, run_night, tiny, tmp_path):
    result = run_night("-m", *tiny, *SWEEP, *launcher, f"hydra.sweep.dir={tmp_path}", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = {}
    for run_dir in tmp_path.iterdir():
        if (run_dir / "activity.nc").exists():
            with xr.open_dataset(run_dir / "activity.nc") as ds:
                runs[(ds.scenario.item(), int(ds.seed.item()))] = run_dir
    assert sorted(runs) == sorted(BRAINS)
    for (scenario, seed), run_dir in runs.items():
        alone = lone / f"{scenario}_{seed}"
        with xr.open_dataset(run_dir / "activity.nc") as a, xr.open_dataset(alone / "activity.nc") as b:
            xr.testing.assert_identical(a.drop_vars(TIMING).load(), b.drop_vars(TIMING).load())
        swept, single = load_checkpoint(run_dir / "checkpoints" / "last.pt"), load_checkpoint(alone / "checkpoints" / "last.pt")
        assert_same(swept["brain"], single["brain"], f"{scenario} seed {seed}")
