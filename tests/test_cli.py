"""The command line: a good run says where its results are; bad input ends in one line of stderr, a non-zero status and
no damage to what a run directory already holds; sweeps make one run directory per job."""
import itertools
import shutil

import numpy as np
import pytest
import xarray as xr
import yaml

from records.checkpoints import load_checkpoint
from tests.helpers import merged


def assert_one_line_error(result, *names):
    """Exit status 2 and a single `error: ...` line on stderr that names every one of `names`."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for name in names:
        assert name in lines[0], (name, lines[0])


def test_a_finished_run_says_where_its_files_are(finished_run):
    run_dir, _, done = finished_run
    assert done.stdout.strip().splitlines()[-1].startswith(f"done: {run_dir} ")
    for name in ("activity.nc", "checkpoints/last.pt", "checkpoints/cortex_epoch_001.pt", ".hydra/config.yaml"):
        assert (run_dir / name).is_file(), name
    with xr.open_dataset(run_dir / "activity.nc") as activity:
        assert activity["epoch"].values.tolist() == [1]
        assert activity["condition"].values.tolist() == ["pad"] and activity["seed"].values.tolist() == [0]
        assert activity.sizes["step"] == 10 * 3  # 160 images in batches of 16: ten days of Wake, NREM, REM
    assert load_checkpoint(run_dir / "checkpoints" / "last.pt")["epoch"] == 2  # the next epoch to live


def test_rerunning_a_finished_run_leaves_its_files_unchanged(finished_run, run_night, file_snapshot):
    run_dir, args, _ = finished_run
    before = file_snapshot(run_dir)
    again = run_night(*args)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout and f"done: {run_dir} " in again.stdout
    assert file_snapshot(run_dir) == before


BAD_OVERRIDES = {  # override -> what its error line must name (tests/test_bad_input.py holds the whole table, in process)
    "scenario=nope": ["scenario=nope", "pad", "no_rem"],  # and the scenarios there are
    "foo=1": ["foo"],
    "seed=0,1": ["seed=0,1", "-m"],  # a sweep without -m
    # resuming with another science configuration: the value asked for, the value the run was made with, the place
    "seed=1": ["seed=1", "seed=0", "checkpoints/last.pt"],
}


@pytest.fixture(scope="module")
def bad_override_runs(finished_run, run_nights, file_snapshot):
    """Each bad override added to the finished run's command (with epochs=2, so that a good command would resume and
    write): {override: process}, and snapshots of the run directory before and after them all."""
    run_dir, args, _ = finished_run
    before = file_snapshot(run_dir)
    results = run_nights([[*merged(args, "epochs=2"), bad] for bad in BAD_OVERRIDES])
    return dict(zip(BAD_OVERRIDES, results)), before, file_snapshot(run_dir)


@pytest.mark.parametrize("override", BAD_OVERRIDES)
def test_bad_override_fails_in_one_line_and_damages_nothing(bad_override_runs, override):
    results, before, after = bad_override_runs
    assert_one_line_error(results[override], *BAD_OVERRIDES[override])
    assert after == before


def _garbage(root):
    for name in ("train.npz", "test.npz"):
        (root / "cifar10" / name).write_bytes(np.random.default_rng(1).bytes(5000))


BAD_DATA = {  # how the data root goes bad, and what the error line must name ({root}: the data root)
    "missing": (shutil.rmtree, "data.root={root}"),
    "without CIFAR-10": (lambda root: shutil.rmtree(root / "cifar10"), "data.root={root}"),
    "corrupt": (_garbage, "{root}/cifar10/train.npz"),
}


@pytest.fixture(scope="module")
def data_run(run_night, tiny, tiny_cifar, tmp_path_factory):
    """A finished run made with its own copy of the data, at a data root that the tests below spoil and restore."""
    base = tmp_path_factory.mktemp("data_run")
    root, run_dir = base / "data", base / "run"
    shutil.copytree(tiny_cifar, root)
    args = merged(tiny, f"data.root={root}", f"hydra.run.dir={run_dir}")
    assert run_night(*args).returncode == 0
    return root, run_dir, args


@pytest.mark.parametrize("case", BAD_DATA)
def test_bad_data_fails_in_one_line_and_damages_nothing(data_run, run_nights, tiny, tiny_cifar, tmp_path, file_snapshot,
                                                        case):
    """Bad data stops a fresh run before Hydra makes its run directory, and stops the resumption of a run made with that
    data root (when it was good) without touching the run directory."""
    root, run_dir, args = data_run
    spoil, name = BAD_DATA[case]
    before = file_snapshot(run_dir)
    fresh_run_dir = tmp_path / "fresh"
    spoil(root)
    try:
        fresh, resumed = run_nights([merged(tiny, f"data.root={root}", f"hydra.run.dir={fresh_run_dir}"), merged(args, "epochs=2")])
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(tiny_cifar, root)
    assert_one_line_error(fresh, name.format(root=root))
    assert not fresh_run_dir.exists()
    assert_one_line_error(resumed, name.format(root=root))
    assert file_snapshot(run_dir) == before


def test_multirun_makes_one_run_directory_per_job(run_night, run_nights, tiny, tmp_path, file_snapshot):
    sweep_dir = tmp_path / "sweep"
    args = ["-m", *tiny, "scenario=pad,no_rem", "seed=0,1", f"hydra.sweep.dir={sweep_dir}"]
    result = run_night(*args)
    assert result.returncode == 0, result.stderr
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir())
    assert sorted(p.name.rsplit("_", 1)[0] for p in jobs) == ["no_rem_seed0", "no_rem_seed1", "pad_seed0", "pad_seed1"]
    made = set()
    for job in jobs:
        overrides = dict(o.split("=", 1) for o in yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()))
        with xr.open_dataset(job / "activity.nc") as activity:
            scenario, seed = activity["condition"].item(), int(activity["seed"].item())
            states = sorted(set(activity["state"].values.tolist()))
            assert activity["epoch"].values.tolist() == [1]
        assert (scenario, str(seed)) == (overrides["scenario"], overrides["seed"])
        assert states == (["NREM", "REM", "WAKE"] if scenario == "pad" else ["NREM", "WAKE"])
        assert f"done: {job} " in result.stdout
        made.add((scenario, seed))
    assert made == set(itertools.product(["pad", "no_rem"], [0, 1]))

    # A bad value in a sweep: one line, no damage; the same sweep again: every job is already done, nothing changes.
    before = file_snapshot(sweep_dir)
    bad_value, again = run_nights([["-m", *tiny, "scenario=pad,no_rem", "seed=0,x", f"hydra.sweep.dir={sweep_dir}"],
                                   args])
    assert_one_line_error(bad_value, "seed=x")
    assert again.returncode == 0, again.stderr
    assert {p.name for p in sweep_dir.iterdir() if p.is_dir()} == {p.name for p in jobs}
    assert {k: v for k, v in file_snapshot(sweep_dir).items() if k.endswith((".nc", ".pt"))} == \
        {k: v for k, v in before.items() if k.endswith((".nc", ".pt"))}


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_a_finished_runs_lost_activity_file_is_rebuilt_from_its_checkpoint(finished_run, run_night, damage, tmp_path):
    run_dir, args, _ = finished_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    activity = copy / "activity.nc"
    with xr.open_dataset(activity) as ds:
        original = ds.load()
    if damage == "deleted":
        activity.unlink()
    else:
        activity.write_bytes(activity.read_bytes()[:1000])
    again = run_night(*merged(args, f"hydra.run.dir={copy}"))
    assert again.returncode == 0, again.stderr
    assert "rebuilt from" in again.stdout and f"done: {copy} " in again.stdout
    with xr.open_dataset(activity) as ds:
        xr.testing.assert_identical(ds.load(), original)
