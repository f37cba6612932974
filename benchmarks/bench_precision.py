"""Benchmark: a day of the published brain in float32 against bfloat16 autocast, with and without channels_last.

  float32          the published default (`autocast=none`)
  bf16             `autocast=bfloat16`: the phases' passes under torch.autocast (AMX units on this CPU)
  bf16+cl          the same with the cortex's weights in channels_last memory format (the images stay NCHW; the
                   first convolution hands channels_last activations on): measured here only, not an option yet

Each variant is a `Simulator` of the default `pad` scenario on `shapes` (the published cortex, batch 64), warmed up,
then lives `--days` days in `--rounds` alternating blocks; the median seconds per day of each and its ratio to
float32 are printed (> 1: faster than float32). Run from the repository root:
    PYTHONPATH=. OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_precision.py --days 24 --rounds 4
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sims.registry import compose_config  # noqa: E402
from sims.simulator import Simulator  # noqa: E402

VARIANTS = {"float32": ([], False), "bf16": (["autocast=bfloat16"], False), "bf16+cl": (["autocast=bfloat16"], True)}


def simulator(overrides: list[str], channels_last: bool, folder: Path) -> Simulator:
    cfg = compose_config(["data=shapes", "eval.every=0", "progress=false", "device=cpu", *overrides])
    sim = Simulator(cfg, folder)
    if channels_last:
        sim.brain.cortex.to(memory_format=torch.channels_last)  # parameters change in place: the optimizers keep them
    sim.begin_epoch()
    return sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    per_round = max(1, args.days // args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        sims = {name: simulator(o, cl, Path(tmp) / name) for name, (o, cl) in VARIANTS.items()}
        for sim in sims.values():
            for _ in range(args.warmup):
                sim.live_day()
        seconds = {name: [] for name in sims}
        for _ in range(args.rounds):
            for name, sim in sims.items():
                start = time.perf_counter()
                for _ in range(per_round):
                    sim.live_day()
                seconds[name].append((time.perf_counter() - start) / per_round)
    base = statistics.median(seconds["float32"])
    print(f"threads {torch.get_num_threads()}, {per_round * args.rounds} days per variant, median of {args.rounds}")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{name:8s} {median:.3f} s/day   speed vs float32 {base / median:.2f}x")


if __name__ == "__main__":
    main()
