"""Slow: one full CIFAR-10 epoch of the published protocol on CPU, with its evaluation (run with -m slow)."""
import pytest
import xarray as xr

from sims.jobs.registry import compose_config
from sims.life.simulator import run
from world.sources import candidate_roots

pytestmark = pytest.mark.slow


def test_one_cifar10_epoch_learns_separable_latents(tmp_path):
    cfg = compose_config(["epochs=1", "device=cpu", "progress=false"])
    if not any((r / "cifar10" / "train.npz").exists() for r in candidate_roots(cfg.data)):
        pytest.skip("no local CIFAR-10 copy")
    run(cfg, tmp_path)
    with xr.open_dataset(tmp_path / "activity.nc") as ds:
        assert ds.sizes["step"] == 781 * 3
        # the paper's untrained-network baseline is about 29 %; chance is 10 %
        assert ds.readout_accuracy.item() > 29
