"""The two-process homeostat: closed forms against a numerical ODE solver and hand values, the baseline night, and the
qualitative facts of deprivation and rebound (../shared/DEPRIVATION.md)."""
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from records.errors import PadError
from sims.life.homeostat import Homeostat, HomeostatConfig, NightPlan, circadian, s_after_sleep, s_after_wake

CFG = HomeostatConfig()


def live(h: Homeostat, how=None) -> NightPlan:
    """One day: the day's Wake steps, the plan, the night lived as `how(plan) -> (nrem, rem, wake)` (default: as planned)."""
    h.wake()
    plan = h.plan_night()
    h.slept(*(how(plan) if how else (plan.nrem_steps, plan.rem_steps, 0)))
    return plan


def total_deprivation(plan):
    return 0, 0, 2  # the baseline night's 8 h spent awake


def rem_deprivation(plan):
    return plan.nrem_steps, 0, plan.rem_steps  # woken at every REM onset: REM steps spent awake


@pytest.mark.parametrize("s0, hours", [(0.0, 16.0), (0.3, 5.0), (0.9, 40.0), (1.2, 3.0)])
def test_wake_matches_ode_and_hand_values(s0, hours):
    ode = solve_ivp(lambda t, s: (CFG.mu - s) / CFG.chi_w, (0, hours), [s0], rtol=1e-11, atol=1e-13)
    assert s_after_wake(s0, hours, CFG) == pytest.approx(ode.y[0, -1], abs=1e-6)
    h = Homeostat()
    h.s = s0
    h.wake(hours)
    assert h.s == pytest.approx(ode.y[0, -1], abs=1e-6)
    assert s_after_wake(0.0, 18.2, CFG) == pytest.approx(1 - math.exp(-1))  # one time constant: 63.2% of the way to mu


@pytest.mark.parametrize("s0, steps", [(0.62, 1), (0.62, 2), (0.99, 3)])
def test_sleep_matches_ode(s0, steps):
    hours = steps * CFG.sleep_hours_per_step
    ode = solve_ivp(lambda t, s: -s / CFG.chi_s, (0, hours), [s0], rtol=1e-11, atol=1e-13)
    assert s_after_sleep(s0, hours, CFG) == pytest.approx(ode.y[0, -1], abs=1e-6)
    h = Homeostat()
    h.s, clock = s0, h.clock_hours
    h.slept(steps, 0, rem_owed=0)
    assert h.s == pytest.approx(ode.y[0, -1], abs=1e-6)
    assert h.clock_hours == clock + hours
    assert s_after_sleep(1.0, 4.2, CFG) == pytest.approx(math.exp(-1))


def test_circadian_period_hand_values_and_amplitude():
    t = np.linspace(0, 48, 4801)
    assert np.allclose(circadian(t + 24.0), circadian(t), atol=1e-12)  # period 24 h
    assert circadian(CFG.circadian_phase) == pytest.approx(0.0, abs=1e-12)  # every harmonic is 0 at t0
    assert circadian(CFG.circadian_phase + 6.0) == pytest.approx(0.97 - 0.07 + 0.001)  # sin(pi/2), sin(pi), sin(3pi/2), ...
    c = circadian(t)
    assert c.max() == pytest.approx(-c.min(), abs=1e-6) and 1.0 < c.max() < 1.01  # skewed, but swings ~ +-1
    for a in (0.12, 0.3):  # the thresholds swing by +- a (times C's peak)
        swing = a * circadian(t, replace(CFG, circadian_amplitude=a))
        assert swing.max() == pytest.approx(a * c.max())
    shifted = replace(CFG, circadian_phase=CFG.circadian_phase + 3.0)
    assert np.allclose(circadian(t + 3.0, shifted), c)


def test_baseline_steady_state_is_the_papers_night():
    h = Homeostat()
    ew, es = math.exp(-16 / 18.2), math.exp(-8 / 4.2)
    assert h.baseline_onset == pytest.approx((1 - ew) / (1 - ew * es), rel=1e-12)  # = 0.62338, Borbely's 16 h / 8 h day
    s = 0.0  # an independent route: iterate the days by the ODE solver from S = 0
    for _ in range(12):
        s = solve_ivp(lambda t, y: (1 - y) / 18.2, (0, 16), [s], rtol=1e-11, atol=1e-13).y[0, -1]
        onset = s
        s = solve_ivp(lambda t, y: -y / 4.2, (0, 8), [s], rtol=1e-11, atol=1e-13).y[0, -1]
    assert h.baseline_onset == pytest.approx(onset, abs=1e-6)
    assert not h.sleep_gate_open()  # 07:00, S low
    h.wake()
    assert h.clock_hours == 23.0 and h.sleep_gate_open()  # the model's own bedtime: S reaches H+ + aC at ~23:00
    h.slept(1, 1)
    for day in range(1, 10):
        plan = live(h)
        assert (plan.nrem_steps, plan.rem_steps, plan.rem_owed) == (1, 1, 1)
        assert plan.nrem_intensity == pytest.approx(1.0, abs=1e-12)
        assert h.rem_debt == 0.0 and h.clock_hours == pytest.approx(7.0 + 24.0 * (day + 1))


def test_night_ends_where_s_meets_the_lower_threshold():
    h = Homeostat()
    h.wake()
    plan = h.plan_night()
    gap = lambda t: plan.s_onset * math.exp(-t / 4.2) - (0.17 + 0.12 * circadian(23.0 + t))
    assert plan.sleep_hours == pytest.approx(brentq(gap, 4.0, 12.0), abs=1 / 60)  # ~8.0 h: 23:00 -> 07:00


def test_other_mappings_keep_their_baseline():
    cfg = replace(CFG, rem_ratio=0.25, sleep_hours_per_step=1.6)  # humans: REM ~1/4 of NREM, 5 steps of 1.6 h
    h = Homeostat(cfg)
    for _ in range(5):
        plan = live(h)
        assert (plan.nrem_steps, plan.rem_steps) == (4, 1) and plan.nrem_intensity == pytest.approx(1.0)


@pytest.mark.parametrize("nights", [1, 3])
def test_total_deprivation_rebounds_nrem_first_then_rem(nights):
    h = Homeostat()
    live(h)
    for _ in range(nights):
        live(h, total_deprivation)
    assert h.rem_debt == nights  # each night owed its REM step
    first = live(h)
    assert first.steps > 2 and first.nrem_steps > first.rem_steps  # longer and NREM-heavier
    assert first.nrem_intensity > 1.4  # S near its wake asymptote: slow waves ~1.4-1.6x baseline
    later = [live(h) for _ in range(6)]
    assert max(p.rem_steps for p in later[:2]) > 1  # REM repaid on recovery nights 2-3
    assert later[0].rem_steps > later[0].nrem_steps
    assert h.rem_debt == 0 and (later[-1].nrem_steps, later[-1].rem_steps) == (1, 1)  # back to baseline
    assert later[-1].nrem_intensity == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("how", [rem_deprivation, lambda plan: (plan.nrem_steps, 0, 0)])  # REM woken away, or cut
def test_rem_deprivation_builds_debt_and_rem_rebounds_to_a_plateau(how):
    rebounds = {}
    for nights in (1, 3, 6):
        h = Homeostat()
        live(h)
        for k in range(nights):
            plan = live(h, how)
            assert plan.nrem_intensity < CFG.nrem_rebound_intensity
        assert h.rem_debt == nights  # grows by owed (1) minus got (0) every night
        rebounds[nights] = live(h).rem_steps
    assert rebounds[1] == 2  # rebound after one night already: 1 owed + round(0.7 * 1)
    assert rebounds[3] == rebounds[6] == 1 + CFG.debt_cap  # plateau: 3 and 6 nights give the same rebound


def test_debt_never_negative_and_owed_defaults_to_the_plan():
    h = Homeostat()
    h.wake()
    h.plan_night()
    h.slept(1, 3)  # more REM than owed
    assert h.rem_debt == 0.0
    h.slept(1, 0, rem_owed=2.5)
    assert h.rem_debt == 2.5


def test_night_never_exceeds_max_steps():
    cfg = replace(CFG, debt_cap=50, debt_repayment=1.0, max_night_steps=3)
    h = Homeostat(cfg)
    for _ in range(5):
        assert live(h, rem_deprivation).steps <= 3
    assert live(h).steps == 3
    for _ in range(4):
        live(h, total_deprivation)
    assert live(h).steps <= 3


def test_state_dict_round_trip_replays_the_same_nights():
    a = Homeostat()
    for how in (None, total_deprivation, total_deprivation, rem_deprivation):
        live(a, how)
    state = a.state_dict()
    assert all(type(v) is float for v in state.values())
    b = Homeostat()
    b.load_state_dict(dict(state))
    assert [live(a) for _ in range(5)] == [live(b) for _ in range(5)]


def test_structured_config_and_validation():
    from omegaconf import OmegaConf

    cfg = OmegaConf.structured(HomeostatConfig)
    assert cfg.enabled is False and Homeostat(cfg).baseline_steps == 2  # works on the composed (DictConfig) form too
    for bad in (dict(chi_s=0.0), dict(lower=0.8), dict(debt_repayment=1.5), dict(max_night_steps=1)):
        key = next(iter(bad))
        with pytest.raises(PadError, match=rf"^homeostat\.{key}="):
            Homeostat(replace(CFG, **bad))
