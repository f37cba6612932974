import numpy as np
import torch

from cortex import occlude, occlusion_masks, random_occlusion


def loop_mask(cells: np.ndarray, p: float, s: int, size: int = 32) -> np.ndarray:
    """The reference's Python loop over squares, reading the same per-cell draws."""
    mask = np.ones((size, size), np.float32)
    for i, row in enumerate(range(0, size, s)):
        for j, col in enumerate(range(0, size, s)):
            if cells[i, j] < p:
                mask[row : row + s, col : col + s] = 0
    return mask


def test_masks_equal_the_loop_over_squares_given_the_same_draws():
    for s in range(1, 9):
        p = torch.tensor([0.37])
        mask = occlusion_masks(1, 32, p, torch.tensor([s]), torch.Generator().manual_seed(s))[0].numpy()
        cells = torch.rand(1, 32, 32, generator=torch.Generator().manual_seed(s))[0].numpy()
        np.testing.assert_array_equal(mask, loop_mask(cells, 0.37, s))


def test_squares_are_constant_blocks_of_the_given_size_with_truncated_edges():
    masks = occlusion_masks(200, 32, torch.full((200,), 0.5), torch.full((200,), 5), torch.Generator().manual_seed(0))
    blocks = masks.view(200, 32, 32)
    for r in range(0, 32, 5):
        for c in range(0, 32, 5):
            block = blocks[:, r : r + 5, c : c + 5].flatten(1)
            assert (block == block[:, :1]).all()  # every 5x5 square (or truncated edge piece) is all-0 or all-1
    # neighbouring squares are independent: they differ in about half of the masks
    assert 0.35 < (blocks[:, 0, 0] != blocks[:, 0, 5]).float().mean() < 0.65


def test_dropped_fraction_is_close_to_p():
    for p in (0.1, 0.3, 0.7, 0.9):
        masks = occlusion_masks(2000, 32, torch.full((2000,), p), torch.full((2000,), 4), torch.Generator().manual_seed(1))
        assert abs((1 - masks.mean()).item() - p) < 0.01  # 64 squares x 2000 masks: sd of the fraction ~ 0.001
    assert occlusion_masks(3, 32, torch.zeros(3), torch.full((3,), 4), torch.Generator()).eq(1).all()
    assert occlusion_masks(3, 32, torch.ones(3), torch.full((3,), 4), torch.Generator()).eq(0).all()


def test_shared_mode_uses_one_mask_for_batch_and_channels():
    images = torch.ones(16, 3, 32, 32)
    out = occlude(images, torch.tensor([0.5]), torch.tensor([4]), torch.Generator().manual_seed(2), shared=True)
    assert (out == out[:1, :1]).all()
    assert 0 < (out == 0).float().mean() < 1


def test_per_image_mode_differs_between_images_but_not_channels():
    images = torch.ones(16, 3, 32, 32)
    out = occlude(images, torch.full((16,), 0.5), torch.full((16,), 4), torch.Generator().manual_seed(3), shared=False)
    assert (out == out[:, :1]).all()
    assert len({tuple(m.flatten().tolist()) for m in out[:, 0]}) == 16


def test_nrem_perturbation_draws_p_uniform_and_square_size_in_1_to_8():
    gen = torch.Generator().manual_seed(4)
    fractions, sizes = [], set()
    for _ in range(400):
        out = random_occlusion(torch.ones(2, 3, 32, 32), gen, max_square=8)
        assert (out == out[:1, :1]).all()
        dropped = (out[0, 0] == 0).numpy()
        fractions.append(dropped.mean())
        if 0 < dropped.mean() < 1:  # the smallest run of equal pixels along a row bounds the square size
            sizes.add(min(len(run) for row in dropped for run in np.split(row, np.flatnonzero(np.diff(row)) + 1)))
    assert abs(np.mean(fractions) - 0.5) < 0.05  # E[p] = 1/2 for p ~ U[0, 1)
    assert sizes <= set(range(1, 9)) and {1, 2} <= sizes
