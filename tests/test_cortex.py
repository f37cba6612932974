import torch

from cortex import Cortex, CortexConfig


def count(params):
    return sum(p.numel() for p in params)


def test_parameter_counts_match_the_published_networks():
    cortex = Cortex()
    assert count(cortex.encoder_parameters()) == 1_711_809
    assert count(cortex.generator_parameters()) == 1_707_459
    # E and G partition the cortex's parameters.
    assert count(cortex.parameters()) == 1_711_809 + 1_707_459


def test_shapes_through_the_hierarchy():
    cortex = Cortex()
    enc = cortex.encode(torch.randn(5, 3, 32, 32))
    assert enc.z.shape == (5, 256) and enc.d.shape == (5,)
    assert [tuple(a.shape[1:]) for a in enc.activities] == [(3, 32, 32), (64, 16, 16), (128, 8, 8), (256, 4, 4)]
    assert cortex.area_names == ["V1", "V2", "V4", "IT"]
    x = cortex.generate(enc.z)
    assert x.shape == (5, 3, 32, 32) and x.abs().max() <= 1  # tanh bounds low-level activity


def test_initialisation_draws_conv_weights_from_n_0_002_and_keeps_default_biases():
    torch.manual_seed(0)
    cortex = Cortex()
    w = cortex.areas[2].ff.weight  # 524,288 draws
    assert abs(w.mean().item()) < 1e-3 and abs(w.std().item() - 0.02) < 2e-4
    b = cortex.areas[2].ff.bias  # PyTorch default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 128 * 4 * 4
    bound = 1 / (128 * 16) ** 0.5
    assert b.abs().max() <= bound and b.abs().max() > bound / 2


def test_encoder_is_feedforward_weights_plus_discriminator_and_generator_is_feedback():
    cortex = Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32))
    ff = {id(p) for a in cortex.areas for p in a.ff.parameters()} | {id(p) for p in cortex.discriminator.parameters()}
    fb = {id(p) for a in cortex.areas for p in a.fb.parameters()}
    assert {id(p) for p in cortex.encoder_parameters()} == ff
    assert {id(p) for p in cortex.generator_parameters()} == fb


def test_latent_is_linear_and_discriminator_reads_it():
    cortex = Cortex(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32))
    top = torch.randn(4, 32, 4, 4)
    # z is linear in IT activity (no nonlinearity on the latent head)
    bias = cortex.latent(torch.zeros_like(top))
    assert torch.allclose(cortex.latent(2 * top) - bias, 2 * (cortex.latent(top) - bias), atol=1e-5)
    d_logit = cortex.discriminate(top)
    expected = (top * cortex.discriminator.weight).sum((1, 2, 3)) + cortex.discriminator.bias
    assert torch.allclose(d_logit, expected, atol=1e-5)
