"""Benchmark: the tensorised linear read-out against the reference's style, on the paper's sizes.

Latents of 50,000 training and 10,000 test images (256-d; synthetic class clusters, so the accuracy is meaningful),
read out by the paper's recipe (SGD lr 0.2, batch 64, 20 epochs, drop_last). Two routes, timed in the same run:
- `analysis.readout.linear_readout`: index batches of the latent tensor, the cross-entropy gradient written out;
- the reference's style (linear_classif.py): TensorDataset + DataLoader(batch 64, shuffle, drop_last), nn.Linear,
  CrossEntropyLoss, optim.SGD, and per-step `.item()` host synchronisations for the running loss and accuracy.
Run: `python benchmarks/bench_readout.py [--epochs 20] [--device cpu|cuda]`. Prints seconds, accuracies and the ratio.
"""
import argparse
import time

import torch

from analysis.readout import linear_readout


def latents(n: int, dim: int, device: torch.device, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(10, dim, generator=gen)
    labels = torch.randint(0, 10, (n,), generator=gen)
    return (centres[labels] + 3 * torch.randn(n, dim, generator=gen)).to(device), labels.to(device)


def reference_style(z, labels, epochs: int) -> torch.nn.Linear:
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(z, labels), batch_size=64, shuffle=True,
                                         drop_last=True)
    classifier = torch.nn.Linear(z.shape[1], 10).to(z.device)
    sgd, criterion = torch.optim.SGD(classifier.parameters(), lr=0.2), torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        losses, accuracies = [], []
        for feature, label in loader:
            sgd.zero_grad()
            output = classifier(feature)
            loss = criterion(output, label)
            loss.backward()
            sgd.step()
            losses.append(loss.item())  # host synchronisation every step, as the reference logged
            accuracies.append((output.argmax(1) == label).float().mean().item() * 100)
    return classifier


def timed(fn, device: torch.device):
    start = time.perf_counter()
    result = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    z, labels = latents(50_000, 256, device)
    test_z, test_labels = latents(10_000, 256, device, seed=0)  # same centres: seed 0 draws them first
    ours, t_ours = timed(lambda: linear_readout(z, labels, epochs=args.epochs, generator=torch.Generator(device).manual_seed(1)), device)
    theirs, t_theirs = timed(lambda: reference_style(z, labels, args.epochs), device)
    with torch.no_grad():
        acc_theirs = (theirs(test_z).argmax(1) == test_labels).float().mean().item() * 100
    print(f"device {device}, torch threads {torch.get_num_threads()}, {args.epochs} epochs, 50000 train / 10000 test latents")
    print(f"  analysis.readout.linear_readout  {t_ours:7.2f} s   test accuracy {ours.accuracy(test_z, test_labels).item():.2f} %")
    print(f"  reference style (DataLoader)     {t_theirs:7.2f} s   test accuracy {acc_theirs:.2f} %")
    print(f"  ratio reference / ours: {t_theirs / t_ours:.1f}x")


if __name__ == "__main__":
    main()
