import math

import numpy as np
import torch

from sims.life.phases.learning import discriminator_loss, kl_divergence


def test_kl_matches_a_hand_computation_with_the_unbiased_std():
    z = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
    # column 0: mean 2, unbiased variance ((-2)^2 + 0 + 2^2) / 2 = 4 -> s = 2
    kl0 = (4 + 4) / 2 - math.log(2) - 0.5
    # column 1: mean 4, deviations -3, -1, 4 -> variance (9 + 1 + 16) / 2 = 13
    kl1 = (13 + 16) / 2 - 0.5 * math.log(13) - 0.5
    assert math.isclose(kl_divergence(z).item(), (kl0 + kl1) / 2, rel_tol=1e-6)


def test_kl_against_numpy_and_its_minimum_at_the_standard_normal():
    z = torch.randn(64, 256, generator=torch.Generator().manual_seed(0)) * 1.7 + 0.3
    a = z.numpy().astype(np.float64)
    m, s = a.mean(0), a.std(0, ddof=1)
    expected = np.mean((s**2 + m**2) / 2 - np.log(s) - 0.5)
    assert math.isclose(kl_divergence(z).item(), expected, rel_tol=1e-5)
    standard = torch.randn(100_000, 4, generator=torch.Generator().manual_seed(1))
    assert kl_divergence(standard).item() < 1e-3


def test_discriminator_loss_is_the_bce_of_the_sigmoid():
    logit = torch.tensor([-2.0, 0.0, 3.0])
    d = 1 / (1 + np.exp(-logit.numpy()))
    assert math.isclose(discriminator_loss(logit, 1.0).item(), -np.mean(np.log(d)), rel_tol=1e-6)
    assert math.isclose(discriminator_loss(logit, 0.0).item(), -np.mean(np.log(1 - d)), rel_tol=1e-6)
