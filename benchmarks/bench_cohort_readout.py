"""Benchmark: a cohort of N brains measured at once (`measure_cohort`) against N lone measurements (`measure` each).

Small data on purpose: 5000 training and 1000 test images of class-coloured noise, and a cheap encoder per brain (256
of the 3072 activities, then a random linear map 256 -> 256), so the figures show what batching saves in the read-out (N
read-outs in one bmm per SGD step) and the occlusion curve (masks and encoding of N brains per chunk), not the cost of a
cortex: a real encoder's arithmetic is the same either way (it gains from batching on a GPU, much less on a CPU).
Two timings per N, in one run: the read-out alone (`linear_readout` per brain against `linear_readouts`) and the whole
measurement (read-out and occlusion curve; geometry off, as in the hook's default). Each is the best of --repeats, and
the cohort's figures are checked to be the lone ones. Seconds are CPU seconds of this process on the CPU (so another job
on the machine does not count), wall-clock seconds on a GPU.
Run: `OMP_NUM_THREADS=1 python benchmarks/bench_cohort_readout.py [--brains 1 4 16] [--epochs 2] [--device cpu|cuda]`.
"""
import argparse
import time
from types import SimpleNamespace

import numpy as np
import torch

from analysis.measure import measure, measure_cohort, metric_generator
from analysis.readout import encode_cohort, linear_readout, linear_readouts


def images(n: int, generator: torch.Generator, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (n, 3, 32, 32) whose mean colour follows the class (n,), under noise."""
    labels = torch.arange(n) % 10
    x = 40 + 20 * labels[:, None, None, None] + 30 * torch.randn(n, 3, 32, 32, generator=generator)
    return x.clamp(0, 255).to(torch.uint8).to(device), labels.to(device)


def small_data(device: torch.device) -> SimpleNamespace:
    gen = torch.Generator().manual_seed(0)
    (train_x, train_y), (test_x, test_y) = images(5000, gen, device), images(1000, gen, device)
    return SimpleNamespace(train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y,
                           test_exact=torch.arange(1000, device=device) % 2 == 0)


def cohort_encoder(weights: torch.Tensor):
    """Brain i's code: every 12th of the 3072 activities (256 of them) times weights[i] (256, 256):
    (N, b, 3, 32, 32) -> (N, b, 256). Views until the bmm, so the training images expanded to every brain are not
    copied N times first."""
    return lambda x: torch.bmm(x.flatten(2)[..., ::12], weights)


def seconds(fn, device: torch.device) -> tuple[object, float]:
    """fn's result and its seconds: this process's CPU time on the CPU (other jobs on a shared machine leave it be, with
    one thread it is the work done), wall-clock time on a GPU (after synchronising)."""
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    start = clock()
    result = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return result, clock() - start


def compare(brains: int, data: SimpleNamespace, epochs: int, device: torch.device, repeats: int) -> None:
    weights = torch.randn(brains, 256, 256, generator=torch.Generator().manual_seed(brains)).to(device) / 16
    encode = cohort_encoder(weights)
    lone_codes = [cohort_encoder(weights[i:i + 1]) for i in range(brains)]  # the same code, a cohort of one each
    lone_codes = [lambda x, code=code: code(x.unsqueeze(0))[0] for code in lone_codes]
    seeds, days = list(range(brains)), [1] * brains
    z = encode_cohort(encode, data.train_x, brains)  # (N, 5000, 256)
    streams = lambda: [metric_generator(device, s, e, "readout") for s, e in zip(seeds, days)]
    options = dict(readout_epochs=epochs, occlusion=True, geometry=False)
    tasks = {
        "lone read-outs": lambda: [linear_readout(z[i], data.train_y, epochs=epochs, generator=g)
                                   for i, g in enumerate(streams())],
        "cohort read-out": lambda: linear_readouts(z, data.train_y, epochs=epochs, generators=streams()),
        "lone measures": lambda: [measure(code, data, s, e, **options) for code, s, e in zip(lone_codes, seeds, days)],
        "cohort measure": lambda: measure_cohort(encode, data, seeds, days, **options),
    }
    best, results = {name: float("inf") for name in tasks}, {}
    for round in range(repeats + 1):  # interleaved, so that both routes meet the same conditions; round 0 warms up
        for name, task in tasks.items():
            results[name], spent = seconds(task, device)
            best[name] = min(best[name], spent) if round else best[name]
    pairs = zip(results["lone measures"], results["cohort measure"])
    same = all(np.array_equal(lone[k], cohort[k]) for lone, cohort in pairs for k in lone)
    ratio = lambda lone, cohort: best[lone] / best[cohort]
    print(f"  N = {brains:2d}  read-out: {brains} lone {best['lone read-outs']:6.3f} s, cohort "
          f"{best['cohort read-out']:6.3f} s, ratio {ratio('lone read-outs', 'cohort read-out'):4.1f}x | measure: "
          f"{brains} lone {best['lone measures']:6.2f} s, cohort {best['cohort measure']:6.2f} s, ratio "
          f"{ratio('lone measures', 'cohort measure'):4.1f}x | identical figures: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brains", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    data = small_data(device)
    clock = "wall-clock" if device.type == "cuda" else "process CPU"
    print(f"device {device}, torch threads {torch.get_num_threads()}, {args.epochs} read-out epochs, 5000 train / "
          f"1000 test images, latents of 256; {clock} seconds, best of {args.repeats}")
    for brains in args.brains:
        compare(brains, data, args.epochs, device, args.repeats)


if __name__ == "__main__":
    main()
