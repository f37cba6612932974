"""The report: every figure file from real runs, skipped figures when variables are missing, and a table whose numbers
equal the runs' own (read back from the files and averaged here with numpy, not through analysis.load)."""
import contextlib
import io
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

from analysis import figures, published, report, style  # noqa: E402
from sims.simulator import run  # noqa: E402
from tests.helpers import tiny_config  # noqa: E402

RUNS = [("pad", 0), ("pad", 1), ("no_rem", 0), ("no_rem", 1)]
FIGURES = ("readout", "occlusion", "geometry", "fid", "losses", "hypnogram", "dreams")


def write_evaluation(run_dir: Path, index: int) -> None:
    """Synthetic `evaluation.nc` with the metrics the simulator does not log: FID, distance ratios, PCA projections;
    the second epoch is left unevaluated for one brain, so 'last evaluated epoch' differs between brains."""
    with xr.open_dataset(run_dir / "activity.nc") as activity:
        epochs = activity.epoch.values
    rng = np.random.default_rng(index)
    per_epoch = rng.uniform(0.2, 0.9, (1, len(epochs)))
    if index == 1:
        per_epoch[0, -1] = np.nan
    labels = np.arange(60) % 10
    clean = rng.normal(size=(1, 60, 2)) + labels[None, :, None]
    xr.Dataset({"fid_nrem": (("brain", "epoch"), 300 * per_epoch), "fid_rem": (("brain", "epoch"), 400 * per_epoch),
                "intra_inter_ratio": (("brain", "epoch"), per_epoch),
                "occluded_inter_ratio": (("brain", "epoch"), per_epoch / 2),
                "pca_clean": (("brain", "sample", "component"), clean),
                "pca_occluded": (("brain", "sample", "component"), clean + rng.normal(size=clean.shape)),
                "pca_label": (("brain", "sample"), labels[None])},
               coords={"brain": [0], "epoch": epochs}).to_netcdf(run_dir / "evaluation.nc")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Two scenarios x two seeds of 2 epochs: `plain` as the simulator wrote them, `evaluated` with evaluation.nc."""
    root = tmp_path_factory.mktemp("report_runs")
    for i, (scenario, seed) in enumerate(RUNS):
        plain = root / "plain" / f"{scenario}_{seed}"
        run(tiny_config(f"scenario={scenario}", f"seed={seed}", "epochs=2", "data.train_size=192"), plain)
        shutil.copytree(plain, root / "evaluated" / plain.name)
        write_evaluation(root / "evaluated" / plain.name, i)
    return {"plain": root / "plain", "evaluated": root / "evaluated"}


@pytest.fixture(scope="module")
def reports(runs, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """The report of each set of runs, made by the command line's entry point: (output folder, what it printed)."""
    made = {}
    for which, folder in runs.items():
        out, printed = tmp_path_factory.mktemp(f"report_{which}"), io.StringIO()
        with contextlib.redirect_stdout(printed):
            report.main([str(folder / "*"), "--out", str(out)])
        made[which] = out, printed.getvalue()
    return made


def test_every_figure_is_written_as_png_and_pdf(reports):
    full_report, printed = reports["evaluated"]
    assert "skipped" not in printed
    for name in FIGURES:
        png, pdf = full_report / f"{name}.png", full_report / f"{name}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000, name
        image = mpimg.imread(png)  # (rows, cols, 4) in [0, 1]
        assert min(image.shape[:2]) > 200 and image[..., :3].std() > 0.05, name  # a drawing, not a blank page
    table = (full_report / "final_metrics.md").read_text().splitlines()
    assert sum(line.startswith("| ") for line in table) == 3  # the header and two scenarios


def independent_finals(run_dir: Path) -> dict[str, float]:
    """A run's final metrics straight from its files: each at the last epoch where it has a value."""
    files = [xr.open_dataset(run_dir / name) for name in ("activity.nc", "evaluation.nc") if (run_dir / name).exists()]
    finals = {}
    for ds in files:
        for name in ("readout_accuracy", "readout_accuracy_exact", "intra_inter_ratio", "occluded_inter_ratio",
                     "fid_nrem", "fid_rem"):
            if name in ds:
                values = ds[name].values[0]
                finals[name] = values[np.flatnonzero(np.isfinite(values))[-1]]
        if "occlusion_accuracy" in ds:
            curves = ds.occlusion_accuracy.values[0]  # (epoch, occlusion)
            curve = curves[np.flatnonzero(np.isfinite(curves).any(1))[-1]]
            p = ds.occlusion.values
            finals["occlusion_auc"] = np.sum((curve[1:] + curve[:-1]) / 2 * np.diff(p)) / (p[-1] - p[0])
            finals["occlusion_accuracy_p0.5"] = curve[np.argmin(np.abs(p - 0.5))]
        ds.close()
    return finals


@pytest.mark.parametrize("which", ["evaluated", "plain"])
def test_table_equals_mean_and_sem_computed_from_the_files(runs, reports, which):
    table = pd.read_csv(reports[which][0] / "final_metrics.csv").set_index("scenario")
    assert list(table.index) == ["pad", "no_rem"] and (table.dataset == "shapes").all() and (table.n == 2).all()
    assert table.published_readout_accuracy_mean.isna().all()  # the paper has no numbers for shapes
    for scenario in ("pad", "no_rem"):
        finals = [independent_finals(runs[which] / f"{scenario}_{seed}") for seed in (0, 1)]
        assert set(finals[0]) == {c.removesuffix("_mean") for c in table.columns if c.endswith("_mean")} - {
            "published_readout_accuracy"}
        for metric in finals[0]:
            values = np.array([f[metric] for f in finals], dtype=float)
            mean, sem = values.mean(), values.std(ddof=1) / np.sqrt(2)
            np.testing.assert_allclose(table.loc[scenario, f"{metric}_mean"], mean, rtol=1e-5, err_msg=metric)
            np.testing.assert_allclose(table.loc[scenario, f"{metric}_sem"], sem, rtol=1e-5, atol=1e-9, err_msg=metric)


def test_figures_without_their_variables_are_skipped_with_a_note(reports):
    out, printed = reports["plain"]  # the simulator logs no FID, PCA or (by default) distance ratios
    assert "fid: skipped (no fid_nrem or fid_rem in these runs)" in printed and not (out / "fid.png").exists()
    assert "geometry: skipped" in printed and not (out / "geometry.pdf").exists()
    written = {line.rsplit("/", 1)[-1] for line in printed.splitlines() if line.startswith(str(out))}
    assert written >= {"readout.png", "losses.pdf", "hypnogram.png", "dreams.pdf", "final_metrics.md"}


def test_mean_sem_ignores_nan_and_gives_no_sem_for_one_value():
    mean, sem, n = style.mean_sem(np.array([[1.0, 5.0], [3.0, np.nan], [np.nan, np.nan]]))
    np.testing.assert_allclose(mean, [2.0, 5.0])
    np.testing.assert_allclose(sem[0], np.std([1.0, 3.0], ddof=1) / np.sqrt(2))
    assert np.isnan(sem[1]) and list(n) == [2, 1]


def synthetic(readout: np.ndarray, scenarios: list[str], dataset: str = "cifar10") -> xr.Dataset:
    """A Dataset with only a read-out accuracy (brain, epoch), as open_runs would give, and a dataset coordinate."""
    brains = range(len(scenarios))
    return xr.Dataset({"readout_accuracy": (("brain", "epoch"), readout)},
                      coords={"brain": list(brains), "epoch": np.arange(1, readout.shape[1] + 1),
                              "scenario": ("brain", scenarios), "seed": ("brain", list(brains)),
                              "dataset": ("brain", [dataset] * len(scenarios))})


def test_last_evaluated_epoch_is_per_brain():
    ds = synthetic(np.array([[10.0, 20.0, np.nan], [30.0, np.nan, np.nan], [np.nan] * 3]), ["pad"] * 3)
    final, epochs = figures.last_evaluated(ds.readout_accuracy)
    np.testing.assert_array_equal(final.values, [20.0, 30.0, np.nan])
    np.testing.assert_array_equal(epochs, [2.0, 1.0, np.nan])


def test_published_numbers_sit_beside_the_table_and_one_seed_has_no_band():
    ds = synthetic(np.array([[50.0, 57.0], [52.0, 59.0], [40.0, 45.0]]), ["pad", "pad", "wake_only"])
    table = report.final_table(ds).set_index("scenario")
    paper = published.readout_accuracy("cifar10", "pad")
    assert table.loc["pad", "published_readout_accuracy_mean"] == paper.mean == 58.25
    assert table.loc["wake_only", "published_readout_accuracy_sem"] == 0.54 and table.loc["wake_only", "n"] == 1
    assert np.isnan(table.loc["wake_only", "readout_accuracy_sem"])
    assert "| cifar10 | PAD | 2 | 2 | 58.00 ± 1.00 |" in report.markdown(table.reset_index())
    ax = figures.plot_readout(ds).axes[0]
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1  # a band for pad (2 seeds) only


def test_scenario_colours_follow_the_paper_and_stay_distinct():
    colours = style.colors(["zeta", "no_rem", "pad", "alpha", "wake_only"])
    assert colours["pad"] == "#000000" and colours["wake_only"] == style.SCENARIO_COLORS["wake_only"]
    assert len(set(colours.values())) == 5 and style.order(colours) == ["pad", "no_rem", "wake_only", "alpha", "zeta"]
