"""Where sensory data comes from: CIFAR-10 (NumPy copy or torchvision files), SVHN (torchvision), `shapes`."""
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torchvision

from records.errors import PadError
from world.config import DataConfig, DataName
from world.shapes import make_shapes

REPO = Path(__file__).resolve().parents[1]  # the repository root (world/sources.py)
SHAPES_SIZES = (10000, 2000)  # train, test


@dataclass
class Arrays:
    train_x: np.ndarray  # (n, 3, 32, 32) uint8
    train_y: np.ndarray  # (n,) int64
    test_x: np.ndarray
    test_y: np.ndarray
    test_exact: np.ndarray  # (n,) bool: test images with exact pixels (all but CIFAR-10's JPEG-decoded part)
    source: str  # where the data was read from


def candidate_roots(cfg: DataConfig) -> list[Path]:
    if cfg.root is not None:
        return [Path(cfg.root).expanduser()]
    roots = [Path(os.environ["PAD_DATA"])] if os.environ.get("PAD_DATA") else []
    return roots + [Path("data"), REPO.parent / "shared" / "data"]


def _read_npz(path: Path, keys: tuple[str, ...]) -> dict:
    try:
        with np.load(path) as f:
            missing = [k for k in keys if k not in f]
            if missing:
                raise PadError(f"{path}: missing arrays {missing}")
            return {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise PadError(f"{path}: cannot read ({type(e).__name__}: {e})".splitlines()[0]) from None


def _cifar_npz(folder: Path) -> Arrays:
    train, test = _read_npz(folder / "train.npz", ("x", "y")), _read_npz(folder / "test.npz", ("x", "y"))
    for name, part in (("train.npz", train), ("test.npz", test)):
        if part["x"].ndim != 4 or part["x"].shape[1:] != (32, 32, 3) or part["x"].dtype != np.uint8:
            raise PadError(f"{folder / name}: x must be uint8 (n, 32, 32, 3), got {part['x'].dtype} {part['x'].shape}")
    exact = test.get("exact", np.ones(len(test["y"]), dtype=bool))
    return Arrays(train["x"].transpose(0, 3, 1, 2), train["y"].astype(np.int64), test["x"].transpose(0, 3, 1, 2),
                  test["y"].astype(np.int64), exact.astype(bool), str(folder))


def _torchvision(name: DataName, root: Path, download: bool) -> Arrays:
    if name == DataName.cifar10:
        train = torchvision.datasets.CIFAR10(str(root), train=True, download=download)
        test = torchvision.datasets.CIFAR10(str(root), train=False, download=download)
        tx, ty = train.data.transpose(0, 3, 1, 2), np.asarray(train.targets)
        vx, vy = test.data.transpose(0, 3, 1, 2), np.asarray(test.targets)
    else:
        train = torchvision.datasets.SVHN(str(root), split="train", download=download)
        test = torchvision.datasets.SVHN(str(root), split="test", download=download)
        tx, ty, vx, vy = train.data, train.labels, test.data, test.labels
    return Arrays(tx, ty.astype(np.int64), vx, vy.astype(np.int64), np.ones(len(vy), dtype=bool), str(root))


def _find_cifar10(cfg: DataConfig) -> Arrays:
    for root in candidate_roots(cfg):
        for folder in (root / "cifar10", root):
            if (folder / "train.npz").exists() or (folder / "test.npz").exists():
                return _cifar_npz(folder)
        if (root / "cifar-10-batches-py").is_dir():
            return _torchvision(DataName.cifar10, root, download=False)
    if cfg.root is not None:
        raise PadError(f"data.root={cfg.root}: no CIFAR-10 there (expected cifar10/train.npz and test.npz, "
                       "or torchvision's cifar-10-batches-py)")
    return _via_torchvision(cfg, DataName.cifar10)


def _via_torchvision(cfg: DataConfig, name: DataName) -> Arrays:
    """torchvision's files under data.root (default ./data), downloaded there first if data.download allows."""
    root = Path(cfg.root or "data").expanduser()
    try:
        return _torchvision(name, root, download=cfg.download)
    except Exception as e:  # torchvision raises many kinds: offline, checksum, missing files
        how = "load or download" if cfg.download else "load (data.download=false)"
        raise PadError(f"data.name={name.value}: could not {how} torchvision's files in {root} ({type(e).__name__})") from None


def _subset(a: Arrays, cfg: DataConfig) -> Arrays:
    for key, size, total in (("train_size", cfg.train_size, len(a.train_y)), ("test_size", cfg.test_size, len(a.test_y))):
        if size is not None and not 0 < size <= total:
            raise PadError(f"data.{key}={size}: must be between 1 and {total}")
    tr, te = slice(cfg.train_size), slice(cfg.test_size)
    return Arrays(a.train_x[tr], a.train_y[tr], a.test_x[te], a.test_y[te], a.test_exact[te], a.source)


def load_arrays(cfg: DataConfig, seed: int = 0) -> Arrays:
    """Read the configured dataset into host arrays (uint8, NCHW), subset as asked."""
    if cfg.name == DataName.shapes:
        (tx, ty), (vx, vy) = make_shapes(SHAPES_SIZES[0], seed=1), make_shapes(SHAPES_SIZES[1], seed=2)
        arrays = Arrays(tx.transpose(0, 3, 1, 2), ty, vx.transpose(0, 3, 1, 2), vy, np.ones(len(vy), bool), "shapes")
    elif cfg.name == DataName.cifar10:
        arrays = _find_cifar10(cfg)
    else:
        arrays = _via_torchvision(cfg, DataName.svhn)
    return _subset(arrays, cfg)
