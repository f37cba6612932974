"""Every scenario composes into the night and neuromodulation the paper describes, and runs."""
import math

import pytest
import torch

from neuromod import BrainState as S
from sims.simulator import Simulator
from sims.registry import compose_config
from tests.helpers import tiny_config

SCENARIOS = {  # name: (states of one day and night, recombination, replay)
    "pad": ([S.WAKE, S.NREM, S.REM], "mix", "single"),
    "no_nrem": ([S.WAKE, S.REM], "mix", "single"),
    "no_rem": ([S.WAKE, S.NREM], "mix", "single"),
    "wake_only": ([S.WAKE], "mix", "single"),
    "no_memory_mix": ([S.WAKE, S.NREM, S.REM], "single", "single"),
    "rem_noise_only": ([S.WAKE, S.NREM, S.REM], "noise", "single"),
    "rem_memories_only": ([S.WAKE, S.NREM, S.REM], "memories", "single"),
    "rem_first": ([S.WAKE, S.REM, S.NREM], "mix", "single"),
    "nrem_mixed": ([S.WAKE, S.NREM, S.REM], "mix", "mix"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_composes_and_runs_a_few_days(name, tmp_path):
    states, recombination, replay = SCENARIOS[name]
    cfg = tiny_config(f"scenario={name}")
    sim = Simulator(cfg, tmp_path)
    assert cfg.scenario_name == name
    assert sim.plan.states == states
    assert (cfg.hippocampus.recombination, cfg.hippocampus.replay) == (recombination, replay)
    sim.order = sim.world.shuffle(sim.generator)
    sim.recorder.begin_epoch()
    for day in range(3):
        sim.day_in_epoch = day
        sim.live_day()
    rows = sim.recorder.buffer[: 3 * len(states)].view(3, len(states), -1)
    assert torch.isfinite(rows[:, 0, 0]).all()  # Wake's reconstruction loss, every day
    for k, state in enumerate(states[1:], start=1):
        column = 2 if state == S.NREM else 3  # loss_latent, loss_discriminator
        assert torch.isfinite(rows[:, k, column]).all(), (name, state)


def test_no_rem_has_the_papers_fair_comparison_adjustments():
    cfg = tiny_config("scenario=no_rem")
    wake = Simulator(cfg, "unused").plan.steps[0].plasticity
    assert wake.discriminator_gate is False  # no real/fake loss in Wake
    assert cfg.phases.wake.latent_noise_std == 0.5 and cfg.phases.nrem.weight == 0.5
    assert wake.generator_sign == 1


def test_wake_only_has_no_discriminator_teaching():
    assert Simulator(tiny_config("scenario=wake_only"), "unused").plan.steps[0].plasticity.discriminator_gate is False


def test_pad_is_the_published_protocol():
    cfg = compose_config()
    assert (cfg.optim.lr, cfg.optim.beta1, cfg.optim.beta2, cfg.optim.batch_size) == (2e-4, 0.5, 0.999, 64)
    assert (cfg.phases.wake.weight, cfg.phases.nrem.weight, cfg.phases.rem.weight) == (1.0, 1.0, 1.0)
    assert cfg.phases.wake.latent_noise_std == 0 and cfg.phases.nrem.max_square == 8
    assert (cfg.hippocampus.memory_mix, cfg.hippocampus.cortex_mix) == (0.5, 0.5)
    assert cfg.epochs == 50 and cfg.data.name.value == "cifar10"
    assert math.isclose(cfg.eval.readout_lr, 0.2) and cfg.eval.readout_epochs == 20 and cfg.eval.readout_batch == 64
