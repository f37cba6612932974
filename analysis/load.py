"""Open runs as xarray: one run, or many (paths or glob patterns) stacked along a `brain` dimension; and read per-step
figures without mistaking a divergence for a step that logged nothing.

Each run directory holds `activity.nc` (written by the simulator) and, once `python -m analysis.evaluate` has measured it,
`evaluation.nc`; both are merged. Brains carry `scenario` and `seed` coordinates, so comparing conditions is
`ds.groupby("scenario").mean("brain")`. Runs with different schedules have steps of different states: the per-step
coordinates (`state`, `day`, `step_epoch`) become (brain, step) arrays, and shorter runs are padded with NaN.

Bad input is a `PadError` with one line naming the path: a path that is not a run directory, a damaged netCDF file.
A glob pattern may also match other things (`multirun/*/*` matches `multirun.yaml`): those are skipped with a note on
stderr, and a run named twice (by two patterns) is counted once, with a warning.

Per-step figures: NaN in `activity.nc` means "not logged at this step" (the state does not produce it), unless the
step's bit in the `logged` flags is set, where a NaN or infinity means the brain diverged. `logged(ds, name)` keeps the
logged steps, `epoch_mean(ds, name)` averages them per epoch without skipping non-finite values, `diverged_day(ds)`
says where each brain diverged. Files written before the flags existed fall back to "NaN: not logged".
"""
import glob
import sys
from pathlib import Path
from typing import Iterable

import numpy as np
import xarray as xr

from records.errors import PadError
from records.variables import DEVICE_STEP_VARIABLES

ACTIVITY, EVALUATION = "activity.nc", "evaluation.nc"
DEVICE_NAMES = tuple(v.name for v in DEVICE_STEP_VARIABLES)  # the order of the bits of `logged`


def note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


# --- which runs ---------------------------------------------------------------------------------------------------
def as_run(path: Path) -> Path | None:
    """The run directory `path` names (the folder, or a .nc file in it), or None if it names none."""
    run = path.parent if path.suffix == ".nc" and path.is_file() else path
    return run if (run / ACTIVITY).is_file() else None


def _runs_of(item: str) -> list[Path]:
    """The runs an argument names: a glob pattern (non-runs skipped with a note) or one path (which must be a run)."""
    if not glob.has_magic(item):
        path = Path(item)
        if not path.exists():
            raise PadError(f"{path}: no such run directory")
        if (run := as_run(path)) is None:
            raise PadError(f"{path}: not a run directory (no {ACTIVITY})")
        return [run]
    matches = sorted(glob.glob(item))
    if not matches:
        raise PadError(f"{item}: matches nothing")
    runs = []
    for match in map(Path, matches):
        if (run := as_run(match)) is None:
            note(f"{match}: skipped (not a run directory: no {ACTIVITY})")
        else:
            runs.append(run)
    if not runs:
        raise PadError(f"{item}: matches no run directory (none holds {ACTIVITY})")
    return runs


def run_dirs(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Run directories named by paths or glob patterns, each once, in the order given."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    seen: dict[Path, str] = {}  # resolved run directory -> the argument that named it first
    found: list[Path] = []
    for item in map(str, items):
        for run in _runs_of(item):
            key = run.resolve()
            if key in seen:
                if seen[key] != item:  # one pattern matching a run's two .nc files is not the user's repetition
                    warn(f"{run}: named twice ({seen[key]!r} and {item!r}); counted once")
                continue
            seen[key] = item
            found.append(run)
    if not found:
        raise PadError("no run directory given")
    return found


# --- reading --------------------------------------------------------------------------------------------------------
def read_netcdf(path: str | Path) -> xr.Dataset:
    """A whole netCDF file, read into memory (the file is closed again); a PadError naming it if it cannot be read."""
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except Exception as e:  # netCDF4, HDF5 and xarray raise OSError, ValueError, RuntimeError, ... on damaged files
        raise PadError(f"{path}: not a readable netCDF file, truncated or damaged ({type(e).__name__})") from None


def open_run(run_dir: str | Path) -> xr.Dataset:
    """One run's activity, merged with its evaluation where there is one (read into memory). `run_dir` may also name
    one of the run's .nc files."""
    run_dir = as_run(Path(run_dir)) or Path(run_dir)
    if not (run_dir / ACTIVITY).is_file():
        raise PadError(f"{run_dir}: {'no such run directory' if not run_dir.exists() else 'no ' + ACTIVITY}")
    ds = read_netcdf(run_dir / ACTIVITY)
    if (run_dir / EVALUATION).exists():
        ds = xr.merge([ds, read_netcdf(run_dir / EVALUATION)], compat="override", combine_attrs="override")
    return ds.assign_attrs(run_dir=str(run_dir))


PER_STEP = ("state", "day", "step_epoch")


def open_runs(paths: str | Path | Iterable[str | Path]) -> xr.Dataset:
    """Many runs as one Dataset along `brain` (coordinates: brain index, scenario, seed, run_dir)."""
    runs = []
    for i, ds in enumerate(open_run(d) for d in run_dirs(paths)):
        per_step = {name: ds[name].expand_dims(brain=ds.brain) for name in PER_STEP if name in ds.coords}
        runs.append(ds.assign_coords(per_step).assign_coords(brain=[i], run_dir=("brain", [ds.attrs["run_dir"]])))
    return xr.concat(runs, dim="brain", data_vars="all", coords="different", compat="equals", join="outer",
                     combine_attrs="drop_conflicts")


# --- per-step figures: logged, diverged ---------------------------------------------------------------------------
def _bit(flags: xr.DataArray, name: str) -> int | None:
    """The bit of `name` in the `logged` flags (CF flag_masks / flag_meanings), None if the flags do not cover it."""
    meanings = str(flags.attrs.get("flag_meanings", " ".join(DEVICE_NAMES))).split()
    if name not in meanings:
        return None
    masks = flags.attrs.get("flag_masks")
    masks = [1 << k for k in range(len(meanings))] if masks is None else np.atleast_1d(masks).tolist()
    return int(masks[meanings.index(name)])


def logged_mask(ds: xr.Dataset, name: str) -> xr.DataArray:
    """True at the steps where per-step `name` was logged: its bit in `logged` is set. Where a file (or a brain of
    open_runs) has no flags, or the flags do not cover `name`, every non-NaN value counts as logged."""
    value = ds[name]
    bit = _bit(ds["logged"], name) if "logged" in ds else None
    if bit is None:
        return value.notnull()
    flags = ds["logged"]  # uint8; float with NaN where open_runs padded a run, or a run's file had no flags
    is_set = (flags.fillna(0).astype(np.int64) & bit) != 0
    return xr.where(flags.isnull(), value.notnull(), is_set)


def logged(ds: xr.Dataset, name: str) -> xr.DataArray:
    """Per-step `name` where it was logged, NaN elsewhere; a logged NaN or infinity (a divergence) is kept as it is."""
    return ds[name].where(logged_mask(ds, name))


def epoch_mean_count(ds: xr.Dataset, name: str, state: str | None = None) -> tuple[xr.DataArray, xr.DataArray]:
    """(mean, count) of per-step `name` over each epoch's logged steps (of `state` only, if given), dims (..., epoch).
    The mean does not skip non-finite values: an epoch with a diverged step is NaN, and so is one without logged steps
    (count 0); count > 0 and a NaN mean is a divergence."""
    mask = logged_mask(ds, name)
    if state is not None:
        mask = mask & (ds["state"] == state)
    value, mask, epoch = xr.broadcast(ds[name], mask, ds["step_epoch"])
    lead = [d for d in value.dims if d != "step"]
    v, m, e = (a.transpose(*lead, "step").values for a in (value, mask, epoch))
    v, m, e = v.astype(float), m.astype(bool), e.astype(float)
    epochs = np.unique(e[np.isfinite(e)])
    count = np.stack([(m & (e == k)).sum(-1) for k in epochs], -1) if len(epochs) else np.zeros(v.shape[:-1] + (0,))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total = np.stack([np.where(m & (e == k), v, 0.0).sum(-1) for k in epochs], -1) if len(epochs) else count * 0.0
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    mean[~np.isfinite(mean)] = np.nan
    coords = {c: value[c] for c in value.coords if "step" not in value[c].dims and set(value[c].dims) <= set(lead)}
    coords["epoch"] = ("epoch", epochs.astype(np.int64), {"units": "1", "long_name": "training epoch"})
    dims = lead + ["epoch"]
    return (xr.DataArray(mean, dims=dims, coords=coords, name=name, attrs=ds[name].attrs),
            xr.DataArray(count.astype(np.int64), dims=dims, coords=coords, name=f"{name}_logged_steps"))


def epoch_mean(ds: xr.Dataset, name: str, state: str | None = None) -> xr.DataArray:
    """Mean of per-step `name` over each epoch's logged steps (of `state`, if given); NaN for an epoch in which the
    figure diverged (a logged NaN or infinity is never averaged away) or was never logged. Dims (..., epoch)."""
    return epoch_mean_count(ds, name, state)[0]


def diverged_day(ds: xr.Dataset) -> xr.DataArray:
    """Per brain, the first day (0-based, as the `day` coordinate) on which it diverged; NaN if it did not (or if an
    old file cannot tell). From the file's `diverged_day` (-1: never) and from any logged non-finite step figure."""
    days = []
    if "diverged_day" in ds:
        days.append(ds["diverged_day"].where(ds["diverged_day"] >= 0).astype(float))
    for name in DEVICE_NAMES:
        if name in ds and "day" in ds.coords:
            bad = logged_mask(ds, name) & ~np.isfinite(ds[name])
            days.append(ds["day"].where(bad).min("step").astype(float))
    if not days:
        return xr.full_like(ds["brain"], np.nan, dtype=float) if "brain" in ds.dims else xr.DataArray(np.nan)
    found = xr.concat([d.reset_coords(drop=True) for d in days], "source", join="outer").min("source")
    return found.rename("diverged_day")
