"""`shapes`: a small procedurally generated 10-class image set for tests and offline demos.

Each image is one figure (the class: disk, square, diamond, ring, cross, horizontal stripes, vertical stripes, triangle,
frame, X) of random centre, size and bright colour on a dark grey background, plus pixel noise. Generated with
array operations from a seed, so the same (n, seed) always gives the same images.
"""
from functools import lru_cache

import numpy as np

CLASSES = ("disk", "square", "diamond", "ring", "cross", "hstripes", "vstripes", "triangle", "frame", "x")


def _figure(label: int, dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Masks (n, 32, 32) of class `label` for pixel offsets dx, dy (n, 32, 32) from the centres and radii r (n, 1, 1)."""
    dist, box, ax, ay = np.hypot(dx, dy), np.maximum(np.abs(dx), np.abs(dy)), np.abs(dx), np.abs(dy)
    if label == 0:
        return dist <= r
    if label == 1:
        return box <= r
    if label == 2:
        return ax + ay <= r
    if label == 3:
        return (dist <= r) & (dist >= r - 3)
    if label == 4:
        return ((ax <= 2) & (ay <= r)) | ((ay <= 2) & (ax <= r))
    if label in (5, 6):
        return (box <= r) & (np.floor((dy if label == 5 else dx) / 2) % 2 == 0)
    if label == 7:
        return (dy <= r) & (ax <= (dy + r) / 2)
    if label == 8:
        return (box <= r) & (box >= r - 2.5)
    return (np.abs(ax - ay) <= 1.5) & (box <= r)


@lru_cache(maxsize=4)
def make_shapes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 32, 32, 3) uint8 and labels (n,) int64, balanced over the 10 classes. Read-only arrays."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES)).astype(np.int64)
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float32)
    cx, cy = rng.uniform(13.5, 18.5, size=(2, n, 1, 1)).astype(np.float32)
    r = rng.uniform(8, 12, size=(n, 1, 1)).astype(np.float32)
    masks = np.zeros((n, 32, 32), dtype=bool)
    for label in range(len(CLASSES)):  # one vectorised pass per class
        rows = labels == label
        masks[rows] = _figure(label, xx - cx[rows], yy - cy[rows], r[rows])
    background = rng.uniform(0.1, 0.3, size=(n, 1, 1, 1)) * np.ones(3)  # dark grey
    foreground = rng.uniform(0.6, 1.0, size=(n, 1, 1, 3))  # a bright colour
    images = np.where(masks[..., None], foreground, background) + rng.normal(0, 0.04, size=(n, 32, 32, 3))
    images = (np.clip(images, 0, 1) * 255).round().astype(np.uint8)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels
