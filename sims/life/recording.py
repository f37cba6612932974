"""A brain's recorded activity (analysis.activity): what it holds fixed for its whole life, and its recordings.

The probe memories (class-balanced test images), the recorded units of every area, the probes' NREM masks and REM
noise are drawn once, from the brain's seed on a stream of their own (`record_generator`): the same at every
recording, after a resume and on any device, and drawing them changes nothing else the brain does.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from analysis.activity import activity_tensor, draw_fixed, unit_coords
from analysis.measure import cohort_map
from cortex import Cortex, to_activity
from hippocampus import HippocampusConfig
from records.variables import ACTIVITY_VARIABLE, PATHWAYS, PROBE_COORDS, RECORDED_NAMES, RECORDING_COORDS, STATES
from sims.life.config import PadConfig
from world import World


def record_generator(seed: int) -> torch.Generator:
    """The recording's own stream: a child of the brain's seed keyed by "record" (numpy's SeedSequence)."""
    sequence = np.random.SeedSequence(entropy=seed % 2**64, spawn_key=tuple(b"record"))
    return torch.Generator().manual_seed(int(sequence.generate_state(1, np.uint64)[0]))


@dataclass
class RecordingPlan:
    """What every recording of one brain holds fixed, on the brain's device and in its dtype."""

    images: Tensor  # (probe, 3, 32, 32) in [-1, 1]
    masks: Tensor  # (probe, 1, 32, 32) NREM occlusion, 0/1
    noise: Tensor  # (probe, latent_dim) REM cortical noise
    units: list[Tensor]  # per area (cortex.area_shapes order): flat indices of the recorded units
    coords: dict  # the probes' and the units' coordinates for the activity file

    @classmethod
    def draw(cls, cfg: PadConfig, world: World, dtype: torch.dtype) -> "RecordingPlan":
        generator = record_generator(cfg.seed)
        labels = world.test_y.cpu()
        per_class = cfg.record.probes_per_class
        index = torch.cat([(labels == c).nonzero().flatten()[torch.randperm(int((labels == c).sum()),
                                                                               generator=generator)[:per_class]].sort()[0]
                           for c in labels.unique().tolist()])  # (probe,) class by class
        units, masks, noise = draw_fixed(cfg.cortex, len(index), cfg.record.units_per_area,
                                         cfg.phases.nrem.max_square, generator)
        device = world.test_x.device
        probe, names = RECORDED_NAMES["probe"], {k: RECORDED_NAMES[k] for k in PROBE_COORDS}
        coords = unit_coords(cfg.cortex.area_shapes(), units) | {
            names[k]: (probe, values.numpy().astype(np.int64), {"units": "1", "long_name": PROBE_COORDS[k]})
            for k, values in (("probe_label", labels[index]), ("probe_index", index))} | {
            RECORDED_NAMES["state"]: list(STATES), "pathway": list(PATHWAYS), "area": list(units)}
        return cls(to_activity(world.test_x[index.to(device)]).to(dtype), masks.to(device, dtype),
                   noise.to(device, dtype), [u.to(device) for u in units.values()], coords)

    def record(self, cortex: Cortex, hc: HippocampusConfig) -> np.ndarray:
        """(state, pathway, probe, area, unit) activity of `cortex` now (one host transfer)."""
        return activity_tensor(cortex, self.images, self.masks, self.noise, hc, *self.units).cpu().numpy()


def record_cohort(plans: list[RecordingPlan], cortices: list[Cortex], hc: HippocampusConfig,
                  vectorized: bool) -> list[np.ndarray]:
    """`RecordingPlan.record` of several brains at once (`analysis.measure.cohort_map`: vmapped over their stacked
    weights, or brain by brain, then each the lone brain's to the bit): brains sharing a recombination (`hc`) and
    their plans' sizes (probes, units per area), each with its own probes, units, masks and noise. One host transfer."""
    stacked = lambda name: torch.stack([getattr(plan, name) for plan in plans])
    units = [torch.stack(per_area) for per_area in zip(*(plan.units for plan in plans))]
    record = cohort_map(cortices, lambda cortex, *args: activity_tensor(cortex, *args[:3], hc, *args[3:]), vectorized)
    return list(record(stacked("images"), stacked("masks"), stacked("noise"), *units).cpu().numpy())


class Recordings:
    """A brain's recordings so far: days lived -> (epoch, activity (state, pathway, probe, area, unit))."""

    def __init__(self, coords: dict):
        self.coords = coords
        self.by_day: dict[int, tuple[int, np.ndarray]] = {}

    def add(self, day: int, epoch: int, activity: np.ndarray) -> None:
        self.by_day[day] = epoch, activity

    def data(self) -> tuple[dict, dict]:
        """(data variables, coordinates) for the activity file; nothing before the first recording."""
        if not self.by_day:
            return {}, {}
        days = sorted(self.by_day)
        values = np.stack([self.by_day[d][1] for d in days])[None]  # (brain, recording, state, pathway, ...)
        v = ACTIVITY_VARIABLE
        coords = dict(self.coords)
        coords["recording_day"] = ("recording", np.array(days, np.int64),
                                   {"units": "day", "long_name": RECORDING_COORDS["recording_day"]})
        coords["recording_epoch"] = ("recording", np.array([self.by_day[d][0] for d in days], np.int64),
                                     {"units": "1", "long_name": RECORDING_COORDS["recording_epoch"]})
        return {v.name: (v.dims, values, v.attrs)}, coords

    def state_dict(self) -> dict:
        return {str(d): (e, torch.from_numpy(a)) for d, (e, a) in self.by_day.items()}

    def load_state_dict(self, state: dict) -> None:
        self.by_day = {int(d): (int(e), a.numpy()) for d, (e, a) in state.items()}
