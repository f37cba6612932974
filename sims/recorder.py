"""The recorder: collects each step's figures on the device, keeps the history on the host, writes `activity.nc`.

Per-step device figures go into a preallocated (steps of the epoch, variables) buffer with one indexed copy per step;
the buffer reaches the host at epoch end (or when progress asks for recent losses), never per step.
"""
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from torch import Tensor

from records.files import atomic_write
from records.variables import (COORDINATES, DEVICE_STEP_VARIABLES, DIVERGED_DAY, DREAM_VARIABLES, EPOCH_VARIABLES,
                               HOST_STEP_VARIABLES, LOGGED, OCCLUSION_COORD, OCCLUSION_LEVELS, PROBE_VARIABLES,
                               logged_flag_attrs)
from sims.schedule import DayPlan

DEVICE_NAMES = [v.name for v in DEVICE_STEP_VARIABLES]


class Recorder:
    def __init__(self, plan: DayPlan, days_per_epoch: int, device: torch.device, attrs: dict, scenario: str, seed: int,
                 dtype: torch.dtype = torch.float32):
        self.plan, self.days_per_epoch, self.device, self.dtype = plan, days_per_epoch, device, dtype
        self.attrs, self.scenario, self.seed = attrs, scenario, seed
        self.steps: list[np.ndarray] = []  # per finished epoch: (steps, device variables), the brain's dtype
        self.logged: list[np.ndarray] = []  # per finished epoch: (steps,) uint8, bit k: device variable k was logged
        self.epochs: dict[int, dict[str, np.ndarray]] = {}  # epoch -> per-epoch figures and dreams
        self.probe_image: np.ndarray | None = None
        self.diverged_day, self.diagnosis = -1, None  # where and why the brain diverged (-1, None: it did not)
        self._columns: dict[tuple[str, ...], tuple[Tensor, int]] = {}  # names -> (buffer columns, logged bits)
        self.buffer = torch.empty(0)
        self.buffer_logged = np.zeros(0, np.uint8)

    # --- the hot loop -------------------------------------------------------------------------------------------
    def begin_epoch(self) -> None:
        rows = self.days_per_epoch * len(self.plan.states)
        self.buffer = torch.full((rows, len(DEVICE_NAMES)), float("nan"), device=self.device, dtype=self.dtype)
        self.buffer_logged = np.zeros(rows, np.uint8)

    def log_step(self, row: int, figures: dict[str, Tensor]) -> None:
        if not figures:
            return
        names = tuple(figures)
        if names not in self._columns:
            columns = [DEVICE_NAMES.index(n) for n in names]
            self._columns[names] = (torch.tensor(columns, device=self.device), sum(1 << c for c in columns))
        columns, bits = self._columns[names]
        self.buffer[row, columns] = torch.stack(list(figures.values()))
        self.buffer_logged[row] = bits  # known on the host: no synchronisation

    def first_nonfinite(self, start: int, stop: int) -> tuple[int, str, float] | None:
        """The first (row, variable, value) among rows [start, stop) of this epoch whose logged figure is not finite
        (one host synchronisation)."""
        values = self.buffer[start:stop].cpu().numpy()
        bits = self.buffer_logged[start:stop, None] >> np.arange(len(DEVICE_NAMES), dtype=np.uint8) & 1
        bad = np.argwhere(bits.astype(bool) & ~np.isfinite(values))
        if len(bad) == 0:
            return None
        row, column = bad[0]
        return start + int(row), DEVICE_NAMES[column], float(values[row, column])

    def mark_diverged(self, day: int, diagnosis: str, rows: int) -> None:
        """Keep the current epoch's first `rows` steps in the file (where the divergence shows) and say so."""
        self.steps.append(self.buffer[:rows].cpu().numpy())
        self.logged.append(self.buffer_logged[:rows].copy())
        self.diverged_day, self.diagnosis = day, diagnosis

    def recent(self, upto: int, window: int) -> dict[str, float]:
        """Mean of each figure over the last `window` rows before `upto` (one host synchronisation)."""
        block = self.buffer[max(0, upto - window) : upto].nanmean(0).cpu().numpy()
        return {name: float(v) for name, v in zip(DEVICE_NAMES, block) if np.isfinite(v)}

    # --- epoch ends -----------------------------------------------------------------------------------------------
    def end_epoch(self, epoch: int, figures: dict[str, np.ndarray | float]) -> None:
        self.steps.append(self.buffer.cpu().numpy())
        self.logged.append(self.buffer_logged.copy())
        self.epochs[epoch] = {k: np.asarray(v, dtype=np.float32) for k, v in figures.items()}

    def set_probes(self, images: np.ndarray) -> None:
        self.probe_image = images.astype(np.float32)

    # --- the file -------------------------------------------------------------------------------------------------
    def dataset(self) -> xr.Dataset:
        n_epochs = len(self.epochs)
        values = np.concatenate(self.steps) if self.steps else np.zeros((0, len(DEVICE_NAMES)), np.float32)
        n = len(values)
        per_day = len(self.plan.states)
        position = np.arange(n) % per_day  # position of each step within its day's plan
        day = np.arange(n) // per_day
        data = {v.name: (v.dims, values[None, :, i], v.attrs) for i, v in enumerate(DEVICE_STEP_VARIABLES)}
        data[LOGGED.name] = (LOGGED.dims, (np.concatenate(self.logged) if self.logged else np.zeros(0, np.uint8))[None],
                             logged_flag_attrs())
        data[DIVERGED_DAY.name] = (DIVERGED_DAY.dims, np.array([self.diverged_day], np.int64), DIVERGED_DAY.attrs)
        host = self.plan.host_figures()  # name -> (steps per day,)
        for v in HOST_STEP_VARIABLES:
            data[v.name] = (v.dims, host[v.name][position][None].astype(np.float32), v.attrs)
        epochs = list(range(1, n_epochs + 1))
        data |= self._epoch_data(epochs)
        if self.probe_image is not None:
            data[PROBE_VARIABLES[0].name] = (PROBE_VARIABLES[0].dims, self.probe_image[None], PROBE_VARIABLES[0].attrs)
        coords = {
            "brain": ("brain", [0], {"long_name": "simulated brain index"}),
            "scenario": ("brain", [self.scenario], {"long_name": "scenario the brain lived"}),
            "seed": ("brain", [self.seed], {"long_name": "random seed of the brain"}),
            "step": ("step", np.arange(n), {"long_name": "step (one mini-batch update in one state) since the run began"}),
            "step_epoch": ("step", 1 + day // self.days_per_epoch, {"units": "1", "long_name": COORDINATES["epoch"][2]}),
            "day": ("step", day, {"units": "1", "long_name": COORDINATES["day"][2]}),
            "state": ("step", np.array(self.plan.state_names, dtype=object)[position].astype(str),
                      {"long_name": COORDINATES["state"][2]}),
            "epoch": ("epoch", np.array(epochs, dtype=np.int64), {"units": "1", "long_name": "training epoch (1-based)"}),
        }
        if "occlusion_accuracy" in data:
            coords["occlusion"] = ("occlusion", np.array(OCCLUSION_LEVELS), OCCLUSION_COORD)
        attrs = self.attrs | ({"diverged": self.diagnosis} if self.diagnosis else {})
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def _epoch_data(self, epochs: list[int]) -> dict:
        """Per-epoch figures stacked over epochs; NaN where an epoch was not evaluated, absent if none was."""
        data = {}
        for v in EPOCH_VARIABLES + DREAM_VARIABLES:
            values = [self.epochs[e].get(v.name) for e in epochs]
            shapes = {np.shape(x) for x in values if x is not None}
            if shapes:
                blank = np.full(shapes.pop(), np.nan, np.float32)
                data[v.name] = (v.dims, np.stack([blank if x is None else x for x in values])[None], v.attrs)
        return data

    def write(self, path: Path) -> None:
        """Write atomically: a reader sees the old file or the new one, never half of one."""
        dataset = self.dataset()
        atomic_write(path, lambda tmp: dataset.to_netcdf(tmp, engine="netcdf4"))

    # --- checkpoints ----------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "steps": [torch.from_numpy(s) for s in self.steps],
            "logged": [torch.from_numpy(s) for s in self.logged],
            "buffer_logged": torch.from_numpy(self.buffer_logged),
            "epochs": {str(e): {k: torch.from_numpy(np.atleast_1d(v)) for k, v in f.items()} for e, f in self.epochs.items()},
            "probe_image": None if self.probe_image is None else torch.from_numpy(self.probe_image),
            "buffer": self.buffer.cpu(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.steps = [s.numpy() for s in state["steps"]]
        self.logged = [s.numpy() for s in state["logged"]]
        self.buffer_logged = state["buffer_logged"].numpy()
        self.epochs = {int(e): {k: v.numpy().reshape(v.shape if v.numel() > 1 else ()) for k, v in f.items()}
                       for e, f in state["epochs"].items()}
        self.probe_image = None if state["probe_image"] is None else state["probe_image"].numpy()
        self.buffer = state["buffer"].to(self.device)
