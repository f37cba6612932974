"""A cohort against the same brains run alone: a heterogeneous cohort (pad, no_nrem, a REM deprivation protocol, a drug;
two seeds each) trained together must leave every brain exactly where it would be alone.

float64 on the CPU, two epochs of a small data set: every weight, Adam state, hippocampus and logged figure agrees to
1e-9 (relative to the largest value of its tensor; Adam moments to the largest moment of their optimizer, as in the
oracle test, since the latent head's bias gradient is a cancellation whose rounding depends on summation order), on
both of the cohort's computations (brain by brain, and vmapped over the stacked weights). float32: close.
"""
import numpy as np
import pytest
import torch
import xarray as xr

from records.checkpoints import load_checkpoint
from sims.life.cohort import Cohort, run_cohort
from sims.life.simulator import run
from tests.helpers import tiny_config

DAY = "protocol.unit=day"
# days per epoch: 40 images in batches of 16 = 2 days; the protocol's block covers day 1 and 2 (epoch 1's second day
# and epoch 2's first), so the cohort holds nights of 1, 2 and 3 steps side by side
BRAINS = {
    "pad": [],
    "no_nrem": ["scenario=no_nrem"],
    "rem_deprivation": [DAY, "protocol.name=rem_dep",
                        "protocol.blocks=[{name:base,start:0,stop:1},{name:dep,start:1,stop:3,keep:{REM:0.0}},{name:rec,start:3}]"],
    "scopolamine_graded": [DAY, "protocol.name=scop", "neuromod.mode=graded", "neuromod.rem.ach=0.9",
                           "protocol.blocks=[{name:t,start:0,stop:3,cycles:2}]",
                           "protocol.drugs=[{name:scopolamine,blocks:[t],dose:0.5}]"],
}
SMALL = ["data.train_size=40", "optim.batch_size=16", "eval.every=0", "record.every_days=1", "keep_epoch_cortex=false",
         "epochs=2"]  # no evaluation, but a recording of every area's activity every day
RTOL = {"float64": 1e-9, "float32": 1e-4}  # the float32 bound holds brain by brain (loop)


def configs(dtype: str, semantics: str, extra=()):
    return {(name, seed): tiny_config(*SMALL, f"dtype={dtype}", f"optim.idle_parameters={semantics}", f"seed={seed}",
                                      *overrides, *extra)
            for name, overrides in BRAINS.items() for seed in (0, 1)}


def assert_close(a, b, rtol: float, where: str, scale=None) -> None:
    """Through dicts and lists: tensors to rtol of their largest value (or `scale`), everything else equal."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype, where
        if not a.is_floating_point():
            assert torch.equal(a, b), where
            return
        assert torch.equal(a.isnan(), b.isnan()), where
        a, b = a.nan_to_num(0.0).double(), b.nan_to_num(0.0).double()
        bound = rtol * (b.abs().max().item() if scale is None else scale) if b.numel() else 0
        assert (a - b).abs().max().item() <= bound if b.numel() else True, f"{where}: {(a - b).abs().max():.3g} > {bound:.3g}"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), (where, a.keys(), b.keys())
        if set(a) == {"state", "param_groups"}:  # an Adam state_dict: moments against the optimizer's largest
            largest = {k: max(s[k].abs().max().item() for s in b["state"].values()) for k in ("exp_avg", "exp_avg_sq")}
            for p in b["state"]:
                assert a["state"].keys() == b["state"].keys(), where
                for k, v in b["state"][p].items():
                    assert_close(a["state"][p][k], v, rtol, f"{where}.state.{p}.{k}", largest.get(k))
            assert a["param_groups"] == b["param_groups"], where
            return
        for key in a:
            assert_close(a[key], b[key], rtol, f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, rtol, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def lone_and_cohort(tmp_path, cfgs, vectorize):
    for (name, seed), cfg in cfgs.items():
        run(cfg, tmp_path / "lone" / f"{name}_{seed}")
    jobs = [(cfg, tmp_path / "cohort" / f"{name}_{seed}") for (name, seed), cfg in cfgs.items()]
    assert run_cohort(jobs, vectorize) == [None] * len(jobs)
    return [(tmp_path / "cohort" / f"{n}_{s}", tmp_path / "lone" / f"{n}_{s}") for n, s in cfgs]


def assert_same_brains(pairs, rtol):
    for got_dir, want_dir in pairs:
        got, want = (load_checkpoint(d / "checkpoints" / "last.pt") for d in (got_dir, want_dir))
        assert got.keys() == want.keys()
        where = got_dir.name
        assert_close(got["brain"], want["brain"], rtol, f"{where} brain")
        assert_close(got["recorder"]["steps"], want["recorder"]["steps"], rtol, f"{where} figures")
        for key in ("epoch", "day_in_epoch", "streams", "config", "planner"):
            assert_close(got[key], want[key], 0, f"{where} {key}")
        with xr.open_dataset(got_dir / "activity.nc") as a, xr.open_dataset(want_dir / "activity.nc") as b:
            a, b = a.drop_vars("epoch_seconds").load(), b.drop_vars("epoch_seconds").load()
            days = b["recording_day"].values  # record.every_days=1: every day lived, a cohort's as a lone brain's
            np.testing.assert_array_equal(days, np.arange(1, len(days) + 1))
            assert len(days) >= 2
            for name in b.data_vars:
                if np.issubdtype(b[name].dtype, np.floating):
                    np.testing.assert_allclose(a[name].values, b[name].values, rtol=0, equal_nan=True,
                                               atol=rtol * np.nanmax(np.abs(b[name].values), initial=0), err_msg=name)
                else:
                    np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
            assert a.attrs == b.attrs and a.coords.to_dataset().identical(b.coords.to_dataset())


@pytest.mark.parametrize("semantics", ["momentum", "frozen"])
@pytest.mark.parametrize("vectorize", ["loop", "vmap"])
def test_a_heterogeneous_cohort_in_float64_equals_its_brains_alone(vectorize, semantics, tmp_path):
    cfgs = configs("float64", semantics)
    assert_same_brains(lone_and_cohort(tmp_path, cfgs, vectorize), RTOL["float64"])


def test_a_float32_cohort_brain_by_brain_is_close_to_its_brains_alone(tmp_path):
    """Brain by brain, each brain's convolutions are the lone brain's: float32 agrees to 1e-4."""
    assert_same_brains(lone_and_cohort(tmp_path, configs("float32", "momentum"), "loop"), RTOL["float32"])


def test_a_bfloat16_autocast_cohort_brain_by_brain_is_close_to_its_brains_alone(tmp_path):
    """Under autocast=bfloat16 the cohort runs each brain's passes as the lone brain does (weights float32)."""
    cfgs = {key: cfg for key, cfg in configs("float32", "momentum", ["autocast=bfloat16"]).items() if key[1] == 0}
    assert_same_brains(lone_and_cohort(tmp_path, cfgs, "loop"), RTOL["float32"])


def test_a_float32_vmapped_cohort_is_close_to_its_brains_alone(tmp_path):
    """Grouped convolutions round differently in float32, and Adam turns rounding in near-zero gradients into steps of
    up to lr (its first steps are about lr * sign(gradient)): measured after 2 epochs, weights differ by at most 3.8
    learning-rate steps (the latent head), the last epoch's figures by at most 1% of each figure's largest value."""
    lr = 2e-4
    for got_dir, want_dir in lone_and_cohort(tmp_path, configs("float32", "momentum"), "vmap"):
        got, want = (load_checkpoint(d / "checkpoints" / "last.pt") for d in (got_dir, want_dir))
        for name, w in want["brain"]["cortex"].items():
            error = (got["brain"]["cortex"][name] - w).abs().max().item()
            assert error <= 5 * lr, f"{got_dir.name} {name}: {error / lr:.2f} learning-rate steps apart"
        a, b = got["recorder"]["steps"][-1].double(), want["recorder"]["steps"][-1].double()  # (steps, figures)
        assert torch.equal(a.isnan(), b.isnan())
        error, scale = (a - b).abs().nan_to_num(0.0).amax(0), b.abs().nan_to_num(0.0).amax(0)  # per figure
        assert (error <= 2e-2 * scale).all(), (got_dir.name, (error / scale).max())


@pytest.mark.parametrize("semantics", ["momentum", "frozen"])
def test_a_brain_without_the_step_is_left_exactly_untouched(tmp_path, semantics):
    """Day 1 of a cohort of pad and a totally deprived brain (its nights hold no sleep): during the NREM and REM steps
    the deprived brain's weights, Adam moments and step counts do not change by a bit."""
    deprived = [DAY, "protocol.name=total", "protocol.blocks=[{name:t,start:0,night_fraction:0.0}]"]
    cfgs = [tiny_config(*SMALL, f"optim.idle_parameters={semantics}", *extra) for extra in ([], deprived)]
    cohort = Cohort([(cfg, tmp_path / str(k)) for k, cfg in enumerate(cfgs)], "loop")
    stack = cohort.stack
    snapshot = lambda: [t[1].clone() for store in (stack.params, stack.exp_avg, stack.exp_avg_sq, stack.steps)
                        for t in store.values()]
    seen = []
    step = stack.step

    def watched(pathway, entries, gains):
        before = snapshot()
        step(pathway, entries, gains)
        seen.append((sorted({i for i, _, _ in entries}), all(torch.equal(a, b) for a, b in zip(before, snapshot()))))

    stack.step = watched
    for member in cohort.members:
        member.begin_epoch()
    cohort.live_day([0, 1])
    assert [brains for brains, _ in seen] == [[0, 1], [0, 1], [0], [0], [0]]  # Wake: E, G; NREM: E; REM: E, G
    assert all(untouched for brains, untouched in seen if brains == [0])
    assert not seen[0][1]  # the Wake step did move the deprived brain
