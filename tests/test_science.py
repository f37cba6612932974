"""Science check: a short PAD night-life makes z more linearly separable than the untrained cortex's."""
import pytest
import xarray as xr

from sims.life.evaluation import evaluate
from sims.jobs.registry import compose_config
from sims.life.simulator import Simulator, run

pytestmark = pytest.mark.science  # a short training run (about 35 s on 2 cores): with the science checks

# The published networks on 2000 `shapes` images (31 days per epoch), 2 epochs, fixed seed.
SHORT_PAD = ["data=shapes", "data.train_size=2000", "data.test_size=1000", "epochs=2", "progress=false",
             "device=cpu", "seed=0"]


def test_short_pad_run_beats_the_untrained_cortex(tmp_path):
    cfg = compose_config(SHORT_PAD)
    untrained = Simulator(cfg, tmp_path / "untrained")
    before = evaluate(untrained.brain.cortex, untrained.world, cfg.eval, cfg.hippocampus, cfg.seed, 0)["readout_accuracy"]
    run(cfg, tmp_path / "run")
    with xr.open_dataset(tmp_path / "run" / "activity.nc") as ds:
        after = ds.readout_accuracy.sel(epoch=2).item()
    # Measured (seed 0, CPU): untrained 45.2 %, after epoch 1 68.0 %, after epoch 2 65.7 %. Chance is 10 %.
    assert after > before + 10, (before, after)
