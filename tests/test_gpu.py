"""On a CUDA device: the simulator runs there without host synchronisation in its steps, and starts as on the CPU."""
import pytest
import torch

from sims.simulator import Simulator
from tests.helpers import tiny_config

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_a_cuda_brain_starts_like_the_cpu_brain_and_lives_days_without_syncs(tmp_path):
    cpu = Simulator(tiny_config(), tmp_path / "cpu")
    gpu = Simulator(tiny_config("device=cuda"), tmp_path / "gpu")
    for name, tensor in cpu.brain.cortex.state_dict().items():
        assert torch.equal(tensor, gpu.brain.cortex.state_dict()[name].cpu()), name
    gpu.order = gpu.world.shuffle(gpu.generator)
    gpu.recorder.begin_epoch()
    gpu.live_day()  # warm-up: cuDNN autotuning and allocations
    torch.cuda.set_sync_debug_mode("error")  # any synchronising call in a step raises
    try:
        for day in range(1, 4):
            gpu.day_in_epoch = day
            gpu.live_day()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(gpu.recorder.buffer[:12, 0]).all()
