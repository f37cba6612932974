"""Open runs as xarray: one run, or many (paths or glob patterns) stacked along a `brain` dimension.

Each run directory holds `activity.nc` (written by the simulator) and, once `python -m analysis.evaluate` has measured it,
`evaluation.nc`; both are merged. Brains carry `scenario` and `seed` coordinates, so comparing conditions is
`ds.groupby("scenario").mean("brain")`. Runs with different schedules have steps of different states: the per-step
coordinates (`state`, `day`, `step_epoch`) become (brain, step) arrays, and shorter runs are padded with NaN.
"""
import glob
from pathlib import Path
from typing import Iterable

import xarray as xr

ACTIVITY, EVALUATION = "activity.nc", "evaluation.nc"


def run_dirs(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Run directories named by paths or glob patterns (a path to a run's .nc file names its directory)."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    found: list[Path] = []
    for item in items:
        matches = sorted(glob.glob(str(item))) or [str(item)]
        for match in map(Path, matches):
            run = match.parent if match.suffix == ".nc" else match
            if not (run / ACTIVITY).exists():
                raise FileNotFoundError(f"{run}: no {ACTIVITY} (not a run directory)")
            if run not in found:
                found.append(run)
    if not found:
        raise FileNotFoundError(f"no run directory in {paths}")
    return found


def open_run(run_dir: str | Path) -> xr.Dataset:
    """One run's activity, merged with its evaluation where there is one (lazily read from disk)."""
    run_dir = Path(run_dir)
    ds = xr.open_dataset(run_dir / ACTIVITY)
    if (run_dir / EVALUATION).exists():
        ds = xr.merge([ds, xr.open_dataset(run_dir / EVALUATION)], compat="override", combine_attrs="override")
    return ds.assign_attrs(run_dir=str(run_dir))


PER_STEP = ("state", "day", "step_epoch")


def open_runs(paths: str | Path | Iterable[str | Path]) -> xr.Dataset:
    """Many runs as one Dataset along `brain` (coordinates: brain index, scenario, seed, run_dir)."""
    runs = []
    for i, ds in enumerate(open_run(d) for d in run_dirs(paths)):
        per_step = {name: ds[name].expand_dims(brain=ds.brain) for name in PER_STEP if name in ds.coords}
        runs.append(ds.assign_coords(per_step).assign_coords(brain=[i], run_dir=("brain", [ds.attrs["run_dir"]])))
    return xr.concat(runs, dim="brain", join="outer", combine_attrs="drop_conflicts")
