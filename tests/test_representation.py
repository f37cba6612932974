"""analysis.representation against numbers computed by hand (in the comments) and by independent routes (numpy.corrcoef,
scipy.stats.spearmanr, eigenvalues of numpy.cov, scipy.stats.f_oneway, plain loops) on random arrays with extra dims
in a scrambled order and NaN padding."""
import numpy as np
import pytest
import scipy.stats
import xarray as xr

from analysis.representation import (class_selectivity, drift, participation_ratio, population_sparseness,
                                     rdm, rdm_similarity, replay_fidelity)

# Three probes over three units. Centred: P0 -> (-1, 0, 1), P1 -> (1, 0, -1), P2 -> (-1, 1, 0); every norm^2 is 2, so
# r01 = -2/2 = -1, r02 = (1 + 0 + 0)/2 = 1/2, r12 = (-1 + 0 + 0)/2 = -1/2 and the RDM is 1 - r:
P = np.array([[1.0, 2, 3], [3, 2, 1], [1, 3, 2]])
RDM_P = np.array([[0, 2, 0.5], [2, 0, 1.5], [0.5, 1.5, 0]])
PAD = 3  # units the z area keeps in `scrambled`; V1 keeps all 5


def probes(x, dims=("probe", "unit"), **coords) -> xr.DataArray:
    return xr.DataArray(np.asarray(x, float), dims=dims, coords=coords)


def scrambled(seed=0, probes_=6, recordings=None, states=None) -> xr.DataArray:
    """Random activity with dims in an odd order (unit first), brains, two areas, z padded with NaN after PAD units."""
    rng = np.random.default_rng(seed)
    dims = ["unit", "brain", "probe", "area"]
    coords = {"area": ["V1", "z"], "probe_label": ("probe", np.arange(probes_) % 3)}
    shape = [5, 2, probes_, 2]
    if recordings:
        dims.append("recording"), shape.append(recordings)
        coords["recording_epoch"] = ("recording", np.arange(recordings))
    if states:
        dims.insert(1, "state"), shape.insert(1, len(states))
        coords["state"] = list(states)
    a = xr.DataArray(rng.normal(size=shape), dims=dims, coords=coords)
    a.loc[{"area": "z"}] = a.sel(area="z").where(a.unit < PAD)  # padding
    return a


def unpadded(a: xr.DataArray, area: str) -> xr.DataArray:
    """One area's slice with its padding removed: what every measure must give for that area of the padded array."""
    return a.sel(area=area).isel(unit=slice(0, PAD if area == "z" else None))


def test_rdm_by_hand():
    np.testing.assert_allclose(rdm(probes(P)).values, RDM_P, atol=1e-12)
    # One-hot patterns over 4 units: centred e_i - 1/4, dot = -1/4 - 1/4 + 4/16 = -1/4, norm^2 = 3/4: r = -1/3
    np.testing.assert_allclose(rdm(probes(np.eye(3, 4))).values, (1 + 1 / 3) * (1 - np.eye(3)), atol=1e-12)
    # float32 activity too, and the probe coords come along to probe_other
    r = rdm(probes(P, probe=[10, 11, 12], probe_label=("probe", [4, 5, 6])).astype(np.float32))
    assert r.dims == ("probe", "probe_other") and list(r.probe_other.values) == [10, 11, 12]
    assert list(r.probe_label_other.values) == [4, 5, 6]
    np.testing.assert_allclose(r.values, RDM_P, atol=1e-6)


def test_rdm_constant_probe_is_nan():
    r = rdm(probes([[1, 2, 3], [5, 5, 5], [1, 3, 2]])).values
    assert np.isnan(r[1]).all() and np.isnan(r[:, 1]).all() and r[0, 2] == pytest.approx(0.5)


def test_rdm_matches_corrcoef_and_ignores_padding():
    a = scrambled()
    r = rdm(a)
    assert r.dims == ("brain", "area", "probe", "probe_other")
    for area in ("V1", "z"):
        for b in range(2):
            x = unpadded(a, area).isel(brain=b).transpose("probe", "unit").values
            np.testing.assert_allclose(r.sel(area=area).isel(brain=b).values, 1 - np.corrcoef(x), atol=1e-12)
        np.testing.assert_allclose(r.sel(area=area).values, rdm(unpadded(a, area)).values, atol=1e-12)


def test_rdm_similarity_by_hand():
    # Upper triangles (d01, d02, d12): RDM_P (2, 0.5, 1.5), ranks (3, 1, 2); B (1, 2, 3), ranks (1, 2, 3);
    # rank differences (2, -1, -1): rho = 1 - 6 * 6 / (3 * 8) = -1/2
    b = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]])
    a_, b_ = (probes(m, ("probe", "probe_other")) for m in (RDM_P, b))
    assert float(rdm_similarity(a_, b_)) == pytest.approx(-0.5)
    assert float(rdm_similarity(a_, a_)) == pytest.approx(1.0)
    # A NaN drops its pair: (0.5, 1.5) against (2, 3) is perfectly monotone
    b_nan = probes(np.where(b == 1, np.nan, b), ("probe", "probe_other"))
    assert float(rdm_similarity(a_, b_nan)) == pytest.approx(1.0)
    assert np.isnan(float(rdm_similarity(a_, b_nan * np.nan)))  # no pair left


def test_rdm_similarity_broadcasts_and_matches_spearmanr():
    r = rdm(scrambled(states=("WAKE", "REM")))
    r.loc[{"state": "REM", "area": "z"}] = r.sel(state="REM", area="z").where(r.probe != 2)  # NaN rows/columns
    s = rdm_similarity(r.sel(state="WAKE"), r.sel(state="REM"))
    assert set(s.dims) == {"brain", "area"}
    i, j = np.triu_indices(6, k=1)
    for b in range(2):
        for area in ("V1", "z"):
            x = r.sel(state="WAKE", area=area).isel(brain=b).values[i, j]
            y = r.sel(state="REM", area=area).isel(brain=b).values[i, j]
            keep = ~np.isnan(x) & ~np.isnan(y)
            rho = scipy.stats.spearmanr(x[keep], y[keep]).statistic
            assert float(s.sel(area=area).isel(brain=b)) == pytest.approx(rho, abs=1e-12)
    # broadcasting: one WAKE RDM against every state's
    assert set(rdm_similarity(r.sel(state="WAKE"), r).dims) == {"brain", "area", "state"}


def states(wake, sleep) -> xr.DataArray:
    return probes(np.stack([wake, sleep]), ("state", "probe", "unit"), state=["WAKE", "REM"])


def test_replay_fidelity_by_hand():
    # REM = an affine copy of Wake: every probe r = 1. The only derangements of 3 are the cycles (1, 2, 0) and
    # (2, 0, 1): chance = (r01 + r12 + r20) / 3 = (-1 - 1/2 + 1/2) / 3 = -1/3, and the same for the other cycle
    ds = replay_fidelity(states(P, 2 * P + 1), "REM", shuffles=7)
    assert float(ds.fidelity) == pytest.approx(1.0) and float(ds.chance) == pytest.approx(-1 / 3)
    np.testing.assert_allclose(ds.per_probe.values, 1.0)
    # REM swaps probes 1 and 2: per probe (r00, r12, r21) = (1, -1/2, -1/2), mean 0
    ds = replay_fidelity(states(P, P[[0, 2, 1]]), "REM")
    np.testing.assert_allclose(ds.per_probe.values, [1, -0.5, -0.5])
    assert float(ds.fidelity) == pytest.approx(0.0, abs=1e-12) and int(ds.probes) == 3
    # Probe 1's REM activity is flat (occluded): no r. per_probe (1, NaN, 1), fidelity 1 over 2 probes; chance: cycle
    # (1, 2, 0) keeps r12, r20 (mean (-1/2 + 1/2) / 2 = 0), cycle (2, 0, 1) keeps r02, r10 (mean (1/2 - 1) / 2 = -1/4);
    # drawn about equally often, the pairs' mean is -1/8
    flat = 2 * P + 1
    flat[1] = 5.0
    ds = replay_fidelity(states(P, flat), "REM", shuffles=4000)
    np.testing.assert_allclose(ds.per_probe.values, [1, np.nan, 1])
    assert float(ds.fidelity) == pytest.approx(1.0) and int(ds.probes) == 2
    assert float(ds.chance) == pytest.approx(-1 / 8, abs=0.01)
    gone = replay_fidelity(states(P, flat * np.nan), "REM")  # a diverged brain: nothing to average
    assert np.isnan(float(gone.fidelity)) and np.isnan(float(gone.chance)) and int(gone.probes) == 0


def test_replay_fidelity_matches_loops_and_ignores_padding():
    a = scrambled(states=("WAKE", "NREM"), probes_=4)
    a.loc[{"state": "NREM"}] = a.sel(state="WAKE") + 0.5 * a.sel(state="NREM")  # a noisy replay
    ds = replay_fidelity(a, "NREM", shuffles=4000, seed=3)
    assert ds.fidelity.dims == ("brain", "area") and ds.per_probe.dims == ("brain", "area", "probe")
    for area in ("V1", "z"):
        for b in range(2):
            w, s = (unpadded(a, area).isel(brain=b).sel(state=k).transpose("probe", "unit").values
                    for k in ("WAKE", "NREM"))
            cross = np.corrcoef(w, s)[:4, 4:]  # (Wake probe i, NREM probe j)
            np.testing.assert_allclose(ds.per_probe.sel(area=area).isel(brain=b).values, np.diag(cross), atol=1e-12)
            # averaged over all derangements, every mismatched pair (i, j != i) is equally likely
            off = cross[~np.eye(4, dtype=bool)].mean()
            assert float(ds.chance.sel(area=area).isel(brain=b)) == pytest.approx(off, abs=0.02)
        np.testing.assert_allclose(ds.per_probe.sel(area=area).values,
                                   replay_fidelity(unpadded(a, area), "NREM").per_probe.values, atol=1e-12)
    same = replay_fidelity(a, "WAKE", shuffles=10)
    np.testing.assert_allclose(same.fidelity.values, 1.0)
    assert (same.chance < 1).all()
    xr.testing.assert_identical(replay_fidelity(a, "NREM", seed=5), replay_fidelity(a, "NREM", seed=5))


def test_population_sparseness_by_hand():
    cases = {  # activity over 4 units -> S
        (0, 0, 5, 0): 1.0,  # one active unit of N: a = (x/N)^2 / (x^2/N) = 1/N, S = 1
        (2, 2, 2, 2): 0.0,  # uniform: a = 1
        (0, 0, 0, 0): 1.0,  # silent: 1 by convention
        (-1, -2, -1, -3): 1.0,  # below zero is silent once rectified
        (1, 1, 0, 0): 2 / 3,  # a = (1/2)^2 / (1/2) = 1/2, S = (1/2) / (3/4)
        (2, 1, -3, 1): 4 / 9,  # rectified (2, 1, 0, 1): a = 1 / (6/4) = 2/3, S = (1/3) / (3/4)
    }
    s = population_sparseness(probes(list(cases)), per_probe=True)
    np.testing.assert_allclose(s.values, list(cases.values()), atol=1e-12)
    assert float(population_sparseness(probes(list(cases)))) == pytest.approx(np.mean(list(cases.values())))


def test_population_sparseness_is_the_per_step_statistic_and_ignores_padding():
    a = scrambled()
    a[{"probe": 0, "brain": 0}] = -1.0  # a silent probe (in V1; z keeps its padding as NaN below)
    a.loc[{"area": "z"}] = a.sel(area="z").where(a.unit < PAD)
    s = population_sparseness(a, per_probe=True)
    for area, n in (("V1", 5), ("z", PAD)):
        r = np.maximum(unpadded(a, area).transpose(..., "unit").values, 0)
        m1, m2 = r.mean(-1), (r * r).mean(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            expect = np.where(m2 > 0, (1 - m1**2 / m2) / (1 - 1 / n), 1)
        np.testing.assert_allclose(s.sel(area=area).transpose("brain", "probe").values, expect, atol=1e-12)
    assert float(s.sel(area="V1")[0, 0]) == 1.0


def test_participation_ratio_by_hand_and_by_eigenvalues():
    # Probes along two axes, centred: covariance ∝ diag(8, 2) -> (8 + 2)^2 / (64 + 4) = 25/17; equal axes -> 2;
    # probes along one line -> 1
    assert float(participation_ratio(probes([[2, 0], [-2, 0], [0, 1], [0, -1]]))) == pytest.approx(25 / 17)
    assert float(participation_ratio(probes([[1, 0], [-1, 0], [0, 1], [0, -1]]))) == pytest.approx(2.0)
    assert float(participation_ratio(probes([[1, 2, 3], [2, 4, 6], [-1, -2, -3]]))) == pytest.approx(1.0)
    for probes_ in (3, 8):  # fewer probes than units (probe Gram) and more (unit covariance)
        a = scrambled(probes_=probes_)
        pr = participation_ratio(a)
        assert pr.dims == ("brain", "area")
        for area in ("V1", "z"):
            for b in range(2):
                lam = np.linalg.eigvalsh(np.cov(unpadded(a, area).isel(brain=b).transpose("unit", "probe").values))
                assert float(pr.sel(area=area).isel(brain=b)) == pytest.approx(lam.sum() ** 2 / (lam**2).sum())


def test_drift_by_hand_and_unchanged():
    # one probe at three recordings: P0, then P2 (r02 = 1/2), then P1 (r21 = -1/2)
    a = probes(P[[0, 2, 1]][:, None, :], ("recording", "probe", "unit"))
    np.testing.assert_allclose(drift(a).values, [np.nan, 0.5, -0.5], atol=1e-12)
    b = scrambled(recordings=4)
    still = b.isel(recording=0, drop=True).expand_dims(recording=4).assign_coords(recording_epoch=b.recording_epoch)
    d = drift(still)
    assert d.dims == ("recording", "brain", "area") and "recording_epoch" in d.coords
    assert np.isnan(d.isel(recording=0)).all()
    np.testing.assert_allclose(d.isel(recording=slice(1, None)).values, 1.0, atol=1e-12)
    per = drift(b, per_probe=True)
    for area in ("V1", "z"):
        x = unpadded(b, area).isel(brain=1, probe=2).transpose("recording", "unit").values
        np.testing.assert_allclose(per.sel(area=area).isel(brain=1, probe=2).values[1:],
                                   [np.corrcoef(x[k - 1], x[k])[0, 1] for k in range(1, 4)], atol=1e-12)


def test_class_selectivity_by_hand_and_scipy():
    # labels (0, 0, 1, 1), activity (1, 3, 5, 7): means 2 and 6, grand mean 4; SSB = 4 * 4 = 16 on 1 df,
    # SSW = 4 on 2 df: F = 16 / 2 = 8, and F(1, 2) = t_2^2, so p = P(|t_2| > sqrt 8) = 1 - sqrt(8 / 10)
    ds = class_selectivity(probes([[1.0], [3], [5], [7]], probe_label=("probe", [0, 0, 1, 1])))
    assert float(ds.f[0]) == pytest.approx(8.0) and float(ds.p[0]) == pytest.approx(1 - np.sqrt(0.8))
    a = scrambled(probes_=9)
    ds = class_selectivity(a)
    assert ds.f.dims == ("unit", "brain", "area")
    assert np.isnan(ds.f.sel(area="z").isel(unit=slice(PAD, None))).all()
    lab = a.probe_label.values
    for area in ("V1", "z"):
        for u in range(PAD):
            x = a.sel(area=area).isel(brain=0, unit=u).values
            ref = scipy.stats.f_oneway(*(x[lab == k] for k in range(3)))
            assert float(ds.f.sel(area=area).isel(brain=0, unit=u)) == pytest.approx(ref.statistic)
            assert float(ds.p.sel(area=area).isel(brain=0, unit=u)) == pytest.approx(ref.pvalue)
    other = class_selectivity(a, labels=xr.DataArray(np.arange(9) % 2, dims="probe"))
    assert not np.allclose(other.f.sel(area="V1"), ds.f.sel(area="V1"))


@pytest.mark.parametrize("call, words", [
    (lambda: rdm(probes(P, ("image", "unit"))), "'probe' dimension"),
    (lambda: population_sparseness(probes(P, ("probe", "neuron"))), "'unit' dimension"),
    (lambda: participation_ratio(probes(P, ("probe", "neuron"))), "'unit' dimension"),
    (lambda: drift(probes(P)), "'recording' dimension"),
    (lambda: replay_fidelity(probes(P), "REM"), "'state' dimension"),
    (lambda: replay_fidelity(states(P, P), "NREM"), "state 'NREM'"),
    (lambda: replay_fidelity(states(P[:1], P[:1]), "REM"), "at least 2 probes"),
    (lambda: class_selectivity(probes(P)), "'probe_label' coordinate"),
    (lambda: class_selectivity(probes(P), xr.DataArray([0, 1], dims="probe")), "labels must have"),
    (lambda: rdm_similarity(probes(P), probes(P)), "'probe_other' dimension"),
])
def test_bad_input_is_one_line(call, words):
    with pytest.raises(ValueError) as e:
        call()
    assert words in str(e.value) and "\n" not in str(e.value)
