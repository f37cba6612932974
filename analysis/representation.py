"""Measures of recorded activity that neuroscientists use: xarray in, xarray out.

`activity` has dims `probe` and `unit` and any others (brain, recording, state, pathway, area, ...) in any order; every
measure is computed over probe and unit and vectorised over the rest. Areas keep different numbers of units, so the
unit axis is padded with NaN: a unit that is NaN for every probe is padding, ignored per area (per slice of the other
dims). A NaN elsewhere is a real missing value and makes the results it enters NaN.

- **RDM** (Kriegeskorte, Mur & Bandettini 2008): D_ij = 1 - r(x_i, x_j), r the Pearson correlation between probes i and
  j's activity vectors across units. `rdm_similarity` compares two RDMs by the Spearman correlation of their upper
  triangles (the rank statistic Kriegeskorte et al. recommend, since dissimilarities need not be linearly related).
- **Replay fidelity**: mean over probes of r(x_i in a sleep state, x_i in Wake), against chance: the same mean for
  mismatched probes (x_i in Wake vs x_pi(i) in sleep, pi a random derangement); probes without an r (constant
  activity) are left out and counted.
- **Population sparseness** (Treves & Rolls 1991, normalised by Vinje & Gallant 2000): on rates r = max(a, 0),
  a = (mean r)^2 / mean r^2 and S = (1 - a) / (1 - 1/N) over the N units; 0 for uniform activity, 1 for one active unit.
- **Participation ratio** (Gao et al. 2017): (sum lambda)^2 / sum lambda^2 = (Tr C)^2 / Tr(C^2), lambda the eigenvalues
  of the unit-by-unit covariance C across probes: the number of dimensions the probes' activity effectively spans.
- **Drift**: r(x_i at recording k, x_i at recording k - 1): how much a probe's representation changes between
  recordings (1: not at all).
- **Class selectivity**: per unit, the one-way ANOVA F of its activity over probe classes, and its p value.
"""
import warnings

import numpy as np
import scipy.stats
import xarray as xr

PROBE, UNIT = "probe", "unit"


def _require(activity: xr.DataArray, *dims: str) -> None:
    """A one-line ValueError naming the first dimension `activity` lacks."""
    for dim in dims:
        if dim not in activity.dims:
            raise ValueError(f"activity has no {dim!r} dimension (dims: {', '.join(map(str, activity.dims))})")


def _coords(activity: xr.DataArray, dims: tuple) -> dict:
    """The coordinates of `activity` that live on `dims` only (a result that lost the unit axis loses its coords)."""
    return {name: c for name, c in activity.coords.items() if set(c.dims) <= set(dims)}


def _wrap(values: np.ndarray, activity: xr.DataArray, dims: tuple, **extra) -> xr.DataArray:
    return xr.DataArray(values, dims=dims, coords={**_coords(activity, dims), **extra})


def _prepared(activity: xr.DataArray) -> tuple[xr.DataArray, np.ndarray, np.ndarray]:
    """`activity` as (..., probe, unit) and its values, padding set to 0, in the input's float precision (float32
    stays float32: half the memory traffic, ample for correlations), and the mask of real units (..., 1, unit)."""
    _require(activity, PROBE, UNIT)
    a = activity.transpose(..., PROBE, UNIT)
    x = np.asarray(a.values)
    x = x.astype(np.result_type(x.dtype, np.float32), copy=False)
    real = ~np.isnan(x).all(axis=-2, keepdims=True)  # False on padding
    return a, np.where(real, x, 0), real


def _normalised(activity: xr.DataArray) -> xr.DataArray:
    """Each probe's activity across units, centred and scaled to unit norm, padding units 0 (so that they drop out of
    every dot product): then r(x_i, x_j) = u_i . u_j. Dims: the others, then (probe, unit). A probe whose activity is
    constant across units has no direction: its u is NaN. In-place arithmetic: these arrays can be ~10^8 numbers."""
    a, c, real = _prepared(activity)
    with np.errstate(invalid="ignore", divide="ignore"):  # an area all padding in some slice: NaN
        c -= c.sum(-1, keepdims=True) / real.sum(-1, keepdims=True)
        c *= real
        c /= np.sqrt(np.einsum("...u,...u->...", c, c))[..., None]
    return a.copy(data=c)


def rdm(activity: xr.DataArray) -> xr.DataArray:
    """Representational dissimilarity matrix: 1 - Pearson r between probes' activity across (non-padding) units.
    Dims: the input's others + (probe, probe_other); probe_other carries coords `probe_other` and, where the input has
    `probe_label`, `probe_label_other`. A probe whose activity is constant across units has NaN distances."""
    u = _normalised(activity)
    d = 1 - u.values @ np.swapaxes(u.values, -1, -2)  # (..., probe, probe_other)
    diagonal = np.einsum("...ii->...i", d)  # a writable view
    diagonal[:] = np.where(np.isnan(diagonal), np.nan, 0)  # exactly 0 (not rounding error) to itself
    dims = u.dims[:-1] + ("probe_other",)
    other = {"probe_other": ("probe_other", u[PROBE].values)}
    if "probe_label" in u.coords and u["probe_label"].dims == (PROBE,):
        other["probe_label_other"] = ("probe_other", u["probe_label"].values)
    return _wrap(d, u, dims, **other)


def _pearson_last(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r along the last axis, ignoring positions where x is NaN (the caller NaNs both together)."""
    x, y = x - np.nanmean(x, -1, keepdims=True), y - np.nanmean(y, -1, keepdims=True)
    return np.nansum(x * y, -1) / np.sqrt(np.nansum(x * x, -1) * np.nansum(y * y, -1))


def _spearman_triangles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., P, P) x 2 -> (...): Spearman r of the strict upper triangles, pairs with a NaN dropped. Spearman's r is
    Pearson's r of the (tie-averaged) ranks, so rankdata vectorises what a loop of spearmanr calls would do."""
    i, j = np.triu_indices(a.shape[-1], k=1)
    x, y = a[..., i, j], b[..., i, j]  # (..., pairs)
    drop = np.isnan(x) | np.isnan(y)
    x, y = np.where(drop, np.nan, x), np.where(drop, np.nan, y)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of a slice with no pair left: NaN, said below
        return _pearson_last(scipy.stats.rankdata(x, axis=-1, nan_policy="omit"),
                             scipy.stats.rankdata(y, axis=-1, nan_policy="omit"))


def rdm_similarity(a: xr.DataArray, b: xr.DataArray) -> xr.DataArray:
    """Spearman rank correlation of the upper triangles (k=1) of two RDMs, broadcast (and aligned, xarray's way)
    over all their other dims. Pairs where either RDM is NaN are dropped; fewer than two pairs left, or constant
    ranks: NaN."""
    for name, r in (("a", a), ("b", b)):
        for dim in (PROBE, "probe_other"):
            if dim not in r.dims:
                raise ValueError(f"RDM {name} has no {dim!r} dimension (dims: {', '.join(map(str, r.dims))})")
    core = [PROBE, "probe_other"]
    return xr.apply_ufunc(_spearman_triangles, a, b, input_core_dims=[core, core],
                          dask="forbidden").rename("rdm_similarity")


def _derangements(probes: int, shuffles: int, seed: int) -> np.ndarray:
    """(shuffles, probes): random permutations without fixed points (rejection sampling; accepted ~1/e of the time)."""
    if probes < 2:
        raise ValueError(f"replay_fidelity's chance needs at least 2 probes, got {probes}")
    rng, out = np.random.default_rng(seed), []
    while len(out) < shuffles:
        p = rng.permutation(probes)
        if not (p == np.arange(probes)).any():
            out.append(p)
    return np.array(out, dtype=np.intp).reshape(shuffles, probes)


def replay_fidelity(activity: xr.DataArray, state: str, reference: str = "WAKE", shuffles: int = 100,
                    seed: int = 0) -> xr.Dataset:
    """How faithfully `state` replays each probe's `reference` activity. `per_probe`: Pearson r across units between a
    probe's activity in `state` and in `reference`; `fidelity`: its mean over probes; `chance`: the same mean for
    mismatched probes (reference i vs state pi(i), pi a random derangement, averaged over `shuffles` of them drawn
    from numpy's default_rng(seed)), so that fidelity - chance is what is specific to each memory. A probe whose
    activity is constant across an area's units in either state (an occluded patch of V1 in NREM, a silent
    population) has no r: it is NaN in `per_probe`, left out of both means, and `probes` counts those that have one
    (a diverged brain's NaN activity leaves none: NaN)."""
    _require(activity, "state", PROBE, UNIT)
    for s in (state, reference):
        if s not in activity["state"].values:
            raise ValueError(f"state {s!r} not in activity's states {list(map(str, activity['state'].values))}")
    u = _normalised(activity)
    sleep, ref = u.sel(state=state, drop=True), u.sel(state=reference, drop=True)
    cross = ref.values @ np.swapaxes(sleep.values, -1, -2)  # (..., ref probe i, state probe j): r(ref_i, state_j)
    perms = _derangements(cross.shape[-1], shuffles, seed)  # (shuffles, probes)
    mismatched = cross[..., np.arange(cross.shape[-1]), perms]  # (..., shuffles, probes)
    per_probe = _wrap(np.diagonal(cross, axis1=-2, axis2=-1), ref, ref.dims[:-1])
    dims = ref.dims[:-2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no pair defined: NaN, as `probes` = 0 says
        chance = _wrap(np.nanmean(mismatched.reshape(*mismatched.shape[:-2], -1), -1), ref, dims)
    return xr.Dataset({"fidelity": per_probe.mean(PROBE), "chance": chance, "per_probe": per_probe,
                       "probes": per_probe.notnull().sum(PROBE)},
                      attrs={"state": state, "reference": reference, "shuffles": shuffles, "seed": seed})


def population_sparseness(activity: xr.DataArray, per_probe: bool = False) -> xr.DataArray:
    """Treves-Rolls population sparseness, Vinje-Gallant normalised, per probe across the N non-padding units of the
    rectified activity r = max(a, 0) (firing rates are non-negative; LeakyReLU activity can be below 0):
    a = (mean r)^2 / mean(r^2), S = (1 - a) / (1 - 1/N). An all-silent population has S = 1 by convention, exactly as
    the per-step statistic: S = where(mean(r^2) > 0, (1 - a) / (1 - 1/N), 1). N = 1 gives NaN. Then the mean over
    probes (`per_probe=True` keeps the probe dim)."""
    a, x, real = _prepared(activity)
    n = real.sum(-1)  # (..., 1)
    r = np.maximum(x, 0)  # padding is 0 already
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m2 = r.sum(-1) / n, (r * r).sum(-1) / n  # (..., probe)
        s = np.where(m2 > 0, (1 - m1 * m1 / m2) / (1 - 1 / n), 1.0)
    s = np.where(np.isnan(m2), np.nan, s)  # a real NaN is not silence
    out = _wrap(s, a, a.dims[:-1]).rename("population_sparseness")
    return out if per_probe else out.mean(PROBE, skipna=False)


def participation_ratio(activity: xr.DataArray) -> xr.DataArray:
    """Effective dimensionality of the probes' activity: (sum lambda)^2 / sum lambda^2 over the eigenvalues lambda of
    the unit-by-unit covariance across probes. The sums are Tr C and Tr C^2 = ||C||_F^2, and the probe Gram matrix of
    the centred activity has the same nonzero eigenvalues, so we take traces of whichever matrix is smaller (no eigen
    decomposition needed). Padding units (set to 0 after centring) add only zero eigenvalues. Every probe alike
    (no variance): NaN. Dims: input - probe, unit."""
    a, c, real = _prepared(activity)
    c -= c.mean(-2, keepdims=True)  # centred across probes; padding stays 0
    ct = np.swapaxes(c, -1, -2)
    gram = c @ ct if c.shape[-2] <= c.shape[-1] else ct @ c  # (..., k, k), k = min(probes, units)
    trace, frob2 = np.trace(gram, axis1=-2, axis2=-1), (gram * gram).sum((-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return _wrap(trace * trace / frob2, a, a.dims[:-2]).rename("participation_ratio")


def drift(activity: xr.DataArray, per_probe: bool = False) -> xr.DataArray:
    """Per probe, Pearson r across units between its activity at each recording and at the previous one (the first
    recording: NaN); then the mean over probes (`per_probe=True` keeps the probe dim). 1 means no change."""
    _require(activity, "recording", PROBE, UNIT)
    u = _normalised(activity)
    r = (u * u.shift(recording=1)).sum(UNIT, skipna=False).rename("drift")  # padding is 0 in u: drops out
    return r if per_probe else r.mean(PROBE, skipna=False)


def class_selectivity(activity: xr.DataArray, labels: xr.DataArray | None = None) -> xr.Dataset:
    """Per unit, the one-way ANOVA F of its activity over probe classes (`labels`, default the `probe_label` coord),
    and its p value (scipy.stats.f_oneway, vectorised over units). Variables `f`, `p`; dims: input - probe.
    Padding units (and units constant within and across classes) give NaN."""
    _require(activity, PROBE, UNIT)
    if labels is None:
        if "probe_label" not in activity.coords:
            raise ValueError("activity has no 'probe_label' coordinate (pass labels=)")
        labels = activity["probe_label"]
    if labels.dims != (PROBE,) or labels.sizes[PROBE] != activity.sizes[PROBE]:
        raise ValueError(f"labels must have the one dim 'probe' of size {activity.sizes[PROBE]}, "
                         f"got {dict(labels.sizes)}")
    a, x, real = _prepared(activity)
    lab = labels.values
    classes = np.unique(lab)
    if len(classes) < 2:
        raise ValueError(f"class_selectivity needs at least 2 probe classes, got {len(classes)}")
    # A unit with any NaN gets NaN; zeroing it first keeps scipy on its vectorised path (NaNs send it slice by slice)
    missing = np.isnan(x).any(-2) | ~real[..., 0, :]  # (..., unit): a real NaN, or padding
    x[np.isnan(x)] = 0
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)  # constant units: NaN F, said above
        f, p = scipy.stats.f_oneway(*(x[..., lab == k, :] for k in classes), axis=-2)  # (..., unit)
    f, p = np.where(missing, np.nan, f), np.where(missing, np.nan, p)
    dims = a.dims[:-2] + (UNIT,)
    order = [d for d in activity.dims if d != PROBE]  # the input's order, as every other measure keeps it
    return xr.Dataset({"f": _wrap(f, a, dims), "p": _wrap(p, a, dims)}).transpose(*order)
