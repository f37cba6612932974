"""A brain whose losses, weights or Adam state become non-finite stops with a one-line diagnosis, keeps its last good
checkpoint, and its activity file tells "diverged" (bit logged, value non-finite) from "not logged" (bit clear)."""
import numpy as np
import pytest
import torch
import xarray as xr

from neuromod import Drive
from records.errors import Diverged
from sims.life.phases import PHASES, StepResult
from sims.life.simulator import Simulator
from tests.helpers import SpiedPhase, tiny_config

CLI_TINY = ["data=shapes", "data.train_size=320", "data.test_size=100", "cortex.channels=[3,8,16,32]",
            "cortex.latent_dim=32", "record.units_per_area=16", "record.probes_per_class=2", "optim.batch_size=16", "eval.readout_epochs=2", "progress=false", "device=cpu",
            "epochs=2"]


@pytest.mark.parametrize("override, culprit", [("optim.lr=1e3", "loss_latent=inf"),
                                               ("cortex.init_std=1e3", "Adam exp_avg_sq")])
def test_a_diverging_run_stops_with_a_one_line_diagnosis(run_night, cli_cwd, override, culprit):
    run_dir = cli_cwd / f"diverging_{override.split('=')[0]}"
    result = run_night(*CLI_TINY, override, f"hydra.run.dir={run_dir}")
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "diverged on day 0" in lines[0] and culprit in lines[0] and "done" not in result.stdout
    assert not (run_dir / "checkpoints" / "last.pt").exists()  # nothing good to keep: no checkpoint at all
    with xr.open_dataset(run_dir / "activity.nc") as ds:
        assert int(ds.diverged_day[0]) == 0 and "diverged on day 0" in ds.attrs["diverged"]
        assert ds.sizes["step"] == 3  # the file stops at the end of the bad day


def test_divergence_keeps_the_last_good_checkpoint_and_marks_the_bad_values(tmp_path, monkeypatch):
    sim = Simulator(tiny_config("data.train_size=64", "optim.batch_size=16", "eval.every=0", "epochs=3"), tmp_path)
    nrem = PHASES[Drive.REPLAY].step

    def nan_in_epoch_2(brain, inputs, plasticity, cfg, generator):
        result = nrem(brain, inputs, plasticity, cfg, generator)
        if sim.epoch == 2 and sim.day_in_epoch == 1:
            return StepResult({"loss_latent": torch.tensor(float("nan"))})
        return result

    monkeypatch.setitem(PHASES, Drive.REPLAY, SpiedPhase(PHASES[Drive.REPLAY], nan_in_epoch_2))
    original_begin_epoch = sim.begin_epoch
    checkpoint = {}

    def begin_epoch():
        if sim.epoch == 2:
            checkpoint["bytes"] = sim.checkpoint_path.read_bytes()
        original_begin_epoch()

    monkeypatch.setattr(sim, "begin_epoch", begin_epoch)
    with pytest.raises(Diverged, match=r"diverged on day 5 \(epoch 2, day 1 of it\): NREM loss_latent=nan"):
        sim.run()
    assert sim.checkpoint_path.read_bytes() == checkpoint["bytes"]  # the epoch-1 checkpoint, untouched
    with xr.open_dataset(tmp_path / "activity.nc") as ds:
        ds = ds.isel(brain=0).load()
    assert int(ds.diverged_day) == 5 and ds.sizes["step"] == 6 * 3  # epoch 1 (4 days) and epoch 2 up to day 1
    bit = 1 << list(ds.logged.attrs["flag_meanings"].split()).index("loss_latent")
    logged = (ds.logged.values & bit) > 0
    latent = ds.loss_latent.values
    assert np.isnan(latent[~logged]).all()  # not logged: NaN with the bit clear (Wake and REM steps)
    assert list(np.flatnonzero(logged & ~np.isfinite(latent))) == [5 * 3 + 1]  # diverged: bit set, value NaN
