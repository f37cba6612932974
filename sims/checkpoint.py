"""Checkpoints: everything needed to resume exactly, written atomically, read with weights_only=True."""
import os
import pickle
import zipfile
from pathlib import Path

import torch

from sims.errors import PadError


def save_checkpoint(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise PadError(f"{path}: unreadable checkpoint ({type(e).__name__}); move it away to start afresh") from None
