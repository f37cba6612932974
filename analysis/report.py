"""`python -m analysis.report RUN_DIR... [--out DIR]`: every figure of `analysis.figures` as PNG and PDF, and a table
of final metrics (final_metrics.md and .csv: last-epoch metrics, mean ± SEM over brains per condition, beside the
published numbers). RUN_DIR may be glob patterns; default out: ./report. A figure whose variables the runs lack is
skipped with a note; runs of different data sets get separate figures (file names suffixed by the data set).
What a pattern matches besides runs (multirun.yaml, ...) is skipped with a note on stderr, a run named twice is counted
once; brains that diverged are marked in the table and the loss figures. Bad input (a damaged activity file, a path
that is not a run, --out naming a file) ends with one line, `error: ...`, and exit status 2.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from analysis import published, style
from analysis.activity_figure import activity_figure
from analysis.figures import (MissingData, diverged_note, dreams_figure, geometry_figure, hypnogram_figure,
                              last_evaluated, losses_figure, plot_fid, plot_occlusion, plot_readout, with_datasets)
from analysis.cli import Parser, one_line_errors, writable_folder
from analysis.load import diverged_day, open_runs
from analysis.statistics import ci_half_width
from records.files import atomic_write

METRICS = {  # column -> Markdown header; occlusion_auc: area under accuracy vs drop probability (0..1), in percent
    "readout_accuracy": "read-out (%)", "readout_accuracy_exact": "read-out, exact pixels (%)",
    "occlusion_auc": "occlusion AUC (%)", "occlusion_accuracy_p0.5": "occlusion p=0.5 (%)",
    "intra_inter_ratio": "intra/inter", "occluded_inter_ratio": "clean-occluded/inter", "fid_nrem": "FID NREM",
    "fid_rem": "FID REM", "published_readout_accuracy": f"paper read-out, epoch {published.EPOCH} (%)"}


def final_values(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Each metric of METRICS the runs hold, per brain at its last evaluated epoch, and `epoch` (the read-out's)."""
    finals = {v: last_evaluated(ds[v]) for v in METRICS if v in ds and "epoch" in ds[v].dims}
    if "occlusion_accuracy" in ds and ds.sizes["occlusion"] > 1:
        final, epochs = last_evaluated(ds.occlusion_accuracy)
        finals["occlusion_auc"] = final.integrate("occlusion") / np.ptp(ds.occlusion.values), epochs
        finals["occlusion_accuracy_p0.5"] = final.sel(occlusion=0.5, method="nearest"), epochs
    values = {v: np.asarray(da.values, float) for v, (da, _) in finals.items()}
    return {"epoch": finals["readout_accuracy"][1]} | values if "readout_accuracy" in finals else values


def final_table(ds: xr.Dataset) -> pd.DataFrame:
    """A row per data set and scenario: brain count, last epoch, mean, SEM and Student-t 95% CI of each final metric,
    paper's numbers."""
    ds, rows = with_datasets(ds), []
    values = final_values(ds)  # metric -> (brain,)
    diverged = diverged_day(ds).values if "brain" in ds.dims else np.full(0, np.nan)  # (brain,) day or NaN
    for dataset in sorted(set(ds.dataset.values)):
        for s in style.order(ds.condition.values[ds.dataset.values == dataset]):
            pick = (ds.dataset.values == dataset) & (ds.condition.values == s)
            epochs = values.get("epoch", np.full(pick.shape, np.nan))[pick]
            row = {"dataset": dataset, "condition": s, "n": int(pick.sum()),
                   "epoch": "-".join(f"{e:g}" for e in sorted({np.nanmin(epochs), np.nanmax(epochs)})),
                   "diverged": int(np.isfinite(diverged[pick]).sum()),
                   "diverged_brains": diverged_note(ds, np.flatnonzero(pick))}
            for metric in METRICS:
                if metric in values:
                    mean, sem, n = style.mean_sem(values[metric][pick])
                    half = ci_half_width(sem, n)
                    row |= {f"{metric}_mean": float(mean), f"{metric}_sem": float(sem),
                            f"{metric}_ci_low": float(mean - half), f"{metric}_ci_high": float(mean + half)}
            paper = published.readout_accuracy(dataset, s)
            row |= {"published_readout_accuracy_mean": paper.mean if paper else np.nan,
                    "published_readout_accuracy_sem": paper.sem if paper else np.nan,
                    "published_n": paper.n if paper else np.nan, "published_epoch": paper.epoch if paper else np.nan}
            rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown, `mean ± SEM` per cell (the mean alone for one brain), and the paper's numbers' source."""
    def cell(mean, sem, digits):
        spread = f" ± {sem:.{digits}f}" if np.isfinite(sem) else ""
        return f"{mean:.{digits}f}{spread}" if np.isfinite(mean) else "–"

    metrics = [m for m in METRICS if f"{m}_mean" in table]
    any_diverged = "diverged" in table and bool((table.diverged > 0).any())
    head = ["data set", "condition", "n", "epoch"] + [METRICS[m] for m in metrics] + ["diverged"] * any_diverged
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        digits = [3 if "ratio" in m else 2 for m in metrics]
        cells = [cell(r[f"{m}_mean"], r[f"{m}_sem"], d) for m, d in zip(metrics, digits)]
        cells += [f"**{r.diverged} of {r.n}**: {r.diverged_brains}" if r.diverged else "–"] * any_diverged
        name = style.label(r.condition) + (" ⚠" if any_diverged and r.diverged else "")
        lines.append("| " + " | ".join([r.dataset, name, str(r.n), r.epoch] + cells) + " |")
    notes = ["", "Mean ± SEM over brains (seeds) at each brain's last evaluated epoch; accuracies in percent; the 95% "
             "CIs are in final_metrics.csv, and scenarios are compared paired by seed by `sims.experiments.table1`.",
             f"Published: {published.SOURCE}."]
    if any_diverged:
        notes.insert(1, "⚠ Some brains diverged (non-finite losses or weights) and stopped: their figures are those "
                        "of their last epoch before the divergence (see the activity file's `diverged` attribute).")
    return "\n".join(lines + notes) + "\n"


def write_table(table: pd.DataFrame, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "final_metrics.csv", lambda tmp: table.to_csv(tmp, index=False, float_format="%.8g"))
    atomic_write(out / "final_metrics.md", lambda tmp: tmp.write_text(markdown(table)))
    return [out / "final_metrics.csv", out / "final_metrics.md"]


FIGURES = {"readout": plot_readout, "occlusion": plot_occlusion, "geometry": geometry_figure, "fid": plot_fid,
           "losses": losses_figure, "hypnogram": hypnogram_figure, "dreams": dreams_figure,
           "activity": activity_figure}


def make_report(runs, out: str | Path = "report") -> list[Path]:
    """Every figure (PNG and PDF) and the table for the runs (paths or globs) under `out`; returns the files written."""
    ds, out, written = with_datasets(open_runs(runs)), Path(out), []
    datasets = sorted(set(ds.dataset.values))
    for dataset in datasets:
        part = ds.isel(brain=np.flatnonzero(ds.dataset.values == dataset))
        for name, figure in FIGURES.items():
            try:
                fig = figure(part)
            except MissingData as missing:
                print(f"{name}{' (' + dataset + ')' if len(datasets) > 1 else ''}: skipped ({missing})")
                continue
            written += style.save(fig, out, name + (f"_{dataset}" if len(datasets) > 1 else ""))
            plt.close(fig)
    return written + write_table(final_table(ds), out)


def main(argv: list[str] | None = None) -> None:
    parser = Parser(prog="python -m analysis.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories or glob patterns")
    parser.add_argument("--out", default="report", type=Path, help="output directory (default: ./report)")
    args = parser.parse_args(argv)
    plt.switch_backend("Agg")
    with one_line_errors(args.out):
        written = make_report(args.runs, writable_folder(args.out, "--out"))
    print("\n".join(map(str, written)))


if __name__ == "__main__":
    main()
