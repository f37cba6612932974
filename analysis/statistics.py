"""Statistics of a paired effect (manipulated minus control, one difference per seed) and verdicts on predictions.

For the differences d_1..d_n of one effect:
- **mean and 95% CI**: Student's t interval (`scipy.stats.ttest_1samp(...).confidence_interval`);
- **the paired test**: the t-test (`scipy.stats.ttest_1samp`) from `SMALL_N` seeds on; below, the exact sign-flip
  permutation test (`scipy.stats.permutation_test`, every one of the 2^n sign patterns of the differences; it assumes
  only that, without an effect, a difference is as likely negative as positive). Its smallest possible p is 2 / 2^n:
  0.25 with 3 seeds, 0.0625 with 5, so with fewer than 6 seeds no effect can reach p < 0.05: the verdict is then
  inconclusive whatever the mean, as it should be;
- **Cohen's d_z** = mean(d) / sd(d) (sd with ddof = 1), the standardised paired effect;
- **seeds for 80% power**: the smallest n at which a two-sided paired t-test at alpha = 0.05 has power 0.8 for the
  observed d_z (the noncentral t, `scipy.stats.nct`; statsmodels' TTestPower, which agrees, returns NaN for effects
  above d_z ~ 5); it plans the next experiment, it does not judge this one.

Multiplicity: a report tests one hypothesis per prediction row (condition x time point x predicted metric); their
p values are adjusted together by Holm's step-down method (`statsmodels.stats.multitest.multipletests`), which holds
the family-wise error rate at alpha without assuming independence. Rows without a prediction are exploratory: their
p is shown unadjusted and they get no verdict.

Verdicts (alpha = 0.05, on the Holm-adjusted p of the row's test):
- **confirmed**: significant, and the effect on the predicted side;
- **contradicted**: significant, on the other side (for a prediction of no effect: significant either way);
- **inconclusive**: not significant (or fewer than 2 seeds). The 95% CI printed beside it is unadjusted: with one
  prediction and the t-test, "confirmed" is exactly "the CI excludes zero on the predicted side".

scipy for the tests, intervals and power, statsmodels for Holm: both well-kept and standard in the field; pingouin
wraps the same two and would add its own dependencies for nothing.
"""
import math

import numpy as np
import scipy.stats

ALPHA = 0.05
POWER = 0.8
SMALL_N = 10  # below this many seeds the sign-flip permutation test decides, from it on the t-test
VERDICTS = ("confirmed", "contradicted", "inconclusive")


def paired_statistics(differences) -> dict:
    """The statistics of one effect from its per-seed differences (NaN ones dropped): n, mean, sd, sem, ci_low,
    ci_high (95%, t), test ("t" or "sign-flip"), p (two-sided, of that test), p_t, p_sign_flip (the latter NaN from
    `SMALL_N` seeds on), d_z, n_for_power (seeds for 80% power at the observed d_z; inf for no effect). Fewer than
    two differences: everything but n and mean NaN. Identical differences (sd 0): the CI is the mean, d_z NaN, and
    the t-test's p 0 (1 if they are all 0): the effect is certain where it is deterministic."""
    d = np.asarray(differences, float)
    d = d[np.isfinite(d)]
    n = len(d)
    out = {"n": n, "mean": float(d.mean()) if n else math.nan, "sd": math.nan, "sem": math.nan,
           "ci_low": math.nan, "ci_high": math.nan, "test": "", "p": math.nan, "p_t": math.nan,
           "p_sign_flip": math.nan, "d_z": math.nan, "n_for_power": math.nan}
    if n < 2:
        return out
    sd = float(d.std(ddof=1))
    out |= {"sd": sd, "sem": sd / math.sqrt(n)}
    if sd > 0:
        t = scipy.stats.ttest_1samp(d, 0.0)
        ci = t.confidence_interval(1 - ALPHA)
        out |= {"ci_low": float(ci.low), "ci_high": float(ci.high), "p_t": float(t.pvalue), "d_z": out["mean"] / sd}
        out["n_for_power"] = seeds_for_power(out["d_z"])
    else:  # every seed the same difference (a deterministic effect, e.g. a protocol's REM share): no spread
        out |= {"ci_low": out["mean"], "ci_high": out["mean"], "p_t": 1.0 if out["mean"] == 0 else 0.0}
    if n < SMALL_N:
        flips = scipy.stats.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=np.inf,
                                             alternative="two-sided", vectorized=True)
        out |= {"test": "sign-flip", "p_sign_flip": float(flips.pvalue), "p": float(flips.pvalue)}
    else:
        out |= {"test": "t", "p": out["p_t"]}
    return out


def mean_sem(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, SEM, n) along `axis`, ignoring NaN; SEM = std(ddof=1) / sqrt(n), NaN where n < 2."""
    values = np.asarray(values, dtype=float)
    n = np.isfinite(values).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(values, axis=axis)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        dev = np.nansum((values - np.expand_dims(mean, axis)) ** 2, axis=axis)
        sem = np.where(n > 1, np.sqrt(dev / np.maximum(n - 1, 1)) / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, sem, n


def ci_half_width(sem, n):
    """The half-width of the Student-t 95% CI of a mean with this SEM over n values (NaN where n < 2)."""
    n = np.asarray(n)
    return np.where(n > 1, scipy.stats.t.ppf(1 - ALPHA / 2, np.maximum(n - 1, 1)) * sem, np.nan)


def mean_ci(values, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean, half-width of the Student-t 95% CI) along `axis`, ignoring NaN; the half-width NaN where fewer than
    two values: the band of a paired effect over time."""
    mean, sem, n = mean_sem(values, axis)
    return mean, ci_half_width(sem, n)


def power(d_z: float, n: int, alpha: float = ALPHA) -> float:
    """The power of a two-sided paired t-test on n seeds for a true effect d_z: P(|T| > t_crit), T noncentral t with
    n - 1 degrees of freedom and noncentrality d_z sqrt(n) (scipy.stats.nct)."""
    critical = scipy.stats.t.ppf(1 - alpha / 2, n - 1)
    shift = d_z * math.sqrt(n)
    # the lower tail P(T < -t_crit) as the upper tail of -T: scipy's nct.cdf is NaN far in a tail, its sf is not
    return float(scipy.stats.nct.sf(critical, n - 1, shift) + scipy.stats.nct.sf(critical, n - 1, -shift))


def seeds_for_power(d_z: float, target: float = POWER, alpha: float = ALPHA) -> float:
    """The smallest whole number of seeds (>= 2) at which a two-sided paired t-test has `target` power for effect
    d_z (power grows with n: doubling, then bisection); inf when d_z is 0 or more than 10^6 seeds would be needed."""
    if not np.isfinite(d_z) or abs(d_z) < 1e-3:
        return math.inf
    low, high = 1, 2  # power(low) < target <= power(high)
    while power(abs(d_z), high, alpha) < target:
        low, high = high, 2 * high
        if high > 10 ** 6:
            return math.inf
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if power(abs(d_z), middle, alpha) >= target else (middle, high)
    return float(high)


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p values (NaN ones stay NaN and do not count towards the family)."""
    from statsmodels.stats.multitest import multipletests  # here: only a report's table needs it, not every figure

    p = np.asarray(p_values, float)
    adjusted = np.full_like(p, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        adjusted[finite] = multipletests(p[finite], alpha=ALPHA, method="holm")[1]
    return adjusted


def verdict(expected: str, mean: float, p_adjusted: float) -> str:
    """confirmed / contradicted / inconclusive for a prediction ("lower", "higher" or "none") of an effect with
    this mean and adjusted p."""
    if not np.isfinite(p_adjusted) or p_adjusted >= ALPHA:
        return "inconclusive"
    if expected == "none":
        return "contradicted"
    return "confirmed" if (mean < 0) == (expected == "lower") else "contradicted"
