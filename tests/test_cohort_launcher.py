"""The cohort launcher (`hydra/launcher=cohort`, hydra_plugins/pad_cohort_launcher): a sweep's brains trained together
in this one process, in cohorts of at most `hydra.launcher.size`, get exactly what the default launcher gives each of
them alone: the same run directories, activity files, weights and .hydra/ files. A rerun of the finished sweep
trains nothing, a diverged brain lets the others finish (exit 3), and bad launcher settings stop before anything is
written (exit 2)."""
import time

import pytest
import xarray as xr
from omegaconf import OmegaConf

from analysis.load import open_runs
from records.checkpoints import load_checkpoint
from tests.helpers import merged
from tests.test_resume import assert_same

SWEEP = ["scenario=pad,no_rem", "seed=0,1"]
COHORTS = ["hydra/launcher=cohort", "hydra.launcher.size=3"]  # two cohorts: jobs #0-#2, then #3
TIMING = ("epoch_seconds",)


@pytest.fixture(scope="module")
def lone(run_night, tiny, tmp_path_factory):
    """The four brains through the default launcher, each alone, one after the other: (sweep folder, its stdout)."""
    sweep_dir = tmp_path_factory.mktemp("lone")
    result = run_night("-m", *tiny, *SWEEP, f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    return sweep_dir, result.stdout


@pytest.fixture(scope="module")
def cohorts(run_night, tiny, tmp_path_factory):
    """The same four brains through the cohort launcher: (sweep folder, its command line, the finished process)."""
    sweep_dir = tmp_path_factory.mktemp("cohorts")
    args = ["-m", *tiny, *SWEEP, *COHORTS, f"hydra.sweep.dir={sweep_dir}"]
    result = run_night(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    return sweep_dir, args, result


def runs_in(sweep_dir):
    return sorted(p for p in sweep_dir.iterdir() if (p / "activity.nc").exists())


def without_sweep_and_launcher(hydra_yaml):
    """A job's .hydra/hydra.yaml without what names its sweep folder and launcher."""
    hydra = OmegaConf.load(hydra_yaml).hydra
    for key in ("launcher", "sweep", "runtime.output_dir", "overrides.hydra", "runtime.choices.hydra/launcher"):
        parent, _, leaf = key.rpartition(".")
        del (OmegaConf.select(hydra, parent) if parent else hydra)[leaf]
    return OmegaConf.to_container(hydra)


def test_a_sweep_in_cohorts_equals_the_brains_run_alone(cohorts, lone):
    (sweep_dir, _, result), (lone_dir, _) = cohorts, lone
    assert "Cohort 1/2: jobs #0 to #2" in result.stdout and "Cohort 2/2: jobs #3 to #3" in result.stdout
    runs, alone = runs_in(sweep_dir), runs_in(lone_dir)
    assert [p.name for p in runs] == [p.name for p in alone] and len(runs) == 4  # the same run directories
    assert sorted(line for line in result.stdout.splitlines() if line.startswith("done: ")) == sorted(
        f"done: {run} (activity.nc, checkpoints/, .hydra/config.yaml)" for run in runs)
    a, b = (open_runs(r).drop_vars([*TIMING, "run_dir"]) for r in (runs, alone))
    assert sorted(zip(a.condition.values.tolist(), a.seed.values.tolist())) == [
        ("no_rem", 0), ("no_rem", 1), ("pad", 0), ("pad", 1)]
    xr.testing.assert_identical(a, b)
    for run, single in zip(runs, alone):
        swept, lived = load_checkpoint(run / "checkpoints" / "last.pt"), load_checkpoint(single / "checkpoints" / "last.pt")
        assert_same(swept["brain"], lived["brain"], run.name)
        for name in ("config.yaml", "overrides.yaml"):
            assert (run / ".hydra" / name).read_text() == (single / ".hydra" / name).read_text(), (run.name, name)
        assert without_sweep_and_launcher(run / ".hydra" / "hydra.yaml") == without_sweep_and_launcher(
            single / ".hydra" / "hydra.yaml"), run.name


def test_rerunning_a_finished_sweep_trains_nothing_and_says_what_the_default_launcher_says(
        cohorts, lone, run_night, tiny, file_snapshot):
    (sweep_dir, args, _), (lone_dir, _) = cohorts, lone
    trained = {run.name: {k: v for k, v in file_snapshot(run).items() if not k.startswith(".hydra")}
               for run in runs_in(sweep_dir)}
    again = run_night(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "read-out accuracy" not in again.stdout  # no epoch lived
    for run in runs_in(sweep_dir):
        assert f"{run}: already ran 1 epochs (epochs=1); nothing to do" in again.stdout
        assert {k: v for k, v in file_snapshot(run).items() if not k.startswith(".hydra")} == trained[run.name]
    lone_again = run_night("-m", *tiny, *SWEEP, f"hydra.sweep.dir={lone_dir}")
    assert lone_again.returncode == 0, lone_again.stderr[-3000:]
    said = lambda out, folder: [line.replace(str(folder), "SWEEP") for line in out.splitlines() if "[HYDRA]" not in line]
    assert said(again.stdout, sweep_dir) == said(lone_again.stdout, lone_dir)


@pytest.mark.parametrize("bad, names", [
    (["hydra.launcher.size=0"], "hydra.launcher.size=0"),
    (["hydra.launcher.size=many"], "hydra.launcher.size=many"),
    (["hydra.launcher.vectorize=fast"], "hydra.launcher.vectorize=fast"),
    (["optim.batch_size=16,32"], "optim.batch_size=32"),  # a cohort shares its batch size
], ids=["size_0", "size_not_a_number", "vectorize", "cohort_mixes_batch_sizes"])
def test_bad_launcher_settings_stop_before_anything_is_written(bad, names, run_night, tiny, tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = run_night("-m", *merged(tiny, *bad), "scenario=pad,no_rem", "hydra/launcher=cohort",
                       f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {names}: "), result.stderr
    assert not sweep_dir.exists()


def test_a_diverged_brain_lets_its_cohort_finish_and_the_sweep_exits_with_3(run_night, tiny, tmp_path):
    result = run_night("-m", *tiny, "optim.lr=1e3,2e-4", "hydra/launcher=cohort", f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 3, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "diverged on day 0" in lines[0] and "Traceback" not in result.stderr, result.stderr
    done = [line for line in result.stdout.splitlines() if line.startswith("done: ")]
    assert len(done) == 1 and done[0].split()[1] not in lines[0]  # the other brain finished
    with xr.open_dataset(lines[0].split()[1].rstrip(":") + "/activity.nc") as ds:
        assert int(ds.diverged_day[0]) == 0


def test_a_cohort_killed_at_any_moment_resumes_every_brain(start_night, run_night, tiny, tmp_path):
    """SIGKILL as soon as the first brain's first checkpoint lands (while the others save theirs, or early in the
    next epoch), then the same command: every brain ends exactly as alone."""
    run = merged(tiny, "epochs=3")
    args = ["-m", *run, *SWEEP, "hydra/launcher=cohort", f"hydra.sweep.dir={tmp_path / 'cohort'}"]
    process = start_night(*args)
    try:
        deadline = time.monotonic() + 300
        while not list((tmp_path / "cohort").glob("*/checkpoints/last.pt")) and process.poll() is None:
            assert time.monotonic() < deadline, "no checkpoint within 300 s"
            time.sleep(0.02)
        assert process.poll() is None, "the sweep ended before it could be killed"
    finally:
        process.kill()
        process.wait()
    resumed = run_night(*args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stdout.count("epoch 3: read-out accuracy") == 4  # the relaunch lived the rest of every brain
    alone = run_night("-m", *run, *SWEEP, f"hydra.sweep.dir={tmp_path / 'lone'}")
    assert alone.returncode == 0, alone.stderr[-3000:]
    runs, lone_runs = runs_in(tmp_path / "cohort"), runs_in(tmp_path / "lone")
    assert [p.name for p in runs] == [p.name for p in lone_runs] and len(runs) == 4
    a, b = (open_runs(r).drop_vars([*TIMING, "run_dir"]) for r in (runs, lone_runs))
    assert a.sizes["epoch"] == 3
    xr.testing.assert_identical(a, b)
    for run_dir, single in zip(runs, lone_runs):
        assert_same(load_checkpoint(run_dir / "checkpoints" / "last.pt")["brain"],
                    load_checkpoint(single / "checkpoints" / "last.pt")["brain"], run_dir.name)
