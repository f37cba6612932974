"""`shapes`: a small procedurally generated 10-class image set for tests and offline demos.

Each image is one coloured figure (disk, square, diamond, ring, cross, horizontal stripes, vertical stripes, triangle,
frame, X; the class) of random centre, size and bright colour on a dark grey background, plus pixel noise. Generated in one
vectorised pass from a seed, so the same seed always gives the same images.
"""
import numpy as np

CLASSES = ("disk", "square", "diamond", "ring", "cross", "hstripes", "vstripes", "triangle", "frame", "x")


def _figures(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Masks of every class at once: (10, n, 32, 32) booleans, for offsets dx, dy (n, 32, 32) and radii r (n, 1, 1)."""
    dist = np.hypot(dx, dy)
    box = np.maximum(np.abs(dx), np.abs(dy))
    return np.stack([
        dist <= r,
        box <= r,
        np.abs(dx) + np.abs(dy) <= r,
        (dist <= r) & (dist >= r - 3),
        ((np.abs(dx) <= 2) & (np.abs(dy) <= r)) | ((np.abs(dy) <= 2) & (np.abs(dx) <= r)),
        (box <= r) & (np.floor(dy / 2) % 2 == 0),
        (box <= r) & (np.floor(dx / 2) % 2 == 0),
        (dy <= r) & (np.abs(dx) <= (dy + r) / 2),
        (box <= r) & (box >= r - 2.5),
        (np.abs(np.abs(dx) - np.abs(dy)) <= 1.5) & (box <= r),
    ])


def make_shapes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 32, 32, 3) uint8 and labels (n,) int64, balanced over the 10 classes."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES)).astype(np.int64)
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float32)
    cx, cy = (rng.uniform(13.5, 18.5, size=(2, n, 1, 1))).astype(np.float32)
    r = rng.uniform(8, 12, size=(n, 1, 1)).astype(np.float32)
    masks = _figures(xx - cx, yy - cy, r)[labels, np.arange(n)]  # (n, 32, 32)
    background = rng.uniform(0.1, 0.3, size=(n, 1, 1, 1)) * np.ones(3)  # dark grey
    foreground = rng.uniform(0.6, 1.0, size=(n, 1, 1, 3))  # a bright colour
    images = np.where(masks[..., None], foreground, background) + rng.normal(0, 0.04, size=(n, 32, 32, 3))
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8), labels
