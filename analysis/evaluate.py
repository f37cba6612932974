"""`python -m analysis.evaluate RUN_DIR [--epochs N ...]`: measure a run from the weights it saved.

For each `checkpoints/cortex_epoch_NNN.pt`: the read-out, the occlusion curve, the distance ratios and the FID of NREM
and REM dreams, written to `evaluation.nc` beside `activity.nc` without touching what is there (`analysis.load.open_run`
merges the two). So a run made with evaluation off can be evaluated later, on any device. By default it measures
what the run's own hook would have (`eval.occlusion`, `eval.geometry` and the read-out recipe of the run's config), each
metric from its own random stream of (seed, epoch), so the figures equal the hook's exactly.

The images come from `world` (the package the simulator reads them through), never from `sims`: analysis reads files
and takes modules and tensors, so it runs without the simulator.
"""
import argparse
import os
import re
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from omegaconf import OmegaConf

from analysis.fid import fid, real_statistics
from analysis.load import ACTIVITY, EVALUATION
from analysis.measure import Data, dreams_of, latent_code, measure, metric_generator, pca_projections
from analysis.readout import encode_dataset
from cortex import Cortex, CortexConfig
from hippocampus import HippocampusConfig
from records.files import atomic_write
from records.variables import (FID_VARIABLES, GEOMETRY_VARIABLES, OCCLUSION_COORD, OCCLUSION_LEVELS, PCA_VARIABLES,
                               READOUT_VARIABLES)
from world import DataConfig, World, load_arrays

VARIABLES = {v.name: v for v in READOUT_VARIABLES + GEOMETRY_VARIABLES + FID_VARIABLES}


def saved_epochs(run_dir: Path) -> dict[int, Path]:
    files = (run_dir / "checkpoints").glob("cortex_epoch_*.pt")
    return {int(re.search(r"(\d+)\.pt$", f.name).group(1)): f for f in sorted(files)}


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
        with xr.open_dataset(path) as old:
            new = new.combine_first(old.load())
    atomic_write(path, lambda tmp: new.to_netcdf(tmp, engine="netcdf4"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m analysis.evaluate", description=__doc__.splitlines()[0])
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    run_dir = args.run_dir
    if not (run_dir / ACTIVITY).exists():
        raise SystemExit(f"error: {run_dir}: no {ACTIVITY} (not a run directory)")
    available = saved_epochs(run_dir)
    epochs = args.epochs or sorted(available)
    missing = [e for e in epochs if e not in available]
    if missing or not epochs:
        raise SystemExit(f"error: {run_dir / 'checkpoints'}: no cortex weights for epochs {missing or 'any'}")
    with xr.open_dataset(run_dir / ACTIVITY) as run:
        brain, config = run.brain.values, OmegaConf.create(run.attrs["config"])
    device = torch.device(args.device if args.device != "auto" else "cuda" if torch.cuda.is_available() else "cpu")
    data_cfg = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(DataConfig), config.data))
    world = World(load_arrays(data_cfg), device, config.optim.batch_size)
    cortex = Cortex(CortexConfig(**OmegaConf.to_container(config.cortex))).to(device)
    hc = HippocampusConfig(**OmegaConf.to_container(config.hippocampus))
    recipe = config.eval  # the run's read-out recipe (the paper's by default) and which metrics it measured
    occlusion = args.occlusion if args.occlusion is not None else OmegaConf.select(config, "eval.occlusion", default=True)
    geometry = args.geometry if args.geometry is not None else OmegaConf.select(config, "eval.geometry", default=False)
    n_fid = args.fid if args.fid is not None else 10000 if device.type == "cuda" else 0
    real = _real_statistics(world, n_fid) if n_fid else None
    results = {}
    for epoch in epochs:
        cortex.load_state_dict(torch.load(available[epoch], map_location=device, weights_only=True)["cortex"])
        results[epoch] = measure(latent_code(cortex), world, config.seed, epoch,
                                 readout_epochs=recipe.readout_epochs, readout_lr=recipe.readout_lr,
                                 readout_batch=recipe.readout_batch, occlusion=occlusion, geometry=geometry)
        if real is not None:
            fid_stream = metric_generator(device, config.seed, epoch, "fid")
            results[epoch] |= dream_fids(cortex, world, hc, n_fid, real, fid_stream)
        print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.3f}" for k, v in results[epoch].items() if np.ndim(v) == 0))
    evaluation = evaluation_dataset(brain, results)
    if geometry:
        last = max(epochs)
        cortex.load_state_dict(torch.load(available[last], map_location=device, weights_only=True)["cortex"])
        projections = pca_projections(latent_code(cortex), world, config.seed, last)
        evaluation = evaluation.assign({v.name: (v.dims, projections[v.name][None], v.attrs) for v in PCA_VARIABLES})
        evaluation.attrs["pca_epoch"] = last
    write_evaluation(run_dir, evaluation)
    print(f"done: {run_dir / EVALUATION}")
    return run_dir / EVALUATION


def _real_statistics(world: World, n: int):
    cache = Path(os.environ.get("PAD_CACHE", Path.home() / ".cache" / "pad-sleep"))
    return real_statistics(world.train_x, min(n, len(world.train_x)), cache)


if __name__ == "__main__":
    main()
