"""Protocols: nights that change over time, lived exactly as planned, reproducibly, and the control's where they
change nothing."""
import numpy as np
import pytest
import torch
import xarray as xr
from omegaconf import OmegaConf

from neuromod import BrainState
from records.checkpoints import load_checkpoint
from sims.life.nights import NightPlanner
from sims.jobs.registry import compose_config
from sims.life.simulator import Simulator
from tests.helpers import live, tiny_config

SMALL = ["data.train_size=160", "optim.batch_size=16", "eval.every=0", "keep_epoch_cortex=false"]  # 10 days an epoch


def planner(*overrides: str, days_per_epoch: int = 10) -> NightPlanner:
    return NightPlanner(OmegaConf.to_object(compose_config(list(overrides))), days_per_epoch)


def nights(p: NightPlanner, days: range, seed: int = 0) -> list[list[str]]:
    gen = torch.Generator().manual_seed(seed)
    return [[s.state.value for s in p.night(d, gen).steps] for d in days]


def blocks(*specs: str) -> str:
    return f"protocol.blocks=[{','.join(specs)}]"


def test_blocks_by_day_change_only_their_nights():
    p = planner("protocol.unit=day", blocks("{name:base,start:0,stop:3}", "{name:dep,start:3,stop:5,keep:{REM:0.0}}",
                                            "{name:rec,start:5}"))
    assert nights(p, range(8)) == [["WAKE", "NREM", "REM"]] * 3 + [["WAKE", "NREM"]] * 2 + [["WAKE", "NREM", "REM"]] * 3
    assert [p.block(d).name for d in (0, 3, 4, 5, 100)] == ["base", "dep", "dep", "rec", "rec"]


def test_blocks_by_epoch():
    p = planner(blocks("{name:dep,start:2,stop:3,night_fraction:0.5}"))  # epoch 2 = days 10..19
    assert nights(p, [9, 10, 19, 20]) == [["WAKE", "NREM", "REM"], ["WAKE", "NREM"], ["WAKE", "NREM"],
                                          ["WAKE", "NREM", "REM"]]


def test_the_flower_pot_keeps_its_share_of_rem():
    p = planner("protocol.unit=day", blocks("{name:dep,start:0,keep:{REM:0.57}}"))
    kept = np.mean(["REM" in n for n in nights(p, range(4000))])
    assert abs(kept - 0.57) < 3 * np.sqrt(0.57 * 0.43 / 4000)  # binomial: within 3 standard errors


def test_restriction_cuts_the_rem_rich_end_first_and_a_fractional_dose_acts_on_average():
    cut = planner("protocol.unit=day", blocks("{name:r,start:0,night_fraction:0.5}"))
    assert nights(cut, range(3)) == [["WAKE", "NREM"]] * 3
    dose = planner("protocol.unit=day", blocks("{name:r,start:0,night_fraction:0.75}"))
    lengths = [len(n) - 1 for n in nights(dose, range(4000))]
    assert set(lengths) == {1, 2} and abs(np.mean(lengths) - 1.5) < 0.05
    longer = planner("protocol.unit=day", blocks("{name:r,start:0,night_fraction:2.0}"))
    assert nights(longer, range(1)) == [["WAKE", "NREM", "REM", "NREM", "REM"]]
    total = planner("protocol.unit=day", blocks("{name:r,start:0,night_fraction:0.0}"))
    assert nights(total, range(1)) == [["WAKE"]]


def test_arousals_break_the_night_with_wake_steps():
    p = planner("protocol.unit=day", blocks("{name:f,start:0,arousals:2}"))
    for night in nights(p, range(50)):
        assert night[0] == "WAKE" and night[1:].count("WAKE") == 2 and night.count("NREM") == night.count("REM") == 1
    steps = p.night(0, torch.Generator()).steps
    assert [s.daytime for s in steps].count(True) == 1  # only the day's own Wake step lives the epoch's order


def test_matched_arousals_come_after_an_unbroken_night_and_draw_alike():
    broken = planner("protocol.unit=day", blocks("{name:f,start:0,arousals:2}"))
    matched = planner("protocol.unit=day", blocks("{name:f,start:0,arousals:2,arousals_at:night_end}"))
    a, b = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    for day in range(50):
        night = [s.state.value for s in matched.night(day, b).steps]
        assert night == ["WAKE", "NREM", "REM", "WAKE", "WAKE"]  # the same Wake steps, sleep in one piece
        assert sorted(s.state.value for s in broken.night(day, a).steps) == sorted(night)
    assert torch.equal(a.get_state(), b.get_state())  # the night stream is left where the broken nights leave it


def test_a_drug_changes_levels_in_its_blocks_with_tolerance_and_withdrawal():
    p = planner("protocol.unit=day", blocks("{name:base,start:0,stop:2}", "{name:t,start:2,stop:6}", "{name:rec,start:6}"),
                "protocol.drugs=[{name:scopolamine,blocks:[t]}]")
    rem_ach = [[s.levels.ach for s in p.night(d, torch.Generator()).steps if s.state == BrainState.REM][0]
               for d in range(9)]
    # full dose 0.3 x ACh, fading over 3 nights of tolerance; then a withdrawal rebound of 0.5 fading over 2 nights
    expected = [1.0, 1.0, 0.3, 1 - 0.7 * 2 / 3, 1 - 0.7 / 3, 1.0, 1 + 0.35, 1 + 0.35 / 2, 1.0]
    assert rem_ach == pytest.approx(expected, abs=1e-12)


def activity(run_dir) -> xr.Dataset:
    with xr.open_dataset(run_dir / "activity.nc") as ds:
        return ds.isel(brain=0).load()


def test_a_block_that_changes_nothing_gives_exactly_the_controls_figures(tmp_path):
    control = Simulator(tiny_config(*SMALL), tmp_path / "control")
    empty = Simulator(tiny_config(*SMALL, blocks("{name:manipulation,start:1,stop:2}", "{name:recovery,start:2}")),
                      tmp_path / "empty")
    live(control, 2), live(empty, 2)
    for name, weight in control.brain.cortex.state_dict().items():
        assert torch.equal(weight, empty.brain.cortex.state_dict()[name]), name
    a, b = activity(tmp_path / "control"), activity(tmp_path / "empty")
    assert set(b.block.values) == {"manipulation", "recovery"}
    figures = ["loss_reconstruction", "loss_kl", "loss_latent", "loss_discriminator", "discriminator_output", "logged"]
    xr.testing.assert_equal(a.drop_vars(["block", "condition"])[figures], b.drop_vars(["block", "condition"])[figures])
    assert b.condition.item() == "pad (protocol.blocks changed)"  # never averaged with the control by label


def test_variable_nights_are_logged_as_lived_and_resume_exactly(tmp_path):
    overrides = [*SMALL, "protocol.unit=day", blocks("{name:base,start:0,stop:4}",
                                                     "{name:frag,start:4,stop:13,arousals:1,keep:{REM:0.5}}",
                                                     "{name:rec,start:13}")]
    whole = Simulator(tiny_config(*overrides), tmp_path / "whole")
    live(whole, 2)
    first = Simulator(tiny_config(*overrides), tmp_path / "resumed")
    live(first, 1)
    resumed = Simulator(tiny_config(*overrides), tmp_path / "resumed")  # from epoch 1's checkpoint
    assert resumed.epoch == 2
    live(resumed, 1)
    a, b = activity(tmp_path / "whole"), activity(tmp_path / "resumed")
    xr.testing.assert_identical(a.drop_vars("epoch_seconds"), b.drop_vars("epoch_seconds"))
    per_day = a.state.groupby(a.day).count().values
    assert list(per_day[:4]) == [3] * 4 and set(per_day[4:13]) <= {3, 4} and list(per_day[13:]) == [3] * 7
    arousal = (a.state == "WAKE") & (a.night >= 0)
    assert set(a.day[arousal].values) == set(range(4, 13))  # one arousal a night in the fragmentation block
    assert (a.block.where(a.day == 5, drop=True) == "frag").all()
    epoch1_night = (a.step_epoch == 1) & (a.night >= 0)
    rem_share = int(((a.state == "REM") & epoch1_night).sum()) / int(epoch1_night.sum())
    assert float(a.rem_share[0]) == pytest.approx(rem_share) and int(a.nights_broken[0]) == 6  # days 4-9
    without_rem = sum(not bool(((a.state == "REM") & (a.day == d)).any()) for d in range(10, 20))
    assert int(a.nights_shortened[1]) == without_rem and 0 < without_rem <= 3  # only days 10-12 lie in the block
    state = load_checkpoint(tmp_path / "resumed" / "checkpoints" / "last.pt")
    assert "night" in state["streams"] and "arousal" in state["streams"]


def counts(night: list[str]) -> tuple[int, int]:
    return night.count("NREM"), night.count("REM")


def test_the_homeostat_at_baseline_lives_the_papers_night():
    p = planner("homeostat.enabled=true")
    gen = torch.Generator()
    for day in range(30):
        steps = p.night(day, gen).steps
        assert [s.state.value for s in steps] == ["WAKE", "NREM", "REM"]
        assert [s.weight for s in steps] == [1.0, 1.0, 1.0]  # NREM intensity exactly 1 at the steady state


def test_after_total_deprivation_recovery_is_longer_and_nrem_heavier_first_then_rem_heavier():
    p = planner("homeostat.enabled=true", "protocol.unit=day",
                blocks("{name:base,start:0,stop:5}", "{name:tsd,start:5,stop:7,night_fraction:0.0}", "{name:rec,start:7}"))
    lived = nights(p, range(14))
    assert [counts(n) for n in lived[:5]] == [(1, 1)] * 5 and [counts(n) for n in lived[5:7]] == [(0, 0)] * 2
    first, later = counts(lived[7]), [counts(n) for n in lived[8:11]]
    assert sum(first) > 2 and first[0] > first[1]  # longer, NREM-heavier
    assert any(rem > 1 and rem > nrem for nrem, rem in later)  # REM repaid on later nights
    assert counts(lived[13]) == (1, 1)  # back to baseline


def test_after_rem_deprivation_rem_rebounds_and_the_rebound_plateaus():
    first_recovery = {}
    for deprived in (1, 3, 6):
        p = planner("homeostat.enabled=true", "protocol.unit=day",
                    blocks("{name:base,start:0,stop:3}", f"{{name:remd,start:3,stop:{3 + deprived},keep:{{REM:0.0}}}}",
                           f"{{name:rec,start:{3 + deprived}}}"))
        lived = nights(p, range(3 + deprived + 1))
        assert all(counts(n)[1] == 0 for n in lived[3 : 3 + deprived])
        first_recovery[deprived] = counts(lived[-1])[1]
    assert first_recovery[1] > 1 and first_recovery[3] == first_recovery[6] > first_recovery[1] - 1


def test_the_logged_hypnogram_shows_the_rebound(tmp_path):
    overrides = [*SMALL, "homeostat.enabled=true", "protocol.unit=day",
                 blocks("{name:base,start:0,stop:3}", "{name:remd,start:3,stop:6,keep:{REM:0.0}}", "{name:rec,start:6}")]
    sim = Simulator(tiny_config(*overrides), tmp_path)
    live(sim, 1)
    a = activity(tmp_path)
    rem_per_day = ((a.state == "REM").groupby(a.day).sum()).values
    assert list(rem_per_day[:3]) == [1, 1, 1] and list(rem_per_day[3:6]) == [0, 0, 0] and rem_per_day[6] > 1
    assert float(a.rem_debt[0]) >= 0 and 0 < float(a.sleep_pressure[0]) < 1
