"""Checkpoints: everything needed to resume exactly, written atomically, read with weights_only=True."""
import pickle
import zipfile
from pathlib import Path

import torch

from records.errors import PadError
from records.files import atomic_write


def save_checkpoint(path: Path, payload: dict) -> None:
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise PadError(f"{path}: unreadable checkpoint ({type(e).__name__}); move it away to start afresh") from None
