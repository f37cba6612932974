"""Sweeps through Hydra's launchers for several processes (joblib) and for a cluster (submitit, here its local
executor), one job per brain or one per cohort, give each brain exactly what a lone run gives it; a SLURM sweep is
submitted as SLURM is asked (here to a stand-in `sbatch`) with devices the submitting machine need not have."""
import os
import subprocess
import sys

import pytest
import torch
import xarray as xr

from records.checkpoints import load_checkpoint
from tests.conftest import RUN_NIGHT
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
                                      ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"],
                                      ["hydra/launcher=cohort_local", "hydra.launcher.size=2"]],
                         ids=["joblib", "submitit_local", "cohorts_on_submitit_local"])
def test_a_sweep_through_a_launcher_equals_lone_runs(launcher, lone, run_night, tiny, tmp_path):
    result = run_night("-m", *tiny, *SWEEP, *launcher, f"hydra.sweep.dir={tmp_path}", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = {}
    for run_dir in tmp_path.iterdir():
        if (run_dir / "activity.nc").exists():
            with xr.open_dataset(run_dir / "activity.nc") as ds:
                runs[(ds.condition.item(), int(ds.seed.item()))] = run_dir
    assert sorted(runs) == sorted(BRAINS)
    for (scenario, seed), run_dir in runs.items():
        alone = lone / f"{scenario}_{seed}"
        with xr.open_dataset(run_dir / "activity.nc") as a, xr.open_dataset(alone / "activity.nc") as b:
            xr.testing.assert_identical(a.drop_vars(TIMING).load(), b.drop_vars(TIMING).load())
        swept, single = load_checkpoint(run_dir / "checkpoints" / "last.pt"), load_checkpoint(alone / "checkpoints" / "last.pt")
        assert_same(swept["brain"], single["brain"], f"{scenario} seed {seed}")


@pytest.fixture
def fake_slurm(tmp_path, cli_env):
    """An environment whose PATH has a stand-in `srun` (what submitit looks for) and an `sbatch` that keeps a copy of
    the script it is given and refuses it as a real one refuses a bad partition; (environment, the copy's path)."""
    bin_dir, copy = tmp_path / "bin", tmp_path / "submitted.sh"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sbatch").write_text(f'#!/bin/sh\ncp "$1" {copy}\n'
                                    'echo "sbatch: error: invalid partition specified: nope" >&2\nexit 1\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return dict(cli_env, PATH=f"{bin_dir}{os.pathsep}{cli_env['PATH']}"), copy


def run_with(env, args, cwd):
    return subprocess.run([sys.executable, str(RUN_NIGHT), *map(str, args)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_slurm_cohorts_go_as_one_array_job_per_cohort_with_devices_this_machine_lacks(fake_slurm, tiny, tmp_path):
    env, submitted = fake_slurm
    args = ["-m", *merged(tiny, "device=cuda:3"), "seed=0,1,2", "hydra/launcher=cohort_slurm", "hydra.launcher.size=2",
            "hydra.launcher.partition=nope", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    result = run_with(env, args, tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines() == [
        "error: slurm: the cohorts' submission failed: sbatch: error: invalid partition specified: nope"]
    script = submitted.read_text().splitlines()
    for directive in ("--array=0-1%2", "--gpus-per-node=1", "--partition=nope", "--time=720", "--signal=USR2@120"):
        assert f"#SBATCH {directive}" in script, (directive, script)  # 3 brains in cohorts of 2: a 2-job array


@pytest.mark.parametrize("launcher", ["slurm", "cohort_slurm"])
def test_a_slurm_sweep_where_there_is_no_slurm_is_one_line_before_anything_is_written(launcher, cli_env, tiny,
                                                                                     tmp_path):
    env = dict(cli_env, PATH=os.pathsep.join(p for p in cli_env["PATH"].split(os.pathsep)
                                             if not os.path.exists(os.path.join(p, "srun"))))
    result = run_with(env, ["-m", *tiny, "seed=0,1", f"hydra/launcher={launcher}",
                            f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines() == [
        f"error: hydra/launcher={launcher}: no SLURM on this machine (srun not found); submit from a SLURM login "
        "node, or run here with hydra/launcher=cohort_local or submitit_local"]
    assert not (tmp_path / "sweep").exists()


def test_a_cohort_job_that_fails_on_its_node_ends_the_sweep_in_one_line(tmp_path, capsys):
    """Bad input found only where the cohort runs (here a device that machine lacks, in a submitit local job) comes
    back as its one-line error, exit 2, after every cohort has ended; the good cohort still trains."""
    from hydra_plugins.pad_cohort_launcher._submitit import train_by_submitit
    from tests.helpers import tiny_config

    small = ["data.train_size=64", "optim.batch_size=16", "eval.every=0", "epochs=1"]
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    good, bad = (tiny_config(*small, f"device={device}") for device in ("cpu", "cuda:7"))
    params = {"submitit_folder": str(tmp_path / "submitit" / "%j"), "timeout_min": 10}
    with pytest.raises(SystemExit) as stop:
        train_by_submitit([[(good, tmp_path / "good")], [(bad, tmp_path / "bad")]], "local", params, "loop")
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: device=cuda:7: no CUDA device on this machine (use device=cpu or device=auto)"]
    assert (tmp_path / "good" / "activity.nc").exists() and not (tmp_path / "bad" / "activity.nc").exists()
