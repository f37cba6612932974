"""Recorded activity: what every area of a cortex does, along both pathways, in each brain state, for probe memories.

For each probe image x (a memory) and each state, the drive is the one that state gives the cortex:
- WAKE: the image drives the feedforward pathway (V1 = x, ..., IT, z = E_z(x)); the feedback pathway generates from
  the probe's code z (the Wake reconstruction G(z)).
- NREM: the hippocampus replays the episode z; the feedback pathway dreams G(z) (so its activity is Wake's feedback
  activity: the same code drives it); the dream, occluded by the probe's NREM mask, drives the feedforward pathway.
- REM: the episode is recombined with the next probe's and diluted with spontaneous cortical noise, by the brain's
  own strategy (`hippocampus.STRATEGIES`); the feedback pathway dreams from that seed, and the dream drives the
  feedforward pathway.
Each area's activity has the same shape along both pathways; `z` is recorded as one more population (along the
feedback pathway it is the code that drives it). A fixed subset of each area's units is kept (`choose_units`), with
coordinates naming each unit's channel, row and column. Where areas keep different numbers of units (`units="all"`)
the unit axis is padded with NaN (and coordinates -1): one array with an `area` dimension, so that every measure in
`analysis.representation` runs over all areas at once.
"""
import numpy as np
import torch
import torch.nn.functional as F
import xarray as xr
from torch import Tensor

from analysis.measure import latent_code
from cortex import Cortex, CortexConfig, random_mask, to_activity
from hippocampus import STRATEGIES, HippocampusConfig
from records.errors import PadError
from records.variables import ACTIVITY_VARIABLE, PATHWAYS, RECORDED_NAMES, STATES, UNIT_COORDS

ALL = "all"
OWN_NAMES = {file: own for own, file in RECORDED_NAMES.items()}  # the file's axis names -> the analysis's
NAN = float("nan")


def choose_units(shapes: dict[str, tuple[int, int, int]], per_area: int | str,
                 generator: torch.Generator) -> dict[str, Tensor]:
    """Per area, the flat indices (sorted) of `per_area` units drawn without replacement (every unit for "all")."""
    if per_area != ALL and (not isinstance(per_area, int) or isinstance(per_area, bool) or per_area < 1):
        raise PadError(f"record.units_per_area={per_area}: must be a positive integer or {ALL!r}")
    units = {}
    for area, shape in shapes.items():
        n = int(np.prod(shape))
        if per_area != ALL and per_area > n:
            raise PadError(f"record.units_per_area={per_area}: area {area} has only {n} units {shape}")
        units[area] = torch.arange(n) if per_area == ALL else torch.randperm(n, generator=generator)[:per_area].sort()[0]
    return units


def unit_coords(shapes: dict[str, tuple[int, int, int]], units: dict[str, Tensor]) -> dict[str, tuple]:
    """Coordinates (area, unit) of each recorded unit: its channel, row and column in the area (-1: padding)."""
    width = max(len(u) for u in units.values())
    where = np.full((3, len(units), width), -1, np.int64)
    for a, (area, index) in enumerate(units.items()):
        where[:, a, : len(index)] = np.unravel_index(index.numpy(), shapes[area])
    return {name: (("area", "unit"), where[k], {"units": "1", "long_name": long_name})
            for k, (name, long_name) in enumerate(UNIT_COORDS.items())}


def draw_fixed(cortex: CortexConfig, probes: int, per_area: int | str, max_square: int,
               generator: torch.Generator) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    """What a recording holds fixed, drawn in this order from `generator` (on the CPU): the units of every area
    (`choose_units`), one NREM occlusion mask per probe (probes, 1, size, size), drawn as a NREM step draws its
    batch's, and the REM seeds' cortical noise (probes, latent_dim)."""
    units = choose_units(cortex.area_shapes(), per_area, generator)
    size = cortex.area_shapes()[cortex.areas[0]][-1]
    masks = torch.cat([random_mask(size, generator, max_square) for _ in range(probes)])
    return units, masks, torch.randn((probes, cortex.latent_dim), generator=generator)


@torch.no_grad()
def activity_tensor(cortex: Cortex, images: Tensor, masks: Tensor, noise: Tensor, hc: HippocampusConfig,
                    *units: Tensor) -> Tensor:
    """(state, pathway, probe, area, unit) activity of `cortex` (its dtype) for images (probe, 3, 32, 32) in [-1, 1],
    NREM masks (probe, 1, 32, 32) and REM noise (probe, latent_dim); units: per area, flat indices on the device.
    NaN where an area keeps fewer units than the widest. Pure tensor code, so a cohort maps it over its brains."""
    z = latent_code(cortex)(images)
    seeds = STRATEGIES[hc.recombination](z, z.roll(-1, 0), noise, hc)
    replay, recombination = cortex.feedback_activities(z), cortex.feedback_activities(seeds)
    drives = ((cortex.feedforward_activities(images), replay),
              (cortex.feedforward_activities(replay[0] * masks), replay),
              (cortex.feedforward_activities(recombination[0]), recombination))
    width = max(len(u) for u in units)
    keep = lambda activities: torch.stack([F.pad(a.flatten(1).index_select(1, u), (0, width - len(u)), value=NAN)
                                           for a, u in zip(activities, units)], 1)  # (probe, area, unit)
    return torch.stack([torch.stack([keep(ff), keep(fb)]) for ff, fb in drives])


def record(cortex: Cortex, images: Tensor | np.ndarray, units: int | str | dict[str, Tensor] = 128,
           hc: HippocampusConfig | None = None, max_square: int = 8, seed: int = 0) -> xr.Dataset:
    """Every area's activity (both pathways, WAKE, NREM and REM as this module's docstring says) for any images:
    uint8 (n, 3, 32, 32) or floats in [-1, 1]. `units`: how many units per area to keep (drawn from `seed`), "all",
    or the flat indices per area (`choose_units`); `hc`: the hippocampus whose recombination makes the REM seeds
    (default: the published one); the NREM masks (squares up to `max_square`) and the REM noise come from `seed`.
    Returns a Dataset with `activity` (state, pathway, probe, area, unit) and the units' coordinates."""
    param = next(cortex.parameters())
    images = _as_activity(images, cortex.image_size).to(param.device, param.dtype)
    shapes = cortex.config.area_shapes()
    generator = torch.Generator().manual_seed(seed)
    chosen, masks, noise = draw_fixed(cortex.config, len(images), ALL if isinstance(units, dict) else units,
                                      max_square, generator)
    chosen = units if isinstance(units, dict) else chosen
    values = activity_tensor(cortex, images, masks.to(images), noise.to(images), hc or HippocampusConfig(),
                             *(chosen[a].to(param.device) for a in shapes))
    coords = {"state": list(STATES), "pathway": list(PATHWAYS), "probe": np.arange(len(images)), "area": list(shapes),
              "unit": np.arange(values.shape[-1])} | unit_coords(shapes, chosen)
    variable = ACTIVITY_VARIABLE
    dims = tuple(OWN_NAMES.get(d, d) for d in variable.dims[2:])
    return xr.Dataset({variable.name: (dims, values.cpu().numpy(), variable.attrs)}, coords=coords)


def recorded(ds: xr.Dataset) -> xr.DataArray:
    """The recorded activity of an activity file (`activity.nc`) with its axes named as `record` names them:
    (brain, recording, state, pathway, probe, area, unit), probe_label and probe_index on `probe`."""
    name = ACTIVITY_VARIABLE.name
    if name not in ds:
        raise PadError(f"{ds.encoding.get('source', 'the dataset')}: no recorded activity (recorded at evaluated "
                       "epoch ends by runs of this version; eval.every=0 records none)")
    activity = ds[name]
    return activity.rename({k: v for k, v in OWN_NAMES.items() if k in activity.dims or k in activity.coords})


def per_epoch(values: xr.DataArray, ds: xr.Dataset) -> xr.DataArray:
    """A measure of recordings, (brain, recording, ...), on the activity file's epochs, (brain, epoch, ...): each
    epoch's last recording (its end, where the run recorded more often); NaN at epochs without one."""
    epochs = ds["epoch"]
    order = xr.DataArray(np.arange(values.sizes["recording"]), dims="recording")
    last = xr.where(ds["recording_epoch"] == epochs, order, -1).max("recording")  # (brain, epoch); -1: none
    picked = values.drop_vars([c for c in values.coords if "recording" in values[c].dims]).isel(recording=last.clip(0))
    return picked.where(last >= 0).assign_coords(epoch=epochs)


def _as_activity(images: Tensor | np.ndarray, size: int) -> Tensor:
    """uint8 images or floats in [-1, 1], (n, 3, size, size), as low-level activity; one line naming what is wrong."""
    images = torch.as_tensor(images)
    if images.ndim != 4 or tuple(images.shape[1:]) != (3, size, size):
        raise PadError(f"images of shape {tuple(images.shape)}: expected (n, 3, {size}, {size})")
    if images.dtype == torch.uint8:
        return to_activity(images)
    if not images.is_floating_point():
        raise PadError(f"images of dtype {images.dtype}: expected uint8 (0..255) or floats in [-1, 1]")
    if images.numel() and not (images.isfinite().all() and images.abs().max() <= 1):
        raise PadError("images: floats must be finite and lie in [-1, 1] (uint8 images are converted)")
    return images
