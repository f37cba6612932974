"""Benchmark: one simulated day and night, the simulator against a naive loop in the reference code's style.

What is compared (one "day" = one Wake step, one NREM step, one REM step on a batch of 64):

  simulator  `Simulator.live_day()` of the default `pad` scenario: one backward pass per phase, the NREM occlusion
             mask built on the device from a few tensor operations, G's REM gradient negated in place, and every
             figure kept on the device (no host synchronisation inside a day).
  naive      the authors' iteration as tests/authors_iteration.py writes it (the oracle the simulator is proven
             against in tests/test_oracle.py, so both sides compute the same mathematics): three Wake backward
             passes (real loss and KL with retain_graph, then reconstruction) before the optimizer steps; the NREM
             mask built by a Python loop over the grid of occlusion squares, one host uniform per square and one
             mask[c, i:i+s, j:j+s] = 0 per channel of each dropped square; REM through a gradient-reversal function
             on G's output; zero_grad() between phases; PyTorch's default Adam; every figure fetched with .item()
             every day (host synchronisations), as the reference logs them. Like the reference's netD, one forward
             pass of E computes both of its heads.

Both sides use cortex.Cortex networks of the configured shape, initialised from the same seed, two Adam optimizers
(E and G) with lr 2e-4 and betas (0.5, 0.999), batch 64, and the paper's weights and REM mixture. By default both
draw their batches from the same uint8 `shapes` images (10000 of 3x32x32) held on the device, so data loading is not
what is measured; `--naive-data dataloader` makes the naive side read a torch DataLoader over a CPU TensorDataset
instead, as the reference did (then the copy to the device is measured too; the reference's per-image PIL
transforms are still not).

How it is timed: both sides are warmed up, then each lives `--days` days in all, in `--rounds` blocks of consecutive
days (the epoch wraps with a fresh shuffle when the 10000 images are used up), the device being synchronised only at
the end of a block. The blocks of the two sides alternate; the median over blocks of each side's seconds per day is
reported, with each side's speed relative to the simulator's (naive / simulator seconds, as "0.25x": four times slower)
and the projected time of one CIFAR-10 epoch (781 days). A day costs about
0.4 s on two idle CPU cores, so the CPU defaults (60 days per side, 5 blocks of 12) take about a minute; on a loaded
machine the figures are slower and noisier (the 1-minute load average is printed with them).

`--precision` times the simulator against itself instead, in the same alternating blocks: float32 (the published
default), float32 + `memory_format=channels_last`, `autocast=bfloat16` (AMX units on CPUs that have them, tensor
cores on GPUs), and bfloat16 + channels_last; each side's speed relative to float32 is printed.

Run (from the repository root):
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py                 # CPU, and CUDA when available
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py --device cuda --days 781
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py --device cpu --days 30 --threads 2
    PYTHONPATH=. OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_step.py --device cpu --precision --days 40 --rounds 4
"""
import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex import Cortex, to_activity  # noqa: E402
from sims.jobs.registry import compose_config  # noqa: E402
from sims.life.simulator import Simulator  # noqa: E402
from tests.authors_iteration import AuthorsIteration, Flags  # noqa: E402

CIFAR10_DAYS = 781  # 50000 training images // batch 64 (drop_last), one Wake batch per day
DEFAULT_DAYS = {"cpu": 60, "cuda": CIFAR10_DAYS}
DEFAULT_WARMUP = {"cpu": 3, "cuda": 30}


# --- the naive side: the authors' iteration (tests/authors_iteration.py, the oracle of tests/test_oracle.py) ------------
class HostDraws:
    """The authors' random draws: torch's global generator on the device for noise and order, the host for occlusion
    (random.random, random.randint and one uniform per square, as their np.random.rand() per square)."""

    def __init__(self, device: torch.device, max_square: int):
        self.device, self.max_square = device, max_square

    def order(self, n: int) -> torch.Tensor:
        return torch.randperm(n, device=self.device)

    def wake_noise(self, shape) -> torch.Tensor:
        return torch.randn(shape, device=self.device)

    def occlusion(self):
        return random.random(), random.randint(1, self.max_square), torch.from_numpy(np.random.rand(32, 32))

    def rem_noise(self, shape) -> torch.Tensor:
        return torch.randn(shape, device=self.device)


class NaiveDay:
    """One day and night per call: AuthorsIteration.iteration on the simulator's networks and initial weights, with
    the authors' habits around it: every figure fetched with .item() every day (host synchronisations)."""

    def __init__(self, cfg, train_x: torch.Tensor, device: torch.device, naive_data: str):
        with torch.random.fork_rng(devices=[]):  # the simulator's initial weights (Brain.build)
            torch.manual_seed(cfg.seed)
            cortex = Cortex(cfg.cortex).to(device)
        flags = Flags(W=cfg.phases.wake.weight, N=cfg.phases.nrem.weight, R=cfg.phases.rem.weight,
                      epsilon=cfg.phases.wake.latent_noise_std)
        self.oracle = AuthorsIteration(cortex, flags, lr=cfg.optim.lr, betas=(cfg.optim.beta1, cfg.optim.beta2),
                                       foreach=None)  # torch.optim.Adam's default implementation
        self.draws = HostDraws(device, cfg.phases.nrem.max_square)
        self.batch_size, self.device = cfg.optim.batch_size, device
        self.batches = self._device_batches(train_x) if naive_data == "device" else self._loader_batches(train_x)
        self.losses = []

    def _device_batches(self, train_x):
        """(index in the epoch, batch) forever, from the uint8 images on the device."""
        days = len(train_x) // self.batch_size
        while True:
            order = self.draws.order(len(train_x))
            for i in range(days):
                yield i, to_activity(train_x[order[i * self.batch_size : (i + 1) * self.batch_size]])

    def _loader_batches(self, train_x):
        """The same, through a DataLoader over a CPU TensorDataset (shuffle, drop_last), copied to the device."""
        dataset = torch.utils.data.TensorDataset(train_x.cpu())
        loader = torch.utils.data.DataLoader(dataset, batch_size=self.batch_size, shuffle=True, drop_last=True)
        while True:
            for i, (images,) in enumerate(loader):
                yield i, to_activity(images.to(self.device))

    def __call__(self) -> None:
        i, real_image = next(self.batches)
        figures = self.oracle.iteration(real_image, i, self.draws)
        self.losses.append({k: v.item() for k, v in figures.items()})  # host synchronisations, as the authors log
        if i == 0:
            self.losses = self.losses[-1:]  # the authors keep one epoch's list


# --- the simulator side -------------------------------------------------------------------------------------------
def simulator_day(sim: Simulator):
    """A callable living one day of `sim` per call through the public epoch protocol (no evaluation or checkpoint)."""

    def day() -> None:
        if sim.epoch_done:
            sim.epoch, sim.day_in_epoch = sim.epoch + 1, 0
        if sim.day_in_epoch == 0:
            sim.begin_epoch()
        sim.live_day()

    return day


# --- timing ---------------------------------------------------------------------------------------------------------
def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_day(live_one_day, days: int, device: torch.device) -> float:
    """Mean wall time of `days` consecutive days; the device is synchronised only at the end of the block."""
    synchronize(device)
    start = time.perf_counter()
    for _ in range(days):
        live_one_day()
    synchronize(device)
    return (time.perf_counter() - start) / days


def alternating(sides: dict, device: torch.device, block: int, warmup: int, rounds: int) -> dict:
    """Per side, the seconds per day of `rounds` timed blocks of `block` days each, the sides' order alternating."""
    for live_one_day in sides.values():
        seconds_per_day(live_one_day, warmup, device)
    times = {side: [] for side in sides}
    for r in range(rounds):  # alternate which side goes first
        for side in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
            times[side].append(seconds_per_day(sides[side], block, device))
    return times


BASE = ["data=shapes", "progress=false", "eval.every=0", "keep_epoch_cortex=false"]
PRECISIONS = {"float32": [], "float32+cl": ["memory_format=channels_last"], "bf16": ["autocast=bfloat16"],
              "bf16+cl": ["autocast=bfloat16", "memory_format=channels_last"]}


def bench_device(name: str, block: int, warmup: int, rounds: int, naive_data: str, precision: bool,
                 overrides: list[str]) -> dict:
    """The simulator against the naive loop; with `precision`, the simulator in float32 against bfloat16 autocast
    and channels_last (the first side is the baseline of the ratios)."""
    with tempfile.TemporaryDirectory(prefix="bench_step_") as run_dir:
        if precision:
            sims = {side: Simulator(compose_config([*BASE, *overrides, f"device={name}", *extra]), Path(run_dir) / side)
                    for side, extra in PRECISIONS.items()}
            sides = {side: simulator_day(sim) for side, sim in sims.items()}
        else:
            sim = Simulator(compose_config([*BASE, *overrides, f"device={name}"]), Path(run_dir))
            sims = {"simulator": sim}
            sides = {"simulator": simulator_day(sim), "naive": NaiveDay(sim.cfg, sim.world.train_x, sim.device,
                                                                        naive_data)}
        device = next(iter(sims.values())).device
        return {"device": device, "block": block, "times": alternating(sides, device, block, warmup, rounds)}


# --- report ---------------------------------------------------------------------------------------------------------
def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def report(result: dict, rounds: int) -> None:
    median = {side: statistics.median(t) for side, t in result["times"].items()}
    print(f"\ndevice: {device_label(result['device'])}")
    if result["device"].type == "cpu":
        print(f"host load average (1 min) after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"days timed: {rounds * result['block']} per side, in {rounds} alternating blocks of {result['block']} "
          f"(median over the blocks)")
    base = next(iter(median))
    for side, t in result["times"].items():
        blocks = ", ".join(f"{x:.4g}" for x in t)
        print(f"  {side:<10} {median[side]:9.4g} s/day   {median[base] / median[side]:5.2f}x {base}'s speed   "
              f"(blocks: {blocks} s/day)")
    print(f"  projected {CIFAR10_DAYS}-day CIFAR-10 epoch (training only): "
          + ", ".join(f"{side} {CIFAR10_DAYS * m:.1f} s" for side, m in median.items()))


def devices_to_run(choice: str | None) -> list[str]:
    if choice == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: no CUDA device on this machine")
    if choice in ("cpu", "cuda"):
        return [choice]
    if choice == "all" and not torch.cuda.is_available():
        print("note: no CUDA device on this machine; timing the CPU only")
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default=None,
                        help="default: cpu, plus cuda when available")
    parser.add_argument("--days", type=int, default=None,
                        help="days timed per side, split into --rounds blocks (default: 60 on CPU, 781 on CUDA)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed days per side first (default: 3 on CPU, 30 on CUDA)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timed blocks per side (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--precision", action="store_true",
                        help="time the simulator in float32, float32+channels_last, bf16 and bf16+channels_last")
    parser.add_argument("overrides", nargs="*", help="run_night.py overrides of the brains (default: the published "
                                                      "cortex, batch 64; e.g. a quick mode's cortex.channels=...)")
    parser.add_argument("--naive-data", choices=["device", "dataloader"], default="device",
                        help="naive side's batches: the simulator's on-device uint8 tensor, or a CPU DataLoader")
    args = parser.parse_args(argv)
    for key in ("days", "rounds", "threads"):
        if getattr(args, key) is not None and getattr(args, key) < 1:
            parser.error(f"--{key} must be at least 1")
    if args.warmup is not None and args.warmup < 0:
        parser.error("--warmup must be at least 0")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print("PAD day-and-night step: Simulator.live_day() (scenario pad) " + (
        "in float32, bfloat16 autocast and channels_last" if args.precision else "vs a naive loop in main_PAD.py's style"))
    print(f"torch {torch.__version__}; data: `shapes`, 10000 uint8 images 3x32x32 on the device; overrides: "
          f"{' '.join(args.overrides) or 'none'}")
    if args.naive_data == "device" and not args.precision:
        print("naive data: the simulator's own on-device uint8 tensor (data loading is not measured on either side)")
    elif not args.precision:
        print("naive data: torch DataLoader over a CPU TensorDataset, copied to the device "
              "(measured on the naive side only)")
    for name in devices_to_run(args.device):
        block = math.ceil((args.days or DEFAULT_DAYS[name]) / args.rounds)
        warmup = DEFAULT_WARMUP[name] if args.warmup is None else args.warmup
        report(bench_device(name, block, warmup, args.rounds, args.naive_data, args.precision,
                            args.overrides), args.rounds)


if __name__ == "__main__":
    main()
