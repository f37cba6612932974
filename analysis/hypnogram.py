"""Hypnograms: each brain's lived sequence of states in YASA's integer convention, exported as CSV; and the protocol's
blocks in days.

`python -m analysis.hypnogram RUN_DIR [--out FILE] [--brain B]` writes one brain's hypnogram (default
RUN_DIR/hypnogram.csv; columns step, epoch, day, night, block, state, yasa) and prints its path. One row is one step
(one mini-batch update in one state); YASA's epochs are of uniform length, so load it with, e.g.,
`yasa.Hypnogram(pd.read_csv(path).state.tolist(), n_stages=3, freq="1min")`, one "minute" per step. Arousals are
the WAKE rows whose night is >= 0 (a day's own Wake steps have night -1). From Python, `as_yasa(ds)` gives a brain's
nights as `yasa.Hypnogram`s (one per night, a step lasting the hypnogram's `minutes_per_step` where the brain slept a
hypnogram: sims/life/hypnograms.py). Bad input ends with one line, `error: ...`, and exit status 2.

Codes (records.variables.YASA_CODES): WAKE 0, NREM 2, REM 4; UNS -2 marks the steps a brain did not live (the padding
`analysis.load.open_runs` adds to shorter runs).
"""
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from analysis.cli import Parser, one_line_errors, writable_folder
from analysis.load import ACTIVITY, open_run
from records.errors import PadError
from records.files import atomic_write
from records.variables import DAYS_PER_EPOCH, PROTOCOL_BLOCKS, YASA_CODES

UNS = YASA_CODES["UNS"]
COLUMNS = ("step", "epoch", "day", "night", "block", "state", "yasa")


class Block(NamedTuple):
    """A protocol block in days since the run began: [first_day, stop_day)."""
    name: str
    first_day: int
    stop_day: int


def per_step(ds: xr.Dataset, name: str) -> np.ndarray:
    """Per-step coordinate `name` as a (brain, step) array (one run's (step,) coordinate is repeated over brains)."""
    da = ds[name]
    if "brain" not in da.dims:
        da = da.expand_dims(brain=ds.sizes.get("brain", 1))
    return np.asarray(da.transpose("brain", "step").values)


def yasa_codes(ds: xr.Dataset) -> xr.DataArray:
    """(brain, step) int8: each step's state as YASA's integer code; UNS (-2) where a brain lived no step (padding)."""
    states = per_step(ds, "state")
    codes = np.full(states.shape, UNS, np.int8)
    for name, code in YASA_CODES.items():
        codes[states == name] = code
    coords = {c: ds[c] for c in ds.coords if set(ds[c].dims) <= {"brain", "step"} and c not in
              ("state", "day", "night", "block", "step_epoch")}
    meanings = sorted(YASA_CODES, key=YASA_CODES.get)
    return xr.DataArray(codes, dims=("brain", "step"), coords=coords, name="yasa", attrs={
        "long_name": "brain state in YASA's integer convention", "units": "1",
        "flag_values": [YASA_CODES[m] for m in meanings], "flag_meanings": " ".join(meanings)})


def hypnogram_table(ds: xr.Dataset, brain: int = 0) -> pd.DataFrame:
    """One brain's lived steps (padding dropped) as a table with the columns of COLUMNS."""
    if not 0 <= brain < ds.sizes.get("brain", 1):
        raise PadError(f"--brain {brain}: the run holds {ds.sizes.get('brain', 1)} brain(s)")
    day = per_step(ds, "day")[brain].astype(float)
    lived = np.isfinite(day)
    column = lambda name, fill: per_step(ds, name)[brain][lived] if name in ds.coords else np.full(lived.sum(), fill)
    table = pd.DataFrame({
        "step": ds.step.values[lived], "epoch": column("step_epoch", -1).astype(np.int64),
        "day": day[lived].astype(np.int64), "night": column("night", -1).astype(np.int64),
        "block": column("block", "").astype(str), "state": column("state", "UNS").astype(str),
        "yasa": yasa_codes(ds).values[brain][lived]})
    return table


def export_hypnogram(run_dir_or_ds: str | Path | xr.Dataset, path: str | Path, brain: int = 0) -> Path:
    """Write one brain's hypnogram as CSV (atomically) to `path`; returns the path."""
    ds = run_dir_or_ds if isinstance(run_dir_or_ds, xr.Dataset) else open_run(run_dir_or_ds)
    table = hypnogram_table(ds, brain)
    return atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))


def lived_nights(ds: xr.Dataset, brain: int = 0) -> list[tuple[str, np.ndarray]]:
    """One brain's nights as lived, in order: (block, its steps' states WAKE/NREM/REM), the day's own Wake steps left
    out (arousals and a hypnogram's wake after sleep onset stay in)."""
    table = hypnogram_table(ds, brain)
    nights = table[table.night >= 0]
    return [(str(group.block.iloc[0]), group.state.to_numpy()) for _, group in nights.groupby("night", sort=True)]


def as_yasa(ds: xr.Dataset, brain: int = 0, minutes_per_step: float | None = None) -> list:
    """One brain's nights as `yasa.Hypnogram`s (3 stages: WAKE, NREM, REM), one per night, one epoch per step; a
    step lasts `minutes_per_step`, by default the night's block's `hypnogram.minutes_per_step` where it slept a
    hypnogram, else 1 minute. `sleep_statistics()` and `transition_matrix()` work on them."""
    import yasa

    blocks = (run_config(ds, brain).get("protocol") or {}).get("blocks") or []
    scale = {b.get("name"): float(b["hypnogram"]["minutes_per_step"]) for b in blocks
             if isinstance(b, dict) and isinstance(b.get("hypnogram"), dict)}
    out = []
    for block, states in lived_nights(ds, brain):
        minutes = minutes_per_step or scale.get(block, 1.0)
        out.append(yasa.Hypnogram(list(states), n_stages=3, freq=f"{round(minutes * 60)}s"))
    return out


# --- the protocol's blocks ------------------------------------------------------------------------------------------
def run_attrs(ds: xr.Dataset, brain: int = 0) -> dict:
    """The global attributes of the activity file `brain` was read from when `ds` comes from open_runs (a `run_dir`
    coordinate), else `ds`'s own."""
    if "run_dir" not in ds.coords:
        return dict(ds.attrs)
    path = activity_path(ds, brain)
    try:
        with xr.open_dataset(path) as activity:
            return dict(activity.attrs)
    except Exception as e:  # a file damaged since open_runs read it
        raise PadError(f"{path}: not a readable netCDF file ({type(e).__name__})") from None


def run_config(ds: xr.Dataset, brain: int = 0) -> dict:
    """The resolved config of `brain` (its file's `config` attribute); {} where there is none."""
    return parse_config(run_attrs(ds, brain).get("config", ""), activity_path(ds, brain))


def activity_path(ds: xr.Dataset, brain: int = 0) -> Path:
    """The activity file `brain` of `ds` was read from (for messages; `activity.nc` for hand-made Datasets)."""
    run_dir = ds.run_dir.values[brain] if "run_dir" in ds.coords else ds.attrs.get("run_dir", "")
    return Path(str(run_dir)) / ACTIVITY


def parse_config(text: object, path: Path) -> dict:
    """A run's `config` attribute (YAML) as a dict, {} where there is none; a PadError naming `path` where it is not
    a YAML mapping (a file written by another program)."""
    try:
        config = yaml.safe_load(text) if isinstance(text, str) and text else {}
    except yaml.YAMLError as e:
        raise PadError(f"{path}: its config attribute is not readable YAML ({type(e).__name__})") from None
    if not isinstance(config, dict):
        raise PadError(f"{path}: its config attribute is not a mapping of settings ({type(config).__name__})")
    return config or {}


def days_per_epoch(ds: xr.Dataset, brain: int = 0) -> int:
    """Days of one epoch of `brain`, as its activity file says (records.variables.DAYS_PER_EPOCH)."""
    value = run_attrs(ds, brain).get(DAYS_PER_EPOCH)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PadError(f"{activity_path(ds, brain)}: its {DAYS_PER_EPOCH} attribute is {value!r}, not a number of "
                       "days (a file written by another program?)") from None


def protocol_blocks(ds: xr.Dataset, brain: int = 0) -> list[Block]:
    """The protocol's blocks of `brain` as (name, first_day, stop_day), days since the run began, in the config's
    order, as its activity file says (records.variables.PROTOCOL_BLOCKS); a block that lasts to the run's end stops
    where the brain's logged days end. A Dataset without the attribute and without a config (made by hand) gives the
    runs of its per-step `block` coordinate."""
    attrs = run_attrs(ds, brain)
    if PROTOCOL_BLOCKS not in attrs:
        return lived_blocks(ds, brain) if "config" not in attrs and "block" in ds.coords else []
    try:
        blocks = json.loads(attrs[PROTOCOL_BLOCKS])
        lived = int(np.nanmax(per_step(ds, "day")[brain].astype(float))) + 1 if ds.sizes.get("step") else 0
        return [Block(str(b["name"]), int(b["first_day"]),
                      max(lived, int(b["first_day"])) if b["stop_day"] is None else int(b["stop_day"])) for b in blocks]
    except (TypeError, ValueError, KeyError):
        raise PadError(f"{activity_path(ds, brain)}: its {PROTOCOL_BLOCKS} attribute is not a list of blocks "
                       f"({attrs[PROTOCOL_BLOCKS]!r:.80})") from None


def lived_blocks(ds: xr.Dataset, brain: int = 0) -> list[Block]:
    """Runs of days with the same non-empty `block` coordinate, as Blocks."""
    day, name = per_step(ds, "day")[brain].astype(float), per_step(ds, "block")[brain]
    keep = np.isfinite(day)
    days, first = np.unique(day[keep].astype(np.int64), return_index=True)
    names = name[keep][first].astype(str)
    blocks = []
    for d, n in zip(days, names):
        if blocks and blocks[-1].name == n and blocks[-1].stop_day == d:
            blocks[-1] = blocks[-1]._replace(stop_day=int(d) + 1)
        elif n and n != "nan":
            blocks.append(Block(n, int(d), int(d) + 1))
    return blocks


def manipulation_blocks(blocks: list, name: str | None = None) -> list:
    """The blocks that manipulate: those named `name` if given, else all but the first and the last (baseline,
    recovery) when there are three or more, else those not named baseline or recovery."""
    if name is not None:
        return [b for b in blocks if b[0] == name]
    if len(blocks) >= 3:
        return list(blocks[1:-1])
    return [b for b in blocks if b[0] not in ("baseline", "recovery")]


def main(argv: list[str] | None = None) -> Path:
    parser = Parser(prog="python -m analysis.hypnogram", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory (holding activity.nc)")
    parser.add_argument("--out", type=Path, help="CSV file to write (default: RUN_DIR/hypnogram.csv)")
    parser.add_argument("--brain", type=int, default=0, help="which brain of the file (default: 0)")
    args = parser.parse_args(argv)
    with one_line_errors(args.out):
        out = args.out or args.run_dir / "hypnogram.csv"
        if out.is_dir():
            raise PadError(f"--out {out}: is a folder, not a file")
        ds = open_run(args.run_dir)
        writable_folder(out.parent, "--out")
        path = export_hypnogram(ds, out, args.brain)
    print(path)
    return path


if __name__ == "__main__":
    main()
