"""`python -m analysis.experiment FOLDER [--out DIR]`: the report of a deprivation experiment: the effect of each
manipulation (manipulated minus control, paired by seed) with its 95% CI, paired test, d_z and the seeds 80% power
would need, a verdict on each prediction (confirmed / contradicted / inconclusive, Holm-adjusted: analysis.statistics)
and a summary in plain words, and figures over time.

FOLDER holds the experiment's run directories (at any depth, each with activity.nc) and `experiment.json`, written by
the experiment's script:
  {"name": str, "title": str, "control": LABEL, "manipulated": [LABEL, ...], "mode": "quick" | "full",
   "predictions": [{"metric": NAME, "expected": "lower" | "higher" | "none", "source": TEXT,
                    "condition": LABEL (optional: this manipulated condition only),
                    "at": "manipulation" | "end" (optional: this time point only)}],
   "manipulation_block": NAME (optional), "names": {LABEL: short name} (optional, for figures and table),
   "published": {LABEL: {NAME: {"mean", "sem", "n", "epoch"}}} (optional: published figures shown beside),
   "notes": TEXT (optional: the design, what the conditions hold equal),
   "pilot": TEXT (optional: what the mode's pilot found, on seeds the report never uses),
   "axis": {"name": NAME, "values": {LABEL: number}} (optional: a dose; the report draws effects against it),
   "matched": {LABEL: LABEL} (optional: a manipulated condition's matched control, itself a manipulated condition
              that holds equal what the manipulation should not change; the predictions are tested against it)}
LABEL is a brain's `condition` coordinate (sims/life/labels.py); NAME a metric of METRICS. Written under DIR (default
FOLDER/report): effects.md and effects.csv (a row per manipulated condition, time point and metric), conditions.csv
(each condition's own figures at the end of the run, beside published ones), occlusion.png/pdf (accuracy against
the drop probability per condition, where measured), dose_response.png/pdf (with an "axis": each effect against the
dose, with its CI), time_course.png/pdf
(each metric over epochs, control and manipulated, mean ± SEM bands, the manipulation's blocks shaded, and beneath it
the paired effect per seed with its 95% CI) and
hypnograms.png/pdf (one seed per condition, blocks shaded). Prints the report folder. Bad input: one line, status 2.

Time points: the last epoch of the manipulation (the protocol's blocks other than the first and the last, or the block
named by "manipulation_block"; the epoch in which its last day lies, measured at that epoch's end) and the last
epoch of the run. A brain's value at a time point is its last evaluated value at or before that epoch. Where the run
ended before the manipulation began (a short `epochs`), the manipulation's rows say "not reached", with no values, and
the end-of-run rows "n/a (not manipulated)"; a block the run cut short is named so ("..., cut short by the run's end").
"""
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from analysis import style
from analysis.activity import per_epoch, recorded
from analysis.cli import Parser, one_line_errors, writable_folder
from analysis.figures import last_evaluated, plot_occlusion, shade_epochs
from analysis.hypnogram import Block, days_per_epoch, manipulation_blocks, per_step, protocol_blocks
from analysis.hypnogram_plot import hypnogram_figure
from analysis.load import ACTIVITY, open_runs
from analysis.representation import drift, replay_fidelity
from analysis.statistics import (ALPHA, SMALL_N, VERDICTS, ci_half_width, holm, mean_ci, mean_sem,
                                 paired_statistics, verdict)
from cortex import LATENT
from records.errors import PadError
from records.files import atomic_write

SPEC = "experiment.json"
ROBUSTNESS_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5)  # drop probabilities averaged by `robustness`


def occluded(ds: xr.Dataset) -> xr.DataArray:
    return ds.occlusion_accuracy.sel(occlusion=list(ROBUSTNESS_LEVELS), method="nearest").mean("occlusion",
                                                                                              skipna=False)


def z_activity(ds: xr.Dataset, state: str | None = None) -> xr.DataArray:
    """The recorded activity of the latent code z (feedforward pathway), in one state or all."""
    activity = recorded(ds).sel(pathway="feedforward", area=LATENT)
    return activity if state is None else activity.sel(state=state)


def replay_in_z(ds: xr.Dataset, state: str) -> xr.DataArray:
    return per_epoch(replay_fidelity(z_activity(ds), state).fidelity, ds)


@dataclass(frozen=True)
class Metric:
    units: str
    axis: str  # the y label of its figure panel
    description: str
    needs: str  # the activity variable it is computed from
    compute: Callable[[xr.Dataset], xr.DataArray]  # -> (brain, epoch)


METRICS = {  # name -> units, y label, description, the variable it needs, (brain, epoch) from the activity
    "readout": Metric("%", "read-out accuracy (%)", "linear read-out accuracy on the test images",
                      "readout_accuracy", lambda ds: ds.readout_accuracy),
    "robustness": Metric("%", "occluded accuracy (%)",
                         "read-out accuracy on occluded test images, mean over drop probabilities 0.1-0.5",
                         "occlusion_accuracy", occluded),
    "robustness_drop": Metric("points", "clean − occluded (points)",
                              "clean accuracy (drop probability 0) minus robustness: what occlusion costs",
                              "occlusion_accuracy",
                              lambda ds: ds.occlusion_accuracy.sel(occlusion=0.0, method="nearest") - occluded(ds)),
    "intra_inter_ratio": Metric("1", "intra / inter distance", "mean same-class over different-class latent distance",
                                "intra_inter_ratio", lambda ds: ds.intra_inter_ratio),
    "occluded_inter_ratio": Metric("1", "clean-occluded / inter",
                                   "distance of z to its 30%-occluded copy's over the different-class distance",
                                   "occluded_inter_ratio", lambda ds: ds.occluded_inter_ratio),
    "rem_share": Metric("1", "REM share of night steps", "share of the epoch's night steps in REM", "rem_share",
                        lambda ds: ds.rem_share),
    "nrem_share": Metric("1", "NREM share of night steps", "share of the epoch's night steps in NREM", "nrem_share",
                         lambda ds: ds.nrem_share),
    "nrem_replay_fidelity": Metric("1", "NREM replay fidelity (r)", "Pearson r, across the recorded units of z, between "
                                   "a probe memory's Wake activity and its NREM replay's, mean over probes "
                                   "(feedforward pathway, the epoch's last recording)", "activity",
                                   lambda ds: replay_in_z(ds, "NREM")),
    "rem_replay_fidelity": Metric("1", "REM replay fidelity (r)", "the same for the REM dream seeded from the probe",
                                  "activity", lambda ds: replay_in_z(ds, "REM")),
    "drift": Metric("1", "stability of z (r)", "Pearson r between a probe's Wake activity in z and its activity at "
                    "the previous recording (1: no drift), mean over probes", "activity",
                    lambda ds: per_epoch(drift(z_activity(ds, "WAKE")), ds)),
}
EXPECTED = ("lower", "higher", "none")


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    control: str
    manipulated: tuple[str, ...]
    predictions: tuple[dict, ...]
    mode: str = "quick"
    manipulation_block: str | None = None
    names: dict = field(default_factory=dict)
    published: dict = field(default_factory=dict)  # label -> metric -> {"mean", "sem", "n", "epoch"}
    matched: dict = field(default_factory=dict)  # manipulated label -> the label of its matched control
    notes: str = ""  # the design: what the manipulated brains and their controls hold equal
    pilot: str = ""  # what the mode's pilot found (seeds the report never uses), and what this scale can answer
    axis: dict = field(default_factory=dict)  # {"name": "dose", "values": {label: number}}: a numeric axis

    def reference(self, label: str) -> str:
        """The condition a manipulated condition's predictions are tested against: its matched control, if any."""
        return self.matched.get(label, self.control)

    def short(self, label: str) -> str:
        return self.names.get(label, label)


def read_experiment(folder: Path) -> Experiment:
    """experiment.json of `folder`, checked: a PadError naming the file and the key otherwise."""
    path = folder / SPEC
    if not path.is_file():
        raise PadError(f"{folder}: no {SPEC} (the experiment's script writes it)")
    try:
        spec = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise PadError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(spec, dict):
        raise PadError(f"{path}: must hold a JSON object")
    for key, kind in (("name", str), ("title", str), ("control", str), ("manipulated", list), ("predictions", list)):
        if not isinstance(spec.get(key), kind):
            raise PadError(f"{path}: \"{key}\" missing or not a {kind.__name__}")
    for p in spec["predictions"]:
        if not isinstance(p, dict) or p.get("metric") not in METRICS:
            raise PadError(f"{path}: prediction {p!r}: metric must be one of {', '.join(METRICS)}")
        if p.get("expected") not in EXPECTED:
            raise PadError(f"{path}: prediction of {p['metric']}: expected must be one of {', '.join(EXPECTED)}")
        if p.get("at", "end") not in ("manipulation", "end"):
            raise PadError(f"{path}: prediction of {p['metric']}: at must be manipulation or end")
    if not spec["manipulated"]:
        raise PadError(f"{path}: \"manipulated\" names no condition")
    if not all(isinstance(spec.get(k, ""), str) for k in ("notes", "pilot")):
        raise PadError(f"{path}: \"notes\" and \"pilot\" must be text")
    if not isinstance(spec.get("names", {}), dict) or not isinstance(spec.get("manipulation_block", ""), str):
        raise PadError(f"{path}: \"names\" must be an object, \"manipulation_block\" a block's name")
    axis = spec.get("axis", {})
    if axis and not (isinstance(axis, dict) and isinstance(axis.get("name"), str)
                     and isinstance(axis.get("values"), dict)
                     and all(isinstance(v, (int, float)) for v in axis["values"].values())):
        raise PadError(f"{path}: \"axis\" must be {{\"name\": NAME, \"values\": {{LABEL: number}}}}")
    matched = spec.get("matched", {})
    if not isinstance(matched, dict) or not all(k in spec["manipulated"] and v in spec["manipulated"] and k != v
                                                for k, v in matched.items()):
        raise PadError(f"{path}: \"matched\" must map manipulated conditions to other manipulated conditions")
    for label, rows in spec.get("published", {}).items():
        if not isinstance(rows, dict) or not all(isinstance(r, dict) and {"mean", "sem", "n", "epoch"} <= set(r)
                                                 for r in rows.values()):
            raise PadError(f"{path}: \"published\" of {label!r} must map metrics to {{mean, sem, n, epoch}}")
    if spec.get("mode", "quick") not in ("quick", "full"):
        raise PadError(f"{path}: \"mode\" must be quick or full")
    known = {k: spec[k] for k in Experiment.__dataclass_fields__ if k in spec}
    return Experiment(**known | {"manipulated": tuple(spec["manipulated"]), "predictions": tuple(spec["predictions"])})


def check_labels(ds: xr.Dataset, experiment: Experiment, folder: Path) -> None:
    found = {str(s) for s in ds.condition.values}
    for label in (experiment.control, *experiment.manipulated):
        if label not in found:
            raise PadError(f"{folder / SPEC}: condition {label!r} matches no run (labels: {', '.join(sorted(found))})")
    for label in map(str, found):
        seeds = ds.seed.values[ds.condition.values == label]
        if len(set(seeds)) < len(seeds):
            raise PadError(f"{folder}: condition {label!r} holds two runs of one seed")


# --- effects -----------------------------------------------------------------------------------------------------
def brains_of(ds: xr.Dataset, label: str) -> np.ndarray:
    return np.flatnonzero(ds.condition.values == label)


def lived_days(ds: xr.Dataset, brains) -> int:
    """How many days the brains lived: the last day any of them logged, plus one."""
    day = per_step(ds, "day")[np.asarray(brains)].astype(float)
    return int(np.nanmax(day)) + 1 if np.isfinite(day).any() else 0


def unreached(ds: xr.Dataset, experiment: Experiment, label: str) -> list[Block]:
    """The manipulation blocks of `label` that begin after its brains' last day: never lived (a run cut short by
    `epochs`); [] where the manipulation happened."""
    pick = brains_of(ds, label)
    manipulation = manipulation_blocks(protocol_blocks(ds, int(pick[0])), experiment.manipulation_block)
    return [b for b in manipulation if b.first_day >= lived_days(ds, pick)]


def time_points(ds: xr.Dataset, experiment: Experiment, label: str) -> list[tuple[set, str, int | None]]:
    """(kinds, name, epoch): the manipulation's last epoch (kind "manipulation", if the condition has manipulation
    blocks; epoch None where the run ends before the manipulation begins: not reached) and the run's last (kind
    "end"); one point of both kinds where they coincide."""
    pick = brains_of(ds, label)
    blocks = protocol_blocks(ds, int(pick[0]))
    manipulation = manipulation_blocks(blocks, experiment.manipulation_block)
    if experiment.manipulation_block and not manipulation:
        raise PadError(f"manipulation_block {experiment.manipulation_block!r}: not a block of {label!r}")
    both = np.r_[pick, brains_of(ds, experiment.control)]
    evaluated = ds.readout_accuracy.isel(brain=both).notnull().any("brain").values if "readout_accuracy" in ds \
        else np.ones(ds.sizes["epoch"], bool)
    last = int(ds.epoch.values[evaluated].max()) if evaluated.any() else int(ds.epoch.max())
    if not manipulation:
        return [({"end"}, "end of run", last)]
    name = f"end of {'+'.join(dict.fromkeys(b.name for b in manipulation))}"
    lived, stop = lived_days(ds, pick), max(b.stop_day for b in manipulation)
    if (first := min(b.first_day for b in manipulation)) >= lived:
        return [({"manipulation"}, f"{name} (not reached: it begins on day {first}, the run ended after {lived} days)",
                 None), ({"end"}, "end of run", last)]
    end = min(1 + (min(stop, lived) - 1) // days_per_epoch(ds, int(pick[0])), last)
    name += ", cut short by the run's end" if stop > lived else ""
    if end == last:
        return [({"manipulation", "end"}, f"{name} (end of run)", last)]
    return [({"manipulation"}, name, end), ({"end"}, "end of run", last)]


def at_or_before(da: xr.DataArray, epoch: int) -> np.ndarray:
    """(brain,): each brain's last evaluated value of `da` (brain, epoch) at or before `epoch` (NaN if none)."""
    part = da.sel(epoch=da.epoch.values[da.epoch.values <= epoch])
    return last_evaluated(part)[0].values if part.sizes["epoch"] else np.full(da.sizes["brain"], np.nan)


def by_seed(ds: xr.Dataset, values: np.ndarray, control: str, manipulated: str) -> tuple[list, np.ndarray, np.ndarray]:
    """(the seeds both conditions hold, sorted; their control values; their manipulated values) of `values`
    (brain, ...): the pairs of a paired comparison."""
    of = lambda label: {int(ds.seed.values[b]): values[b] for b in brains_of(ds, label)}
    c, m = of(control), of(manipulated)
    seeds = sorted(set(c) & set(m))
    return seeds, np.array([c[s] for s in seeds], float), np.array([m[s] for s in seeds], float)


def paired(ds: xr.Dataset, values: np.ndarray, reference: str, manipulated: str) -> dict:
    """Means of both conditions over the seeds they share (both finite) and the effect per seed, manipulated minus
    reference, with its statistics (analysis.statistics: mean, SEM, 95% CI, the paired test, d_z, seeds for 80%
    power)."""
    seeds, c, m = by_seed(ds, values, reference, manipulated)
    keep = np.isfinite(c) & np.isfinite(m)
    seeds, c, m = [s for s, k in zip(seeds, keep) if k], c[keep], m[keep]
    stats = paired_statistics(m - c)
    return {"reference_mean": c.mean() if len(seeds) else np.nan, "manipulated_mean": m.mean() if len(seeds) else np.nan,
            "effect_mean": stats["mean"], "effect_sem": stats["sem"], "ci_low": stats["ci_low"],
            "ci_high": stats["ci_high"], "n": stats["n"], "seeds": " ".join(map(str, seeds)), "test": stats["test"],
            "p": stats["p"], "p_t": stats["p_t"], "p_sign_flip": stats["p_sign_flip"], "d_z": stats["d_z"],
            "n_for_power": stats["n_for_power"]}


def present(ds: xr.Dataset) -> list[str]:
    return [m for m, metric in METRICS.items() if metric.needs in ds and bool(ds[metric.needs].notnull().any())]


def effect_table(ds: xr.Dataset, experiment: Experiment) -> pd.DataFrame:
    """A row per manipulated condition, time point and metric (measured or predicted), with its statistics, against
    the control, and also against its matched control where it has one (`reference`: the condition subtracted; the
    predictions are tested against the matched control, which answers the question). The rows that test a
    prediction are one family, Holm-adjusted (`p_holm`), and get a verdict; the others say why
    not: exploratory (no prediction), not measured (no paired values), not reached, n/a (not manipulated)."""
    measured, rows = present(ds), []
    predicted = [p["metric"] for p in experiment.predictions]
    computed = {name: METRICS[name].compute(ds) for name in measured}  # (brain, epoch), once per report
    matching = set(experiment.matched.values())  # matched controls: compared with the control, predictions untested
    for label, reference in [(m, r) for m in experiment.manipulated
                             for r in dict.fromkeys((experiment.control, experiment.reference(m)))]:
        manipulated = not unreached(ds, experiment, label)
        tests = reference == experiment.reference(label) and label not in matching
        for kinds, point, epoch in time_points(ds, experiment, label):
            applies = [p for p in experiment.predictions if tests
                       and p.get("condition") in (None, label) and p.get("at", next(iter(kinds))) in kinds]
            predictions = {p["metric"]: p for p in sorted(applies, key=lambda p: "condition" in p)}  # specific wins
            for name in [m for m in METRICS if m in measured or m in predicted]:
                values = at_or_before(computed[name], epoch) if name in measured and epoch is not None \
                    else np.full(ds.sizes["brain"], np.nan)
                p = predictions.get(name, {})
                effect = paired(ds, values, reference, label)
                status = "not reached" if epoch is None else "n/a (not manipulated)" if not manipulated else \
                    "not measured" if effect["n"] == 0 else ""
                rows.append({"condition": label, "reference": reference, "metric": name, "units": METRICS[name].units,
                             "time_point": point,
                             "epoch": epoch} | effect | {"expected": p.get("expected", ""),
                                                         "source": p.get("source", ""), "verdict": status})
    table = pd.DataFrame(rows)
    if not len(table):
        return table
    tested = (table.verdict == "") & (table.expected != "")
    table["p_holm"] = np.nan
    table.loc[tested, "p_holm"] = holm(table.p[tested])
    table.loc[tested, "verdict"] = [verdict(e, m, p) for e, m, p in
                                    zip(table.expected[tested], table.effect_mean[tested], table.p_holm[tested])]
    table.loc[(table.verdict == "") & (table.expected == ""), "verdict"] = "exploratory"
    table.insert(table.columns.get_loc("p_sign_flip") + 1, "p_holm", table.pop("p_holm"))
    return table


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if np.isfinite(value) else "–"


def _p(value: float, prefix: str = "") -> str:
    """A p value as "0.123" or "< 0.001" (prefix "p": "p = 0.123", "p < 0.001")."""
    if not np.isfinite(value):
        return f"{prefix} = –".lstrip(" =") if prefix else "–"
    text = "< 0.001" if value < 0.001 else f"{value:.3f}"
    return f"{prefix} {text if text[0] == '<' else '= ' + text}" if prefix else text


def _digits(units: str) -> int:
    return 2 if units in ("%", "points") else 3


def _effect(r) -> str:
    """mean [95% CI low, high] units, or why there is none."""
    d, unit = _digits(r.units), "" if r.units == "1" else f" {r.units}"
    if r.verdict == "not reached":
        return "not reached"
    if not np.isfinite(r.ci_low):
        return _number(r.effect_mean, d) + unit
    return f"{r.effect_mean:+.{d}f} [{r.ci_low:+.{d}f}, {r.ci_high:+.{d}f}]{unit}"


def _versus(r, experiment: Experiment) -> str:
    """The row's condition, and the condition it is compared with where that is not the control."""
    own = experiment.short(r.condition)
    return own if r.reference == experiment.control else f"{own} vs {experiment.short(r.reference)}"


def summary(table: pd.DataFrame, experiment: Experiment) -> list[str]:
    """The report's opening paragraph in plain words: what was tested, how, and what came out, prediction by
    prediction."""
    tested = table[table.verdict.isin(VERDICTS)] if len(table) else table
    if not len(tested):
        return ["No prediction could be tested (none reached, or none made)."]
    counts = ", ".join(f"{(tested.verdict == v).sum()} {v}" for v in VERDICTS)
    lines = [f"{len(tested)} predictions were tested, each as the paired effect of the manipulation (manipulated "
             f"minus control brain of the same seed), Holm-adjusted together at alpha = {ALPHA}: {counts}.", ""]
    for _, r in tested.iterrows():
        d = _digits(r.units)
        direction = "lowered" if r.effect_mean < 0 else "raised"
        unit = {"1": "", "%": " points"}.get(r.units, f" {r.units}")  # a difference of percentages is in points
        amount = f"{abs(r.effect_mean):.{d}f}{unit}"
        ci = f"95% CI {r.ci_low:+.{d}f} to {r.ci_high:+.{d}f}" if np.isfinite(r.ci_low) else "no CI"
        who = experiment.short(r.condition) if r.reference == experiment.control else \
            f"{experiment.short(r.condition)}, against {experiment.short(r.reference)},"
        lines.append(f"- {who} {direction} {r.metric} by {amount} at {r.time_point} ({ci}; "
                     f"n = {r.n}, d_z = {_number(r.d_z, 2)}, {r.test} test {_p(r.p, 'p')}, Holm {_p(r.p_holm, 'p')}): "
                     f"**{r.verdict}** (predicted {r.expected}).")
    small = tested[(tested.test == "sign-flip") & (tested.n < 6)]
    if len(small):
        n = int(small.n.min())
        lines += ["", f"With {n} seeds the sign-flip test cannot reach p < {ALPHA} (its smallest p is 2/2^{n} = "
                      f"{2 / 2 ** n:.3g}): no effect can be confirmed at this scale, whatever its mean; the column "
                      "'seeds for 80% power' says how many seeds the observed effects would need."]
    return lines


def conditions_table(ds: xr.Dataset, experiment: Experiment) -> pd.DataFrame:
    """Each condition's own figures at the end of the run (its last evaluated epoch), for the metrics predicted or
    published: mean, SEM, Student-t 95% CI and n over its brains, and the published figure where there is one."""
    metrics = [m for m in METRICS if m in present(ds) and (m in {p["metric"] for p in experiment.predictions}
                                                          or any(m in rows for rows in experiment.published.values()))]
    rows, finals = [], {name: last_evaluated(METRICS[name].compute(ds)) for name in metrics}  # (brain,), epochs
    for label in (experiment.control, *experiment.manipulated):
        pick = brains_of(ds, label)
        for name in metrics:
            final, epochs = finals[name][0].values[pick], finals[name][1][pick]
            mean, sem, n = mean_sem(final)
            half = ci_half_width(sem, n)
            published = experiment.published.get(label, {}).get(name, {})
            rows.append({"condition": label, "metric": name, "units": METRICS[name].units,
                         "epoch": float(np.nanmax(epochs)) if np.isfinite(epochs).any() else np.nan,
                         "n": int(n), "mean": float(mean), "sem": float(sem),
                         "ci_low": float(mean - half), "ci_high": float(mean + half)}
                        | {f"published_{k}": published.get(k, np.nan) for k in ("mean", "sem", "n", "epoch")})
    return pd.DataFrame(rows)


def conditions_markdown(table: pd.DataFrame, experiment: Experiment) -> list[str]:
    if not len(table):
        return []
    head = ["condition", "metric", "epoch", "mean ± SEM [95% CI]", "n"]
    published = table.published_mean.notna().any()
    head += ["published (mean ± SEM)"] if published else []
    lines = ["## Conditions at the end of the run", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        d = _digits(r.units)
        figure = "–" if not np.isfinite(r["mean"]) else f"{r['mean']:.{d}f}" + (
            f" ± {r['sem']:.{d}f} [{r.ci_low:.{d}f}, {r.ci_high:.{d}f}]" if np.isfinite(r["sem"]) else "")
        cells = [experiment.short(r.condition), f"{r.metric} ({r.units})", _number(r.epoch, 0), figure, str(r.n)]
        if published:
            cells.append("–" if not np.isfinite(r.published_mean) else
                         f"{r.published_mean:.{d}f} ± {r.published_sem:.{d}f} (n = {r.published_n:.0f}, epoch "
                         f"{r.published_epoch:.0f})")
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def markdown(table: pd.DataFrame, experiment: Experiment, conditions: pd.DataFrame | None = None) -> str:
    head = ["condition", "metric", "time point", "epoch", "reference", "manipulated",
            "effect [95% CI] (manipulated − reference)", "n", "d_z", "test: p (Holm)", "seeds for 80% power",
            "prediction", "source", "verdict"]
    lines = [f"# {experiment.title}", "", f"Experiment `{experiment.name}`, {experiment.mode} mode; control: "
             f"{experiment.short(experiment.control)}.", *(["", f"Design: {experiment.notes}"] if experiment.notes
                                                           else []),
             *(["", f"Pilot: {experiment.pilot}"] if experiment.pilot else []),
             "", "## Summary", "", *summary(table, experiment), "",
             *conditions_markdown(conditions if conditions is not None else pd.DataFrame(), experiment),
             "## Effects", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        d = _digits(r.units)
        test = "–" if not r.test else f"{r.test}: {_p(r.p)}" + (f" ({_p(r.p_holm)})" if np.isfinite(r.p_holm) else "")
        power = "–" if not np.isfinite(r.n_for_power) and not np.isinf(r.n_for_power) else \
            "∞" if np.isinf(r.n_for_power) else f"{r.n_for_power:.0f}"
        cells = [_versus(r, experiment), f"{r.metric} ({r.units})", r.time_point,
                 f"{r.epoch:.0f}" if pd.notna(r.epoch) else "–", _number(r.reference_mean, d),
                 _number(r.manipulated_mean, d), _effect(r), str(r.n), _number(r.d_z, 2), test, power,
                 r.expected or "–", r.source or "–", r.verdict]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    lines += ["", "Effect: manipulated minus reference (the control, or \"A vs B\": A minus its matched control B), "
              "paired by seed (seeds both conditions hold); mean and Student-t 95% CI over seeds (unadjusted); "
              "reference and manipulated are means over the same seeds. Test: the "
              f"exact sign-flip permutation test below {SMALL_N} seeds, the paired t-test from {SMALL_N} on "
              "(two-sided); in brackets the p value Holm-adjusted over the rows with a prediction. d_z: mean / sd of "
              "the differences. Seeds for 80% power: a paired t-test at alpha = 0.05 at the observed d_z. Verdict "
              "(Holm p < 0.05): confirmed (on the predicted side), contradicted (on the other), otherwise "
              "inconclusive; exploratory: no prediction, no verdict (analysis/statistics.py)."]
    if (table.verdict == "not reached").any() if len(table) else False:
        lines += ["", "⚠ Not reached: the run ended before the manipulation began (its protocol's blocks lie beyond "
                  "the run's epochs), so the manipulated brains lived as their controls: there is no effect to report, "
                  "and the end-of-run rows compare brains that were not manipulated."]
    lines += ["", "Metrics:"]
    lines += [f"- `{m}` ({metric.units}): {metric.description}" for m, metric in METRICS.items()]
    return "\n".join(lines) + "\n"


# --- figures -------------------------------------------------------------------------------------------------------
def condition_colors(experiment: Experiment) -> dict[str, str]:
    return {experiment.control: "#000000"} | dict(zip(experiment.manipulated, style.SPARE_COLORS * 4))


@style.styled
def time_course_figure(ds: xr.Dataset, experiment: Experiment):
    """Each measured metric over epochs: control and manipulated conditions, mean ± SEM, manipulation blocks shaded;
    beneath it the paired effect (manipulated minus control of the same seed): each seed a thin line, their mean with
    its Student-t 95% CI as a band, zero dashed."""
    metrics = present(ds)
    cols, rows = min(len(metrics), 3), -(-len(metrics) // 3)
    fig, axes = plt.subplots(2 * rows, cols, figsize=(3.2 * cols, 4.4 * rows + 0.6), squeeze=False,
                             layout="constrained", height_ratios=[1.2, 1] * rows)
    colors = condition_colors(experiment)
    blocks = protocol_blocks(ds, int(brains_of(ds, experiment.manipulated[0])[0]))
    epochs = ds.epoch.values
    panels = [(axes[2 * (k // cols), k % cols], axes[2 * (k // cols) + 1, k % cols]) for k in range(len(metrics))]
    for (ax, effect_ax), name in zip(panels, metrics):
        values = METRICS[name].compute(ds).transpose("brain", "epoch").values
        for label in (experiment.control, *experiment.manipulated):
            pick = brains_of(ds, label)
            legend = textwrap.fill(f"{experiment.short(label)} (n={len(pick)})", 45)
            style.band(ax, epochs, values[pick], colors[label], legend)
            if label == experiment.control:
                continue
            _, c, m = by_seed(ds, values, experiment.reference(label), label)
            for seed_effect in m - c:
                keep = np.isfinite(seed_effect)
                effect_ax.plot(epochs[keep], seed_effect[keep], color=colors[label], alpha=0.3, linewidth=0.7)
            mean, half = mean_ci(m - c)
            keep = np.isfinite(mean)
            effect_ax.plot(epochs[keep], mean[keep], color=colors[label], marker="o" if keep.sum() <= 15 else None)
            effect_ax.fill_between(epochs[keep], (mean - half)[keep], (mean + half)[keep], color=colors[label],
                                   alpha=0.2, linewidth=0)
        ax.set(ylabel=METRICS[name].axis, title=name)
        effect_ax.axhline(0, color="grey", linestyle="--", linewidth=0.8)
        effect_ax.set(xlabel="epoch", ylabel="effect (manip. − control)")
        for a in (ax, effect_ax):
            style.epoch_axis(a)
            shade_epochs(a, ds, blocks)
    for ax in axes.flat:
        if not ax.has_data():
            ax.set_axis_off()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
    return fig


@style.styled
def dose_figure(table: pd.DataFrame, experiment: Experiment):
    """Each predicted measure (and the read-out): the effect against the control, paired by seed, at the end of the
    manipulation, against the experiment's numeric axis (a dose), with its Student-t 95% CI; zero dashed."""
    values = experiment.axis["values"]
    rows = table[table.condition.isin(list(values)) & (table.reference == experiment.control)]
    rows = rows[rows.epoch == rows.groupby("condition").epoch.transform("min")]  # the manipulation's end
    metrics = list(dict.fromkeys(["readout", *[p["metric"] for p in experiment.predictions]]))
    metrics = [m for m in metrics if (rows.metric == m).any()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 2.8), squeeze=False, layout="constrained")
    for ax, name in zip(axes[0], metrics):
        r = rows[rows.metric == name].assign(x=lambda t: t.condition.map(values)).sort_values("x")
        ax.errorbar(r.x, r.effect_mean, yerr=[r.effect_mean - r.ci_low, r.ci_high - r.effect_mean], marker="o",
                    color="#000000", capsize=3)
        ax.axhline(0, color="grey", linestyle="--", linewidth=0.8)
        ax.set(xlabel=experiment.axis["name"], ylabel=f"effect on {name} ({METRICS[name].units})",
               title=f"{name}, {r.time_point.iloc[0] if len(r) else ''}")
    return fig


def hypnogram_brains(ds: xr.Dataset, experiment: Experiment) -> list[int]:
    """One brain per condition, of a seed they all hold where there is one, else each condition's first."""
    conditions = (experiment.control, *experiment.manipulated)
    shared = set.intersection(*(set(ds.seed.values[brains_of(ds, c)].tolist()) for c in conditions))
    seed = min(shared) if shared else None
    return [int(next((b for b in brains_of(ds, c) if ds.seed.values[b] == seed), brains_of(ds, c)[0]))
            for c in conditions]


def make_experiment_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """The table and figures of the experiment in `folder` under `out` (default folder/report); returns `out`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PadError(f"{folder}: no such folder")
    experiment = read_experiment(folder)
    runs = sorted({p.parent for p in folder.rglob(ACTIVITY)})
    if not runs:
        raise PadError(f"{folder}: holds no run directory (no {ACTIVITY})")
    out = writable_folder(Path(out) if out is not None else folder / "report", "--out")
    ds = open_runs(runs)
    check_labels(ds, experiment, folder)
    table = effect_table(ds, experiment)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "effects.csv", lambda tmp: table.to_csv(tmp, index=False, float_format="%.8g"))
    finals = conditions_table(ds, experiment)
    atomic_write(out / "conditions.csv", lambda tmp: finals.to_csv(tmp, index=False, float_format="%.8g"))
    atomic_write(out / "effects.md", lambda tmp: tmp.write_text(markdown(table, experiment, finals)))
    conditions = [experiment.control, *experiment.manipulated]
    keep = ds.isel(brain=np.concatenate([brains_of(ds, c) for c in conditions]))
    if present(keep):
        style.save(fig := time_course_figure(keep, experiment), out, "time_course")
        plt.close(fig)
    if experiment.axis:
        style.save(fig := dose_figure(table, experiment), out, "dose_response")
        plt.close(fig)
    if "occlusion_accuracy" in keep and bool(keep.occlusion_accuracy.notnull().any()):
        short = keep.assign_coords(condition=("brain", [textwrap.fill(experiment.short(s), 40)
                                                       for s in keep.condition.values.astype(str)]))
        style.save(fig := plot_occlusion(short), out, "occlusion")
        plt.close(fig)
    named = ds.isel(brain=hypnogram_brains(ds, experiment))
    named = named.assign_coords(condition=("brain", [experiment.short(s) for s in named.condition.values.astype(str)]))
    style.save(fig := hypnogram_figure(named), out, "hypnograms")
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> Path:
    parser = Parser(prog="python -m analysis.experiment", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="the experiment's folder (runs + experiment.json)")
    parser.add_argument("--out", type=Path, help="report folder (default: FOLDER/report)")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    with one_line_errors(args.out):
        out = make_experiment_report(args.folder, args.out)
    print(out)
    return out


if __name__ == "__main__":
    main()
