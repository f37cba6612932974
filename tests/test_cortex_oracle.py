"""cortex.Cortex against the authors' networks written independently (tests/authors_network.py).

tests/test_oracle.py checks the training iteration with cortex.Cortex on both sides, so it cannot see a change inside
cortex/ itself (a slope, a padding, a bias). Here a Cortex's weights are copied, through an explicit name map, into
the authors' netD and netG built layer by layer in plain torch.nn; in float64 on the CPU the latent z, the
discriminator's logit and output, every hidden activity of the encoder, the generated image and the gradient of a
scalar function of all of them with respect to every parameter and to the inputs must agree to 1e-12 of their size.
The name map is checked to cover every parameter of both sides, E and G to be exactly netD and netG, and, since
copying weights hides it, the initialisation to be the authors' (N(0, 0.02) weights, PyTorch's default biases).
"""
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from cortex import Cortex, CortexConfig
from tests.authors_network import AuthorsDiscriminator, AuthorsGenerator

RTOL = 1e-12  # float64, same operations in the same order: only a different convolution algorithm could round apart

# Cortex parameter -> (the authors' network, its parameter); the same map for weight and bias of each layer
LAYERS = {
    "areas.0.ff": ("netD", "conv1.0"),  # V1 -> V2
    "areas.1.ff": ("netD", "conv2.0"),  # V2 -> V4
    "areas.2.ff": ("netD", "conv3.0"),  # V4 -> IT
    "areas.3.ff": ("netD", "conv4"),  # IT -> z, the latent head
    "discriminator": ("netD", "dis"),  # IT -> d, the discriminator head
    "areas.3.fb": ("netG", "tconv1.0"),  # z -> IT
    "areas.2.fb": ("netG", "tconv2.0"),  # IT -> V4
    "areas.1.fb": ("netG", "tconv3.0"),  # V4 -> V2
    "areas.0.fb": ("netG", "tconv4.0"),  # V2 -> V1, the low-level (image) activity
}
NAMES = {f"{layer}.{p}": (net, f"{theirs}.{p}") for layer, (net, theirs) in LAYERS.items() for p in ("weight", "bias")}

# (image channels, ndf = ngf, nz): the published networks, the tests' tiny cortex, and an odd one (grey images,
# a latent narrower than IT)
SHAPES = {"published": (3, 64, 256), "tiny": (3, 8, 32), "odd": (1, 4, 20)}
BATCH = 5


def cortex_config(img: int, width: int, nz: int) -> CortexConfig:
    if (img, width, nz) == SHAPES["published"]:
        return CortexConfig()  # the default config itself, not a copy of its numbers
    return CortexConfig(channels=[img, width, 2 * width, 4 * width], latent_dim=nz)


def twins(shape: str, seed: int = 0):
    """A float64 Cortex and the authors' (netD, netG) holding its weights."""
    img, width, nz = SHAPES[shape]
    torch.manual_seed(seed)
    cortex = Cortex(cortex_config(img, width, nz)).double()
    nets = {"netD": AuthorsDiscriminator(nz, width, img).double(), "netG": AuthorsGenerator(nz, width, img).double()}
    ours = cortex.state_dict()
    assert set(ours) == set(NAMES), f"cortex parameters without a counterpart: {set(ours) ^ set(NAMES)}"
    for net_name, net in nets.items():
        theirs = {key: ours[name] for name, (n, key) in NAMES.items() if n == net_name}
        net.load_state_dict(theirs, strict=True)  # a missing, extra or differently shaped parameter fails here
    return cortex, nets["netD"], nets["netG"]


def assert_close(actual: Tensor, expected: Tensor, what: str) -> None:
    """|actual - expected| <= RTOL * max|expected|, elementwise."""
    assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    scale = expected.abs().max().clamp_min(1e-300)
    error = (actual - expected).abs().max()
    assert error <= RTOL * scale, f"{what}: max error {error:.3g} against scale {scale:.3g}"


def inputs(shape: str, seed: int = 1) -> tuple[Tensor, Tensor]:
    """Images in [-1, 1] (batch, img, 32, 32) and latents N(0, 1) (batch, nz), float64."""
    img, _, nz = SHAPES[shape]
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(BATCH, img, 32, 32, generator=gen, dtype=torch.float64) * 2 - 1
    return x, torch.randn(BATCH, nz, generator=gen, dtype=torch.float64)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_authors_networks_count_the_published_parameters(shape):
    _, netD, netG = twins(shape)
    img, w, nz = SHAPES[shape]
    assert sum(p.numel() for p in netD.parameters()) == (
        (img * 16 + 1) * w + (w * 16 + 1) * 2 * w + (2 * w * 16 + 1) * 4 * w + (4 * w * 16 + 1) * (nz + 1))
    assert sum(p.numel() for p in netG.parameters()) == (
        (nz * 16 + 1) * 4 * w + (4 * w * 16 + 1) * 2 * w + (2 * w * 16 + 1) * w + (w * 16 + 1) * img)
    if shape == "published":  # REFERENCE.md's counts
        assert sum(p.numel() for p in netD.parameters()) == 1_711_809
        assert sum(p.numel() for p in netG.parameters()) == 1_707_459


@pytest.mark.parametrize("shape", SHAPES)
def test_encoder_and_generator_parameters_are_netD_and_netG(shape):
    cortex, netD, netG = twins(shape)
    name_of = {id(p): name for name, p in cortex.named_parameters()}
    sides = ((cortex.encoder_parameters(), "netD", netD), (cortex.generator_parameters(), "netG", netG))
    for ours, net_name, net in sides:
        mapped = sorted(NAMES[name_of[id(p)]][1] for p in ours if NAMES[name_of[id(p)]][0] == net_name)
        assert len(mapped) == len(ours), f"{net_name}: the cortex's side holds parameters of the other network"
        assert mapped == sorted(name for name, _ in net.named_parameters()), net_name


@pytest.mark.parametrize("shape", SHAPES)
def test_encoding_and_generation_equal_the_authors(shape):
    cortex, netD, netG = twins(shape)
    x, latent = inputs(shape)
    with torch.no_grad():
        enc = cortex.encode(x)
        z, d = netD(x)
        assert_close(enc.z, z, "z")
        assert_close(enc.d, d, "discriminator output d")
        assert_close(enc.d_logit, netD.logit(x), "discriminator logit")
        assert_close(enc.activities[0], x, "V1 activity (the image)")
        for area, ours, theirs in zip(cortex.area_names[1:], enc.activities[1:], netD.trunk(x), strict=True):
            assert_close(ours, theirs, f"{area} feedforward activity")
        assert_close(cortex.generate(latent), netG(latent), "G(latent)")
        assert_close(cortex.generate(enc.z), netG(z), "G(E(x))")


def scalar(z: Tensor, d: Tensor, dream: Tensor, recon: Tensor, x: Tensor, weights: list[Tensor]) -> Tensor:
    """A scalar touching every output: the Wake losses (reconstruction, KL, real) plus random projections."""
    m, s = z.mean(0), z.std(0)
    kl = ((s**2 + m**2) / 2 - s.log() - 0.5).mean()
    real = F.binary_cross_entropy(d, torch.ones_like(d))
    projections = (z * weights[0]).sum() + (d * weights[1]).sum() + (dream * weights[2]).sum()
    return F.mse_loss(recon, x) + kl + real + projections


@pytest.mark.parametrize("shape", SHAPES)
def test_gradients_of_every_parameter_equal_the_authors(shape):
    cortex, netD, netG = twins(shape)
    x, latent = inputs(shape)
    gen = torch.Generator().manual_seed(2)
    weights = [torch.randn(BATCH, SHAPES[shape][2], generator=gen, dtype=torch.float64),
               torch.randn(BATCH, generator=gen, dtype=torch.float64),
               torch.randn(x.shape, generator=gen, dtype=torch.float64)]
    grads = {}
    for side in ("cortex", "authors"):
        xs, ls = x.clone().requires_grad_(), latent.clone().requires_grad_()
        if side == "cortex":
            enc = cortex.encode(xs)
            z, d, dream, recon = enc.z, enc.d, cortex.generate(ls), cortex.generate(enc.z)
        else:
            (z, d), dream = netD(xs), netG(ls)
            recon = netG(z)
        scalar(z, d, dream, recon, xs, weights).backward()
        grads[side] = {"x": xs.grad, "latent": ls.grad}
    grads["cortex"] |= {name: p.grad for name, p in cortex.named_parameters()}
    nets = {"netD": netD, "netG": netG}
    grads["authors"] |= {name: nets[net].get_parameter(key).grad for name, (net, key) in NAMES.items()}
    for name, expected in grads["authors"].items():
        assert expected is not None and expected.abs().max() > 0, f"{name}: the authors' network gives no gradient"
        assert grads["cortex"][name] is not None, f"{name}: no gradient in the cortex"
        assert_close(grads["cortex"][name], expected, f"gradient of {name}")


def test_initialisation_is_the_authors():
    """Copying weights hides the initialisation, so it is checked apart: every conv and transposed-conv weight of the
    published cortex ~ N(0, 0.02) (mean and std within 5 standard errors), every bias PyTorch's default
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.size(1) * 16 for both kinds of layer."""
    torch.manual_seed(0)
    state = Cortex().state_dict()
    for layer in LAYERS:
        w, b = state[f"{layer}.weight"], state[f"{layer}.bias"]
        n = w.numel()
        assert abs(w.mean().item()) < 5 * 0.02 / n**0.5, f"{layer}: weight mean {w.mean().item():.3g}"
        assert abs(w.std().item() - 0.02) < 5 * 0.02 / (2 * n) ** 0.5, f"{layer}: weight std {w.std().item():.4g}"
        bound = 1 / (w.shape[1] * 16) ** 0.5
        assert b.abs().max() <= bound, f"{layer}: bias beyond PyTorch's default bound {bound:.3g}"
        if b.numel() >= 64:  # enough draws that a uniform on the bound reaches past its half
            assert b.abs().max() > bound / 2, f"{layer}: biases far inside PyTorch's default bound {bound:.3g}"
