"""analysis.statistics against numbers computed by hand or by another route: the t distribution's closed form for
2 degrees of freedom, an enumeration of the sign flips, statsmodels and simulation for power, Holm written out."""
import itertools
import math

import numpy as np
import pytest
import scipy.stats

from statsmodels.stats.power import TTestPower

from analysis.statistics import SMALL_N, holm, mean_ci, paired_statistics, power, seeds_for_power, verdict


def test_three_seeds_by_hand():
    s = paired_statistics([1.0, 2.0, 3.0])
    t = 2 / (1 / math.sqrt(3))  # mean 2, sd 1
    assert s["n"] == 3 and s["mean"] == 2 and s["sd"] == pytest.approx(1) and s["sem"] == pytest.approx(3 ** -0.5)
    assert s["p_t"] == pytest.approx(1 - t / math.sqrt(2 + t * t))  # Student t, 2 df: F(t) = 1/2 + t / (2 sqrt(2 + t^2))
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) from tables
    assert (s["ci_low"], s["ci_high"]) == (pytest.approx(2 - half), pytest.approx(2 + half))
    assert s["test"] == "sign-flip" and s["p"] == s["p_sign_flip"] == pytest.approx(2 / 8)  # only +++ and ---
    assert s["d_z"] == pytest.approx(2.0)


@pytest.mark.parametrize("differences", [[0.3, -1.2, 2.5, 0.7, 1.1], [1.0, -1.0, 2.0, 0.5, -0.25, 3.0, 1.5, 0.1, 0.2]])
def test_the_sign_flip_p_is_the_share_of_sign_patterns_at_least_as_extreme(differences):
    d = np.array(differences)
    sums = [abs(np.dot(signs, d)) for signs in itertools.product((-1, 1), repeat=len(d))]
    expected = np.mean(np.array(sums) >= abs(d.sum()) - 1e-12)
    assert paired_statistics(d)["p_sign_flip"] == pytest.approx(expected)


def test_from_small_n_seeds_on_the_t_test_decides():
    d = np.arange(SMALL_N) - 2.0
    s = paired_statistics(d)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
    assert s["test"] == "t" and math.isnan(s["p_sign_flip"])
    assert s["p"] == s["p_t"] == pytest.approx(2 * scipy.stats.t.sf(abs(t), len(d) - 1))


def test_nan_differences_are_dropped_and_too_few_give_no_test():
    assert paired_statistics([np.nan, 1.0, 2.0, 3.0])["n"] == 3
    one = paired_statistics([np.nan, 4.0])
    assert one["n"] == 1 and one["mean"] == 4 and math.isnan(one["p"]) and math.isnan(one["ci_low"])
    assert verdict("lower", one["mean"], math.nan) == "inconclusive"


def test_identical_differences_are_certain_under_the_t_test_not_under_three_sign_flips():
    same = paired_statistics([-0.5] * 3)
    assert same["ci_low"] == same["ci_high"] == -0.5 and same["p_t"] == 0 and same["p"] == pytest.approx(0.25)
    assert paired_statistics([-0.5] * 12)["p"] == 0 and paired_statistics([0.0] * 12)["p"] == 1


@pytest.mark.parametrize("d_z", [0.4, 1.134, 2.0, -3.0])
def test_seeds_for_power_agree_with_statsmodels(d_z):
    n = seeds_for_power(d_z)
    assert n == math.ceil(TTestPower().solve_power(effect_size=abs(d_z), alpha=0.05, power=0.8))
    assert power(abs(d_z), int(n)) >= 0.8 > power(abs(d_z), int(n) - 1)
    assert seeds_for_power(0.0) == math.inf


@pytest.mark.parametrize("d_z, n", [(8.0, 3), (1.134, 9)])
def test_power_by_simulation(d_z, n):
    """Large effects (statsmodels returns NaN there) and a moderate one: the share of 20000 simulated experiments of
    n normal differences whose t-test rejects at 0.05, against `power`, and n the first to reach 0.8."""
    rng = np.random.default_rng(100)
    for seeds in (n - 1, n):
        d = rng.normal(d_z, 1.0, size=(20000, seeds))
        rejected = scipy.stats.ttest_1samp(d, 0.0, axis=1).pvalue < 0.05
        assert rejected.mean() == pytest.approx(power(d_z, seeds), abs=0.01)
    assert seeds_for_power(d_z) == n


def test_holm_written_out():
    # sorted 0.01, 0.03, 0.04 (m = 3): 3 * 0.01, max(0.03, 2 * 0.03), max(0.06, 1 * 0.04); NaN outside the family
    np.testing.assert_allclose(holm([0.01, 0.04, np.nan, 0.03]), [0.03, 0.06, np.nan, 0.06])
    np.testing.assert_allclose(holm([0.5, 0.5]), [1.0, 1.0])


@pytest.mark.parametrize("expected, mean, p, result", [
    ("lower", -1, 0.01, "confirmed"), ("lower", 1, 0.01, "contradicted"), ("higher", 1, 0.049, "confirmed"),
    ("higher", -1, 0.001, "contradicted"), ("lower", -1, 0.05, "inconclusive"), ("none", 1, 0.01, "contradicted"),
    ("none", -1, 0.2, "inconclusive")])
def test_verdicts(expected, mean, p, result):
    assert verdict(expected, mean, p) == result


def test_mean_ci_over_seeds_per_epoch():
    values = np.array([[1.0, np.nan, 5.0], [2.0, np.nan, np.nan], [3.0, 4.0, np.nan]])  # (seed, epoch)
    mean, half = mean_ci(values)
    np.testing.assert_allclose(mean, [2.0, 4.0, 5.0])
    np.testing.assert_allclose(half, [4.302652729911275 / math.sqrt(3), np.nan, np.nan])
