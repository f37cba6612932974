"""Science checks of the deprivation experiments (CPU, fixed seeds; about 10 minutes on 2 cores: `pytest -m science`).

Nine brains on `shapes` (2560 images, batches of 32: 80 days an epoch) with a small cortex, 12 epochs: 3 controls, 3
REM-deprived from epoch 3 on (woken at every REM onset), 3 slow-wave-deprived from epoch 3 on (NREM's perturbed
dreaming removed, the slot kept). The margins asserted are those measured on this machine (2026-11-29), with room
for other CPUs' rounding:
  REM deprivation, read-out at epoch 12, deprived minus control by seed: -1.1, -8.0, -8.2 points (mean -5.8); it is
  transiently positive during the first epochs of deprivation (+5.5 at epoch 3), as REM's benefit needs time.
  Slow-wave deprivation, clean-occluded/inter distance ratio at epoch 12: +0.045, +0.042, +0.038 (the paper's
  signature of missing NREM). Its accuracy-based form, "occlusion robustness falls more than clean accuracy", came
  out +3.7 (robustness, mean over drop 0.1-0.5) against +4.5 (clean) points: in the predicted direction on average
  but not in every seed (1 of 3), so it is reported, not asserted.
"""
import numpy as np
import pytest
import torch
import xarray as xr

from sims.jobs.registry import compose_config
from sims.life.simulator import run

pytestmark = pytest.mark.science
SETUP = ["data=shapes", "data.train_size=2560", "data.test_size=1000", "cortex.channels=[3,16,32,64]",
         "cortex.latent_dim=64", "record.units_per_area=64", "optim.batch_size=32", "eval.readout_epochs=5", "eval.geometry=true", "epochs=12",
         "progress=false", "keep_epoch_cortex=false", "device=cpu"]
CONDITIONS = {
    "control": ["protocol=none"],
    "rem": ["protocol=rem_deprivation", "protocol.blocks=[{name:baseline,start:1,stop:3},"
                                        "{name:deprivation,start:3,keep:{REM:0.0}}]"],
    "nrem": ["protocol=nrem_deprivation", "protocol.blocks=[{name:baseline,start:1,stop:3},"
                                          "{name:deprivation,start:3,weights:{nrem:0.0}}]"],
}
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def brains(tmp_path_factory) -> dict[str, list[xr.Dataset]]:
    """One intra-op thread, as measured (another thread count rounds differently, and the runs drift apart)."""
    root = tmp_path_factory.mktemp("science")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _live(root)
    finally:
        torch.set_num_threads(threads)


def _live(root) -> dict[str, list[xr.Dataset]]:
    out = {}
    for name, overrides in CONDITIONS.items():
        out[name] = []
        for seed in SEEDS:
            run_dir = run(compose_config([*SETUP, *overrides, f"seed={seed}"]), root / f"{name}_{seed}")
            with xr.open_dataset(run_dir / "activity.nc") as ds:
                out[name].append(ds.isel(brain=0).load())
    return out


def paired(brains, condition: str, variable: str, epoch: int) -> np.ndarray:
    value = lambda ds: float(ds[variable].sel(epoch=epoch))
    return np.array([value(m) - value(c) for m, c in zip(brains[condition], brains["control"])])


def test_rem_deprivation_lowers_linear_separability(brains):
    effect = paired(brains, "rem", "readout_accuracy", 12)
    assert effect.mean() < -3.0 and (effect < 0).sum() >= 2, effect
    assert all(int((ds.state == "REM").where(ds.step_epoch >= 3).sum()) == 0 for ds in brains["rem"])


def test_slow_wave_deprivation_raises_the_clean_occluded_distance_ratio(brains):
    effect = paired(brains, "nrem", "occluded_inter_ratio", 12)
    assert (effect > 0.02).all(), effect
    lived = brains["nrem"][0]
    assert int((lived.state == "NREM").where(lived.step_epoch >= 3).sum()) == 10 * 80  # the slot stays in the night
