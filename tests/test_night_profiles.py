"""Night profiles (sims/life/night_profiles.py) against their figures, measured by YASA on 300 generated nights each:
sleep-onset latency and WASO within 10%, total sleep time within 3%, stage shares within 1 point of total sleep
time, the share of sleep-onset REM periods within 0.07; and the architecture: N3 early, REM late, REM periods
lengthening."""
import numpy as np
import pandas as pd
import pytest
import yasa

from sims.life.night_profiles import PROFILES, generate

NIGHTS = 300
FIVE = {"W": "WAKE", "N1": "N1", "N2": "N2", "N3": "N3", "R": "REM"}


@pytest.fixture(scope="module")
def measured() -> dict[str, tuple[pd.DataFrame, list]]:
    out = {}
    for name in PROFILES:
        nights = generate(name, NIGHTS, seed=0)
        stats = pd.DataFrame([yasa.Hypnogram([FIVE[s] for s in n], n_stages=5).sleep_statistics() for n in nights])
        stats["REML"] = stats.Lat_REM - stats.SOL  # AASM: from sleep onset
        out[name] = (stats, nights)
    return out


@pytest.mark.parametrize("name", PROFILES)
def test_yasas_statistics_of_a_profiles_nights_match_its_figures(name, measured):
    p, (stats, _) = PROFILES[name], measured[name]
    assert stats.TIB.mean() == pytest.approx(p.time_in_bed)
    assert stats.SOL.mean() == pytest.approx(p.latency, rel=0.10)
    assert stats.WASO.mean() == pytest.approx(p.waso, rel=0.10)
    assert stats.TST.mean() == pytest.approx(p.time_in_bed - p.latency - p.waso, rel=0.03)
    for stage, share in (("%N1", p.n1), ("%N3", p.n3), ("%REM", p.rem)):
        assert stats[stage].mean() == pytest.approx(100 * share, abs=1.0), stage
    assert (stats.REML <= 15).mean() == pytest.approx(p.soremp, abs=0.07)
    ordinary = stats.REML[stats.REML > 15]  # REM latency of the nights without a sleep-onset REM period
    assert ordinary.median() == pytest.approx(p.rem_latency, rel=0.25)


def thirds(night: tuple[str, ...], stage: str) -> list[float]:
    """Minutes of `stage` in each third of the sleep period."""
    asleep = [i for i, s in enumerate(night) if s != "W"]
    period = np.array(night[asleep[0]:asleep[-1] + 1])
    return [float((part == stage).sum()) / 2 for part in np.array_split(period, 3)]


def rem_periods(night: tuple[str, ...]) -> list[int]:
    """Epochs of each REM period (REM runs merged across interruptions of under 15 min, as usual in cycle scoring)."""
    runs, gap = [], 99
    for stage in night:
        if stage == "R":
            if gap >= 30 or not runs:
                runs.append(0)
            runs[-1] += 1
            gap = 0
        else:
            gap += 1
    return runs


@pytest.mark.parametrize("name", PROFILES)
def test_n3_comes_early_and_rem_late(name, measured):
    _, nights = measured[name]
    n3 = np.mean([thirds(n, "N3") for n in nights], axis=0)
    rem = np.mean([thirds(n, "R") for n in nights], axis=0)
    assert n3[0] > n3[1] > n3[2] and rem[2] > rem[0], (n3, rem)


def test_healthy_rem_periods_lengthen_towards_morning(measured):
    periods = [rem_periods(n) for n in measured["healthy_young"][1]]
    first, last = np.mean([p[0] for p in periods]) / 2, np.mean([p[-1] for p in periods]) / 2
    assert last > 2 * first and 4 <= np.median([len(p) for p in periods]) <= 6, (first, last)
