"""`python -m analysis.evaluate RUN_DIR [--epochs N ...]`: measure a run from the weights it saved.

For each `checkpoints/cortex_epoch_NNN.pt`: the read-out, the occlusion curve, the distance ratios and the FID of NREM
and REM dreams, written to `evaluation.nc` beside `activity.nc` without touching what is there (`analysis.load.open_run`
merges the two). So a run made with evaluation off can be evaluated later, on any device. By default it measures
what the run's own hook would have (`eval.occlusion`, `eval.geometry` and the read-out recipe of the run's config), each
metric from its own random stream of (seed, epoch), so the figures equal the hook's exactly.

The images come from `world` (the package the simulator reads them through), never from `sims`: analysis reads files
and takes modules and tensors, so it runs without the simulator. They must be the images the run lived on: their
fingerprint (`world.fingerprint`: source, sizes, SHA-256) is compared with the one the simulator recorded in
`activity.nc` (attribute `data_fingerprint`), and a mismatch is refused (`--data-root` says where the run's data
lies); a file older than fingerprints gets a warning. Each cortex file must be this brain's: the `run_id` it carries
(the hash its run directory's default name ends with) must equal the activity file's, so a file copied from another
run directory is refused; files older than identities get a warning. Bad input (a damaged activity file, a path
that is not a run, epochs not saved, a cortex of another run) ends with one line, `error: ...`, and exit status 2,
before anything is written.
"""
import argparse
import json
import os
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from omegaconf import DictConfig, OmegaConf

from analysis.fid import fid, real_statistics
from analysis.cli import Parser, bad_input
from analysis.load import (ACTIVITY, EVALUATION, build_cortex, check_identities, load_weights, read_cortex,
                           read_netcdf, saved_epochs, stored_config, structured, warn)
from analysis.measure import Data, dreams_of, latent_code, measure, metric_generator, pca_projections
from analysis.readout import encode_dataset
from cortex import Cortex
from hippocampus import HippocampusConfig
from records.errors import PadError
from records.files import atomic_write
from records.variables import (FID_VARIABLES, GEOMETRY_VARIABLES, OCCLUSION_COORD, OCCLUSION_LEVELS, PCA_VARIABLES,
                               READOUT_VARIABLES)
from world import DataConfig, World, load_arrays, same_data
from world.fingerprint import ATTRIBUTE as FINGERPRINT, describe

VARIABLES = {v.name: v for v in READOUT_VARIABLES + GEOMETRY_VARIABLES + FID_VARIABLES}


@torch.no_grad()
def dream_fids(cortex: Cortex, data: Data, hc: HippocampusConfig, n: int, real_stats, generator: torch.Generator) -> dict:
    """FID of n NREM dreams G(E(x)) and n REM dreams of recombined memories and noise, x the first n training images."""
    z = encode_dataset(latent_code(cortex), data.train_x[:n])
    noise = torch.randn(z.shape, generator=generator, device=z.device)
    chunks = [dreams_of(cortex, zc, nc, hc) for zc, nc in zip(z.split(500), noise.split(500))]
    nrem, rem = (torch.cat([c[i] for c in chunks]) for i in (0, 1))
    return {"fid_nrem": float(fid(nrem, real_stats)), "fid_rem": float(fid(rem, real_stats))}


def evaluation_dataset(brain: np.ndarray, results: dict[int, dict]) -> xr.Dataset:
    epochs = sorted(results)
    data = {}
    for name, var in VARIABLES.items():
        values = [results[e].get(name) for e in epochs]
        if any(v is not None for v in values):
            data[name] = (var.dims, np.stack([np.asarray(v, np.float32) for v in values])[None], var.attrs)
    coords = {"brain": brain, "epoch": ("epoch", np.array(epochs), {"units": "1", "long_name": "training epoch"})}
    if "occlusion_accuracy" in data:
        coords["occlusion"] = ("occlusion", np.array(OCCLUSION_LEVELS), OCCLUSION_COORD)
    return xr.Dataset(data, coords=coords, attrs={"title": "PAD evaluation (python -m analysis.evaluate)"})


def write_evaluation(run_dir: Path, new: xr.Dataset) -> None:
    """Merge with an existing evaluation.nc (new epochs win) and replace it atomically."""
    path = run_dir / EVALUATION
    if path.exists():
        new = new.combine_first(read_netcdf(path))
    atomic_write(path, lambda tmp: new.to_netcdf(tmp, engine="netcdf4"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = Parser(prog="python -m analysis.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--epochs", type=int, nargs="+", help="epochs to measure (default: every saved one)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--fid", type=int, metavar="N",
                        help="dreams per FID (default: the paper's 10000 on CUDA; 0, no FID, on CPU, where "
                             "Inception-v3 takes about 0.3 s an image)")
    parser.add_argument("--occlusion", action=argparse.BooleanOptionalAction,
                        help="the occlusion curve (default: as the run's eval.occlusion)")
    parser.add_argument("--geometry", action=argparse.BooleanOptionalAction,
                        help="the distance ratios and the PCA projections (default: as the run's eval.geometry)")
    parser.add_argument("--data-root", metavar="PATH",
                        help="where the run's data lies (default: the run's data.root, else $PAD_DATA, ./data, "
                             "../shared/data); its fingerprint must match the run's")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    try:
        return evaluate(args)
    except PadError as error:
        bad_input(error)


def evaluate(args: argparse.Namespace) -> Path:
    run_dir = args.run_dir
    available, epochs = saved_cortices(run_dir, args.epochs)
    if args.fid is not None and args.fid < 0:
        raise PadError(f"--fid {args.fid}: must be 0 (no FID) or a number of dreams")
    run = read_netcdf(run_dir / ACTIVITY)
    config, device = run_config(run, run_dir / ACTIVITY), pick_device(args.device)
    # every file's identity before any measuring: a cortex copied from another run directory is refused at once
    check_identities(((available[e], read_cortex(available[e])) for e in epochs), run.attrs, run_dir / ACTIVITY)
    world = run_world(run.attrs, config, args.data_root, device, run_dir / ACTIVITY)
    cortex = build_cortex(config, device)
    hc = structured(HippocampusConfig, config.hippocampus, "hippocampus")
    recipe = config.eval  # the run's read-out recipe (the paper's by default) and which metrics it measured
    occlusion = args.occlusion if args.occlusion is not None else OmegaConf.select(config, "eval.occlusion",
                                                                                   default=True)
    geometry = args.geometry if args.geometry is not None else OmegaConf.select(config, "eval.geometry", default=False)
    n_fid = args.fid if args.fid is not None else 10000 if device.type == "cuda" else 0
    real = _real_statistics(world, n_fid) if n_fid else None
    results = {}
    for epoch in epochs:
        load_cortex(cortex, available[epoch], device)
        results[epoch] = measure(latent_code(cortex), world, config.seed, epoch,
                                 readout_epochs=recipe.readout_epochs, readout_lr=recipe.readout_lr,
                                 readout_batch=recipe.readout_batch, occlusion=occlusion, geometry=geometry)
        if real is not None:
            fid_stream = metric_generator(device, config.seed, epoch, "fid")
            results[epoch] |= dream_fids(cortex, world, hc, n_fid, real, fid_stream)
        print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.3f}" for k, v in results[epoch].items() if np.ndim(v) == 0))
    evaluation = evaluation_dataset(run.brain.values, results)
    if geometry:
        last = max(epochs)
        load_cortex(cortex, available[last], device)
        projections = pca_projections(latent_code(cortex), world, config.seed, last)
        evaluation = evaluation.assign({v.name: (v.dims, projections[v.name][None], v.attrs) for v in PCA_VARIABLES})
        evaluation.attrs["pca_epoch"] = last
    try:
        write_evaluation(run_dir, evaluation)
    except OSError as e:  # a read-only run directory, a full disk
        raise PadError(f"{run_dir / EVALUATION}: cannot write ({e.strerror or type(e).__name__})") from None
    print(f"done: {run_dir / EVALUATION}")
    return run_dir / EVALUATION


def saved_cortices(run_dir: Path, asked: list[int] | None) -> tuple[dict[int, Path], list[int]]:
    """The run's saved cortex weights (epoch -> file) and the epochs to measure (`--epochs`, default all saved)."""
    if not run_dir.is_dir():
        raise PadError(f"{run_dir}: {'not a folder' if run_dir.exists() else 'no such run directory'}")
    if not (run_dir / ACTIVITY).is_file():
        raise PadError(f"{run_dir}: no {ACTIVITY} (not a run directory)")
    available = saved_epochs(run_dir)
    epochs = asked or sorted(available)
    if not epochs:
        raise PadError(f"{run_dir / 'checkpoints'}: no cortex_epoch_NNN.pt to evaluate")
    if missing := [e for e in epochs if e not in available]:
        saved = f"saved: {', '.join(map(str, sorted(available)))}" if available else "none saved"
        raise PadError(f"--epochs {' '.join(map(str, missing))}: no cortex weights in {run_dir / 'checkpoints'} "
                       f"({saved})")
    return available, epochs


def run_world(attrs: dict, config: DictConfig, data_root: str | None, device: torch.device, activity: Path) -> World:
    """The run's images on the device: its data config (its data.root, or `--data-root`), checked against the
    fingerprint of the data it lived on."""
    data_cfg = structured(DataConfig, config.data, "data")
    if data_root is not None:
        data_cfg.root = data_root
    world = World(load_arrays(data_cfg), device, config.optim.batch_size)  # its fingerprint computed once, there
    check_data(attrs, world, data_cfg, activity, data_root is not None)
    return world


def run_config(run: xr.Dataset, path: Path) -> DictConfig:
    """The resolved configuration the simulator stored in the activity file."""
    if "config" not in run.attrs:
        raise PadError(f"{path}: no config attribute (not an activity file written by the simulator)")
    return stored_config(run.attrs["config"], path,
                         ("seed", "data", "cortex", "hippocampus", "optim.batch_size", "eval.readout_epochs"))


def check_data(attrs: dict, world: World, data_cfg: DataConfig, activity: Path, given: bool) -> None:
    """Refuse to measure a run on other images than those it lived on (the fingerprint the simulator recorded)."""
    resolved = world.fingerprint
    if FINGERPRINT not in attrs:
        warn(f"{activity}: no {FINGERPRINT} (written before fingerprints): cannot check that {world.source} "
             f"is the data the run lived on ({attrs.get('data_source', 'unknown')})")
        return
    try:
        recorded = json.loads(attrs[FINGERPRINT])
    except (TypeError, ValueError):
        raise PadError(f"{activity}: its {FINGERPRINT} attribute is not JSON") from None
    if same_data(recorded, resolved):
        return
    if given:
        where = f"--data-root {data_cfg.root}"
    elif data_cfg.root is not None:
        where = f"data.root={data_cfg.root} (the run's)"
    else:
        where = f"data.root unset (PAD_DATA={os.environ.get('PAD_DATA', '')!r}, then ./data, ../shared/data)"
    raise PadError(f"{where}: resolved {describe(resolved)}, but the run lived on {describe(recorded)}; "
                   "point --data-root (or PAD_DATA) at the run's data")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise PadError(f"--device {name}: not a device (auto, cpu or cuda)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise PadError(f"--device {name}: no CUDA device here")
    return device


def load_cortex(cortex: Cortex, path: Path, device: torch.device) -> None:
    load_weights(cortex, read_cortex(path, device)["cortex"], path)


def _real_statistics(world: World, n: int):
    cache = Path(os.environ.get("PAD_CACHE", Path.home() / ".cache" / "pad-sleep"))
    return real_statistics(world.train_x, min(n, len(world.train_x)), cache)


if __name__ == "__main__":
    main()
