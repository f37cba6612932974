"""The hypnogram figure (re-exported by analysis.figures): the lived states of one brain per condition.

Where the runs follow a protocol, each brain gets the whole run on top (a barcode of its states, step by step, x in
days; the protocol's blocks labelled and the manipulation blocks tinted; arousals, Wake steps inside a night, marked
by triangles), then a window of `days` days around the start of the manipulation, step by step with ACh and NA
(arousals hatched). Without a protocol, the window shows the first days. A brain that diverged is shown up to its
divergence, with the steps whose logged figures were not finite crossed.
"""
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from analysis import style
from analysis.hypnogram import manipulation_blocks, per_step, protocol_blocks
from analysis.load import DEVICE_NAMES, diverged_day, nonfinite_steps

RANK = {"NREM": 0, "REM": 1, "WAKE": 2}
YTICKS = dict(yticks=[0, 1, 2], yticklabels=["NREM", "REM", "Wake"])
WRAP = 60  # characters per title line (labels with overrides are long)


def brain_title(ds: xr.Dataset, brain: int) -> str:
    return textwrap.fill(f"{style.label(str(ds.condition.values[brain]))}, seed {int(ds.seed.values[brain])}", WRAP)


def diverged_steps(ds: xr.Dataset) -> xr.DataArray:
    """(brain, step): True where any per-step figure was logged and is not finite."""
    bad = [nonfinite_steps(ds, v) for v in DEVICE_NAMES if v in ds]
    return xr.concat(bad, "variable").any("variable") if bad else xr.zeros_like(ds.day * ds.brain, dtype=bool)


def arousals(ds: xr.Dataset, brain: int) -> np.ndarray:
    """(step,) True at the brain's arousals: Wake steps inside a night (night >= 0)."""
    if "night" not in ds.coords:
        return np.zeros(ds.sizes["step"], bool)
    return (per_step(ds, "state")[brain] == "WAKE") & (per_step(ds, "night")[brain].astype(float) >= 0)


def runs_of(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of the runs of True in a 1-D boolean array."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def day_positions(day: np.ndarray) -> np.ndarray:
    """x of each lived step (days in lived order): its day plus its place in the day over the day's length."""
    _, first, counts = np.unique(day, return_index=True, return_counts=True)
    return day + (np.arange(len(day)) - np.repeat(first, counts)) / np.repeat(counts, counts)


@style.styled
def plot_overview(ds: xr.Dataset, brain: int, ax, blocks, highlight=()) -> None:
    """The whole run of one brain: a barcode of states over days, blocks shaded and labelled, arousals marked."""
    day = per_step(ds, "day")[brain].astype(float)
    keep = np.isfinite(day)
    states, x = per_step(ds, "state")[brain][keep].astype(str), day_positions(day[keep])
    ends = np.r_[x[1:], day[keep][-1] + 1] if len(x) else x
    for state, rank in RANK.items():
        starts, stops = runs_of(states == state)
        ax.broken_barh(list(zip(x[starts], ends[stops - 1] - x[starts])), (rank - 0.4, 0.8), lw=0,
                       color=style.STATE_COLORS[state], rasterized=len(x) > 5000)
    if (arousal := arousals(ds, brain)[keep]).any():
        ax.plot(x[arousal], np.full(arousal.sum(), 2.6), "v", color="k", ms=2.5, label="arousal")
        ax.legend(loc="lower right", fontsize=6, handletextpad=0.2, borderaxespad=0.1)
    if len(x):
        ax.set_xlim(x[0], ends[-1])
    ax.set(ylim=(-0.5, 3.4), xlabel="day", title=brain_title(ds, brain), **YTICKS)
    style.shade_blocks(ax, blocks, highlight)


def window_blocks(names: np.ndarray) -> list[tuple[str, int, int]]:
    """(name, first step, stop step) of each run of one non-empty block name among a window's steps."""
    change = np.flatnonzero(names[1:] != names[:-1]) + 1
    bounds = np.r_[0, change, len(names)]
    return [(str(names[a]), int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if str(names[a]) not in ("", "nan")]


@style.styled
def plot_hypnogram(ds: xr.Dataset, brain: int = 0, days: int = 4, axes=None, first_day: int | None = None,
                   highlight=(), name: bool = True):
    """States over `days` days of one brain (top; from `first_day`, default its first) with its ACh and NA levels
    (bottom); days are numbered as the `day` coordinate (from 0, as the simulator's divergence diagnosis); steps with a
    non-finite logged figure are marked by red crosses, and a brain that diverged says on which day in its title.
    Protocol blocks in the window are named in the title, those in `highlight` tinted; arousals are hatched."""
    b = ds.isel(brain=brain)
    day = b.day.values.astype(float)
    start = np.nanmin(day) if first_day is None else first_day
    keep = np.isfinite(day) & (day >= start) & (day < start + days)
    states, day = b.state.values[keep].astype(str), day[keep]
    if axes is None:
        axes = plt.subplots(2, 1, sharex=True, figsize=(3.4, 2.6), height_ratios=[1.2, 1], layout="constrained")[1]
    rank, x = np.array([RANK.get(s, -1) for s in states]), np.arange(len(states) + 1)
    axes[0].bar(x[:-1], 0.8, bottom=rank - 0.4, width=1, align="edge",
                color=[style.STATE_COLORS.get(s, "0.5") for s in states])
    if (arousal := arousals(ds, brain)[keep]).any():
        axes[0].bar(x[:-1][arousal], 0.8, bottom=1.6, width=1, align="edge", fill=False, hatch="////", lw=0)
    starts = np.r_[0, np.flatnonzero(np.diff(day)) + 1, len(states)]
    for first, end in zip(starts[:-1], starts[1:]):
        axes[0].axvline(first, color="0.6", ls=":", lw=0.8) if first else None
        axes[0].text((first + end) / 2, 2.5, f"day {int(day[first])}", ha="center", va="bottom", fontsize=6)
    lines = [brain_title(ds, brain)] if name else []
    blocks = window_blocks(per_step(ds, "block")[brain][keep].astype(str)) if "block" in ds.coords else []
    if blocks:
        lines.append(f"days {int(day[0])}-{int(day[-1])}: {', '.join(dict.fromkeys(n for n, _, _ in blocks))}")
    bad = diverged_steps(ds).isel(brain=brain).values[keep]  # steps with a non-finite logged figure
    if bad.any():
        axes[0].plot(np.flatnonzero(bad) + 0.5, rank[bad], "x", color="red", ms=6, mew=1.5)
    if np.isfinite(when := float(diverged_day(ds).values[brain])):
        lines.append(f"diverged on day {int(when)}")
    axes[0].set(ylim=(-0.5, 2.85), title="\n".join(lines), **YTICKS)
    for level, ls in (("ach", "-"), ("na", "--")):
        if level not in b:  # a partial file: the states without that level
            continue
        v = b[level].values[keep]
        axes[1].step(x, np.r_[v, v[-1:]], where="post", ls=ls, color=style.LEVEL_COLORS[level],
                     label={"ach": "ACh", "na": "NA"}[level])
    axes[1].set(xlabel="step", ylabel="level", ylim=(-0.08, 1.5), yticks=[0, 0.5, 1], xlim=(0, len(states)))
    axes[1].legend(loc="upper center", ncols=2, fontsize=6) if axes[1].get_lines() else None
    for ax in axes:
        style.shade_blocks(ax, blocks, highlight, labels=False)
    return axes[0].figure


def window_start(ds: xr.Dataset, brain: int, days: int, diverged: float, manipulation) -> int | None:
    """The first day of a brain's window: its last `days` days up to a divergence, else `days` // 2 days before the
    manipulation begins (its last `days` days where the manipulation lies beyond its run), else None (its first
    day)."""
    day = per_step(ds, "day")[brain].astype(float)
    lived, last = float(np.nanmin(day)), float(np.nanmax(day))
    if np.isfinite(diverged):
        return int(max(diverged - days + 1, lived))
    if not manipulation:
        return None
    begins = manipulation[0][1]
    return int(max(begins - days // 2 if begins <= last else last - days + 1, lived))


@style.styled
def hypnogram_figure(ds: xr.Dataset, days: int = 4):
    """The hypnogram of the first brain of each condition, then of each brain that diverged (its last `days` days up to
    the divergence), up to three per row; with protocols, each above its whole run with the blocks (see the module)."""
    diverged = diverged_day(ds).values
    brains = style.first_brains(ds.condition.values)
    brains += [b for b in np.flatnonzero(np.isfinite(diverged)).tolist() if b not in brains]
    blocks = {b: protocol_blocks(ds, b) for b in brains}
    overview = any(blocks.values())
    heights = [0.9, 1.2, 1] if overview else [1.2, 1]
    cols, rows, per = min(len(brains), 3), -(-len(brains) // 3), len(heights)
    fig = plt.figure(figsize=(3.4 * cols, (3.7 if overview else 2.7) * rows), layout="constrained")
    grid = fig.add_gridspec(per * rows, cols, height_ratios=heights * rows)
    for i, brain in enumerate(brains):
        top = per * (i // cols)
        manipulation = manipulation_blocks(blocks[brain])
        highlight = [m[0] for m in manipulation]
        if overview:
            plot_overview(ds, brain, fig.add_subplot(grid[top, i % cols]), blocks[brain], highlight)
        states = fig.add_subplot(grid[top + per - 2, i % cols])
        plot_hypnogram(ds, brain, days, (states, fig.add_subplot(grid[top + per - 1, i % cols], sharex=states)),
                       window_start(ds, brain, days, diverged[brain], manipulation), highlight, name=not overview)
        states.tick_params(labelbottom=False)
    return fig
