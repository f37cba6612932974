"""Sleep pressure for simulated nights: Borbely's two-process model (Borbely 1982; Daan, Beersma & Borbely 1984).

Process S rises in wake, dS/dt = (mu - S)/chi_w, and falls in sleep, dS/dt = -S/chi_s (closed forms below); Process C is
a skewed 24 h sine that raises and lowers the thresholds H+ + aC and H- + aC. PAD's schedule starts each night (after
`day_steps` Wake steps), so the model decides only how each night is lived: its length (sleep ends when S falls to
H- + aC), its NREM intensity (S at sleep onset over the baseline's) and its REM, with unpaid REM kept as debt. Pure NumPy,
explicit state (`state_dict`), no randomness: a resumed run plans the same nights.

Mapping from steps to hours: a sleep step (NREM, REM, or a Wake step inside the night) is sleep_hours_per_step hours; a day's
Wake steps stand for the hours from the end of the night to the next bedtime (wake_onset_hour + wake_hours, every 24 h),
which is wake_hours on a baseline day. Bedtime is fixed, as a lab's lights-off: C stays entrained to 24 h and a long
recovery night shortens the next day, as in the protocols of ../shared/DEPRIVATION.md (with wake_hours every day instead,
nights longer than baseline push bedtime round the clock and the following nights fall at odd circadian phases).
"""
import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from records.errors import PadError
from records.schema import check, setting

HARMONICS = (0.97, 0.22, 0.07, 0.03, 0.001)  # Daan et al. 1984: weights of C's harmonics k = 1..5
GRID_HOURS = 1.0 / 60.0  # the night's end is found on a one-minute grid (C has no closed-form crossing)


@dataclass
class HomeostatConfig:
    """A Hydra structured config. Defaults: the standard two-process parameters, and a mapping from steps to hours under
    which the baseline day (16 h awake, then 2 sleep steps of 4 h) is the model's steady state, so that turning the
    homeostat on lives the paper's night: 1 NREM step (intensity 1) and 1 REM step."""

    enabled: bool = False
    wake_hours: float = setting(16.0, above=0, below=24)  # hours a baseline day's Wake steps stand for; bedtime = wake_onset_hour + wake_hours
    sleep_hours_per_step: float = setting(4.0, above=0, high=24)  # hours one sleep (or night-time wake) step stands for
    wake_onset_hour: float = setting(7.0, low=0, below=24)  # clock time the first day starts (C's phase t0 is clock time, so days need an anchor)
    chi_w: float = setting(18.2, above=0, high=1000, why="hours (1000: S would not move in a night)")  # hours: time constant of S in wake
    chi_s: float = setting(4.2, above=0, high=1000, why="hours (1000: S would not move in a night)")  # hours: time constant of S in sleep
    mu: float = setting(1.0, above=0)  # asymptote of S in wake
    upper: float = setting(0.67, low=0)  # H+: sleep gate (reported by sleep_gate_open; PAD's schedule, not S, starts the night)
    lower: float = setting(0.17, low=0)  # H-: sleep ends when S falls to H- + aC(t)
    circadian_amplitude: float = setting(0.12, low=0)  # a
    circadian_phase: float = setting(8.6, low=0, below=24)  # t0, hours
    rem_ratio: float = setting(1.0, low=0)  # REM steps owed per NREM step (the paper's night: 1 NREM, 1 REM)
    debt_repayment: float = setting(0.7, low=0, high=1)  # fraction of the REM debt a night repays (0.5-0.9 in the literature)
    debt_cap: int = setting(2, low=0)  # most extra REM steps a night adds to repay debt
    max_night_steps: int = setting(8, low=1)  # a night is never longer than this (the recorder sizes its buffer with it)
    # Intensity above which a night discharges S first: extra NREM steps, REM repayment deferred. 1.35 lies between the
    # pressure after nights halved (1.23: restriction or REM deprivation, whose REM debt is repaid at once [Dement 1960])
    # and after one night without sleep (1.44: night 1 of recovery is slow-wave heavy, REM rebounds on nights 2-3).
    nrem_rebound_intensity: float = setting(1.35, above=0)


def _round(x: float) -> int:
    """Half up (Python's round is half-to-even, which would make 2.5 and 3.5 steps round in different directions)."""
    return int(math.floor(x + 0.5))


def circadian(t_hours, cfg: HomeostatConfig = HomeostatConfig()):
    """C(t) = sum_k w_k sin(2 pi k (t - t0) / 24): period 24 h, peak ~ +1 at ~12:35 and trough ~ -1 at ~04:35 for t0 = 8.6."""
    t = np.asarray(t_hours, dtype=float)
    c = sum(w * np.sin(2 * np.pi * k * (t - cfg.circadian_phase) / 24.0) for k, w in enumerate(HARMONICS, 1))
    return float(c) if c.ndim == 0 else c


def s_after_wake(s0: float, hours: float, cfg: HomeostatConfig) -> float:
    """Exact solution of dS/dt = (mu - S)/chi_w."""
    return cfg.mu + (s0 - cfg.mu) * math.exp(-hours / cfg.chi_w)


def s_after_sleep(s0: float, hours: float, cfg: HomeostatConfig) -> float:
    """Exact solution of dS/dt = -S/chi_s."""
    return s0 * math.exp(-hours / cfg.chi_s)


@dataclass(frozen=True)
class NightPlan:
    nrem_steps: int
    rem_steps: int  # the REM owed plus the repayment steps
    nrem_intensity: float  # S at sleep onset over its baseline steady-state value at sleep onset (1.0 at baseline)
    s_onset: float
    rem_debt: float  # the debt as it stands when the night is planned (the lived night changes it, in slept())
    rem_owed: int = 0  # this night's own REM quota: what slept() counts as owed by default
    sleep_hours: float = 0.0  # how long S says sleep should last (before rounding to steps)

    @property
    def steps(self) -> int:
        return self.nrem_steps + self.rem_steps


class Homeostat:
    """State: S, the clock (hours since midnight of day 0), the REM debt (steps), and the baseline S at sleep onset.

    A day is `wake()` (the day's Wake steps), `plan_night()`, the simulator lives the night (possibly deprived), then
    `slept(...)` with what was actually lived. Starts at the baseline steady state, at wake-up."""

    def __init__(self, cfg: HomeostatConfig = HomeostatConfig()):
        if dataclasses.is_dataclass(cfg):  # a composed configuration was checked by sims.life.validation already
            check(cfg, "homeostat.")
        if not cfg.lower < cfg.upper:
            raise PadError(f"homeostat.lower={cfg.lower}: must be < homeostat.upper ({cfg.upper})")
        self.cfg = cfg
        # Baseline day: wake_hours awake, then the rest of 24 h asleep, in whole steps (2 x 4 h by default).
        self.baseline_steps = max(1, _round((24.0 - cfg.wake_hours) / cfg.sleep_hours_per_step))
        if self.baseline_steps > cfg.max_night_steps:
            raise PadError(f"homeostat.max_night_steps={cfg.max_night_steps}: must hold the baseline night "
                           f"({self.baseline_steps} steps of the {24 - cfg.wake_hours:g} h after wake_hours)")
        ew = math.exp(-cfg.wake_hours / cfg.chi_w)
        es = math.exp(-self.baseline_steps * cfg.sleep_hours_per_step / cfg.chi_s)
        # Fixed point of S_on = mu + (S_on * es - mu) * ew: S at sleep onset on every baseline day.
        self.baseline_onset = cfg.mu * (1.0 - ew) / (1.0 - ew * es)
        self.s = self.baseline_onset * es
        self.clock_hours = cfg.wake_onset_hour
        self.rem_debt = 0.0
        self.last_rem_owed = float(self._split(self.baseline_steps)[1])

    def _split(self, steps: int) -> tuple[int, int]:
        """(NREM, REM) of a night of `steps`: REM its share rem_ratio/(1+rem_ratio) rounded down, NREM the rest, so that a
        1-step night is NREM (NREM pressure comes first) and the default 2-step night is the paper's 1 + 1."""
        rem = int(math.floor(steps * self.cfg.rem_ratio / (1.0 + self.cfg.rem_ratio) + 1e-9))
        return steps - rem, rem

    def hours_to_bedtime(self) -> float:
        """Hours from now to the next bedtime (0 if it is bedtime now): what a day's Wake steps stand for."""
        return (self.cfg.wake_onset_hour + self.cfg.wake_hours - self.clock_hours) % 24.0

    def wake(self, hours: float | None = None) -> None:
        """Hours awake (default: the day's Wake steps, hours_to_bedtime()): S rises, the clock advances."""
        hours = self.hours_to_bedtime() if hours is None else hours
        self.s = s_after_wake(self.s, hours, self.cfg)
        self.clock_hours += hours

    def sleep_gate_open(self) -> bool:
        """S at or above H+ + aC now: the model's subject would fall asleep (for the record; the schedule starts nights)."""
        return self.s >= self.cfg.upper + self.cfg.circadian_amplitude * circadian(self.clock_hours, self.cfg)

    def plan_night(self) -> NightPlan:
        """The night S asks for, starting now. Choices, in order:
        - length: sleep lasts until S(t) = S_on exp(-t/chi_s) first falls to H- + aC(clock + t), found on a one-minute grid
          up to max_night_steps steps; steps = that time / sleep_hours_per_step rounded half up, at least 1, at most
          max_night_steps. With 4 h steps, C's morning rise makes length alone barely respond to deprivation (S near 1
          sleeps ~8.7 h against 8.0 h at baseline: loss is repaid in intensity more than in duration), so the first
          recovery night's extra length comes from the NREM rebound below.
        - REM owed: the baseline REM share of the steps S asked for (_split), recorded as rem_owed; NREM gets the rest.
        - NREM rebound: when the intensity exceeds nrem_rebound_intensity, NREM steps = the NREM share times the
          intensity, rounded, and at least one more (a night at 1.5x baseline pressure owes the slow-wave work of 1.5
          baseline NREM steps), and REM repayment waits for a later night (slow waves first, REM rebound on recovery
          nights 2-3 after total deprivation). Below it, NREM keeps its share.
        - repayment: min(debt_cap, round(debt_repayment * rem_debt)) extra REM steps, cut to fit max_night_steps; the
          debt itself only changes in slept(), from what the night really held.
        - intensity: s_onset / baseline_onset (the simulator may scale NREM learning by it)."""
        cfg, s_on = self.cfg, self.s
        t = np.arange(0.0, cfg.max_night_steps * cfg.sleep_hours_per_step + GRID_HOURS / 2, GRID_HOURS)
        below = s_on * np.exp(-t / cfg.chi_s) <= cfg.lower + cfg.circadian_amplitude * circadian(self.clock_hours + t, cfg)
        hours = float(t[np.argmax(below)]) if below.any() else float(t[-1])
        steps = min(max(1, _round(hours / cfg.sleep_hours_per_step)), cfg.max_night_steps)
        nrem0, rem_owed = self._split(steps)
        intensity = s_on / self.baseline_onset
        rebound = intensity > cfg.nrem_rebound_intensity
        nrem = max(nrem0 + 1, _round(nrem0 * intensity)) if rebound else nrem0
        nrem = max(nrem0, min(nrem, cfg.max_night_steps - rem_owed))
        room = cfg.max_night_steps - nrem - rem_owed
        repay = 0 if rebound else min(cfg.debt_cap, _round(cfg.debt_repayment * self.rem_debt), room)
        self.last_rem_owed = float(rem_owed)
        return NightPlan(nrem, rem_owed + repay, intensity, s_on, self.rem_debt, rem_owed, hours)

    def slept(self, nrem_steps: int, rem_steps: int, wake_steps: int = 0, rem_owed: float | None = None) -> None:
        """The night as lived: S falls over the steps slept, then rises over the night's steps kept awake (arousals,
        total deprivation: slept(0, 0, wake_steps=n)); the clock advances by all of them. The debt grows by owed minus
        got, never below 0; owed defaults to the last plan's rem_owed (the baseline share if none was planned)."""
        if min(nrem_steps, rem_steps, wake_steps) < 0:
            raise ValueError("homeostat: step counts must be >= 0")
        h = self.cfg.sleep_hours_per_step
        self.s = s_after_wake(s_after_sleep(self.s, (nrem_steps + rem_steps) * h, self.cfg), wake_steps * h, self.cfg)
        self.clock_hours += (nrem_steps + rem_steps + wake_steps) * h
        owed = self.last_rem_owed if rem_owed is None else rem_owed
        self.rem_debt = max(0.0, self.rem_debt + owed - rem_steps)

    def state_dict(self) -> dict:
        return {"s": float(self.s), "clock_hours": float(self.clock_hours), "rem_debt": float(self.rem_debt),
                "baseline_onset": float(self.baseline_onset), "last_rem_owed": float(self.last_rem_owed)}

    def load_state_dict(self, state: dict) -> None:
        for key in ("s", "clock_hours", "rem_debt", "baseline_onset", "last_rem_owed"):
            setattr(self, key, float(state[key]))

