"""Benchmark: brain-days per second of a cohort of N brains against the same N brains living alone, one after another.

Both sides hold the same N brains (scenario pad, seeds 0..N-1, the published cortex and batch of 64 unless told
otherwise, `shapes` images on the device so data loading is not measured): the lone side lives each day of each brain in
turn through `Simulator.live_day()`; the cohort side lives each day of all N at once through `Cohort.live_day()` (its computation: `loop`, brain by brain with one backward pass, or `vmap`, one pass of grouped
convolutions over the stacked weights; `auto` picks vmap on CUDA, loop elsewhere). Each side is warmed up first,
then the sides take turns living `--rounds` blocks of `--days` days (the device synchronised only at the end of a
block), and the median block is reported. Printed per N: seconds per brain-day of each side,
brain-days per second, and the ratio cohort / lone of brain-days per second (above 1: the cohort is faster).

Run (from the repository root):
    PYTHONPATH=. .venv/bin/python benchmarks/bench_cohort.py                       # CPU: N = 1, 4 (2 days each)
    PYTHONPATH=. .venv/bin/python benchmarks/bench_cohort.py --device cuda --sizes 1,4,16,64 --days 50
    PYTHONPATH=. .venv/bin/python benchmarks/bench_cohort.py --vectorize loop,vmap --threads 2
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from sims.life.cohort import Cohort
from sims.jobs.registry import compose_config
from sims.life.simulator import Simulator


def next_day(sim: Simulator) -> None:
    """Ready `sim` for its next day: a new epoch (fresh order) where the last one ended."""
    if sim.epoch_done:
        sim.epoch, sim.day_in_epoch = sim.epoch + 1, 0
    if sim.day_in_epoch == 0:
        sim.begin_epoch()


def timed(live, days: int, device: torch.device) -> float:
    """Seconds of `days` calls of `live`, the device synchronised only at the end."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(days):
        live()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def lone_side(configs, root: Path):
    """A callable living one day of each brain alone, one brain after another."""
    sims = [Simulator(cfg, root / f"lone{k}") for k, cfg in enumerate(configs)]

    def live() -> None:
        for sim in sims:
            next_day(sim)
            sim.live_day()

    return live, sims[0].device


def cohort_side(configs, root: Path, vectorize: str):
    """A callable living one day of all brains as one cohort."""
    cohort = Cohort([(cfg, root / f"cohort{k}") for k, cfg in enumerate(configs)], vectorize)
    everyone = list(range(len(configs)))

    def live() -> None:
        for member in cohort.members:
            next_day(member)
        cohort.live_day(everyone)

    return live, cohort.members[0].device


def seconds_per_brain_day(sides: dict, brains: int, days: int, warmup: int, rounds: int) -> dict[str, float]:
    """Per side, the median over `rounds` alternating blocks of `days` days of the seconds per brain-day."""
    for live, device in sides.values():
        timed(live, warmup, device)
    times = {name: [] for name in sides}
    for r in range(rounds):  # alternate which side goes first
        for name in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
            live, device = sides[name]
            times[name].append(timed(live, days, device) / (days * brains))
    return {name: statistics.median(t) for name, t in times.items()}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--sizes", default="1,4", help="cohort sizes N, comma-separated (default: 1,4)")
    parser.add_argument("--days", type=int, default=2, help="timed days per brain on each side (default: 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed days first, on each side (default: 1)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed blocks per side (median reported)")
    parser.add_argument("--vectorize", default="auto", help="the cohort's computation(s): auto, loop, vmap, "
                                                            "comma-separated to compare (default: auto)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("overrides", nargs="*", help="run_night.py overrides for every brain (e.g. cortex.latent_dim=32)")
    args = parser.parse_args(argv)
    if args.days < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--days and --rounds must be at least 1, --warmup at least 0")
    try:
        args.sizes = [int(n) for n in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes {args.sizes}: not a comma-separated list of whole numbers")
    if min(args.sizes) < 1:
        parser.error("--sizes: every N must be at least 1")
    args.vectorize = args.vectorize.split(",")
    if not set(args.vectorize) <= {"auto", "loop", "vmap"}:
        parser.error(f"--vectorize {','.join(args.vectorize)}: each must be one of auto, loop, vmap")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    base = ["data=shapes", "progress=false", "eval.every=0", "keep_epoch_cortex=false", f"device={args.device}",
            *args.overrides]
    device = torch.device(args.device)
    where = (f"cuda ({torch.cuda.get_device_name(device)})" if device.type == "cuda"
             else f"cpu ({torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f})")
    print(f"cohort vs lone brains, scenario pad; torch {torch.__version__}; {where}; per side {args.rounds} alternating "
          f"blocks of {args.days} days per brain (median) after {args.warmup} of warm-up; overrides: "
          f"{' '.join(args.overrides) or 'none'}")
    print(f"{'N':>4} {'computation':>11} {'lone s/brain-day':>17} {'cohort s/brain-day':>19} "
          f"{'lone brain-days/s':>18} {'cohort brain-days/s':>20} {'ratio':>6}")
    for n in args.sizes:
        configs = [compose_config(base + [f"seed={seed}"]) for seed in range(n)]
        with tempfile.TemporaryDirectory(prefix="bench_cohort_") as root:
            try:
                sides = {"lone": lone_side(configs, Path(root))}
                sides |= {v: cohort_side(configs, Path(root), v) for v in args.vectorize}
                seconds = seconds_per_brain_day(sides, n, args.days, args.warmup, args.rounds)
            except torch.OutOfMemoryError:
                print(f"{n:>4}  out of device memory")
                continue
        lone = seconds.pop("lone")
        for vectorize, cohort in seconds.items():
            print(f"{n:>4} {vectorize:>11} {lone:17.4f} {cohort:19.4f} {1 / lone:18.2f} {1 / cohort:20.2f} "
                  f"{lone / cohort:5.2f}x", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
