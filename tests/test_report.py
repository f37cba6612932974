"""The report: every figure file from real runs, skipped figures when variables are missing, and a table whose numbers
equal the runs' own (read back from the files and averaged here with numpy, not through analysis.load); globs that
match other things, one-line errors for bad input, and divergence shown, never averaged away."""
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
from sims.life.simulator import run  # noqa: E402
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
    table = pd.read_csv(reports[which][0] / "final_metrics.csv").set_index("condition")
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
            half = 12.706205 * sem  # Student t(0.975) with 1 degree of freedom, from tables
            np.testing.assert_allclose(table.loc[scenario, [f"{metric}_ci_low", f"{metric}_ci_high"]].astype(float),
                                       [mean - half, mean + half], rtol=1e-5, atol=1e-6, err_msg=metric)


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
                              "condition": ("brain", scenarios), "seed": ("brain", list(brains)),
                              "dataset": ("brain", [dataset] * len(scenarios))})


def test_last_evaluated_epoch_is_per_brain():
    ds = synthetic(np.array([[10.0, 20.0, np.nan], [30.0, np.nan, np.nan], [np.nan] * 3]), ["pad"] * 3)
    final, epochs = figures.last_evaluated(ds.readout_accuracy)
    np.testing.assert_array_equal(final.values, [20.0, 30.0, np.nan])
    np.testing.assert_array_equal(epochs, [2.0, 1.0, np.nan])


def test_published_numbers_sit_beside_the_table_and_one_seed_has_no_band():
    ds = synthetic(np.array([[50.0, 57.0], [52.0, 59.0], [40.0, 45.0]]), ["pad", "pad", "wake_only"])
    table = report.final_table(ds).set_index("condition")
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


# --- globs, bad input, divergence ------------------------------------------------------------------------------------
def test_a_multirun_glob_skips_non_runs_and_counts_a_run_once(runs, tmp_path, capsys):
    multirun = tmp_path / "multirun" / "2024-01-01"
    shutil.copytree(runs["plain"], multirun)
    (multirun / "multirun.yaml").write_text("hydra: {}\n")
    out = tmp_path / "report"
    report.main([str(tmp_path / "multirun" / "*" / "*"), str(multirun / "pad_0"), "--out", str(out)])
    err = capsys.readouterr().err.splitlines()
    assert err == [f"note: {multirun / 'multirun.yaml'}: skipped (not a run directory: no activity.nc)",
                   f"warning: {multirun / 'pad_0'}: named twice ({str(tmp_path / 'multirun' / '*' / '*')!r} and "
                   f"{str(multirun / 'pad_0')!r}); counted once"]
    assert (pd.read_csv(out / "final_metrics.csv").n == 2).all()


@pytest.mark.parametrize("case", ["out is a file", "out under a file", "truncated", "not a run", "missing", "no args"])
def test_bad_input_is_one_line_and_exit_status_2(runs, tmp_path, capsys, file_snapshot, case):
    run = tmp_path / "pad_0"
    shutil.copytree(runs["plain"] / "pad_0", run)
    (tmp_path / "a_file").write_text("x")
    if case == "truncated":
        (run / "activity.nc").write_bytes((run / "activity.nc").read_bytes()[:3000])
    before = file_snapshot(tmp_path)
    argv, expected = {
        "out is a file": ([str(run), "--out", str(tmp_path / "a_file")], f"--out {tmp_path / 'a_file'}: exists"),
        "out under a file": ([str(run), "--out", str(tmp_path / "a_file" / "r")], f"--out {tmp_path / 'a_file'}/r:"),
        "truncated": ([str(run), "--out", str(tmp_path / "r")], f"{run / 'activity.nc'}: not a readable netCDF file"),
        "not a run": ([str(tmp_path / "a_file"), "--out", str(tmp_path / "r")], f"{tmp_path / 'a_file'}: not a run"),
        "missing": ([str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")], f"{tmp_path / 'nowhere'}: no such run"),
        "no args": ([], "the following arguments are required: RUN_DIR"),
    }[case]
    with pytest.raises(SystemExit) as exit_:
        report.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and err.startswith(f"error: {expected}"), err
    assert file_snapshot(tmp_path) == before  # in particular, no report folder


def diverging_runs() -> xr.Dataset:
    """Two PAD brains as open_runs gives them, 2 epochs of 2 days of (WAKE, NREM, REM); brain 1 diverges on day 2
    (a logged NaN KL), yet logs a finite KL on day 3 that a NaN-skipping mean would show as a clean epoch 2."""
    states, day = np.array(["WAKE", "NREM", "REM"] * 4), np.repeat(np.arange(4), 3)
    wake = states == "WAKE"
    kl = np.full((2, 12), np.nan)
    kl[0, wake], kl[1, wake] = [1, 2, 3, 4], [1, 2, np.nan, 5]
    flags = {"flag_masks": [1, 2, 4, 8, 16],
             "flag_meanings": "loss_reconstruction loss_kl loss_latent loss_discriminator discriminator_output"}
    levels = np.broadcast_to(np.where(states == "NREM", 0.2, 1.0), (2, 12))
    bits = np.broadcast_to(np.where(wake, 2, 0), (2, 12)).astype(np.uint8)
    return xr.Dataset(
        {"loss_kl": (("brain", "step"), kl), "logged": (("brain", "step"), bits, flags),
         "diverged_day": ("brain", [np.nan, 2]), "ach": (("brain", "step"), levels), "na": (("brain", "step"), levels),
         "readout_accuracy": (("brain", "epoch"), [[20.0, 30.0], [25.0, np.nan]])},
        coords={"brain": [0, 1], "epoch": [1, 2], "state": ("step", states), "day": ("step", day),
                "step_epoch": ("step", 1 + day // 2), "condition": ("brain", ["pad", "pad"]), "seed": ("brain", [0, 1]),
                "dataset": ("brain", ["shapes", "shapes"])})


def test_a_diverged_epoch_is_a_gap_in_the_loss_figure_and_the_brain_is_named():
    fig = figures.losses_figure(diverging_runs())
    ax = fig.axes[0]
    assert ax.get_title() == "KL of z from N(0, I) (Wake)"
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2])
    np.testing.assert_array_equal(line.get_ydata(), [1.5, np.nan])  # not (1.5 + 1.5) / 2, then 3.5 from brain 0
    assert line.get_label() == "PAD (n=2); seed 1 diverged on day 2"
    assert [lc.get_xdata()[0] for lc in ax.get_lines()[1:]] == [2]  # the dotted mark at the diverged epoch


def test_the_hypnogram_shows_the_diverged_brain_and_the_table_marks_it():
    ds = diverging_runs()
    titles = [ax.get_title() for ax in figures.hypnogram_figure(ds, days=2).axes if ax.get_title()]
    assert titles == ["PAD, seed 0", "PAD, seed 1\ndiverged on day 2"]
    table = report.final_table(ds).set_index("condition")
    assert table.loc["pad", "diverged"] == 1 and table.loc["pad", "diverged_brains"] == "seed 1 diverged on day 2"
    md = report.markdown(table.reset_index())
    assert "| shapes | PAD ⚠ | 2 | 1-2 |" in md and "**1 of 2**: seed 1 diverged on day 2 |" in md
