"""The report of a deprivation experiment: effects paired by seed (mean, SEM, CI, test, d_z) against numbers written
by hand into synthetic activity files, the verdicts (Holm over the predictions), the time points, the figures, bad input in one line; and
one experiment of real tiny runs made by the runner's multirun, checked against the activity files by another route."""
import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import scipy.stats
import xarray as xr
import yaml

from analysis import experiment
from analysis.hypnogram import run_config
from analysis.load import open_runs
from records.variables import OCCLUSION_LEVELS

matplotlib.use("Agg")
DAYS_PER_EPOCH, EPOCHS = 2, (1, 2, 3, 4)
PROTOCOL = {"name": "rem_deprivation", "unit": "epoch", "blocks": [
    {"name": "baseline", "start": 1, "stop": 2}, {"name": "deprivation", "start": 2, "stop": 4},
    {"name": "recovery", "start": 4, "stop": None}]}  # deprivation: days 2..5, epochs 2 and 3
BLOCK_DAYS = [{"name": "baseline", "first_day": 0, "stop_day": 2}, {"name": "deprivation", "first_day": 2, "stop_day": 6},
              {"name": "recovery", "first_day": 6, "stop_day": None}]  # PROTOCOL in days, as the simulator writes it
BASE = {0: 50.0, 1: 52.0, 2: 54.0, 3: 90.0}  # control read-out at epoch 1, by seed (seed 3 has no manipulated twin)
EFFECT = {0: (0, 0, -1, 1), 1: (0, 0, -2, 2), 2: (0, 0, -6, 3)}  # manipulated minus control, by seed and epoch
SLOPE = {"ctrl": 10.0, "depr": 20.0}  # accuracy lost per unit of drop probability


def write_run(path: Path, label: str, seed: int, base: dict = BASE, effect: dict = EFFECT, offset: float = 0.0) -> None:
    """One brain's activity.nc: 8 days of (Wake, NREM, REM), no REM in the deprivation block of `depr`; `offset`
    added to the read-out."""
    readout = offset + base[seed] + np.arange(4.0) + (np.array(effect[seed], float) if label == "depr" else 0)
    occlusion = readout[:, None] - SLOPE.get(label, SLOPE["ctrl"]) * np.array(OCCLUSION_LEVELS)[None]
    deprived = lambda day: label == "depr" and 2 <= day < 6
    states = [s for day in range(8) for s in (["WAKE", "NREM"] if deprived(day) else ["WAKE", "NREM", "REM"])]
    day = np.array([d for d in range(8) for _ in range(2 if deprived(d) else 3)])
    rem = np.array([0.5, 0.0, 0.0, 0.6]) if label == "depr" else np.full(4, 0.5)
    block = np.where(day < 2, "baseline", np.where(day < 6, "deprivation", "recovery"))
    levels = np.where(np.array(states) == "NREM", 0.2, 1.0)[None]
    ds = xr.Dataset(
        {"readout_accuracy": (("brain", "epoch"), readout[None]),
         "occlusion_accuracy": (("brain", "epoch", "occlusion"), occlusion[None]),
         "rem_share": (("brain", "epoch"), rem[None]), "nrem_share": (("brain", "epoch"), 1 - rem[None]),
         "ach": (("brain", "step"), levels), "na": (("brain", "step"), levels)},
        coords={"brain": [0], "condition": ("brain", [label]), "seed": ("brain", [seed]), "epoch": list(EPOCHS),
                "occlusion": list(OCCLUSION_LEVELS), "step": np.arange(len(states)), "state": ("step", states),
                "day": ("step", day), "step_epoch": ("step", 1 + day // DAYS_PER_EPOCH),
                "night": ("step", np.where(np.array(states) == "WAKE", -1, day)), "block": ("step", block)},
        attrs={"config": yaml.safe_dump({"scenario_name": "pad", "seed": seed, "protocol": PROTOCOL}),
               "days_per_epoch": DAYS_PER_EPOCH, "protocol_blocks": json.dumps(BLOCK_DAYS)})
    path.mkdir(parents=True)
    ds.to_netcdf(path / "activity.nc")


SPEC = {"name": "toy", "title": "A toy deprivation", "control": "ctrl", "manipulated": ["depr"], "mode": "quick",
        "predictions": [{"metric": "readout", "expected": "lower", "source": "paper"},
                        {"metric": "robustness", "expected": "none", "source": "nobody"},
                        {"metric": "robustness_drop", "expected": "higher", "source": "DEPRIVATION.md"},
                        {"metric": "rem_share", "expected": "lower", "source": "protocol", "at": "manipulation"},
                        {"metric": "intra_inter_ratio", "expected": "higher", "source": "paper"}]}


@pytest.fixture
def folder(tmp_path) -> Path:
    """2 conditions x 3 paired seeds (+ an unpaired control seed), in directories whose order is not the seeds'."""
    for name, label, seed in (("b", "depr", 2), ("c", "ctrl", 1), ("a", "depr", 0), ("f", "ctrl", 3),
                              ("e", "ctrl", 2), ("d", "depr", 1), ("g", "ctrl", 0)):
        write_run(tmp_path / "exp" / f"run_{name}", label, seed)
    (tmp_path / "exp" / "experiment.json").write_text(json.dumps(SPEC))
    return tmp_path / "exp"


def row(table: pd.DataFrame, metric: str, point: str) -> pd.Series:
    found = table[(table.metric == metric) & (table.time_point == point)]
    assert len(found) == 1, (metric, point, table)
    return found.iloc[0]


def test_effects_are_paired_by_seed_with_their_sem(folder, capsys):
    out = experiment.main([str(folder)])
    assert out == folder / "report" and capsys.readouterr().out.strip() == str(out)
    table = pd.read_csv(out / "effects.csv", keep_default_na=False, na_values=[""])
    r = row(table, "readout", "end of deprivation")
    assert r.epoch == 3 and r.n == 3 and r.seeds == "0 1 2"  # seed 3 has no twin: left out
    effects = np.array([-1.0, -2.0, -6.0])
    assert r.effect_mean == pytest.approx(-3.0) and r.effect_sem == pytest.approx(effects.std(ddof=1) / math.sqrt(3))
    assert r.reference_mean == pytest.approx(np.mean([50, 52, 54]) + 2) and r.manipulated_mean == pytest.approx(51.0)
    assert r.expected == "lower" and r.source == "paper"
    # by hand: sd = sqrt(7), t(0.975, 2) = 4.302653, CI = -3 ± 4.302653 sqrt(7 / 3); the sign flips of (1, 2, 6) reach
    # |sum| >= 9 in 2 of 8 patterns: p = 0.25, and with 3 seeds nothing can be confirmed
    half = 4.302653 * math.sqrt(7 / 3)
    assert (r.ci_low, r.ci_high) == (pytest.approx(-3 - half, abs=1e-5), pytest.approx(-3 + half, abs=1e-5))
    assert r.test == "sign-flip" and r.p == pytest.approx(0.25) and r.d_z == pytest.approx(-3 / math.sqrt(7))
    assert r.verdict == "inconclusive"
    r = row(table, "readout", "end of run")
    assert r.epoch == 4 and r.effect_mean == pytest.approx(2.0) and r.effect_sem == pytest.approx(1 / math.sqrt(3))
    assert r.verdict == "inconclusive"
    r = row(table, "robustness", "end of deprivation")  # mean over p = 0.1..0.5 of readout - slope p
    assert r.effect_mean == pytest.approx(-3.0 - (20 - 10) * 0.3) and r.verdict == "inconclusive"
    r = row(table, "robustness_drop", "end of run")  # every seed +3: no spread, the CI is the mean
    assert r.effect_mean == pytest.approx(3.0) and r.effect_sem == pytest.approx(0.0) and r.ci_low == pytest.approx(3)
    assert row(table, "rem_share", "end of deprivation").verdict == "inconclusive"
    r = row(table, "rem_share", "end of run")  # the prediction is for the manipulation only
    assert r.effect_mean == pytest.approx(0.1) and pd.isna(r.expected) and r.verdict == "exploratory"
    assert pd.isna(r.p_holm) and r.p == pytest.approx(0.25)  # exploratory: unadjusted, outside the family
    r = row(table, "intra_inter_ratio", "end of run")  # predicted but not measured
    assert r.n == 0 and r.verdict == "not measured" and r.expected == "higher" and pd.isna(r.p_holm)
    # the family: the 7 predicted rows with a p, each 0.25 (3 seeds): Holm multiplies the smallest by 7, capped at 1
    tested = table[table.expected.notna() & table.p.notna()]
    assert len(tested) == 7 and (tested.p_holm == 1.0).all()
    md = (out / "effects.md").read_text()
    assert ("| depr | readout (%) | end of deprivation | 3 | 54.00 | 51.00 | -3.00 [-9.57, +3.57] % | 3 | -1.13 | "
            "sign-flip: 0.250 (1.000) | 9 | lower | paper | inconclusive |") in md
    assert "7 predictions were tested" in md and "0 confirmed, 0 contradicted, 7 inconclusive" in md
    assert "With 3 seeds the sign-flip test cannot reach p < 0.05" in md
    # each condition's own figures at the end of the run, by hand: control read-out 53, 55, 57, 93 (4 seeds):
    # mean 64.5, sd sqrt(1091 / 3), t(0.975, 3) = 3.182446
    conditions = pd.read_csv(out / "conditions.csv")
    r = conditions[(conditions.condition == "ctrl") & (conditions.metric == "readout")].iloc[0]
    sem = math.sqrt(1091 / 3) / 2
    assert r.n == 4 and r.epoch == 4 and r["mean"] == pytest.approx(64.5) and r["sem"] == pytest.approx(sem)
    assert (r.ci_low, r.ci_high) == (pytest.approx(64.5 - 3.182446 * sem), pytest.approx(64.5 + 3.182446 * sem))
    assert "| ctrl | readout (%) | 4 | 64.50 ± 9.54 [34.16, 94.84] | 4 |" in md
    for name in ("time_course", "hypnograms", "occlusion"):
        for ext in ("png", "pdf"):
            assert (out / f"{name}.{ext}").stat().st_size > 1000


def test_verdicts_follow_the_holm_adjusted_tests_over_the_predictions(tmp_path):
    """12 seeds (the t-test decides): read-out clearly lower at the block's end (confirmed), clearly higher at the
    run's end against a prediction of lower (contradicted), REM share lower in the block in every seed alike
    (confirmed); the three form the family, Holm by hand; unpredicted metrics are exploratory."""
    seeds = range(12)
    jitter = {s: 0.25 * ((3 * s) % 5 - 2) for s in seeds}  # a spread without a trend
    effect = {s: (0, 0, -3 + jitter[s], 2 + jitter[s]) for s in seeds}
    base = {s: 50.0 + s for s in seeds}
    for s in seeds:
        for label in ("ctrl", "depr"):
            write_run(tmp_path / "exp" / f"{label}_{s}", label, s, base, effect)
    spec = SPEC | {"predictions": [SPEC["predictions"][0], SPEC["predictions"][3]]}  # readout, rem_share (block)
    (tmp_path / "exp" / "experiment.json").write_text(json.dumps(spec))
    table = pd.read_csv(experiment.main([str(tmp_path / "exp")]) / "effects.csv", keep_default_na=False,
                        na_values=[""])
    block, end = "end of deprivation", "end of run"
    p = {point: scipy.stats.ttest_1samp([effect[s][epoch - 1] for s in seeds], 0).pvalue
         for point, epoch in ((block, 3), (end, 4))}
    p["rem_share"] = 0.0  # -0.5 in every seed: no spread, a certain effect
    ordered = sorted(p.values())  # Holm: the k-th smallest times (3 - k), running maximum
    adjusted = dict(zip(sorted(p, key=p.get), np.maximum.accumulate([q * (3 - k) for k, q in enumerate(ordered)])))
    for metric, point, key, result in (("readout", block, block, "confirmed"), ("readout", end, end, "contradicted"),
                                       ("rem_share", block, "rem_share", "confirmed")):
        r = row(table, metric, point)
        assert r.test == "t" and r.n == 12 and r.p == pytest.approx(p[key], rel=1e-6, abs=1e-300), (metric, point)
        assert r.p_holm == pytest.approx(min(1.0, adjusted[key]), rel=1e-6, abs=1e-300) and r.verdict == result
    assert (table[~table.expected.notna()].verdict == "exploratory").all()
    md = (experiment.main([str(tmp_path / "exp")]) / "effects.md").read_text()
    assert "3 predictions were tested" in md and "2 confirmed, 1 contradicted, 0 inconclusive" in md
    assert "- depr lowered readout by 3.02 points at end of deprivation (95% CI -3.26 to -2.78; n = 12" in md


def test_predictions_are_tested_against_the_matched_control(folder):
    """A matched control (read-out 1 point above the control in every seed and epoch): the manipulated condition is
    compared with both, its predictions tested against the matched one only; the matched one against the control,
    exploratory."""
    for seed in (0, 1, 2):
        write_run(folder / f"run_m{seed}", "matched", seed, offset=1.0)
    spec = SPEC | {"manipulated": ["depr", "matched"], "matched": {"depr": "matched"}}
    (folder / "experiment.json").write_text(json.dumps(spec))
    out = experiment.main([str(folder)])
    table = pd.read_csv(out / "effects.csv", keep_default_na=False, na_values=[""])
    pick = lambda condition, reference: table[(table.condition == condition) & (table.reference == reference) &
                                              (table.metric == "readout") & (table.time_point == "end of deprivation")]
    r = pick("depr", "matched").iloc[0]
    assert r.effect_mean == pytest.approx(-3.0 - 1.0) and r.expected == "lower" and r.verdict == "inconclusive"
    r = pick("depr", "ctrl").iloc[0]
    assert r.effect_mean == pytest.approx(-3.0) and pd.isna(r.expected) and r.verdict == "exploratory"
    r = pick("matched", "ctrl").iloc[0]
    assert r.effect_mean == pytest.approx(1.0) and pd.isna(r.expected) and r.verdict == "exploratory"
    assert set(table[table.expected.notna()].reference) == {"matched"}
    md = (out / "effects.md").read_text()
    assert "| depr vs matched | readout (%) | end of deprivation |" in md and "- depr, against matched, lowered" in md


def test_the_time_course_shows_both_conditions_and_the_blocks(folder):
    ds = open_runs(sorted(map(str, folder.glob("run_*"))))
    fig = experiment.time_course_figure(ds, experiment.read_experiment(folder))
    readout = next(ax for ax in fig.axes if ax.get_title() == "readout")
    lines = {line.get_label(): line.get_ydata() for line in readout.get_lines() if "n=" in line.get_label()}
    np.testing.assert_allclose(lines["ctrl (n=4)"], np.mean(list(BASE.values())) + np.arange(4))
    np.testing.assert_allclose(lines["depr (n=3)"], 52 + np.arange(4) + np.array([0, 0, -3, 2]))
    assert {t.get_text() for t in readout.texts} == {"baseline", "deprivation", "recovery"}


def test_a_named_manipulation_block_sets_the_time_point(folder):
    spec = SPEC | {"manipulation_block": "recovery", "names": {"depr": "deprived"}}
    (folder / "experiment.json").write_text(json.dumps(spec))
    table = experiment.effect_table(open_runs(sorted(map(str, folder.glob("run_*")))),
                                    experiment.read_experiment(folder))
    assert set(table.time_point) == {"end of recovery (end of run)"}
    r = row(table, "rem_share", "end of recovery (end of run)")  # the point is both: "at": manipulation applies
    assert r.expected == "lower" and r.effect_mean == pytest.approx(0.1) and r.verdict == "inconclusive"


def test_the_report_quotes_the_design_and_the_pilot(folder):
    spec = json.loads((folder / "experiment.json").read_text())
    notes, pilot = "the same seed and images", "seeds 100-103: read-out -2.00 [-5.00, +1.00]; 8 seeds may answer"
    (folder / "experiment.json").write_text(json.dumps(spec | {"notes": notes, "pilot": pilot}))
    lines = (experiment.main([str(folder)]) / "effects.md").read_text().splitlines()
    assert lines[4:7] == [f"Design: {notes}", "", f"Pilot: {pilot}"]


@pytest.mark.parametrize("case", ["no spec", "bad json", "metric", "expected", "label", "twice", "pilot"])
def test_bad_input_is_one_line(folder, case, capsys):
    spec = dict(SPEC)
    if case == "no spec":
        (folder / "experiment.json").unlink()
    elif case == "bad json":
        (folder / "experiment.json").write_text("{")
    elif case == "twice":
        write_run(folder / "run_z", "ctrl", 0)
    else:
        spec |= {"metric": {"predictions": [{"metric": "fid", "expected": "lower", "source": ""}]},
                 "expected": {"predictions": [{"metric": "readout", "expected": "down", "source": ""}]},
                 "label": {"manipulated": ["nope"]}, "pilot": {"pilot": ["seeds 100-103"]}}[case]
        (folder / "experiment.json").write_text(json.dumps(spec))
    with pytest.raises(SystemExit) as exit_:
        experiment.main([str(folder)])
    err = capsys.readouterr().err
    expected = {"no spec": "no experiment.json", "bad json": "not valid JSON", "metric": "metric must be one of",
                "expected": "expected must be one of", "label": "'nope' matches no run", "twice": "two runs of one seed",
                "pilot": '"notes" and "pilot" must be text'}
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and expected[case] in err, err
    assert not (folder / "report").exists()


def test_an_experiment_of_real_runs(run_night, tmp_path):
    """Control (REM kept) and REM deprivation on days 2..3, two seeds each, through the runner's multirun."""
    done = run_night("-m", "data=shapes", "data.train_size=64", "data.test_size=50", "cortex.channels=[3,8,16,32]",
                     "cortex.latent_dim=32", "record.units_per_area=16", "record.probes_per_class=2", "optim.batch_size=16", "eval.readout_epochs=1", "progress=false",
                     "device=cpu", "keep_epoch_cortex=false", "epochs=2", "protocol=rem_deprivation",
                     "protocol.unit=day", "protocol.blocks.0.start=0", "protocol.blocks.0.stop=2",
                     "protocol.blocks.1.start=2", "protocol.blocks.1.stop=4", "protocol.blocks.2.start=4",
                     "protocol.blocks.1.keep.REM=1.0,0.0", "seed=0,1", f"hydra.sweep.dir={tmp_path / 'exp'}")
    assert done.returncode == 0, done.stderr[-3000:]
    ds = open_runs(str(tmp_path / "exp" / "*"))
    kept = {str(ds.condition.values[b]): run_config(ds, b)["protocol"]["blocks"][1]["keep"]["REM"] for b in range(4)}
    control, deprived = (next(k for k, v in kept.items() if v == value) for value in (1.0, 0.0))
    (tmp_path / "exp" / "experiment.json").write_text(json.dumps(
        {"name": "remd", "title": "REM deprivation", "control": control, "manipulated": [deprived], "mode": "quick",
         "predictions": [{"metric": "rem_share", "expected": "lower", "source": "protocol", "at": "manipulation"}]}))
    out = experiment.main([str(tmp_path / "exp"), "--out", str(tmp_path / "report")])
    table = pd.read_csv(out / "effects.csv")
    # by another route: the REM share of epoch 1's night steps (days 0..3), from each brain's logged states
    night = (ds.night >= 0) & (ds.step_epoch == 1)
    share = ((ds.state == "REM") & night).sum("step") / night.sum("step")
    by = lambda label: share.values[ds.condition.values == label][np.argsort(ds.seed.values[ds.condition.values == label])]
    r = row(table, "rem_share", "end of deprivation")
    assert r.epoch == 1 and r.n == 2 and r.verdict == "inconclusive"  # 2 seeds: the sign-flip p is at least 0.5
    assert r.effect_mean == pytest.approx(np.mean(by(deprived) - by(control)), abs=1e-6) and r.effect_mean < 0
    readout = ds.readout_accuracy.sel(epoch=2)
    r = row(table, "readout", "end of run")
    by = lambda label: readout.values[ds.condition.values == label][np.argsort(ds.seed.values[ds.condition.values == label])]
    assert r.epoch == 2 and r.effect_mean == pytest.approx(np.mean(by(deprived) - by(control)), abs=1e-4)
    assert (out / "hypnograms.png").exists() and (out / "time_course.pdf").exists()
    # replay fidelity and drift of z, by another route: numpy's Pearson r on the file's raw axes, probe by probe
    z = ds.activity.sel(pathway="feedforward", area="z").transpose("brain", "recording", "record_state",
                                                                   "record_probe", "unit")
    states = list(ds.record_state.values)
    recorded_epoch = ds.recording_epoch.broadcast_like(ds.brain).transpose("brain", "recording").values

    def mean_r(a, b):  # (probe, unit) x 2 -> the mean over probes of r(a_i, b_i)
        return np.mean([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)])

    for metric, other in (("nrem_replay_fidelity", "NREM"), ("rem_replay_fidelity", "REM"), ("drift", None)):
        values = []
        for b in range(4):
            last = np.flatnonzero(recorded_epoch[b] == 2)[-1]
            wake = z.values[b, last, states.index("WAKE")]
            other_values = z.values[b, last - 1, states.index("WAKE")] if other is None else \
                z.values[b, last, states.index(other)]
            values.append(mean_r(wake, other_values))
        by = lambda label: np.array(values)[ds.condition.values == label][np.argsort(ds.seed.values[ds.condition.values == label])]
        r = row(table, metric, "end of run")
        assert r.epoch == 2 and r.n == 2 and np.isfinite(r.effect_mean), metric
        assert r.effect_mean == pytest.approx(np.mean(by(deprived) - by(control)), abs=1e-5), metric
