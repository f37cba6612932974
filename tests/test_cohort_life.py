"""A cohort's life beyond its steps: interrupted and resumed, brought level after a kill between two brains'
checkpoints, a brain that diverges stopping alone, and brains that cannot share a cohort refused in one line.
Each ends with every brain exactly where it would be alone (float64, the comparison of tests/test_cohort.py)."""
import os
import signal

import numpy as np
import pytest
import xarray as xr

from records.checkpoints import load_checkpoint
import sims.life.cohort.cohort
from records.errors import PadError
from sims.life.cohort import Cohort, run_cohort
from sims.life.interrupts import Interrupted
from sims.life.simulator import run
from tests.helpers import tiny_config
from tests.test_cohort import RTOL, assert_same_brains

SMALL = ["data.train_size=64", "optim.batch_size=16", "eval.every=0", "record.every_days=1", "keep_epoch_cortex=false",
         "dtype=float64"]


def brains(epochs: int, *extra: str) -> list:
    return [tiny_config(*SMALL, f"epochs={epochs}", *overrides, *extra)
            for overrides in (["seed=0"], ["seed=1", "scenario=no_rem"], ["seed=2", "scenario=no_nrem"])]


def lone(tmp_path, cfgs) -> list:
    dirs = [tmp_path / "lone" / str(k) for k in range(len(cfgs))]
    for cfg, run_dir in zip(cfgs, dirs):
        run(cfg, run_dir)
    return dirs


@pytest.mark.parametrize("epoch, day, signum", [(2, 1, signal.SIGTERM), (1, 4, signal.SIGUSR2)],  # mid-epoch, and
                         ids=["mid-epoch SIGTERM", "last day SIGUSR2"])  # on an epoch's last day (4 days an epoch)
def test_an_interrupted_cohort_resumes_every_brain_as_if_never_interrupted(tmp_path, monkeypatch, epoch, day, signum):
    cfgs = brains(2)
    jobs = [(cfg, tmp_path / "cohort" / str(k)) for k, cfg in enumerate(cfgs)]
    cohort = Cohort(jobs, "loop")
    live_day = cohort.live_day

    def interrupted(front):
        live_day(front)
        if (cohort.members[0].epoch, cohort.members[0].day_in_epoch) == (epoch, day):
            os.kill(os.getpid(), signum)  # handled at once, by sims.life.interrupts: the cohort saves at this day's end

    monkeypatch.setattr(cohort, "live_day", interrupted)
    with pytest.raises(Interrupted) as stopped:
        cohort.run()
    assert stopped.value.status == 128 + signum
    for _, run_dir in jobs:  # every brain saved at the day it reached
        state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
        assert (state["epoch"], state["day_in_epoch"]) == (epoch, day)
    assert run_cohort(jobs, "loop") == [None] * 3
    assert_same_brains(list(zip([d for _, d in jobs], lone(tmp_path, cfgs))), RTOL["float64"])


def test_brains_killed_at_different_points_are_brought_level(tmp_path):
    """A kill between two brains' checkpoints leaves them an epoch apart; the relaunch lives the laggards first."""
    cfgs = brains(3)
    jobs = [(cfg, tmp_path / "cohort" / str(k)) for k, cfg in enumerate(cfgs)]
    assert run_cohort([(tiny_config(*SMALL, "epochs=1", "seed=0"), jobs[0][1])]) == [None]
    assert run_cohort([(brains(2)[1], jobs[1][1])]) == [None]  # brain 1 two epochs on, brain 2 not begun
    assert run_cohort(jobs, "vmap") == [None] * 3
    assert_same_brains(list(zip([d for _, d in jobs], lone(tmp_path, cfgs))), RTOL["float64"])


def test_a_diverging_brain_stops_alone_with_its_diagnosis(tmp_path):
    cfgs = brains(2)
    cfgs[1] = tiny_config(*SMALL, "epochs=2", "seed=1", "cortex.init_std=1e80")  # overflows float64 at once
    jobs = [(cfg, tmp_path / "cohort" / str(k)) for k, cfg in enumerate(cfgs)]
    outcomes = run_cohort(jobs, "vmap")
    dirs = [tmp_path / "lone" / str(k) for k in range(3)]
    for k in (0, 2):
        run(cfgs[k], dirs[k])
    with pytest.raises(Exception) as alone:
        run(cfgs[1], dirs[1])
    assert outcomes[0] is None and outcomes[2] is None
    assert outcomes[1] == str(alone.value) and "diverged on day" in outcomes[1]  # the lone run's own diagnosis
    assert not (jobs[1][1] / "checkpoints" / "last.pt").exists()  # nothing good to keep, as alone
    assert_same_brains([(jobs[k][1], dirs[k]) for k in (0, 2)], RTOL["float64"])


@pytest.mark.parametrize("override, key", [("data.train_size=48", "data.train_size"), ("cortex.latent_dim=16", "cortex.latent_dim"),
                                           ("dtype=float32", "dtype"),
                                           ("cortex.channels=[3,8,16]", "cortex.channels.3"), ("optim.batch_size=8", "optim.batch_size")])
def test_brains_that_cannot_share_a_cohort_are_refused_in_one_line(tmp_path, override, key):
    jobs = [(tiny_config(*SMALL, "epochs=1"), tmp_path / "a"), (tiny_config(*SMALL, "epochs=1", override), tmp_path / "b")]
    with pytest.raises(PadError, match=rf"^{key}[.\w]*=.*brain 1 of the cohort differs from brain 0") as e:
        Cohort(jobs)
    assert "\n" not in str(e.value) and not (tmp_path / "a").exists()


@pytest.mark.parametrize("vectorize", ["loop", "vmap"])
def test_a_cohort_measured_in_batch_gives_each_brain_its_lone_figures(tmp_path, monkeypatch, vectorize):
    """Epoch-end read-outs, occlusion curves, distance ratios and dreams of the cohort are measured together
    (analysis.measure.measure_cohort: one batched read-out for all brains whose options agree; the third brain's
    read-out is longer, so it is measured apart; the second dreams its REM dreams from noise, so it dreams, and its
    areas' activity is recorded, apart).
    Trained brain by brain (the lone arithmetic), then measured brain by brain (loop), every figure is the lone
    brain's to the bit; measured with vmapped encodings and dreams, they round otherwise: measured here, read-outs and
    curves identical, ratios within 1.2e-7; asserted: within one test image and 1e-5."""
    measure = sims.life.cohort.cohort.evaluate_cohort
    monkeypatch.setattr(sims.life.cohort.cohort, "evaluate_cohort", lambda *a: measure(*a[:-1], vectorize == "vmap"))
    record = sims.life.cohort.cohort.record_cohort
    monkeypatch.setattr(sims.life.cohort.cohort, "record_cohort", lambda *a: record(*a[:-1], vectorize == "vmap"))
    cfgs = [tiny_config("epochs=2", f"seed={seed}", "eval.geometry=true", *extra)
            for seed, extra in [(0, []), (1, ["scenario=no_rem", "hippocampus.recombination=noise"]),
                                (2, ["eval.readout_epochs=3"])]]
    jobs = [(cfg, tmp_path / "cohort" / str(k)) for k, cfg in enumerate(cfgs)]
    assert run_cohort(jobs, "loop") == [None] * 3
    exact = vectorize == "loop"
    for (cfg, run_dir), alone in zip(jobs, lone(tmp_path, cfgs)):
        with xr.open_dataset(run_dir / "activity.nc") as a, xr.open_dataset(alone / "activity.nc") as b:
            assert a.sizes["epoch"] == b.sizes["epoch"] == 2
            image = 0 if exact else 100 / cfg.data.test_size + 1e-4
            for name in ("readout_accuracy", "readout_accuracy_exact", "occlusion_accuracy"):
                np.testing.assert_allclose(a[name].values, b[name].values, rtol=0, atol=image, err_msg=name)
            for name in ("intra_inter_ratio", "occluded_inter_ratio", "dream_nrem", "dream_rem", "activity"):
                np.testing.assert_allclose(a[name].values, b[name].values, rtol=0 if exact else 1e-5,
                                           atol=0 if exact else 1e-6, err_msg=name)
