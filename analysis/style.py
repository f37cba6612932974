"""One plotting style for every report figure: fonts, sizes, a fixed colour and a readable name per scenario, and the
mean ± SEM band used wherever brains (seeds) are averaged.

Scenario colours follow the paper where it fixes one (Figures 4-6 and Appendix 1: PAD black, w/o REM pink,
w/o memory mix purple, w/o NREM orange, Wake only grey; REM from noise green, REM from memories red, REM before NREM
brown); other scenarios take the next free colour of a qualitative cycle, in sorted order, so reports are stable.
"""
from pathlib import Path
from typing import Iterable

import matplotlib as mpl
import numpy as np
from matplotlib.ticker import MaxNLocator

from analysis.statistics import mean_sem  # noqa: F401 (its callers read it here too)

RC = {
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False, "axes.spines.right": False,
    "axes.linewidth": 0.8, "lines.linewidth": 1.4, "lines.markersize": 4, "legend.frameon": False,
    "figure.dpi": 100, "savefig.dpi": 200, "savefig.bbox": "tight", "pdf.fonttype": 42,  # TrueType text in PDFs
    "image.interpolation": "nearest",
}
styled = mpl.rc_context(RC)  # decorator: every figure function draws inside the report's style

SCENARIO_COLORS = {
    "pad": "#000000", "no_rem": "#e7298a", "no_memory_mix": "#7b3294", "no_nrem": "#f08c00", "wake_only": "#8c8c8c",
    "rem_noise_only": "#2ca02c", "rem_memories_only": "#d62728", "rem_first": "#8c564b",
}
SCENARIO_LABELS = {
    "pad": "PAD", "no_memory_mix": "w/o memory mix", "no_rem": "w/o REM", "no_nrem": "w/o NREM",
    "wake_only": "Wake only",
    "rem_noise_only": "REM from noise", "rem_memories_only": "REM from memories", "rem_first": "REM before NREM",
    "nrem_mixed": "NREM of mixed memories",
}
PAPER_ORDER = tuple(SCENARIO_LABELS)
SPARE_COLORS = ("#1f77b4", "#17becf", "#bcbd22", "#ff9896", "#9edae5", "#c5b0d5", "#aec7e8", "#98df8a", "#dbdb8d")
BLOCK_COLOR = "#f6c89f"  # the tint of a protocol's manipulation blocks
STATE_COLORS = {"WAKE": "#f2b705", "NREM": "#1f5aa6", "REM": "#c0392b"}
LEVEL_COLORS = {"ach": "#117a65", "na": "#a04000"}


def order(scenarios: Iterable[str]) -> list[str]:
    """Distinct scenario names, the paper's first (in its order), then the rest sorted."""
    names = set(map(str, scenarios))
    return [s for s in PAPER_ORDER if s in names] + sorted(names - set(PAPER_ORDER))


def colors(scenarios: Iterable[str]) -> dict[str, str]:
    """A colour per scenario: the paper's where it has one, otherwise the next spare colour."""
    names = order(scenarios)
    spare = iter(SPARE_COLORS * (1 + len(names) // len(SPARE_COLORS)))
    return {s: SCENARIO_COLORS.get(s) or next(spare) for s in names}


def first_brains(scenarios) -> list[int]:
    """The index of the first brain of each scenario (`scenarios`: one name per brain), scenarios in report order."""
    scenarios = np.asarray(scenarios).astype(str)
    return [int(np.flatnonzero(scenarios == s)[0]) for s in order(scenarios)]


def label(scenario: str, n: int | None = None) -> str:
    name = SCENARIO_LABELS.get(scenario, scenario)
    return name if n is None else f"{name} (n={n})"


def band(ax, x, values: np.ndarray, color: str, label: str | None = None, gaps: bool = False, **kw):
    """Mean over rows of `values` (brains, len(x)) as a line, ± SEM as a shaded band (no band with one brain).
    Points where no brain has a value are skipped, so sparse evaluations still draw connected lines (`gaps=True`: they
    stay gaps, for figures where a missing point means something went wrong); up to 15 points are marked."""
    mean, sem, _ = mean_sem(values)
    keep = np.ones(len(mean), bool) if gaps else np.isfinite(mean)
    x, mean, sem = np.asarray(x)[keep], mean[keep], sem[keep]
    ax.plot(x, mean, color=color, label=label, **{"marker": "o" if np.isfinite(mean).sum() <= 15 else None} | kw)
    if np.isfinite(sem).any():
        ax.fill_between(x, mean - sem, mean + sem, color=color, alpha=0.2, linewidth=0)


def epoch_axis(ax) -> None:
    """Whole epochs on the x axis, at steps of 1, 2, 5 or 10 (times powers of ten)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def shade_blocks(ax, blocks, highlight: Iterable[str] = (), scale: float = 1.0, offset: float = 0.0,
                 labels: bool = True) -> None:
    """Protocol blocks [(name, start, stop), ...] on the x axis at x = offset + start / scale .. offset + stop / scale
    (days on an epoch axis: scale = days per epoch, offset 0.5, so that epoch k, drawn at x = k, spans k ± 0.5): the
    blocks named in `highlight` tinted, each inner boundary a dashed line, each visible block's name at the top of the
    axes. The x limits are kept."""
    lo, hi = ax.get_xlim()
    highlight = set(highlight)
    for name, start, stop in blocks:
        x0, x1 = offset + start / scale, offset + stop / scale
        if name in highlight:
            ax.axvspan(x0, x1, color=BLOCK_COLOR, alpha=0.45, lw=0, zorder=0)
        if lo < x0 < hi:
            ax.axvline(x0, color="0.45", ls="--", lw=0.7, zorder=0.5)
        if labels and max(x0, lo) < min(x1, hi):
            ax.text((max(x0, lo) + min(x1, hi)) / 2, 0.98, name, transform=ax.get_xaxis_transform(), ha="center",
                    va="top", fontsize=6, color="0.3", clip_on=True)
    ax.set_xlim(lo, hi)


def legend_outside(ax) -> None:
    """The legend to the right of the axes, where it hides no line (constrained layout makes room)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)


def save(fig, out: Path, name: str) -> list[Path]:
    """Write `name`.png and `name`.pdf under `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path)
    return paths


def image_strip(images: np.ndarray) -> np.ndarray:
    """(n, channel, row, col) activity in [-1, 1] -> one RGB strip (row, n * (col + 1) - 1, 3) in [0, 1] for imshow,
    the images side by side with a white column between them (NaN shows white)."""
    x = np.clip((np.nan_to_num(images, nan=1.0) + 1) / 2, 0, 1)
    x = np.repeat(x, 3, axis=1) if x.shape[1] == 1 else x
    x = np.pad(x.transpose(0, 2, 3, 1), ((0, 0), (0, 0), (0, 1), (0, 0)), constant_values=1)  # (n, row, col + 1, 3)
    return np.concatenate(list(x), axis=1)[:, :-1]
