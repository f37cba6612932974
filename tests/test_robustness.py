"""Occlusion robustness against numbers computed by hand: clean accuracy at p = 0, the predicted class's share at p = 1,
a falling curve for a brightness-pattern task, and per-image masks of 4x4 grey squares."""
import pytest
import torch

from analysis.readout import Readout, encode_dataset, linear_readout
from analysis.robustness import occluded_latents, occlusion_robustness
from cortex import Cortex, CortexConfig
from records.variables import OCCLUSION_LEVELS

QUADRANTS = [(0, 0), (0, 16), (16, 0), (16, 16)]


def quadrant_images(n: int, seed: int, signal: float = 0.03, noise: float = 0.5):
    """Class k = quadrant k is brighter (+signal) than the rest (-signal), under pixel noise; unbalanced classes."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.multinomial(torch.tensor([0.1, 0.2, 0.3, 0.4]), n, replacement=True, generator=gen)
    pattern = torch.full((4, 32, 32), -signal)
    for k, (r, c) in enumerate(QUADRANTS):
        pattern[k, r:r + 16, c:c + 16] = signal
    x = pattern[labels].unsqueeze(1) + noise * torch.randn(n, 3, 32, 32, generator=gen)
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8), labels


def quadrant_means(x):
    """A synthetic encoder: mean activity of each quadrant (n, 4), scaled up so the read-out learns quickly."""
    return x.view(x.shape[0], 3, 2, 16, 2, 16).mean((1, 3, 5)).flatten(1) * 10


@pytest.fixture(scope="module")
def readout() -> Readout:
    """The read-out trained on clean latents of separate training images (5 epochs are plenty for 4 linear classes)."""
    train_x, train_y = quadrant_images(2000, seed=0)
    z = encode_dataset(quadrant_means, train_x)
    return linear_readout(z, train_y, classes=4, epochs=5, generator=torch.Generator().manual_seed(0))


def test_ends_of_the_curve_are_the_clean_accuracy_and_the_predicted_class_share(readout):
    x, y = quadrant_images(1000, seed=1)
    curve = occlusion_robustness(quadrant_means, readout, x, y, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(curve.drop_probs, torch.tensor(OCCLUSION_LEVELS)) and curve.square == 4
    # p = 0: the clean accuracy, by an independent route (whole set at once, no occlusion code)
    clean = (readout.predict(quadrant_means(x.float() / 127.5 - 1)) == y).sum().item()
    assert abs(curve.accuracy[0].item() - clean / 10) < 1e-4
    # p = 1: every image is grey (0), every latent is 0, the logits are the bias: the class argmax(bias) is predicted
    by_hand = (y == readout.bias.argmax()).float().mean().item() * 100
    assert abs(curve.accuracy[-1].item() - by_hand) < 1e-4
    assert abs(by_hand - [10, 20, 30, 40][readout.bias.argmax()]) < 5  # its expected share; 1000 labels: SE <= 1.6


def test_accuracy_falls_with_occlusion_for_a_brightness_pattern(readout):
    x, y = quadrant_images(3000, seed=2)
    acc = occlusion_robustness(quadrant_means, readout, x, y, generator=torch.Generator().manual_seed(4)).accuracy
    # Dropping squares removes signal and noise alike but leaves fewer pixels to average: the quadrant means' signal to
    # noise falls like sqrt(1 - p), so the expected accuracy falls with p. Each level is measured on 3000 images with its
    # own masks; the standard error of a difference of two levels is at most sqrt(2 * 0.25 / 3000) = 1.3 points, so a
    # rise of more than 2 SE (2.6) would contradict "non-increasing in expectation".
    assert (acc[1:] - acc[:-1]).max().item() < 2.6
    assert acc[0].item() > 85 and acc[0].item() - acc[-2].item() > 25


def test_masks_are_per_image_grey_squares_shared_by_channels_and_reproducible():
    x, _ = quadrant_images(200, seed=5)  # uint8 never maps to exactly 0 in [-1, 1], so zeros are occlusions
    dropped = lambda a: (a == 0).float().flatten(1)
    masks = occluded_latents(dropped, x, 0.5, square=4, generator=torch.Generator().manual_seed(6), batch=64)
    again = occluded_latents(dropped, x, 0.5, square=4, generator=torch.Generator().manual_seed(6), batch=64)
    assert torch.equal(masks, again)
    masks = masks.view(200, 3, 8, 4, 8, 4)
    assert torch.equal(masks, masks[:, :1, :, :1, :, :1].expand_as(masks))  # constant on each 4x4 square, every channel
    cells = masks[:, 0, :, 0, :, 0].flatten(1)  # (200, 64) dropped squares
    assert len({tuple(row.tolist()) for row in cells}) == 200  # one mask per image
    assert abs(cells.mean().item() - 0.5) < 0.02  # 12800 squares: SE 0.0044
    none = occluded_latents(dropped, x, 0.0, generator=torch.Generator().manual_seed(6))
    assert none.sum() == 0


def test_tiny_cortex_custom_levels():
    torch.manual_seed(0)
    cortex = Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32))
    encode = lambda a: cortex.latent(cortex.trunk(a)[-1])
    x, y = quadrant_images(300, seed=7)
    readout = Readout(torch.randn(4, 32), torch.randn(4))
    curve = occlusion_robustness(encode, readout, x, y, drop_probs=[0.0, 0.5, 1.0], square=8,
                                 generator=torch.Generator().manual_seed(8), batch=128)
    assert torch.allclose(curve.drop_probs, torch.tensor([0.0, 0.5, 1.0])) and curve.square == 8
    assert abs(curve.accuracy[0].item() - readout.accuracy(encode_dataset(encode, x, 128), y).item()) < 1e-4
    with torch.no_grad():
        grey = readout.predict(encode(torch.zeros(1, 3, 32, 32)))  # E(0): the one latent of fully occluded images
    assert abs(curve.accuracy[2].item() - (y == grey).float().mean().item() * 100) < 1e-4
