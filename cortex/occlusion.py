"""Occlusion by grey squares: the low-level perturbation of NREM dreams and of robustness tests.

The image is cut into a fixed grid of s x s squares (edge squares truncated); each square is set to 0 (grey in [-1, 1]
images) with probability p. Masks are built on the device with tensor indexing: a uniform draw per grid cell, then each
pixel looks up its cell.
"""
import torch
from torch import Tensor


def occlusion_masks(n: int, size: int, drop_prob: Tensor, square: Tensor, generator: torch.Generator) -> Tensor:
    """n masks (n, size, size) of 0/1, mask k dropping squares of side square[k] with probability drop_prob[k].

    drop_prob: (n,) float, square: (n,) int64 >= 1; both on the generator's device.
    """
    device = drop_prob.device
    cells = torch.rand(n, size, size, generator=generator, device=device)  # at most `size` cells per side (square 1)
    cell_of_pixel = torch.arange(size, device=device) // square.view(n, 1)  # (n, size)
    rows = cell_of_pixel.view(n, size, 1)
    cols = cell_of_pixel.view(n, 1, size)
    keep = cells[torch.arange(n, device=device).view(n, 1, 1), rows, cols] >= drop_prob.view(n, 1, 1)
    return keep.to(torch.float32)


def occlude(images: Tensor, drop_prob: Tensor, square: Tensor, generator: torch.Generator, shared: bool) -> Tensor:
    """Occlude a batch (batch, channels, size, size).

    shared=True: one mask for the whole batch and all channels (NREM; drop_prob and square of shape (1,)).
    shared=False: one mask per image, shared by its channels (evaluation; drop_prob and square of shape (batch,)).
    """
    n = 1 if shared else images.shape[0]
    masks = occlusion_masks(n, images.shape[-1], drop_prob, square, generator)
    return images * masks.unsqueeze(1).to(images.dtype)


def random_mask(size: int, generator: torch.Generator, max_square: int) -> Tensor:
    """NREM's perturbation for one batch: p ~ U[0, 1) and s ~ U{1..max_square}, then one mask (1, 1, size, size) of
    0/1 to be shared by the batch and its channels. Draws p, s, then the mask's cells."""
    device = generator.device
    drop_prob = torch.rand(1, generator=generator, device=device)
    square = torch.randint(1, max_square + 1, (1,), generator=generator, device=device)
    return occlusion_masks(1, size, drop_prob, square, generator).unsqueeze(1)


def random_occlusion(images: Tensor, generator: torch.Generator, max_square: int) -> Tensor:
    """`images` (batch, channels, size, size) occluded by one `random_mask`."""
    return images * random_mask(images.shape[-1], generator, max_square).to(images.dtype)
