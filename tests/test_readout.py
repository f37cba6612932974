"""The tensorised read-out against an independent route (torch.nn.Linear + autograd + SGD) and separable clusters."""
import torch

from analysis import linear_readout


def clusters(n: int, spread: float, seed: int):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(10, 32, generator=gen) * 3
    labels = torch.randint(0, 10, (n,), generator=gen)
    return centres[labels] + spread * torch.randn(n, 32, generator=gen), labels


def reference_readout(z, labels, seed):
    """nn.Linear trained by autograd and torch.optim.SGD, with the same initial weights and shuffles."""
    gen = torch.Generator().manual_seed(seed)
    bound = 1 / z.shape[1] ** 0.5
    layer = torch.nn.Linear(z.shape[1], 10)
    with torch.no_grad():
        layer.weight.copy_((torch.rand(10, z.shape[1], generator=gen) * 2 - 1) * bound)
        layer.bias.copy_((torch.rand(10, generator=gen) * 2 - 1) * bound)
    sgd = torch.optim.SGD(layer.parameters(), lr=0.2)
    for _ in range(3):
        for rows in torch.randperm(len(z), generator=gen)[: len(z) // 64 * 64].split(64):  # drop_last
            sgd.zero_grad()
            torch.nn.functional.cross_entropy(layer(z[rows]), labels[rows]).backward()
            sgd.step()
    return layer


def test_same_weights_as_nn_linear_with_autograd_and_sgd():
    z, labels = clusters(1000, spread=4.0, seed=0)
    ours = linear_readout(z, labels, epochs=3, generator=torch.Generator().manual_seed(7))
    layer = reference_readout(z, labels, seed=7)
    assert torch.allclose(ours.weight, layer.weight, atol=1e-4)
    assert torch.allclose(ours.bias, layer.bias, atol=1e-4)
    assert torch.equal(ours.predict(z), layer(z).argmax(1))


def test_well_separated_clusters_are_read_out_perfectly_and_noise_at_chance():
    z, labels = clusters(3000, spread=0.3, seed=1)
    readout = linear_readout(z[:2000], labels[:2000], generator=torch.Generator().manual_seed(0))
    assert readout.accuracy(z[2000:], labels[2000:]).item() == 100.0
    noise = torch.randn(3000, 32, generator=torch.Generator().manual_seed(2))
    chance = linear_readout(noise[:2000], labels[:2000], generator=torch.Generator().manual_seed(0))
    assert 5 < chance.accuracy(noise[2000:], labels[2000:]).item() < 16
