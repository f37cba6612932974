"""`python -m analysis.evaluate`: a run made with evaluation off, measured later, gives the hook's figures; and each
metric's random stream is its own, so switching one metric on or off changes no other's figures."""
import hashlib
import json
import re
import shutil

import netCDF4
import numpy as np
import pytest
import torch
import xarray as xr

from analysis.evaluate import main
from analysis.load import open_run
from analysis.measure import latent_code, measure, metric_generator
from cortex import Cortex, CortexConfig
from records.checkpoints import load_checkpoint
from sims.jobs.registry import compose_config
from sims.life.simulator import run
from tests.conftest import write_cifar_npz
from tests.test_checkpoints import first_format_save
from tests.helpers import tiny_config
from world import DataConfig, DataName, World, fingerprint, load_arrays


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_evaluating_later_gives_the_hooks_figures_and_touches_nothing(tmp_path):
    run(tiny_config("epochs=2", "data.train_size=192"), tmp_path / "on")
    run(tiny_config("epochs=2", "data.train_size=192", "eval.every=0"), tmp_path / "off")
    before = {p.name: digest(p) for p in (tmp_path / "off").rglob("*") if p.is_file()}
    main([str(tmp_path / "off"), "--fid", "0", "--device", "cpu", "--geometry"])  # the run itself had no geometry
    after = {p.name: digest(p) for p in (tmp_path / "off").rglob("*") if p.is_file() and p.name != "evaluation.nc"}
    assert after == before  # activity.nc and checkpoints untouched
    with xr.open_dataset(tmp_path / "on" / "activity.nc") as hook, xr.open_dataset(tmp_path / "off" / "evaluation.nc") as later:
        # evaluation never changes training, and the later measurement uses the hook's random stream
        np.testing.assert_array_equal(hook.readout_accuracy.values, later.readout_accuracy.values)
        np.testing.assert_array_equal(hook.occlusion_accuracy.values, later.occlusion_accuracy.values)
        assert later.intra_inter_ratio.shape == (1, 2) and (later.intra_inter_ratio > 0).all()
        assert later.pca_clean.shape == (1, 200, 2) and later.attrs["pca_epoch"] == 2
        np.testing.assert_allclose(later.pca_clean.values[0].mean(0), 0, atol=1e-4)  # centred on the clean mean
        test_labels = load_arrays(tiny_config("data.train_size=192").data).test_y[:200]
        np.testing.assert_array_equal(later.pca_label.values[0], test_labels)
        for name, var in later.data_vars.items():
            assert var.attrs["units"] is not None and var.attrs["long_name"], name
    merged = open_run(tmp_path / "off")
    assert "loss_kl" in merged and "intra_inter_ratio" in merged


def test_evaluating_one_epoch_again_keeps_the_others(tmp_path):
    run(tiny_config("epochs=2", "data.train_size=192", "eval.every=0"), tmp_path)
    main([str(tmp_path), "--epochs", "1", "--fid", "0", "--no-geometry", "--device", "cpu"])
    main([str(tmp_path), "--epochs", "2", "--fid", "0", "--no-geometry", "--device", "cpu"])
    with xr.open_dataset(tmp_path / "evaluation.nc") as ds:
        assert list(ds.epoch.values) == [1, 2] and np.isfinite(ds.readout_accuracy).all()


def test_fid_of_dreams_is_measured_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("PAD_CACHE", str(tmp_path / "cache"))
    run(tiny_config("epochs=1", "data.train_size=128", "eval.every=0"), tmp_path / "run")
    main([str(tmp_path / "run"), "--fid", "16", "--no-geometry", "--device", "cpu"])
    with xr.open_dataset(tmp_path / "run" / "evaluation.nc") as ds:
        # an untrained-like generator's dreams are far from real images (real vs real at n=25 is about 250)
        assert ds.fid_nrem.item() > 300 and ds.fid_rem.item() > 300
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1  # the real statistics, cached



def test_evaluating_later_follows_the_runs_own_flags(tmp_path):
    flags = ("epochs=1", "data.train_size=192", "eval.occlusion=false", "eval.geometry=true")
    run(tiny_config(*flags), tmp_path / "on")
    run(tiny_config(*flags, "eval.every=0"), tmp_path / "off")
    main([str(tmp_path / "off"), "--fid", "0", "--device", "cpu"])
    with xr.open_dataset(tmp_path / "on" / "activity.nc") as hook, xr.open_dataset(tmp_path / "off" / "evaluation.nc") as later:
        assert "occlusion_accuracy" not in hook and "occlusion_accuracy" not in later  # eval.occlusion=false
        for name in ("readout_accuracy", "intra_inter_ratio", "occluded_inter_ratio"):
            assert np.isfinite(hook[name].values).all(), name
            np.testing.assert_array_equal(hook[name].values, later[name].values, err_msg=name)


@pytest.fixture(scope="module")
def small_world():
    arrays = load_arrays(DataConfig(name=DataName.shapes, train_size=200, test_size=100))
    return World(arrays, torch.device("cpu"), batch_size=16)


def test_each_metric_has_its_own_stream(small_world):
    """The read-out is the same with the occlusion curve on or off, and so are the distance ratios, whose pairs and
    masks would otherwise come after (or without) the curve's masks in one shared stream."""
    torch.manual_seed(0)
    encode = latent_code(Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32)).eval())
    kwargs = dict(readout_epochs=2, geometry=True)
    with_curve = measure(encode, small_world, 3, 2, occlusion=True, **kwargs)
    without = measure(encode, small_world, 3, 2, occlusion=False, **kwargs)
    assert "occlusion_accuracy" in with_curve and "occlusion_accuracy" not in without
    for name in ("readout_accuracy", "readout_accuracy_exact", "intra_inter_ratio", "occluded_inter_ratio"):
        assert with_curve[name] == without[name], name
    other_epoch = measure(encode, small_world, 3, 1, occlusion=False, **kwargs)
    assert other_epoch["occluded_inter_ratio"] != without["occluded_inter_ratio"]  # the streams depend on the epoch


def test_metric_streams_differ_by_name_seed_and_epoch():
    draw = lambda *key: torch.rand(4, generator=metric_generator("cpu", *key)).tolist()
    assert draw(0, 1, "readout") == draw(0, 1, "readout")  # a function of its key only
    keys = [(0, 1, "readout"), (0, 1, "occlusion"), (0, 1, "geometry"), (1, 1, "readout"), (0, 2, "readout")]
    assert len({tuple(draw(*k)) for k in keys}) == len(keys)
    with pytest.raises(ValueError, match="metric='readuot'"):
        metric_generator("cpu", 0, 1, "readuot")


# --- the data a run lived on, and bad input -------------------------------------------------------------------------
CIFAR_TINY = ["data.train_size=64", "data.test_size=40", "cortex.channels=[3,8,16,32]", "cortex.latent_dim=32", "record.units_per_area=16", "record.probes_per_class=2",
              "optim.batch_size=16", "eval.readout_epochs=1", "eval.probes=4", "progress=false", "device=cpu",
              "epochs=1", "eval.every=0", "eval.occlusion=false"]


@pytest.fixture(scope="module")
def cifar_run(tmp_path_factory):
    """A run made on data root A with data.root unset ($PAD_DATA=A); root B holds other images of the same format."""
    base = tmp_path_factory.mktemp("fingerprint")
    roots = {name: write_cifar_npz(base / name, 64, 40, seed=seed) for name, seed in (("A", 0), ("B", 1))}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAD_DATA", str(roots["A"]))
        cfg = compose_config(CIFAR_TINY)
        run(cfg, base / "run")
        arrays = load_arrays(cfg.data)
    activity = base / "run" / "activity.nc"
    with netCDF4.Dataset(activity, "a") as nc:  # the simulator records it; written here where it does not (yet)
        if "data_fingerprint" in nc.ncattrs():
            assert json.loads(nc.getncattr("data_fingerprint")) == fingerprint(arrays)
        else:
            nc.setncattr("data_fingerprint", json.dumps(fingerprint(arrays)))
    return base / "run", roots


def one_line_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err.strip()


def test_evaluating_on_other_data_is_refused(cifar_run, capsys, monkeypatch, file_snapshot):
    run_dir, roots = cifar_run
    before = file_snapshot(run_dir)
    monkeypatch.setenv("PAD_DATA", str(roots["B"]))
    err = one_line_error(capsys, [str(run_dir), "--fid", "0", "--device", "cpu"])
    assert err.startswith(f"error: data.root unset (PAD_DATA='{roots['B']}'")
    assert f"resolved {roots['B'] / 'cifar10'} (train 64, test 40" in err
    assert f"the run lived on {roots['A'] / 'cifar10'} (train 64, test 40" in err
    err = one_line_error(capsys, [str(run_dir), "--data-root", str(roots["B"])])
    assert err.startswith(f"error: --data-root {roots['B']}: resolved")
    assert file_snapshot(run_dir) == before  # no evaluation.nc, nothing touched
    main([str(run_dir), "--fid", "0", "--device", "cpu", "--data-root", str(roots["A"])])  # the run's own data
    assert (run_dir / "evaluation.nc").exists()


def test_a_run_without_a_fingerprint_is_measured_with_a_warning(cifar_run, capsys, monkeypatch, tmp_path):
    run_dir = tmp_path / "old"
    shutil.copytree(cifar_run[0], run_dir)
    with netCDF4.Dataset(run_dir / "activity.nc", "a") as nc:
        nc.delncattr("data_fingerprint")
    monkeypatch.setenv("PAD_DATA", str(cifar_run[1]["A"]))
    main([str(run_dir), "--fid", "0", "--device", "cpu"])
    assert capsys.readouterr().err.startswith(f"warning: {run_dir / 'activity.nc'}: no data_fingerprint")
    assert (run_dir / "evaluation.nc").exists()


@pytest.mark.parametrize("case", ["missing", "file", "empty folder", "epochs", "truncated", "not netcdf",
                                  "bad option", "damaged weights"])
def test_bad_input_is_one_line_and_exit_status_2(cifar_run, capsys, tmp_path, file_snapshot, case):
    run_dir = tmp_path / "run"
    shutil.copytree(cifar_run[0], run_dir)
    (tmp_path / "empty").mkdir()
    (tmp_path / "a_file").write_text("x")
    activity, weights = run_dir / "activity.nc", run_dir / "checkpoints" / "cortex_epoch_001.pt"
    if case == "truncated":
        activity.write_bytes(activity.read_bytes()[:4000])
    elif case == "not netcdf":
        activity.write_text("hello\n")
    elif case == "damaged weights":
        weights.write_bytes(weights.read_bytes()[:1000])
    before = file_snapshot(tmp_path)
    argv, expected = {
        "missing": ([str(tmp_path / "nowhere")], f"{tmp_path / 'nowhere'}: no such run directory"),
        "file": ([str(tmp_path / "a_file")], f"{tmp_path / 'a_file'}: not a folder"),
        "empty folder": ([str(tmp_path / "empty")], f"{tmp_path / 'empty'}: no activity.nc"),
        "epochs": ([str(run_dir), "--epochs", "1", "7"], f"--epochs 7: no cortex weights in {run_dir}/checkpoints"),
        "truncated": ([str(run_dir)], f"{activity}: not a readable netCDF file"),
        "not netcdf": ([str(run_dir)], f"{activity}: not a readable netCDF file"),
        "bad option": ([str(run_dir), "--epochs", "one"], "argument --epochs: invalid int value: 'one'"),
        "damaged weights": ([str(run_dir), "--data-root", str(cifar_run[1]["A"]), "--device", "cpu", "--fid", "0"],
                            f"{weights}: not the cortex weights of this run"),
    }[case]
    assert one_line_error(capsys, argv).startswith(f"error: {expected}")
    assert file_snapshot(tmp_path) == before


# --- whose cortex: the brain's identity -------------------------------------------------------------------------------
def test_a_cortex_copied_from_another_run_is_refused(cifar_run, capsys, monkeypatch, tmp_path, file_snapshot):
    run_dir, roots = cifar_run
    monkeypatch.setenv("PAD_DATA", str(roots["A"]))
    run(compose_config(CIFAR_TINY + ["seed=1"]), tmp_path / "seed1")  # another brain on the same data
    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    weights = target / "checkpoints" / "cortex_epoch_001.pt"
    shutil.copyfile(tmp_path / "seed1" / "checkpoints" / "cortex_epoch_001.pt", weights)
    ours, theirs = (open_run(d).attrs["run_id"] for d in (target, tmp_path / "seed1"))
    assert ours != theirs and re.fullmatch("[0-9a-f]{8}", ours)
    before = file_snapshot(target)
    err = one_line_error(capsys, [str(target), "--fid", "0", "--device", "cpu"])
    assert err.startswith(f"error: {weights}: the cortex of another brain (run_id {theirs}; "), err
    assert ours in err
    assert file_snapshot(target) == before  # refused before anything was measured or written


def test_a_cortex_older_than_identities_is_measured_with_a_warning(cifar_run, capsys, monkeypatch, tmp_path):
    """A cortex file of the first checkpoint format, without run_id, as the code before identities wrote it."""
    run_dir, roots = cifar_run
    monkeypatch.setenv("PAD_DATA", str(roots["A"]))
    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    weights = target / "checkpoints" / "cortex_epoch_001.pt"
    state = load_checkpoint(weights)
    first_format_save(weights, {"cortex": state["cortex"], "epoch": state["epoch"]})
    main([str(target), "--fid", "0", "--device", "cpu"])
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {weights}: no run_id (written before identities)"), err
    with xr.open_dataset(target / "evaluation.nc") as ds:
        assert np.isfinite(ds.readout_accuracy).all()
