"""A brain learns: three epochs of PAD on `shapes` lift the linear read-out of z well above the untrained cortex's.

The tiny cortex of tests/helpers.py, with conv weights drawn from N(0, 0.1) instead of the published N(0, 0.02): at
0.02 these narrow areas shrink the image's signal until z is almost only the biases, and the untrained read-out
predicts one class (8.6 % on every pilot seed), so any growth of the weights would pass; at 0.1 the untrained cortex
is a fair random-feature baseline. 640 training images in batches of 16 (40 days an epoch), 500 test images, the
read-out of REFERENCE.md (SGD, lr 0.2, 20 epochs) without the occlusion curve; one intra-op thread.

Pilot (2026, this CPU, seeds 100-104, which the test does not use), read-out accuracy in %:
  seed                  100   101   102   103   104    mean
  untrained            60.0  63.8  60.0  72.0  63.0    63.8
  after 3 epochs       78.4  80.6  80.0  82.2  77.6    79.8
  gain                +18.4 +16.8 +20.0 +10.2 +14.6   +16.0   (paired: the same seed's untrained cortex)
  lr 1e-9 (no learning) -> gain +1.2 -0.4 +0.4 +0.4 -0.8: the read-out's own noise on a fixed cortex
  (phase weights W = N = R = 0 still gain +5.4..+20.0: the Wake KL and discriminator terms keep weight 1 and train E)
Margins: every seed gains more than 5 points (half the smallest gain seen, four times the largest no-learning
change) and the mean gain is more than 8 (half the pilot mean); with learning off, the gain stays under half the
margin.
"""
import numpy as np
import pytest
import torch
import xarray as xr

from sims.life.evaluation import evaluate
from sims.life.simulator import Simulator
from tests.helpers import live, tiny_config

EPOCHS = 3
SETUP = ["cortex.init_std=0.1", "optim.batch_size=16", "data.test_size=500", "eval.readout_epochs=20",
         "eval.occlusion=false", f"eval.every={EPOCHS}", f"epochs={EPOCHS}", "keep_epoch_cortex=false"]
SEEDS = (0, 1, 2)
MARGIN = 5.0  # points of accuracy, per seed
MEAN_MARGIN = 8.0


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread, as the pilot was measured."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def readout_before_and_after(tmp_path, seed: int, *overrides: str) -> tuple[float, float]:
    """(untrained cortex's read-out accuracy, the same brain's after EPOCHS epochs as the activity file records it)."""
    sim = Simulator(tiny_config(*SETUP, *overrides, f"seed={seed}"), tmp_path / f"seed{seed}")
    cfg = sim.cfg
    before = evaluate(sim.brain.cortex, sim.world, cfg.eval, cfg.hippocampus, cfg.seed, 0)["readout_accuracy"]
    live(sim, EPOCHS)
    with xr.open_dataset(sim.activity_path) as ds:
        after = float(ds.readout_accuracy.sel(epoch=EPOCHS).item())
    return before, after


def test_pad_lifts_the_readout_above_the_untrained_cortex(tmp_path):
    pairs = np.array([readout_before_and_after(tmp_path, seed) for seed in SEEDS])  # (seed, before/after)
    gains = pairs[:, 1] - pairs[:, 0]
    assert (gains > MARGIN).all() and gains.mean() > MEAN_MARGIN, f"(untrained, trained) by seed: {pairs.tolist()}"


def test_without_plasticity_the_margin_is_not_reached(tmp_path):
    """The same measurement with a learning rate of 1e-9: the check above can fail, and not by the read-out's noise."""
    before, after = readout_before_and_after(tmp_path, SEEDS[0], "optim.lr=1e-9")
    assert abs(after - before) < MARGIN / 2, (before, after)
