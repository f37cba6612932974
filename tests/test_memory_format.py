"""`memory_format=channels_last`: the cortex's weights laid out NHWC, the same mathematics (float64 against the
contiguous brain), a layout a resumed run may change and the label ignores, and refused in a cohort in one line."""
import pytest
import torch

from records.errors import PadError
from sims.life.cohort.cohort import check_shared
from sims.life.labels import scenario_label
from sims.life.identity import may_change
from sims.life.simulator import Simulator
from tests.helpers import live, tiny_config

RTOL = 1e-9  # of each tensor's (figure's) largest value, as tests/test_cohort.py bounds float64 brains

FLOAT64 = ["dtype=float64", "data.train_size=48", "optim.batch_size=16", "eval.every=0", "keep_epoch_cortex=false",
           "progress=false"]


def convolution_weights(sim: Simulator) -> dict[str, torch.Tensor]:
    return {n: p for n, p in sim.brain.cortex.named_parameters() if p.dim() == 4}


def test_channels_last_lives_the_same_days_as_contiguous_in_float64(tmp_path):
    """Two epochs of three days and nights each; the channels_last brain's weights stay NHWC through Adam's updates
    and end within summation-order rounding of the contiguous brain's (measured: 1.4e-12 at most, weights ~0.08)."""
    brains = {}
    for layout in ("contiguous", "channels_last"):
        sim = Simulator(tiny_config(*FLOAT64, f"memory_format={layout}"), tmp_path / layout)
        live(sim, 2)
        brains[layout] = sim
    weights = convolution_weights(brains["channels_last"])
    assert weights and all(w.is_contiguous(memory_format=torch.channels_last) for w in weights.values())
    assert all(w.is_contiguous() for w in convolution_weights(brains["contiguous"]).values())
    for (name, a), b in zip(brains["contiguous"].brain.cortex.named_parameters(),
                            brains["channels_last"].brain.cortex.parameters()):  # Adam amplifies rounding: the
        assert (b - a).abs().max() <= RTOL * a.abs().max(), name  # cohort's float64 bound (tests/test_cohort.py)
    losses = [sim.recorder.state_dict()["steps"][-1].nan_to_num(0.0) for sim in brains.values()]
    assert ((losses[1] - losses[0]).abs().amax(0) <= RTOL * losses[0].abs().amax(0)).all()


def test_a_run_resumes_in_another_layout_and_keeps_its_label(tmp_path):
    base = tiny_config(*FLOAT64)
    other = tiny_config(*FLOAT64, "memory_format=channels_last")
    assert may_change("memory_format") and scenario_label(other) == scenario_label(base)
    first = Simulator(base, tmp_path)
    live(first, 1)
    resumed = Simulator(other, tmp_path)  # restores the contiguous checkpoint into NHWC weights
    assert resumed.epoch == 2 and all(w.is_contiguous(memory_format=torch.channels_last)
                                      for w in convolution_weights(resumed).values())
    for a, b in zip(first.brain.cortex.parameters(), resumed.brain.cortex.parameters()):
        assert torch.equal(a, b)


def test_a_cohort_refuses_channels_last_in_one_line():
    with pytest.raises(PadError) as error:
        check_shared([tiny_config(), tiny_config("memory_format=channels_last", "seed=1")])
    assert str(error.value) == ("memory_format=channels_last: brain 1 of the cohort asks for it, but a cohort's "
                                "stacked weights keep their own layout (lone brains only)")
