"""The activity figure of `analysis.report`: what every area does in Wake, NREM and REM (feedforward pathway).

Top rows: each area's RDM in each state at the last recording (each panel scaled to its largest dissimilarity, which
its title gives: deep areas of a young cortex answer all probes alike), mean over the brains of the report's first condition
(every brain's probes are class-balanced and sorted by class, so their RDMs align class by class; where the brains'
probe classes differ, the first brain's alone). Then, per area over epochs, mean ± SEM over each condition's brains:
replay fidelity of NREM (dashed) and REM (dotted) against Wake, with the shuffled-pair chance (grey, dash-dot), and
the population sparseness of each state (Wake solid).
"""
import itertools

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.lines import Line2D

from analysis import style
from analysis.activity import per_epoch, recorded
from analysis.figures import STATE_NAMES, of_condition, require
from analysis.representation import population_sparseness, rdm, replay_fidelity

PATHWAY = "feedforward"
STATE_LINES = {"WAKE": "-", "NREM": "--", "REM": ":"}
SLEEP = ("NREM", "REM")
CHANCE = {"color": "0.6", "linestyle": "-."}


def last_recording(activity: xr.DataArray) -> xr.DataArray:
    """Each brain's last recording that holds values (runs of different lengths are padded with NaN by open_runs)."""
    held = activity.notnull().any([d for d in activity.dims if d not in ("brain", "recording")])
    order = xr.DataArray(np.arange(activity.sizes["recording"]), dims="recording")
    return activity.isel(recording=xr.where(held, order, -1).max("recording").clip(0))


def class_ticks(ax, labels: np.ndarray) -> None:
    """Class boundaries as thin lines, the class at the middle of its block."""
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    middles = (starts + np.r_[starts[1:], len(labels)] - 1) / 2
    for s in starts[1:]:
        ax.axhline(s - 0.5, color="white", linewidth=0.4)
        ax.axvline(s - 0.5, color="white", linewidth=0.4)
    ax.set_xticks(middles, labels[starts], fontsize=5)
    ax.set_yticks(middles, labels[starts], fontsize=5)


def plot_rdms(axes, ds: xr.Dataset, activity: xr.DataArray) -> tuple:
    """RDMs (states x areas) of the first condition's brains at their last recording; returns (image, title)."""
    scenario = style.order(ds.condition.values)[0]
    brains = of_condition(ds, scenario).brain.values
    mine = last_recording(activity.sel(brain=brains))
    labels = np.atleast_2d(mine["probe_label"].values)
    if not (labels == labels[0]).all():
        mine, labels = mine.isel(brain=[0]), labels[:1]
    order = np.argsort(labels[0], kind="stable")
    rdms = rdm(mine).mean("brain").isel(probe=order, probe_other=order)
    for (i, state), (j, area) in itertools.product(enumerate(rdms.state.values), enumerate(rdms.area.values)):
        values = rdms.sel(state=state, area=area).values
        largest = np.nanmax(values, initial=0)
        image = axes[i, j].imshow(values / (largest or 1), cmap="magma", vmin=0, vmax=1, interpolation="nearest")
        class_ticks(axes[i, j], labels[0][order])
        axes[i, j].set_title(f"{area}, {STATE_NAMES.get(str(state), state)} (max {largest:.2g})", fontsize=7)
    n = mine.sizes["brain"]
    return image, (f"RDMs (1 − r) at the last recording, each panel to its largest value: {style.label(scenario)}, "
                   f"mean of {n} brain{'s' * (n > 1)}")


def plot_over_epochs(axes_fidelity, axes_sparseness, ds: xr.Dataset, activity: xr.DataArray) -> None:
    epochs, colors = ds.epoch.values, style.colors(ds.condition.values)
    fidelity = {s: replay_fidelity(activity, s) for s in SLEEP}
    sparseness = per_epoch(population_sparseness(activity), ds)
    for j, area in enumerate(activity.area.values):
        for scenario, color in colors.items():
            pick = ds.condition.values == scenario
            for state in SLEEP:
                values = per_epoch(fidelity[state].fidelity.sel(area=area), ds).transpose("brain", "epoch")
                style.band(axes_fidelity[j], epochs, values.values[pick], color, linestyle=STATE_LINES[state])
            for state, line in STATE_LINES.items():
                values = sparseness.sel(area=area, state=state).transpose("brain", "epoch")
                style.band(axes_sparseness[j], epochs, values.values[pick], color, linestyle=line)
        chance = per_epoch(fidelity["NREM"].chance.sel(area=area), ds).mean("brain")
        keep = np.isfinite(chance.values)
        axes_fidelity[j].plot(epochs[keep], chance.values[keep], **CHANCE)
        axes_fidelity[j].set(title=f"{area}: replay fidelity", xlabel="epoch", ylabel="r with Wake" * (j == 0))
        axes_sparseness[j].set(title=f"{area}: sparseness", xlabel="epoch", ylabel="Treves-Rolls" * (j == 0))
        for ax in (axes_fidelity[j], axes_sparseness[j]):
            style.epoch_axis(ax)


@style.styled
def activity_figure(ds: xr.Dataset):
    """RDMs per area and state at the last recording; replay fidelity and sparseness per area over epochs."""
    require(ds, "activity")
    activity = recorded(ds).sel(pathway=PATHWAY)
    states, areas = activity.sizes["state"], activity.sizes["area"]
    fig = plt.figure(figsize=(1.9 * areas + 0.8, 1.8 * states + 4.6), layout="constrained")
    grid = fig.add_gridspec(states + 2, areas, height_ratios=[1] * states + [1.15, 1.15])
    rdm_axes = np.array([[fig.add_subplot(grid[i, j]) for j in range(areas)] for i in range(states)])
    image, title = plot_rdms(rdm_axes, ds, activity)
    fig.colorbar(image, ax=rdm_axes, shrink=0.6, label="1 − r, fraction of the panel's largest")
    fidelity_axes = [fig.add_subplot(grid[states, j]) for j in range(areas)]
    sparseness_axes = [fig.add_subplot(grid[states + 1, j]) for j in range(areas)]
    plot_over_epochs(fidelity_axes, sparseness_axes, ds, activity)
    colors = style.colors(ds.condition.values)
    handles = [Line2D([], [], color=c, label=style.label(s, int((ds.condition.values == s).sum())))
               for s, c in colors.items()]
    handles += [Line2D([], [], color="k", linestyle=line, label=STATE_NAMES[s]) for s, line in STATE_LINES.items()]
    handles += [Line2D([], [], **CHANCE, label="chance (shuffled probes)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=7)
    fig.suptitle(f"{title}; feedforward pathway", fontsize=8)
    return fig
