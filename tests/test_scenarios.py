"""Every scenario composes into the night and neuromodulation the paper describes, and runs."""
import math

import pytest
import torch

from neuromod import BrainState as S
from records.errors import PadError
from sims.life.simulator import Simulator
from sims.jobs.registry import compose_config
from tests.helpers import tiny_config

SCENARIOS = {  # name: (states of one day and night, recombination, replay)
    "pad": ([S.WAKE, S.NREM, S.REM], "mix", "single"),
    "no_nrem": ([S.WAKE, S.NREM, S.REM], "mix", "single"),  # the authors' N = 0: the NREM slot stays, learning nothing
    "no_rem": ([S.WAKE, S.NREM], "mix", "single"),
    "wake_only": ([S.WAKE, S.NREM], "mix", "single"),
    "no_memory_mix": ([S.WAKE, S.NREM, S.REM], "single", "single"),
    "rem_noise_only": ([S.WAKE, S.NREM, S.REM], "noise", "single"),
    "rem_memories_only": ([S.WAKE, S.NREM, S.REM], "memories", "single"),
    "rem_first": ([S.WAKE, S.REM, S.NREM], "mix", "single"),
    "nrem_mixed": ([S.WAKE, S.NREM, S.REM], "mix", "mix"),
}


def first_day(sim: Simulator):
    return sim.planner.night(0, torch.Generator()).steps


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_composes_and_runs_a_few_days(name, tmp_path):
    states, recombination, replay = SCENARIOS[name]
    cfg = tiny_config(f"scenario={name}")
    sim = Simulator(cfg, tmp_path)
    assert cfg.scenario_name == name
    assert [s.state for s in first_day(sim)] == states
    assert (cfg.hippocampus.recombination, cfg.hippocampus.replay) == (recombination, replay)
    sim.begin_epoch()
    for day in range(3):
        sim.live_day()
    rows = sim.recorder.buffer[: 3 * len(states)].view(3, len(states), -1)
    assert torch.isfinite(rows[:, 0, 0]).all()  # Wake's reconstruction loss, every day
    learns = {S.NREM: cfg.phases.nrem.weight > 0, S.REM: cfg.phases.rem.weight > 0}
    for k, state in enumerate(states[1:], start=1):
        column = 2 if state == S.NREM else 3  # loss_latent, loss_discriminator
        assert (torch.isfinite(rows[:, k, column]).all() if learns[state] else rows[:, k].isnan().all()), (name, state)


def test_no_rem_has_the_papers_fair_comparison_adjustments():
    cfg = tiny_config("scenario=no_rem")
    wake = first_day(Simulator(cfg, "unused"))[0].plasticity
    assert wake.discriminator_gate is False  # no real/fake loss in Wake
    assert cfg.phases.wake.latent_noise_std == 0.5 and cfg.phases.nrem.weight == 0.5
    assert wake.generator_sign == 1


def test_wake_only_has_the_authors_flags():
    """N = 0, R = 0, epsilon = 0.5: no discriminator teaching, latent noise in Wake, an NREM slot that learns nothing."""
    cfg = tiny_config("scenario=wake_only")
    assert first_day(Simulator(cfg, "unused"))[0].plasticity.discriminator_gate is False
    assert cfg.phases.wake.latent_noise_std == 0.5 and cfg.phases.nrem.weight == 0
    assert cfg.optim.idle_parameters.value == "momentum"  # the published semantics are the default


def test_pad_is_the_published_protocol():
    cfg = compose_config()
    assert (cfg.optim.lr, cfg.optim.beta1, cfg.optim.beta2, cfg.optim.batch_size) == (2e-4, 0.5, 0.999, 64)
    assert (cfg.phases.wake.weight, cfg.phases.nrem.weight, cfg.phases.rem.weight) == (1.0, 1.0, 1.0)
    assert cfg.phases.wake.latent_noise_std == 0 and cfg.phases.nrem.max_square == 8
    assert (cfg.hippocampus.memory_mix, cfg.hippocampus.cortex_mix) == (0.5, 0.5)
    assert cfg.epochs == 50 and cfg.data.name.value == "cifar10"
    assert math.isclose(cfg.eval.readout_lr, 0.2) and cfg.eval.readout_epochs == 20 and cfg.eval.readout_batch == 64


def test_the_same_seed_gives_the_same_data_order_in_every_scenario():
    """Common random numbers: each purpose has its own stream, so what a scenario's phases draw never shifts the data."""
    sims = {name: Simulator(tiny_config(f"scenario={name}", "data.train_size=64", "optim.batch_size=16"), "unused")
            for name in ("pad", "no_nrem")}
    for epoch in range(3):
        orders = {}
        for name, sim in sims.items():
            sim.begin_epoch()
            orders[name] = sim.order.clone()
            while not sim.epoch_done:
                sim.live_day()
            sim.epoch, sim.day_in_epoch = sim.epoch + 1, 0
        assert torch.equal(orders["pad"], orders["no_nrem"]), epoch
    other_seed = Simulator(tiny_config("seed=1", "data.train_size=64", "optim.batch_size=16"), "unused")
    other_seed.begin_epoch()
    assert not torch.equal(other_seed.order, orders["pad"])


@pytest.mark.parametrize("overrides", [["optim.batch_size=100"], ["schedule.day_steps=2"], []])
def test_rem_mixes_in_yesterday_whatever_the_day_holds(overrides, monkeypatch):
    """The store is sized from the plan (two days of episodes): REM recalls yesterday on every day but an epoch's first."""
    sim = Simulator(tiny_config("data.train_size=640", *overrides), "unused")
    assert sim.brain.hippocampus.capacity == 2 * sim.cfg.schedule.day_steps * sim.cfg.optim.batch_size
    seen = []
    real = sim.brain.hippocampus.recall_day
    monkeypatch.setattr(sim.brain.hippocampus, "recall_day", lambda day, n, g: seen.append(day) or real(day, n, g))
    sim.begin_epoch()
    for _ in range(3):
        sim.live_day()
    assert seen == [0, 0, 1, 1, 0, 2, 2, 1], seen  # per day: NREM today; REM today then yesterday (not on day 0)


def test_a_store_too_small_for_yesterday_is_refused():
    with pytest.raises(PadError, match="hippocampus.capacity=64"):
        Simulator(tiny_config("hippocampus.capacity=64", "optim.batch_size=64"), "unused")
    Simulator(tiny_config("hippocampus.capacity=64", "optim.batch_size=64", "scenario=no_memory_mix",
                          "hippocampus.replay=single"), "unused")  # no strategy needs yesterday: one day suffices


def test_scientific_overrides_are_part_of_the_logged_label(tmp_path):
    cases = {("scenario=pad",): "pad", ("scenario=pad", "hippocampus.recombination=noise"):
             "pad (hippocampus.recombination=noise)", ("scenario=rem_noise_only",): "rem_noise_only",
             ("scenario=no_rem", "seed=3", "optim.idle_parameters=frozen"): "no_rem (optim.idle_parameters=frozen)"}
    for overrides, label in cases.items():
        sim = Simulator(tiny_config(*overrides), tmp_path / "_".join(overrides))
        assert sim.recorder.dataset().condition.item() == label, overrides
