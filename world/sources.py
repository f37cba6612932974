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
CLASSES = 10  # CIFAR-10, SVHN and shapes all have ten classes, labelled 0..9


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
    roots = []
    if env := os.environ.get("PAD_DATA"):
        if not Path(env).expanduser().is_dir():  # else the data would silently come from ./data or ../shared/data
            raise PadError(f"PAD_DATA={env}: no such folder (unset it or point it at a data root)")
        roots.append(Path(env).expanduser())
    return roots + [Path("data"), REPO.parent / "shared" / "data"]


def check_images(x: np.ndarray, where: str) -> None:
    """Images as the world holds them: uint8 (n, 3, 32, 32)."""
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (3, 32, 32):
        raise PadError(f"{where}: images must be uint8 (n, 3, 32, 32) after transposition, got {x.dtype} {x.shape}")


def check_labels(y: np.ndarray, n: int, where: str) -> np.ndarray:
    """Labels of n images: a 1-D integer array (n,) of values in 0..9; returned as int64. A (n, 1) column would
    broadcast against (n,) predictions and give a meaningless read-out, so it is refused, not squeezed."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise PadError(f"{where}: labels must be 1-D (n,), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise PadError(f"{where}: labels must be integers, got {y.dtype}")
    if len(y) != n:
        raise PadError(f"{where}: {len(y)} labels for {n} images")
    if len(y) and (y.min() < 0 or y.max() >= CLASSES):
        raise PadError(f"{where}: labels must be in 0..{CLASSES - 1}, got values from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def missing_classes(y: np.ndarray) -> list[int]:
    return sorted(set(range(CLASSES)) - set(np.unique(y).tolist()))


def checked(train_x, train_y, test_x, test_y, test_exact, source: str, train_where: str, test_where: str) -> Arrays:
    """Arrays from NCHW images and labels, validated: shapes, dtypes, label range, counts, every class present."""
    for x, where in ((train_x, train_where), (test_x, test_where)):
        check_images(x, where)
    train_y, test_y = check_labels(train_y, len(train_x), train_where), check_labels(test_y, len(test_x), test_where)
    exact = np.asarray(test_exact)
    if exact.shape != test_y.shape:
        raise PadError(f"{test_where}: exact must have one flag per image {test_y.shape}, got shape {exact.shape}")
    for y, where in ((train_y, train_where), (test_y, test_where)):
        if missing := missing_classes(y):
            raise PadError(f"{where}: no image of class {', '.join(map(str, missing))} (every class 0..9 is needed)")
    return Arrays(train_x, train_y, test_x, test_y, exact.astype(bool), source)


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
    exact = test.get("exact", np.ones(len(test["x"]), dtype=bool))
    return checked(train["x"].transpose(0, 3, 1, 2), train["y"], test["x"].transpose(0, 3, 1, 2), test["y"], exact,
                   str(folder), str(folder / "train.npz"), str(folder / "test.npz"))


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
    return checked(tx, ty, vx, vy, np.ones(len(vx), dtype=bool), str(root), f"{root} ({name.value} train)",
                   f"{root} ({name.value} test)")


def _find_cifar10(cfg: DataConfig) -> Arrays:
    for root in candidate_roots(cfg):
        for folder in (root / "cifar10", root):
            if (folder / "train.npz").exists() or (folder / "test.npz").exists():
                return _cifar_npz(folder)
        if (root / "cifar-10-batches-py").is_dir():
            try:
                return _torchvision(DataName.cifar10, root, download=False)
            except PadError:
                raise
            except Exception as e:  # unpickling errors of damaged batch files come in many kinds
                raise PadError(f"{root / 'cifar-10-batches-py'}: cannot read ({type(e).__name__})") from None
    if cfg.root is not None:
        raise PadError(f"data.root={cfg.root}: no CIFAR-10 there (expected cifar10/train.npz and test.npz, "
                       "or torchvision's cifar-10-batches-py)")
    return _via_torchvision(cfg, DataName.cifar10)


def _via_torchvision(cfg: DataConfig, name: DataName) -> Arrays:
    """torchvision's files under data.root (default ./data), downloaded there first if data.download allows."""
    root = Path(cfg.root or "data").expanduser()
    try:
        return _torchvision(name, root, download=cfg.download)
    except PadError:  # read, but bad data
        raise
    except Exception as e:  # torchvision raises many kinds: offline, checksum, missing files
        how = "load or download" if cfg.download else "load (data.download=false)"
        raise PadError(f"data.name={name.value}: could not {how} torchvision's files in {root} ({type(e).__name__})") from None


def _subset(a: Arrays, cfg: DataConfig) -> Arrays:
    for key, size, total in (("train_size", cfg.train_size, len(a.train_y)), ("test_size", cfg.test_size, len(a.test_y))):
        if size is not None and not 0 < size <= total:
            raise PadError(f"data.{key}={size}: must be between 1 and {total}")
    tr, te = slice(cfg.train_size), slice(cfg.test_size)
    subset = Arrays(a.train_x[tr], a.train_y[tr], a.test_x[te], a.test_y[te], a.test_exact[te], a.source)
    for key, size, y in (("train_size", cfg.train_size, subset.train_y), ("test_size", cfg.test_size, subset.test_y)):
        if missing := missing_classes(y):  # the whole set has every class (checked when read)
            raise PadError(f"data.{key}={size}: the first {size} images hold no image of class "
                           f"{', '.join(map(str, missing))}; take more images (every class 0..9 is needed)")
    return subset


def load_arrays(cfg: DataConfig, seed: int = 0) -> Arrays:
    """Read the configured dataset into host arrays (uint8, NCHW), validated and subset as asked. Bad data (shapes,
    dtypes, label values, counts, a class missing from the training or the test set) is a PadError naming the file,
    or the data.train_size / data.test_size that cut a class away."""
    if cfg.name == DataName.shapes:
        (tx, ty), (vx, vy) = make_shapes(SHAPES_SIZES[0], seed=1), make_shapes(SHAPES_SIZES[1], seed=2)
        arrays = checked(tx.transpose(0, 3, 1, 2), ty, vx.transpose(0, 3, 1, 2), vy, np.ones(len(vy), bool), "shapes",
                         "data=shapes (train)", "data=shapes (test)")
    elif cfg.name == DataName.cifar10:
        arrays = _find_cifar10(cfg)
    else:
        arrays = _via_torchvision(cfg, DataName.svhn)
    return _subset(arrays, cfg)
