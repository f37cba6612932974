"""A fingerprint of the data a run lives on: its source, sizes and a SHA-256 of its images and labels.

The simulator writes it into the activity file (attribute `data_fingerprint`, a JSON string); `analysis.evaluate`
computes it for the data it resolves and refuses to measure a run on other images. The checksum covers the arrays
after data.train_size / data.test_size, in a fixed layout (images (n, 32, 32, 3) uint8, labels little-endian int64,
each preceded by its shape), so the same images give the same checksum from a .npz copy or torchvision's files.
"""
import hashlib

import numpy as np

from world.sources import Arrays

ATTRIBUTE = "data_fingerprint"  # the activity file's global attribute holding json.dumps(fingerprint(arrays))


def _update(digest, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)  # no copy where the array already is (the usual NHWC source)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(memoryview(array).cast("B"))


def fingerprint(arrays: Arrays) -> dict:
    """{"source", "train_size", "test_size", "sha256"} of the arrays (about 0.15 s for CIFAR-10's 60000 images)."""
    digest = hashlib.sha256()
    for images, labels in ((arrays.train_x, arrays.train_y), (arrays.test_x, arrays.test_y)):
        _update(digest, images.transpose(0, 2, 3, 1))  # NCHW views of NHWC files: contiguous again, hashed in place
        _update(digest, np.asarray(labels, dtype="<i8"))
    return {"source": arrays.source, "train_size": int(len(arrays.train_y)), "test_size": int(len(arrays.test_y)),
            "sha256": digest.hexdigest()}


def same_data(recorded: dict, resolved: dict) -> bool:
    """Whether two fingerprints describe the same images and labels (wherever they were read from)."""
    keys = ("train_size", "test_size", "sha256")
    return all(recorded.get(k) == resolved.get(k) for k in keys)


def describe(fp: dict) -> str:
    """One phrase for messages: source (train N, test M, sha256 first 12 hex digits)."""
    return (f"{fp.get('source')} (train {fp.get('train_size')}, test {fp.get('test_size')}, "
            f"sha256 {str(fp.get('sha256'))[:12]})")
