"""The recorder: collects each step's figures on the device, keeps the history on the host, writes `activity.nc`.

Days differ in length under a protocol, so the step axis is the sequence of steps actually lived: each day's steps
follow the last day's, and every step carries its epoch, day, night, state, block and levels as coordinates and
variables (select a state with `ds.where(ds.state == "REM")`, a day with `ds.where(ds.day == 7, drop=True)`).
Per-step device figures go into a preallocated (capacity, columns) buffer with one indexed copy per step: one column
per scalar figure, one per area for the per-area population statistics (`layout`); the buffer reaches the host at
epoch end (or at the health checks), never per step.
"""
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import xarray as xr
from omegaconf import OmegaConf
from torch import Tensor

from records.files import atomic_write
from records.variables import (AREA_COORD, COORDINATES, DEVICE_STEP_VARIABLES, DIVERGED_DAY, DREAM_VARIABLES,
                               EPOCH_VARIABLES, HOST_STEP_VARIABLES, LOGGED, OCCLUSION_COORD, OCCLUSION_LEVELS,
                               PROBE_VARIABLES, SLEEP_VARIABLES, STATES, logged_flag_attrs)
from sims.life.nights import Night
from sims.life.recording import Recordings
from sims.life.resume import run_id

DEVICE_NAMES = [v.name for v in DEVICE_STEP_VARIABLES]
PER_AREA = {v.name for v in DEVICE_STEP_VARIABLES if "area" in v.dims}  # one column per area in the buffer
COMPRESSED = {"zlib": True, "complevel": 4, "shuffle": True}  # netCDF4's own deflate: large variables only
META = ("state", "day", "night", "block") + tuple(v.name for v in HOST_STEP_VARIABLES)  # per step, known on the host


def layout(areas: int) -> dict[str, slice]:
    """The buffer's columns of each device figure, in declaration order: one for a scalar, `areas` for a figure with
    an `area` dimension."""
    columns, start = {}, 0
    for v in DEVICE_STEP_VARIABLES:
        width = areas if "area" in v.dims else 1
        columns[v.name], start = slice(start, start + width), start + width
    return columns


def buffer_columns(areas: int) -> int:
    """The width of the recorder's per-step buffer for a cortex of `areas` areas (z included)."""
    return list(layout(areas).values())[-1].stop


class Recorder:
    def __init__(self, days_per_epoch: int, max_steps_per_day: int, device: torch.device, attrs: dict, condition: str,
                 seed: int, dtype: torch.dtype = torch.float32, recordings: Recordings | None = None, *,
                 areas: Sequence[str]):
        """areas: the names of the population statistics' areas (the cortex's, then z): the `area` coordinate."""
        self.days_per_epoch, self.capacity = days_per_epoch, days_per_epoch * max_steps_per_day
        self.areas, self.layout = tuple(areas), layout(len(areas))
        self.width = buffer_columns(len(areas))
        # the variable (bit of `logged`) of each column, and each variable's columns as an index on the device, built
        # once here: a step's columns are then put together on the device, never copied from the host
        self.variable_of_column = np.concatenate([np.full(s.stop - s.start, k, np.uint8)
                                                  for k, s in enumerate(self.layout.values())])
        self._indices = {n: torch.arange(s.start, s.stop, device=device) for n, s in self.layout.items()}
        self.device, self.dtype = device, dtype
        self.attrs, self.condition, self.seed = attrs, condition, seed
        if "config" in attrs:  # the brain's identity: the hash its default run directory's name ends with
            self.attrs = attrs | {"run_id": run_id(OmegaConf.create(attrs["config"]))}
        self.steps: list[np.ndarray] = []  # per finished epoch: (steps, device variables), the brain's dtype
        self.logged: list[np.ndarray] = []  # per finished epoch: (steps,) uint8, bit k: device variable k was logged
        self.meta: list[dict[str, np.ndarray]] = []  # per finished epoch: META name -> (steps,)
        self.epochs: dict[int, dict[str, np.ndarray]] = {}  # epoch -> per-epoch figures and dreams
        self.probe_image: np.ndarray | None = None
        self.recordings = recordings or Recordings({})  # recorded activity (sims.life.recording)
        self.diverged_day, self.diagnosis = math.nan, None  # where and why the brain diverged (NaN, None: it did not)
        self._columns: dict[tuple[str, ...], tuple[Tensor, int]] = {}  # names -> (buffer columns, logged bits)
        self.buffer = torch.empty(0)
        self.rows = 0  # steps of the current epoch so far
        self.buffer_logged = np.zeros(0, np.uint8)
        self.buffer_meta: dict[str, list] = {k: [] for k in META}
        self.nights: list[tuple[int, int, int]] = []  # this epoch: (sleep steps planned, lived, arousals) per night

    # --- the hot loop -------------------------------------------------------------------------------------------
    def begin_epoch(self) -> None:
        self.buffer = torch.full((self.capacity, self.width), float("nan"), device=self.device, dtype=self.dtype)
        self.buffer_logged = np.zeros(self.capacity, np.uint8)
        self.buffer_meta = {k: [] for k in META}
        self.rows, self.nights = 0, []

    def log_night(self, day: int, night: Night) -> int:
        """Note the day's planned steps (host only); returns the buffer row of its first step."""
        first = self.rows
        for step in night.steps:
            meta = self.buffer_meta
            meta["state"].append(STATES.index(step.state.value))
            meta["day"].append(day)
            meta["night"].append(-1 if step.daytime else day)
            meta["block"].append(night.block)
            meta["ach"].append(step.levels.ach)
            meta["na"].append(step.levels.na)
            meta["generator_sign"].append(step.plasticity.generator_sign)
            meta["discriminator_gate"].append(float(step.plasticity.discriminator_gate))
            meta["discriminator_target"].append(step.plasticity.discriminator_target)
        self.rows += len(night.steps)
        sleep = sum(not s.daytime and s.state.value != "WAKE" for s in night.steps)
        self.nights.append((night.planned, sleep, night.arousals))
        return first

    def log_step(self, row: int, figures: dict[str, Tensor]) -> None:
        if not figures:
            return
        names = tuple(figures)
        if names not in self._columns:  # a device concatenation of index tensors built at init: no host data
            self._columns[names] = (torch.cat([self._indices[n] for n in names]),
                                    sum(1 << DEVICE_NAMES.index(n) for n in names))
        columns, bits = self._columns[names]
        self.buffer[row, columns] = torch.cat([v.reshape(-1) for v in figures.values()])  # scalars and (areas,)
        self.buffer_logged[row] = bits  # known on the host: no synchronisation

    def recent(self, window: int) -> dict[str, float]:
        """Mean of each scalar figure over the last `window` rows (one host synchronisation); the per-area statistics
        are left out (a progress bar's worth of figures)."""
        block = self.buffer[max(0, self.rows - window) : self.rows].nanmean(0).cpu().numpy()
        scalars = {n: s.start for n, s in self.layout.items() if n not in PER_AREA}
        return {name: float(block[c]) for name, c in scalars.items() if np.isfinite(block[c])}

    def column_name(self, column: int) -> str:
        """A buffer column's figure: its variable's name, with its area for a per-area figure (`name[V2]`)."""
        name = DEVICE_NAMES[self.variable_of_column[column]]
        return f"{name}[{self.areas[column - self.layout[name].start]}]" if name in PER_AREA else name

    def first_nonfinite(self, start: int, stop: int) -> tuple[int, str, float] | None:
        """The first (row, variable, value) among rows [start, stop) of this epoch whose logged figure is not finite
        (one host synchronisation)."""
        values = self.buffer[start:stop].cpu().numpy()
        bits = self.buffer_logged[start:stop, None] >> self.variable_of_column & 1  # (rows, columns)
        bad = np.argwhere(bits.astype(bool) & ~np.isfinite(values))
        if len(bad) == 0:
            return None
        row, column = bad[0]
        return start + int(row), self.column_name(int(column)), float(values[row, column])

    def row_state(self, row: int) -> tuple[str, int]:
        """(state, day) of a row of this epoch."""
        return STATES[self.buffer_meta["state"][row]], self.buffer_meta["day"][row]

    def mark_diverged(self, day: int, diagnosis: str) -> None:
        """Keep the current epoch's steps up to the end of `day` in the file (where the divergence shows) and say so."""
        rows = int(np.searchsorted(np.asarray(self.buffer_meta["day"]), day, side="right"))
        self._close_epoch(rows)
        self.diverged_day, self.diagnosis = day, diagnosis

    # --- epoch ends -----------------------------------------------------------------------------------------------
    def end_epoch(self, epoch: int, figures: dict[str, np.ndarray | float]) -> None:
        """figures: the evaluation's and the homeostat's (rem_debt, sleep_pressure); the sleep statistics are added."""
        planned, lived, arousals = np.array(self.nights, dtype=float).reshape(-1, 3).T
        states = np.asarray(self.buffer_meta["state"][: self.rows])
        in_night = np.asarray(self.buffer_meta["night"][: self.rows]) >= 0
        nights = int(in_night.sum())  # no night steps at all (total deprivation): the shares are undefined, NaN
        share = lambda code: (states[in_night] == code).sum() / nights if nights else np.nan
        figures = {"nrem_share": share(STATES.index("NREM")), "rem_share": share(STATES.index("REM")),
                   "nights_shortened": float((lived < planned).sum()), "nights_broken": float((arousals > 0).sum()),
                   "rem_debt": np.nan, "sleep_pressure": np.nan} | figures
        self._close_epoch(self.rows)
        self.epochs[epoch] = {k: np.asarray(v, dtype=np.float32) for k, v in figures.items()}

    def _close_epoch(self, rows: int) -> None:
        self.steps.append(self.buffer[:rows].cpu().numpy())
        self.logged.append(self.buffer_logged[:rows].copy())
        self.meta.append({k: np.asarray(v[:rows]) for k, v in self.buffer_meta.items()})

    def set_probes(self, images: np.ndarray) -> None:
        self.probe_image = images.astype(np.float32)

    # --- the file -------------------------------------------------------------------------------------------------
    def dataset(self) -> xr.Dataset:
        values = np.concatenate(self.steps) if self.steps else np.zeros((0, self.width), np.float32)
        meta = {k: np.concatenate([m[k] for m in self.meta]) if self.meta else np.zeros(0) for k in META}
        n = len(values)
        data = {v.name: (v.dims, values[None, :, self.layout[v.name]] if "area" in v.dims
                         else values[None, :, self.layout[v.name].start], v.attrs) for v in DEVICE_STEP_VARIABLES}
        for v in HOST_STEP_VARIABLES:
            data[v.name] = (v.dims, meta[v.name].astype(np.float32)[None], v.attrs)
        data[LOGGED.name] = (LOGGED.dims, (np.concatenate(self.logged) if self.logged else np.zeros(0, np.uint8))[None],
                             logged_flag_attrs())
        data[DIVERGED_DAY.name] = (DIVERGED_DAY.dims, np.array([self.diverged_day], np.float64), DIVERGED_DAY.attrs)
        epochs = sorted(self.epochs)
        data |= self._epoch_data(epochs)
        if self.probe_image is not None:
            data[PROBE_VARIABLES[0].name] = (PROBE_VARIABLES[0].dims, self.probe_image[None], PROBE_VARIABLES[0].attrs)
        day = meta["day"].astype(np.int64)
        coord = lambda name, values: ("step", values, {"units": "1", "long_name": COORDINATES[name][2]})
        coords = {
            "brain": ("brain", [0], {"long_name": "simulated brain index"}),
            "condition": ("brain", [self.condition], {"long_name": "the condition the brain lived: its scenario, protocol and the overrides that define it (sims.life.labels)"}),
            "seed": ("brain", [self.seed], {"long_name": "random seed of the brain"}),
            "step": ("step", np.arange(n), {"long_name": "step (one mini-batch update in one state) since the run began"}),
            "step_epoch": coord("epoch", 1 + day // self.days_per_epoch),
            "day": coord("day", day),
            "night": coord("night", meta["night"].astype(np.int64)),
            "state": ("step", np.array(STATES, dtype=object)[meta["state"].astype(int)].astype(str),
                      {"long_name": COORDINATES["state"][2]}),
            "block": ("step", meta["block"].astype(str), {"long_name": COORDINATES["block"][2]}),
            "epoch": ("epoch", np.array(epochs, dtype=np.int64), {"units": "1", "long_name": "training epoch (1-based)"}),
            "area": ("area", list(self.areas), AREA_COORD),
        }
        if "occlusion_accuracy" in data:
            coords["occlusion"] = ("occlusion", np.array(OCCLUSION_LEVELS), OCCLUSION_COORD)
        recorded, recorded_coords = self.recordings.data()
        attrs = self.attrs | ({"diverged": self.diagnosis} if self.diagnosis else {})
        return xr.Dataset(data | recorded, coords=coords | recorded_coords, attrs=attrs)

    def _epoch_data(self, epochs: list[int]) -> dict:
        """Per-epoch figures stacked over epochs; NaN where an epoch was not evaluated, absent if none was."""
        data = {}
        for v in EPOCH_VARIABLES + SLEEP_VARIABLES + DREAM_VARIABLES:
            values = [self.epochs[e].get(v.name) for e in epochs]
            shapes = {np.shape(x) for x in values if x is not None}
            if shapes:
                blank = np.full(shapes.pop(), np.nan, np.float32)
                data[v.name] = (v.dims, np.stack([blank if x is None else x for x in values])[None], v.attrs)
        return data

    def write(self, path: Path) -> None:
        """Write atomically: a reader sees the old file or the new one, never half of one."""
        dataset = self.dataset()
        encoding = {v: COMPRESSED for v in dataset.data_vars if dataset[v].size > 1 << 16}  # recorded activity, dreams
        atomic_write(path, lambda tmp: dataset.to_netcdf(tmp, engine="netcdf4", encoding=encoding))

    # --- checkpoints ----------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        tensors = lambda arrays: [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
        return {
            "steps": tensors(self.steps),
            "logged": tensors(self.logged),
            "meta": [{k: v.tolist() if k == "block" else torch.from_numpy(v.astype(np.float64)) for k, v in m.items()}
                     for m in self.meta],
            "epochs": {str(e): {k: torch.from_numpy(np.atleast_1d(v)) for k, v in f.items()} for e, f in self.epochs.items()},
            "probe_image": None if self.probe_image is None else torch.from_numpy(self.probe_image),
            "buffer": self.buffer.cpu(),
            "buffer_logged": torch.from_numpy(self.buffer_logged),
            "buffer_meta": {k: v for k, v in self.buffer_meta.items()},
            "rows": self.rows,
            "nights": self.nights,
            "diverged": [self.diverged_day, self.diagnosis or ""],
            "recordings": self.recordings.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.steps = [self._widened(s).numpy() for s in state["steps"]]
        self.logged = [s.numpy() for s in state["logged"]]
        self.meta = [{k: np.asarray(v, dtype=str) if k == "block" else v.numpy() for k, v in m.items()}
                     for m in state["meta"]]
        self.epochs = {int(e): {k: v.numpy().reshape(v.shape if v.numel() > 1 else ()) for k, v in f.items()}
                       for e, f in state["epochs"].items()}
        self.probe_image = None if state["probe_image"] is None else state["probe_image"].numpy()
        self.buffer = self._widened(state["buffer"]).to(self.device)
        self.buffer_logged = state["buffer_logged"].numpy()
        self.buffer_meta = {k: list(v) for k, v in state["buffer_meta"].items()}
        self.rows, self.nights = int(state["rows"]), [tuple(n) for n in state["nights"]]
        day = float(state["diverged"][0])
        self.diverged_day, self.diagnosis = day if day >= 0 else math.nan, state["diverged"][1] or None  # -1: before 2026-12-06
        self.recordings.load_state_dict(state.get("recordings", {}))  # none in checkpoints of older versions

    def _widened(self, values: Tensor) -> Tensor:
        """(rows, columns) of a checkpoint made before the population statistics (its columns are the first ones,
        its `logged` bits unset for the rest): padded with NaN to the buffer's width."""
        missing = self.width - values.shape[1] if values.dim() == 2 else 0  # 1-D: the empty buffer before an epoch
        return values if missing <= 0 else torch.cat([values, values.new_full((len(values), missing), float("nan"))], 1)
