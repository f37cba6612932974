"""Open runs as xarray: one run, or many (paths or glob patterns) stacked along a `brain` dimension; and read per-step
figures without mistaking a divergence for a step that logged nothing.

Each run directory holds `activity.nc` (written by the simulator) and, once `python -m analysis.evaluate` has measured it,
`evaluation.nc`; both are merged. Brains carry `condition` (their label: scenario, protocol and the overrides that
define them; sims.life.labels) and `seed` coordinates, so comparing conditions is `ds.groupby("condition").mean("brain")`. Runs with different schedules have steps of different states: the per-step
coordinates (`state`, `day`, `step_epoch`) become (brain, step) arrays, and shorter runs are padded with NaN.

Bad input is a `PadError` with one line naming the path: a path that is not a run directory, a damaged netCDF file,
a file written by another program or a partial one (without the coordinates every run has: `check_run`), a file of
another file format (its `pad_format`, records.variables.FORMAT).
A glob pattern may also match other things (`multirun/*/*` matches `multirun.yaml`): those are skipped with a note on
stderr, and a run named twice (by two patterns) is counted once, with a warning.

Per-step figures: NaN in `activity.nc` means "not logged at this step" (the state does not produce it), unless the
step's bit in the `logged` flags is set, where a NaN or infinity means the brain diverged. `logged(ds, name)` keeps the
logged steps, `epoch_mean(ds, name)` averages them per epoch without skipping non-finite values, `diverged_day(ds)`
says where each brain diverged. Files written before the flags existed fall back to "NaN: not logged".
"""
import dataclasses
import glob
import re
import sys
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
import xarray as xr
from omegaconf import DictConfig, OmegaConf

from cortex import Cortex, CortexConfig
from records.checkpoints import load_checkpoint
from records.errors import PadError
from records.variables import DEVICE_STEP_VARIABLES, FORMAT

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


# What every activity file holds, coordinate -> the dimension it runs along (a file without one of them was written
# by another program, or is partial), and the dimensions that need their coordinate wherever a variable uses them.
RUN_COORDS = {"brain": "brain", "condition": "brain", "seed": "brain", "step": "step", "state": "step", "day": "step",
              "step_epoch": "step"}
INDEXED = ("brain", "step", "epoch", "occlusion")


def check_run(ds: xr.Dataset, path: Path, needs: dict[str, str] = RUN_COORDS) -> None:
    """A PadError naming `path` unless `ds` is an activity (or evaluation) file this version reads: of the file format
    it reads (attribute `pad_format`, records.variables.FORMAT; a pad-sleep file without it, one with a
    `pad_version`, is format 1; a file made by hand, with neither, is read as this format), and holding the
    coordinates `needs` along their dimensions and the coordinate of each dimension in INDEXED it uses."""
    written = ds.attrs.get("pad_format", 1 if "pad_version" in ds.attrs else FORMAT)
    if str(written) != str(FORMAT):
        raise PadError(f"{path}: an activity file of format {written} (pad-sleep {ds.attrs.get('pad_version', '?')}); "
                       f"this pad-sleep reads format {FORMAT}: analyse it with the version that wrote it")
    missing = [c for c, dim in needs.items() if c not in ds.coords or dim not in ds[c].dims]
    missing += [d for d in INDEXED if d in ds.dims and d not in ds.coords and d not in missing]
    if missing:
        raise PadError(f"{path}: not a pad-sleep activity file, or a partial one (no {', '.join(missing)}; "
                       f"written by another program?)")


def open_run(run_dir: str | Path) -> xr.Dataset:
    """One run's activity, merged with its evaluation where there is one (read into memory). `run_dir` may also name
    one of the run's .nc files. A file this version cannot read (another program's, a partial one, another file
    format) is a PadError naming it (`check_run`)."""
    run_dir = as_run(Path(run_dir)) or Path(run_dir)
    if not (run_dir / ACTIVITY).is_file():
        raise PadError(f"{run_dir}: {'no such run directory' if not run_dir.exists() else 'no ' + ACTIVITY}")
    ds = read_netcdf(run_dir / ACTIVITY)
    check_run(ds, run_dir / ACTIVITY)
    ds = ds.assign_coords(condition=ds.condition.astype(str))  # labels, also where another program wrote numbers
    if (run_dir / EVALUATION).exists():
        evaluation = read_netcdf(run_dir / EVALUATION)
        check_run(evaluation, run_dir / EVALUATION, {"brain": "brain"})
        ds = xr.merge([ds, evaluation], compat="override", combine_attrs="override")
    return ds.assign_attrs(run_dir=str(run_dir))


PER_STEP = ("state", "day", "step_epoch", "night", "block")


def open_runs(paths: str | Path | Iterable[str | Path]) -> xr.Dataset:
    """Many runs as one Dataset along `brain` (coordinates: brain index, scenario, seed, run_dir)."""
    runs, first = [], 0
    for ds in (open_run(d) for d in run_dirs(paths)):
        per_step = {name: ds[name].expand_dims(brain=ds.brain) for name in PER_STEP
                    if name in ds.coords and "brain" not in ds[name].dims}
        n = ds.sizes["brain"]  # a run's file holds one brain, a hand-made one may hold more
        runs.append(ds.assign_coords(per_step).assign_coords(brain=np.arange(first, first + n),
                                                             run_dir=("brain", [ds.attrs["run_dir"]] * n)))
        first += n
    for name in {n for ds in runs for n in PER_STEP if n in ds.coords}:  # older files lack night and block
        fill = "" if name == "block" else np.nan
        runs = [ds if name in ds.coords else ds.assign_coords(
            {name: (("brain", "step"), np.full((ds.sizes["brain"], ds.sizes["step"]), fill))}) for ds in runs]
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


def nonfinite_steps(ds: xr.Dataset, name: str) -> xr.DataArray:
    """(brain, step): True where per-step `name` was logged and is not finite, in any of its areas (a per-area figure,
    dims (brain, step, area), diverges at a step where any area does)."""
    bad = logged_mask(ds, name) & ~np.isfinite(ds[name])
    return bad.any([d for d in bad.dims if d not in ("brain", "step")])


def diverged_day(ds: xr.Dataset) -> xr.DataArray:
    """Per brain, the first day (0-based, as the `day` coordinate) on which it diverged; NaN if it did not (or if an
    file made by hand cannot tell). From the file's `diverged_day` (NaN: never) and from any logged non-finite step
    figure."""
    days = []
    if "diverged_day" in ds:
        days.append(ds["diverged_day"].astype(float))
    for name in DEVICE_NAMES:
        if name in ds and "day" in ds.coords:
            days.append(ds["day"].where(nonfinite_steps(ds, name)).min("step").astype(float))
    if not days:
        return xr.full_like(ds["brain"], np.nan, dtype=float) if "brain" in ds.dims else xr.DataArray(np.nan)
    found = xr.concat([d.reset_coords(drop=True) for d in days], "source", join="outer").min("source")
    return found.rename("diverged_day")


# --- a trained cortex: its configuration, its weights, and whose they are (analysis.evaluate uses these too) -------
RUN_ID = "run_id"  # the brain's identity: a global attribute of activity.nc and a key of every cortex_epoch file


def saved_epochs(run_dir: Path) -> dict[int, Path]:
    """The run's per-epoch cortex files, epoch -> checkpoints/cortex_epoch_NNN.pt."""
    found = {}
    for path in sorted((Path(run_dir) / "checkpoints").glob("cortex_epoch_*.pt")):
        if match := re.fullmatch(r"cortex_epoch_(\d+)\.pt", path.name):
            found[int(match.group(1))] = path
    return found


def stored_config(text: object, path: Path, needs: Iterable[str] = ("cortex",)) -> DictConfig:
    """The resolved configuration a run stored as YAML (activity.nc's `config` attribute, last.pt's "config")."""
    try:
        config = OmegaConf.create(text)
    except Exception as e:  # YAML and OmegaConf errors
        raise PadError(f"{path}: its config is not readable YAML ({type(e).__name__})") from None
    for key in needs:
        if not isinstance(config, DictConfig) or OmegaConf.select(config, key) is None:
            raise PadError(f"{path}: its config has no {key}")
    return config


def structured(schema: type, node: DictConfig, group: str):
    """The dataclass `schema` from the run's config group, ignoring keys the code no longer has (older runs)."""
    known = {f.name for f in dataclasses.fields(schema)}
    values = OmegaConf.to_container(node)
    for key in sorted(set(values) - known):
        note(f"{group}.{key}: in the run's config but no longer a setting; ignored")
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema),
                                                   {k: v for k, v in values.items() if k in known}))
    except Exception as e:  # a value of the wrong type for the current schema
        raise PadError(f"{group}: the run's config does not fit this version ({str(e).splitlines()[0]})") from None


def build_cortex(config: DictConfig, device: torch.device) -> Cortex:
    """A cortex of the run's shape (its `cortex` config group) on `device`, with fresh weights."""
    try:
        return Cortex(structured(CortexConfig, config.cortex, "cortex")).to(device)
    except ValueError as e:  # inconsistent shapes (channels and areas)
        raise PadError(f"cortex: the run's config does not make a cortex ({e})") from None


def read_cortex(path: Path, device: torch.device | str = "cpu") -> dict:
    """A cortex file's payload ({"cortex": state dict, "epoch", and, since identities, "run_id"}), checksum checked."""
    try:
        state = load_checkpoint(path, map_location=device)
    except PadError as e:
        reason = str(e).removeprefix(f"{path}: ").split(";")[0]
        raise PadError(f"{path}: not the cortex weights of this run ({reason})") from None
    if not isinstance(state.get("cortex"), dict):
        raise PadError(f"{path}: not the cortex weights of this run (no cortex in it)")
    return state


def load_weights(cortex: Cortex, weights: dict, path: Path) -> None:
    try:
        cortex.load_state_dict(weights)
    except Exception as e:  # missing or unexpected keys, other shapes: another cortex
        raise PadError(f"{path}: not the cortex weights of this run ({type(e).__name__}: another shape)") from None


def check_identities(files: Iterable[tuple[Path, dict]], attrs: dict, activity: Path) -> None:
    """Refuse a cortex file made by another brain than the run's (its run_id against activity.nc's `run_id`, so a file
    copied from another run directory is caught); warn once for files, or an activity file, older than identities."""
    ours, unknown = attrs.get(RUN_ID), []
    for path, state in files:
        theirs = state.get(RUN_ID)
        if ours is None or theirs is None:
            unknown.append(path)
        elif str(theirs) != str(ours):
            raise PadError(f"{path}: the cortex of another brain (run_id {theirs}; this run, {activity}, is {ours}); "
                           "copied from another run directory?")
    if unknown and ours is None:
        warn(f"{activity}: no {RUN_ID} (written before identities): cannot check that its cortex files are its own")
    elif unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        warn(f"{unknown[0]}{more}: no {RUN_ID} (written before identities): cannot check that it is this run's cortex")


def open_cortex(run_dir: str | Path, epoch: int | None = None, device: str | torch.device = "cpu") -> Cortex:
    """The cortex a run saved, rebuilt from the run's own configuration, in eval mode on `device`, ready to run:
    the weights of checkpoints/cortex_epoch_NNN.pt (default: the last saved epoch), or, where the run kept no
    per-epoch files and no epoch is asked, those of checkpoints/last.pt. Bad input is a PadError (one line)."""
    run_dir, device = Path(run_dir), _device(device)
    if not run_dir.is_dir():
        raise PadError(f"{run_dir}: {'not a folder' if run_dir.exists() else 'no such run directory'}")
    activity, last, epochs = run_dir / ACTIVITY, run_dir / "checkpoints" / "last.pt", saved_epochs(run_dir)
    if not activity.is_file() and not last.is_file():
        raise PadError(f"{run_dir}: not a run directory (no {ACTIVITY}, no checkpoints/last.pt)")
    attrs = read_netcdf(activity).attrs if activity.is_file() else None
    if epoch is None and not epochs:
        if not last.is_file():
            raise PadError(f"{run_dir / 'checkpoints'}: no cortex weights saved (no cortex_epoch_NNN.pt, no last.pt)")
        path, state = last, load_checkpoint(last, map_location=device)
        weights = state["brain"].get("cortex") if isinstance(state.get("brain"), dict) else None
        stored = state.get("config")
    else:
        epoch = max(epochs) if epoch is None else int(epoch)
        if epoch not in epochs:
            saved = f"saved: {', '.join(map(str, sorted(epochs)))}" if epochs else "none saved"
            raise PadError(f"epoch {epoch}: no cortex weights in {run_dir / 'checkpoints'} ({saved})")
        path, state = epochs[epoch], read_cortex(epochs[epoch], device)
        weights, stored = state["cortex"], None
        if attrs is not None:
            check_identities([(path, state)], attrs, activity)
    if not isinstance(weights, dict):
        raise PadError(f"{path}: holds no cortex weights")
    if attrs is not None and "config" in attrs:
        config = stored_config(attrs["config"], activity)
    else:  # no activity file (or one without config): the configuration the checkpoint of the run's end stored
        if stored is None and last.is_file():
            stored = load_checkpoint(last).get("config")
        config = stored_config(stored, last)
    cortex = build_cortex(config, device)
    load_weights(cortex, weights, path)
    return cortex.eval()


def _device(name: str | torch.device) -> torch.device:
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise PadError(f"device={name}: not a device (cpu, cuda, cuda:N)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise PadError(f"device={name}: no CUDA device here")
    return device
