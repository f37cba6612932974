"""Checkpoints: everything needed to resume exactly (or, per epoch, a cortex's weights), written atomically and
sealed with a checksum, read with weights_only=True.

A file is what `torch.save` writes of `{"format": FORMAT, "sha256": DIGEST, "payload": PAYLOAD}`, so any PyTorch opens
it (`torch.load(path, weights_only=True)["payload"]`). DIGEST is the SHA-256 of a canonical serialization of the
payload (`digest`: types, keys, tensors' dtypes, shapes and bytes), not of the file's bytes, so it is checked on what
was loaded, after the zip and the pickle have been read. The digest lives inside the file, and the file is written by
one atomic rename: a kill at any moment leaves the old file or the new one, never a file and a digest that disagree.
`load_checkpoint` refuses a damaged file (a flipped bit, a truncated copy, random bytes) with one line instead of
loading silently wrong weights.

Files of the first format (MAGIC, the SHA-256 of the payload's bytes, then the payload as torch.save writes it;
torch.load cannot open them) are still read.
"""
import hashlib
import io
import struct
from pathlib import Path

import torch

from records.errors import PadError
from records.files import atomic_write

FORMAT = "pad-sleep checkpoint 2"
MAGIC = b"PAD-SLEEP CHECKPOINT 1\n"  # the first format's header
AFRESH = "move it away to start afresh"


def save_checkpoint(path: Path, payload: dict) -> None:
    sealed = {"format": FORMAT, "sha256": digest(payload), "payload": payload}
    atomic_write(path, lambda tmp: torch.save(sealed, tmp))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """The payload of a checkpoint of either format; a PadError (one line naming `path`) if it is damaged or foreign."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(MAGIC))
    except OSError as e:
        raise PadError(f"{path}: cannot read the checkpoint ({e.strerror})") from None
    if head == MAGIC:
        return _load_first_format(path, map_location)
    try:
        sealed = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # zip, pickle and storage errors of every kind: a damaged file is not a bug here
        reason = type(e).__name__
        raise PadError(f"{path}: not a pad-sleep checkpoint, truncated or damaged ({reason}); {AFRESH}") from None
    if not isinstance(sealed, dict) or sealed.get("format") != FORMAT or not isinstance(sealed.get("sha256"), str):
        raise PadError(f"{path}: not a pad-sleep checkpoint (a torch file without its checksum); {AFRESH}")
    try:
        intact = digest(sealed.get("payload")) == sealed["sha256"]
    except TypeError:
        intact = False
    if not intact or not isinstance(sealed["payload"], dict):
        raise PadError(f"{path}: damaged checkpoint (checksum mismatch); {AFRESH}")
    return sealed["payload"]


def digest(payload: object) -> str:
    """SHA-256 (hex) of a canonical serialization of a checkpoint's payload: nested dicts (keys in order), lists,
    tuples, str, bytes, bool, int, float, None, torch dtypes and devices, and tensors (dtype, shape and values; wherever
    they live, however they are strided). Another type is a TypeError: it could not be loaded with weights_only."""
    h = hashlib.sha256()
    _feed(h, payload)
    return h.hexdigest()


def _put(h, tag: bytes, data: bytes | memoryview = b"") -> None:
    h.update(tag + struct.pack("<Q", len(data)))  # type and length first: no two payloads serialize alike
    h.update(data)


def _feed(h, obj: object) -> None:
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        _put(h, b"T", f"{t.dtype}{tuple(t.shape)}".encode())
        _put(h, b"v", t.reshape(-1).view(torch.uint8).numpy().data if t.numel() else b"")
    elif isinstance(obj, dict):
        _put(h, b"d", str(len(obj)).encode())
        for key, value in obj.items():
            _feed(h, key)
            _feed(h, value)
    elif isinstance(obj, (list, tuple)):
        _put(h, b"l" if isinstance(obj, list) else b"t", str(len(obj)).encode())
        for item in obj:
            _feed(h, item)
    elif isinstance(obj, str):
        _put(h, b"s", obj.encode("utf-8", "surrogatepass"))
    elif isinstance(obj, bytes):
        _put(h, b"b", obj)
    elif obj is None or isinstance(obj, bool):
        _put(h, b"c", repr(obj).encode())
    elif isinstance(obj, int):
        _put(h, b"i", str(obj).encode())
    elif isinstance(obj, float):
        _put(h, b"f", obj.hex().encode())
    elif isinstance(obj, (torch.dtype, torch.device)):
        _put(h, b"o", str(obj).encode())
    else:
        raise TypeError(f"a checkpoint cannot hold a {type(obj).__name__}")


def _load_first_format(path: Path, map_location: str | torch.device) -> dict:
    raw = Path(path).read_bytes()
    digest_, data = raw[len(MAGIC) : len(MAGIC) + 32], raw[len(MAGIC) + 32 :]
    if hashlib.sha256(data).digest() != digest_:
        raise PadError(f"{path}: damaged checkpoint (checksum mismatch); {AFRESH}")
    try:
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except Exception as e:  # the checksum matched: a file written by another program under our header
        raise PadError(f"{path}: unreadable checkpoint ({type(e).__name__}); {AFRESH}") from None
