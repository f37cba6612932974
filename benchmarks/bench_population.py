"""Benchmark: what the per-step population statistics (cortex.population) cost a day.

One brain (the published cortex and batch 64, or with --tiny the tests' cortex of channels [3, 8, 16, 32], latent 32,
batch 16), scenario pad (day = 1 Wake step, night = NREM 1 + REM 1), `shapes` images on the device. Measured in one
run, alternating blocks of `--days` days with the statistics and without them (the phases' `population_statistics`
replaced by a function returning nothing, so the step logs its other figures only); printed: the median seconds per
day of each and their ratio, with / without.

Run (from the repository root):
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_population.py --tiny --days 100
    PYTHONPATH=. .venv/bin/python benchmarks/bench_population.py --device cuda --days 200
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex.population import population_statistics  # noqa: E402
from sims.life.phases import nrem, rem, wake  # noqa: E402
from sims.jobs.registry import compose_config  # noqa: E402
from sims.life.simulator import Simulator  # noqa: E402

TINY = ["cortex.channels=[3,8,16,32]", "cortex.latent_dim=32", "optim.batch_size=16", "record.units_per_area=16"]


def switch(on: bool) -> None:
    for module in (wake, nrem, rem):
        module.population_statistics = population_statistics if on else (lambda activities: {})


def block(sim: Simulator, days: int) -> float:
    """Seconds per day of `days` days (a fresh epoch's buffer whenever the epoch is full)."""
    if sim.device.type == "cuda":
        torch.cuda.synchronize(sim.device)
    start = time.perf_counter()
    for _ in range(days):
        if sim.epoch_done or sim.order is None:
            sim.day_in_epoch = 0
            sim.begin_epoch()
        sim.live_day()
    if sim.device.type == "cuda":
        torch.cuda.synchronize(sim.device)
    return (time.perf_counter() - start) / days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--days", type=int, default=50, help="days per timed block")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny cortex and batch of 16")
    args = parser.parse_args()
    overrides = ["data=shapes", f"device={args.device}", "progress=false", "epochs=1000", "eval.every=0"]
    config = compose_config(overrides + (TINY if args.tiny else []))
    with tempfile.TemporaryDirectory() as run_dir:
        sim = Simulator(config, Path(run_dir))
        times = {True: [], False: []}
        for on in (True, False):  # warm-up
            switch(on)
            block(sim, 2)
        for _ in range(args.rounds):
            for on in (True, False):
                switch(on)
                times[on].append(block(sim, args.days))
        switch(True)
    with_, without = statistics.median(times[True]), statistics.median(times[False])
    print(f"{'tiny' if args.tiny else 'published'} cortex on {args.device} ({torch.get_num_threads()} threads), "
          f"{args.rounds} rounds of {args.days} days: with statistics {1e3 * with_:.2f} ms/day, without "
          f"{1e3 * without:.2f} ms/day, ratio {with_ / without:.3f}")


if __name__ == "__main__":
    main()
