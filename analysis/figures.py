"""The figures of a set of runs compared by condition, each a function of the Dataset of `analysis.load.open_runs`:

  plot_readout      linear read-out accuracy over epochs (paper, Figure 4)
  plot_occlusion    read-out accuracy vs occlusion at each brain's last evaluated epoch (Figure 5)
  geometry_figure   PCA of clean and occluded latents; intra/inter, clean-occluded/inter ratios (Figure 6)
  plot_fid          FID of NREM and REM dreams over epochs (Figure 3d)
  losses_figure     per-epoch means of each per-step loss over its logged steps, split by state (Appendix 1,
                    figures 1-2); a divergence is a gap, never averaged away
  hypnogram_figure  states over the first days of one brain per condition, with ACh and NA, and of each brain
                    that diverged, up to its divergence; with protocols, the whole run with its blocks above
                    (analysis.hypnogram_plot)
  dreams_figure     probe images and their NREM and REM dreams, early and late, one brain per condition

Lines are means over brains (seeds) of a condition, bands ± SEM (std with ddof=1 over sqrt(n), NaN ignored; no band for
one brain). A figure whose variables the runs lack raises MissingData. Figures over epochs shade the protocol's blocks
(`blocks`: (name, first_day, stop_day) as analysis.hypnogram.protocol_blocks gives them; default: the blocks the
runs share), tinting the manipulation blocks; epoch k is drawn at x = k and spans k ± 0.5, so a block of epochs
[a, b) spans a - 0.5 .. b - 0.5 and each point lies in the block its epoch was lived in.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

from analysis import published, style
from analysis.hypnogram import Block, days_per_epoch, manipulation_blocks, parse_config, protocol_blocks
from analysis.hypnogram_plot import hypnogram_figure, plot_hypnogram  # noqa: F401 (part of this module's interface)
from analysis.load import ACTIVITY, diverged_day, epoch_mean_count, logged_mask

LOSSES = ("loss_reconstruction", "loss_kl", "loss_latent", "loss_discriminator", "discriminator_output")
STATE_NAMES = {"WAKE": "Wake", "NREM": "NREM", "REM": "REM"}
LOSS_LABELS = {  # (variable, state) -> (panel title, y label)
    ("loss_reconstruction", "WAKE"): ("reconstruction", "MSE"), ("loss_kl", "WAKE"): ("KL of z from N(0, I)", "nat"),
    ("loss_latent", "NREM"): ("latent, occluded dream", "MSE"),
    ("loss_discriminator", "WAKE"): ("discriminator, real", "BCE (nat)"),
    ("loss_discriminator", "REM"): ("discriminator, fake", "BCE (nat)"),
    ("discriminator_output", "WAKE"): ("d on images", "d"), ("discriminator_output", "REM"): ("d on dreams", "d"),
}



class MissingData(LookupError):
    """The runs lack a variable a figure needs."""


def require(ds: xr.Dataset, *names: str) -> None:
    missing = [n for n in names if n not in ds or not bool(ds[n].notnull().any())]
    if missing:
        raise MissingData(f"no {', '.join(missing)} in these runs")


def of_condition(ds: xr.Dataset, condition: str) -> xr.Dataset:
    return ds.isel(brain=np.flatnonzero(ds.condition.values == condition))


def first_brains(ds: xr.Dataset) -> list[int]:
    """The index of the first brain of each condition, conditions in the report's order."""
    return style.first_brains(ds.condition.values)


def shared_blocks(ds: xr.Dataset) -> tuple[list[Block], int]:
    """(blocks, days per epoch) of the protocol the runs share, brains without one aside (a control); ([], 1) if none
    or if they differ. An open-ended block ends where the longest run ends."""
    found = [(blocks, b) for b in range(ds.sizes.get("brain", 1)) if (blocks := protocol_blocks(ds, b))]
    if not found or len({tuple(blk[:2] for blk in blocks) for blocks, _ in found}) > 1:
        return [], 1
    stops = np.max([[blk.stop_day for blk in blocks] for blocks, _ in found], axis=0)
    return [blk._replace(stop_day=int(s)) for blk, s in zip(found[0][0], stops)], days_per_epoch(ds, found[0][1])


def shade_epochs(ax, ds: xr.Dataset, blocks=None) -> None:
    """Shade protocol blocks on an epoch axis: `blocks` as (name, first_day, stop_day), or None for the blocks the
    runs share ([] for none); the manipulation blocks (analysis.hypnogram.manipulation_blocks) are tinted."""
    blocks, per_epoch = shared_blocks(ds) if blocks is None else (blocks, days_per_epoch(ds) if blocks else 1)
    style.shade_blocks(ax, blocks, [b[0] for b in manipulation_blocks(blocks)], scale=per_epoch, offset=0.5)


def counted(da: xr.DataArray) -> int:
    """How many brains have any value of `da` (brain, ...)."""
    return int(da.notnull().any([d for d in da.dims if d != "brain"]).sum())


def last_evaluated(da: xr.DataArray) -> tuple[xr.DataArray, np.ndarray]:
    """`da` (brain, epoch, ...) at each brain's last epoch with a value, and those epochs (NaN if a brain has none)."""
    other = [d for d in da.dims if d not in ("brain", "epoch")]
    valid = da.notnull().any(other) if other else da.notnull()  # (brain, epoch)
    last = xr.where(valid, xr.DataArray(np.arange(da.sizes["epoch"]), dims="epoch"), -1).max("epoch")
    picked = da.isel(epoch=last.clip(0)).where(last >= 0)
    return picked.drop_vars("epoch", errors="ignore"), np.where(last >= 0, da.epoch.values[last.clip(0)], np.nan)


def axes_or_new(ax, size=(4.4, 2.6)):
    return ax if ax is not None else plt.subplots(figsize=size, layout="constrained")[1]


def condition_lines(ax, ds: xr.Dataset, variable: str, x) -> None:
    """One mean ± SEM line per condition of `ds[variable]` (brain, len(x)), labelled with its brain count."""
    colors = style.colors(ds.condition.values)
    for s in style.order(ds.condition.values):
        da = of_condition(ds, s)[variable]
        style.band(ax, x, da.values, colors[s], style.label(s, counted(da)))


@style.styled
def plot_readout(ds: xr.Dataset, ax=None, variable: str = "readout_accuracy", blocks=None):
    """Linear read-out accuracy over epochs (paper, Figure 4), with the published epoch-50 numbers where they apply;
    protocol blocks shaded (`blocks`: see shade_epochs)."""
    require(ds, variable)
    ds, ax = with_datasets(ds), axes_or_new(ax)
    condition_lines(ax, ds, variable, ds.epoch.values)
    dataset = str(ds.dataset.values[0]) if len(set(ds.dataset.values)) == 1 else None  # "unknown" if not from runs
    if dataset in published.UNTRAINED_READOUT:
        ax.axhline(published.UNTRAINED_READOUT[dataset], color="0.5", ls="--", lw=0.8, label="untrained (paper)")
    if dataset and ds.epoch.values.max() >= published.EPOCH:
        colors = style.colors(ds.condition.values)
        for s in style.order(ds.condition.values):
            if (p := published.readout_accuracy(dataset, s)) is not None:
                ax.errorbar(p.epoch, p.mean, p.sem, color=colors[s], marker="s", mfc="white", capsize=2, lw=0.8)
        ax.plot([], [], "s", color="0.3", mfc="white", label=f"paper, epoch {published.EPOCH}")
    title = "Linear separability" + (f" ({dataset})" if dataset not in (None, "unknown") else "")
    ax.set(xlabel="epoch", ylabel="read-out accuracy (%)", title=title)
    style.epoch_axis(ax)
    shade_epochs(ax, ds, blocks)
    style.legend_outside(ax)
    return ax.figure


@style.styled
def plot_occlusion(ds: xr.Dataset, ax=None):
    """Read-out accuracy against the occlusion's drop probability, at each brain's last evaluated epoch (Figure 5)."""
    require(ds, "occlusion_accuracy")
    ax = axes_or_new(ax)
    final, epochs = last_evaluated(ds.occlusion_accuracy)
    condition_lines(ax, ds.assign(final=final), "final", ds.occlusion.values)
    when = {int(e) for e in epochs[np.isfinite(epochs)]}
    ax.set(xlabel="occlusion (drop probability)", ylabel="read-out accuracy (%)",
           title="Robustness, epoch " + ("/".join(map(str, sorted(when))) if len(when) < 4 else "last"))
    style.legend_outside(ax)
    return ax.figure


@style.styled
def plot_pca(ds: xr.Dataset, ax=None, brain: int = 0, legend: bool = True):
    """One brain's latents on the first two principal components, by class; occluded copies as crosses (Figure 6b-d)."""
    require(ds, "pca_clean", "pca_label")
    ax, b = axes_or_new(ax, (2.4, 2.4)), ds.isel(brain=brain)
    keep = b.pca_label.notnull().values
    kw = dict(c=b.pca_label.values[keep], cmap="tab10", vmin=-0.5, vmax=9.5)
    ax.scatter(*b.pca_clean.values[keep, :2].T, s=5, lw=0, **kw)
    if "pca_occluded" in b and b.pca_occluded.notnull().any():
        ax.scatter(*b.pca_occluded.values[keep, :2].T, s=7, marker="x", lw=0.5, alpha=0.6, **kw)
    ax.set(xlabel="PC 1", ylabel="PC 2", xticks=[], yticks=[],
           title=f"{style.label(str(b.condition.values))}, seed {int(b.seed)}")
    if legend and "pca_occluded" in b:
        marks = [Line2D([], [], ls="", marker=m, color="0.3", label=t) for m, t in (("o", "clean"), ("x", "occluded"))]
        ax.legend(handles=marks, loc="best", fontsize=6, handletextpad=0.1, borderpad=0.2)
    return ax.figure


@style.styled
def plot_ratio(ds: xr.Dataset, variable: str, ax=None):
    """Bars: a distance ratio at each brain's last evaluated epoch, mean ± SEM by condition; dots: brains (6e, f)."""
    require(ds, variable)
    ax, (final, _) = axes_or_new(ax, (2.4, 2.4)), last_evaluated(ds[variable])
    names, colors = style.order(ds.condition.values), style.colors(ds.condition.values)
    for i, s in enumerate(names):
        values = final.values[ds.condition.values == s]
        mean, sem, n = style.mean_sem(values)
        ax.bar(i, mean, yerr=sem if n > 1 else 0, color=to_rgba(colors[s], 0.35), edgecolor=colors[s], capsize=3)
        ax.plot(i + np.linspace(-0.12, 0.12, len(values)), values, ".", color=colors[s], ms=4)
    ax.set_xticks(range(len(names)), [style.label(s) for s in names], rotation=30, ha="right", rotation_mode="anchor")
    title = {"intra_inter_ratio": "intra / inter class", "occluded_inter_ratio": "clean-occluded / inter class"}
    ax.set(ylabel="distance ratio", title=title.get(variable, variable))
    return ax.figure


@style.styled
def geometry_figure(ds: xr.Dataset):
    """PCA of one brain per condition (top) and the distance-ratio bars (bottom), whichever the runs hold (Figure 6)."""
    ratios = [v for v in ("intra_inter_ratio", "occluded_inter_ratio") if v in ds and ds[v].notnull().any()]
    brains = first_brains(ds) if "pca_clean" in ds and ds.pca_clean.notnull().any() else []
    if not ratios and not brains:
        raise MissingData("no pca_clean, intra_inter_ratio or occluded_inter_ratio in these runs")
    cols = max(min(len(brains), 4), len(ratios))
    rows = -(-len(brains) // cols)
    fig = plt.figure(figsize=(2.3 * cols, 2.4 * rows + 2.8 * bool(ratios)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.4 * rows, 2.8]) if brains and ratios else (fig, fig)
    for i, ax in enumerate(top.subplots(rows, cols, squeeze=False).flat if brains else []):
        plot_pca(ds, ax, brains[i], legend=i == 0) if i < len(brains) else ax.set_axis_off()
    for ax, variable in zip(bottom.subplots(1, len(ratios), squeeze=False).flat if ratios else [], ratios):
        plot_ratio(ds, variable, ax)
    return fig


@style.styled
def plot_fid(ds: xr.Dataset, blocks=None):
    """Fréchet inception distance of NREM and REM dreams to the training images over epochs (Figure 3d); protocol
    blocks shaded (`blocks`: see shade_epochs)."""
    present = [v for v in ("fid_nrem", "fid_rem") if v in ds and ds[v].notnull().any()]
    if not present:
        raise MissingData("no fid_nrem or fid_rem in these runs")
    fig, axes = plt.subplots(1, len(present), figsize=(3.2 * len(present), 2.6), sharey=True, layout="constrained")
    for ax, variable in zip(np.atleast_1d(axes), present):
        condition_lines(ax, ds, variable, ds.epoch.values)
        ax.set(xlabel="epoch", title=f"{variable[4:].upper()} dreams")
        style.epoch_axis(ax)
        shade_epochs(ax, ds, blocks)
    np.atleast_1d(axes)[0].set_ylabel("FID")
    style.legend_outside(np.atleast_1d(axes)[-1])
    return fig


def diverged_note(ds: xr.Dataset, brains) -> str:
    """'seed 1 diverged on day 12; ...' for the brains (indices into ds.brain) that diverged, '' if none did."""
    days = diverged_day(ds).values
    return "; ".join(f"seed {int(ds.seed.values[b])} diverged on day {int(days[b])}"
                     for b in brains if np.isfinite(days[b]))


def epoch_state_means(ds: xr.Dataset, variable: str, state: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epochs, means (brain, epoch), diverged (brain, epoch)) of a per-step variable over each epoch's logged steps of
    `state`: a non-finite logged value makes its epoch NaN and `diverged`, never a mean of the finite rest."""
    mean, count = epoch_mean_count(ds, variable, state)
    mean, count = mean.transpose("brain", "epoch"), count.transpose("brain", "epoch")
    return mean.epoch.values, mean.values, (count.values > 0) & np.isnan(mean.values)


def loss_panels(ds: xr.Dataset) -> list[tuple[str, str]]:
    """(variable, state) pairs with at least one logged step."""
    return [(v, s) for v in LOSSES if v in ds for s in STATE_NAMES
            if bool((logged_mask(ds, v) & (ds.state == s)).any())]


@style.styled
def losses_figure(ds: xr.Dataset, blocks=None):
    """Per-epoch means of each per-step loss (and d) over its logged steps, one panel per (variable, state) that has
    any (Appendix 1, figures 1-2); lines per condition, mean ± SEM over brains. An epoch in which a brain diverged is a
    gap in its condition's line (never the mean of the other brains), marked by a dotted line, and the legend says
    which brain diverged on which day. Protocol blocks shaded (`blocks`: see shade_epochs)."""
    panels = loss_panels(ds)
    if not panels:
        raise MissingData("no per-step losses in these runs")
    cols, rows = min(len(panels), 3), -(-len(panels) // 3)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.2 * rows), squeeze=False, layout="constrained")
    colors = style.colors(ds.condition.values)
    for ax, (variable, state) in zip(axes.flat, panels):
        epochs, means, diverged = epoch_state_means(ds, variable, state)
        for s in style.order(ds.condition.values):
            pick = np.flatnonzero(ds.condition.values == s)
            values, bad = means[pick], diverged[pick].any(0)
            values[:, bad] = np.nan  # the condition's mean is not shown where one of its brains diverged
            has = np.isfinite(means[pick]).any(1) | diverged[pick].any(1)
            if not has.any():  # the condition never logs this figure in this state
                continue
            name = style.label(s, int(has.sum()))
            note = diverged_note(ds, pick)
            style.band(ax, epochs, values[has], colors[s], name + (f"; {note}" if note else ""), gaps=True)
            for epoch in epochs[bad]:
                ax.axvline(epoch, color=colors[s], ls=":", lw=1)
        title, ylabel = LOSS_LABELS.get((variable, state), (variable, ds[variable].attrs.get("units", "")))
        ax.set(title=f"{title} ({STATE_NAMES[state]})", xlabel="epoch", ylabel=ylabel)
        style.epoch_axis(ax)
        shade_epochs(ax, ds, blocks)
    for ax in axes.flat[len(panels):]:
        ax.set_axis_off()
    handles = {label: h for ax in axes.flat for h, label in zip(*ax.get_legend_handles_labels())}
    if len(panels) < axes.size:  # in the first free slot, else below the panels
        axes.flat[len(panels)].legend(handles.values(), handles.keys(), loc="center")
    else:
        fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncols=min(len(handles), 5))
    return fig


def dream_epochs(ds: xr.Dataset, brain: int) -> dict[str, list]:
    """For each dream variable, the first and last epoch at which the brain's dreams were logged."""
    epochs = {}
    for variable in (v for v in ("dream_nrem", "dream_rem") if v in ds):
        da = ds[variable].isel(brain=brain)
        logged = ds.epoch.values[da.notnull().any([d for d in da.dims if d != "epoch"]).values]
        epochs[variable] = sorted({logged[0], logged[-1]}) if len(logged) else []
    return epochs


def dream_rows(ds: xr.Dataset, brain: int, probes: int = 8) -> list[tuple[str, np.ndarray]]:
    """(label, strip) for the probe images and the NREM and REM dreams at the first and last logged epoch."""
    b = ds.isel(brain=brain, probe=slice(0, probes))
    rows = [("probes", style.image_strip(b.probe_image.values))] if "probe_image" in b else []
    for variable, epochs in dream_epochs(ds, brain).items():
        rows += [(f"{variable[6:].upper()}\nepoch {e}", style.image_strip(b[variable].sel(epoch=e).values))
                 for e in epochs]
    return rows


@style.styled
def plot_dreams(ds: xr.Dataset, brain: int, axes, probes: int = 8, labels: bool = True) -> None:
    """One brain's probes and dreams as strips of images, one per axes of the column `axes` (unused axes hidden)."""
    strips = dream_rows(ds, brain, probes)
    axes[0].set_title(style.label(str(ds.condition.values[brain])))
    for ax, (name, strip) in zip(axes, strips):
        ax.imshow(strip)
        ax.set(xticks=[], yticks=[])
        ax.spines[:].set_visible(False)
        ax.set_ylabel(name if labels else "", rotation=0, ha="right", va="center", fontsize=7)
    for ax in axes[len(strips):]:
        ax.set_axis_off()


@style.styled
def dreams_figure(ds: xr.Dataset, probes: int = 8, columns: int = 4):
    """Probe images and their dreams (early and late) for the first brain of each condition, up to `columns` abreast."""
    require(ds, "dream_nrem")
    brains, rows = first_brains(ds), 5  # probes, NREM early and late, REM early and late
    cols, blocks = min(len(brains), columns), -(-len(brains) // columns)
    width = min(probes, ds.sizes["probe"]) * ds.sizes["col"] / ds.sizes["row"]  # of a strip, in image heights
    fig, axes = plt.subplots(rows * blocks, cols, figsize=(0.5 * width * cols + 0.6, (0.55 * rows + 0.25) * blocks),
                             squeeze=False, layout="constrained")
    same = len({str(dream_epochs(ds, b)) for b in brains}) == 1  # else every column names its epochs
    for i, brain in enumerate(brains):
        column = axes[rows * (i // cols):rows * (i // cols + 1), i % cols]
        plot_dreams(ds, brain, column, probes, labels=i % cols == 0 or not same)
    for ax in axes[-rows:, len(brains) % cols:].flat if len(brains) % cols else []:
        ax.set_axis_off()
    return fig


def run_dataset(run_dir: str | Path) -> str:
    """The data set a run used: its config's data.name (the activity file's `config` attribute)."""
    with xr.open_dataset(Path(run_dir) / ACTIVITY) as activity:
        attrs = dict(activity.attrs)
    data = parse_config(attrs.get("config", ""), Path(run_dir) / ACTIVITY).get("data")
    return str((data.get("name") if isinstance(data, dict) else None) or attrs.get("data_source", "unknown"))


def with_datasets(ds: xr.Dataset) -> xr.Dataset:
    """`ds` with a `dataset` coordinate (brain), read from each run's config."""
    if "dataset" in ds.coords:
        return ds
    names = [run_dataset(d) for d in ds.run_dir.values] if "run_dir" in ds.coords else ["unknown"] * ds.sizes["brain"]
    return ds.assign_coords(dataset=("brain", names))
