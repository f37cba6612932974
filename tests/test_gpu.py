"""On a CUDA device: the simulator runs there without host synchronisation in its steps, and starts as on the CPU."""
import contextlib

import pytest
import torch

from records.checkpoints import load_checkpoint
from sims.life.cohort import Cohort, run_cohort
from sims.life.simulator import Simulator, run
from tests.helpers import tiny_config
from tests.test_host_syncs import NIGHTS, SMALL

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_a_cuda_brain_starts_like_the_cpu_brain_and_lives_days_without_syncs(tmp_path):
    cpu = Simulator(tiny_config(), tmp_path / "cpu")
    gpu = Simulator(tiny_config("device=cuda"), tmp_path / "gpu")
    for name, tensor in cpu.brain.cortex.state_dict().items():
        assert torch.equal(tensor, gpu.brain.cortex.state_dict()[name].cpu()), name
    gpu.begin_epoch()
    gpu.live_day()  # warm-up: cuDNN autotuning and allocations
    torch.cuda.set_sync_debug_mode("error")  # any synchronising call in a step raises
    try:
        for day in range(1, 4):
            gpu.day_in_epoch = day
            gpu.live_day()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(gpu.recorder.buffer[:12, 0]).all()


@pytest.mark.parametrize("vectorize", ["vmap", "loop"])
def test_a_cuda_cohort_is_close_to_its_brains_alone_on_cuda(tmp_path, vectorize):
    """float32 on CUDA, 2 epochs: every weight within 5 learning-rate steps of the lone brain's (the bound
    tests/test_cohort.py measures for vmapped float32 on the CPU)."""
    small = ["device=cuda", "data.train_size=40", "optim.batch_size=16", "eval.every=0", "epochs=2"]
    cfgs = [tiny_config(*small, f"seed={seed}", *extra) for seed, extra in [(0, []), (1, ["scenario=no_nrem"])]]
    for k, cfg in enumerate(cfgs):
        run(cfg, tmp_path / f"lone{k}")
    assert run_cohort([(cfg, tmp_path / f"cohort{k}") for k, cfg in enumerate(cfgs)], vectorize) == [None, None]
    for k in range(len(cfgs)):
        got, want = (load_checkpoint(tmp_path / f"{side}{k}" / "checkpoints" / "last.pt")["brain"]["cortex"]
                     for side in ("cohort", "lone"))
        for name, w in want.items():
            assert (got[name] - w).abs().max() <= 5 * 2e-4, name


@contextlib.contextmanager
def syncs_raise():
    """Any synchronising CUDA call inside raises (what tests/test_host_syncs.py watches for on the CPU)."""
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("night", NIGHTS)
def test_every_kind_of_night_lives_on_cuda_without_syncs(night, tmp_path):
    sim = Simulator(tiny_config(*SMALL, *NIGHTS[night], "device=cuda"), tmp_path)
    assert sim.streams["night"].device.type == "cpu" and sim.streams["rem"].device.type == "cuda"
    sim.begin_epoch()
    sim.live_day()  # warm-up: cuDNN autotuning and allocations
    with syncs_raise():
        for _ in range(2):
            sim.live_day()


@pytest.mark.parametrize("vectorize", ["vmap", "loop"])
def test_a_cuda_cohort_lives_its_days_without_syncs(vectorize, tmp_path):
    jobs = [(tiny_config(*SMALL, *overrides, f"seed={k}", "device=cuda"), tmp_path / name)
            for k, (name, overrides) in enumerate(NIGHTS.items())]
    cohort = Cohort(jobs, vectorize)
    for member in cohort.members:
        member.begin_epoch()
    front = list(range(len(jobs)))
    cohort.live_day(front)  # warm-up
    with syncs_raise():
        for _ in range(2):
            cohort.live_day(front)
