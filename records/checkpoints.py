"""Checkpoints: everything needed to resume exactly (or, per epoch, a cortex's weights), written atomically and
sealed with a checksum, read with weights_only=True.

A file is MAGIC, the SHA-256 of the payload, then the payload as torch.save writes it. A checkpoint damaged on disk
(a flipped bit, a truncated copy, random bytes) is refused with one line instead of loading silently wrong weights.
"""
import hashlib
import io
import pickle
import zipfile
from pathlib import Path

import torch

from records.errors import PadError
from records.files import atomic_write

MAGIC = b"PAD-SLEEP CHECKPOINT 1\n"


def save_checkpoint(path: Path, payload: dict) -> None:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(MAGIC + hashlib.sha256(data).digest() + data))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise PadError(f"{path}: cannot read the checkpoint ({e.strerror})") from None
    head, digest, data = raw[: len(MAGIC)], raw[len(MAGIC) : len(MAGIC) + 32], raw[len(MAGIC) + 32 :]
    if head != MAGIC:
        raise PadError(f"{path}: not a pad-sleep checkpoint (or its start is damaged); move it away to start afresh")
    if hashlib.sha256(data).digest() != digest:
        raise PadError(f"{path}: damaged checkpoint (checksum mismatch); move it away to start afresh")
    try:
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise PadError(f"{path}: unreadable checkpoint ({type(e).__name__}); move it away to start afresh") from None
