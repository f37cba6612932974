"""Benchmark: what recorded activity costs an epoch of the published protocol.

One brain of the default configuration (published cortex, batch 64, day = 1 Wake step, night = NREM 1 + REM 1) on
the `shapes` images held on the device. Measured in one run, alternating: blocks of `--days` days (`live_day`), and
the epoch-end recording (`record_activity`: 50 class-balanced probes, 128 units per area, five areas, both
pathways, three states, then one copy to the host). An epoch is 781 days (CIFAR-10), so

    epoch with recording / epoch without = (781 x day + recording) / (781 x day)

is printed with the medians it comes from. Per-step population statistics are part of every step, so they are in
the day's time on both sides; the recording is what `record.*` adds at each evaluated epoch end (and every
`record.every_days` days, when set: each such recording costs the same).

Run (from the repository root):
    PYTHONPATH=. .venv/bin/python benchmarks/bench_recording.py                  # CPU
    PYTHONPATH=. .venv/bin/python benchmarks/bench_recording.py --device cuda --days 100
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sims.jobs.registry import compose_config  # noqa: E402
from sims.life.simulator import Simulator  # noqa: E402

CIFAR10_DAYS = 781


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--days", type=int, default=10, help="days per timed block")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    config = compose_config(["data=shapes", f"device={args.device}", "progress=false", "epochs=1000"])
    with tempfile.TemporaryDirectory() as run_dir:
        sim = Simulator(config, Path(run_dir))
        sim.begin_epoch()
        sim.live_day()
        sim.record_activity()  # warm-up of both
        days, recordings = [], []
        for _ in range(args.rounds):
            synchronize(sim.device)
            start = time.perf_counter()
            for _ in range(args.days):
                if sim.epoch_done:
                    sim.day_in_epoch = 0
                    sim.begin_epoch()
                sim.live_day()
            synchronize(sim.device)
            days.append((time.perf_counter() - start) / args.days)
            start = time.perf_counter()
            sim.record_activity()  # ends with a copy to the host: synchronised
            recordings.append(time.perf_counter() - start)
    day, recording = statistics.median(days), statistics.median(recordings)
    epoch = CIFAR10_DAYS * day
    print(f"device {sim.device}, threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.2f}")
    print(f"day (Wake + NREM + REM step): {day * 1e3:.1f} ms (median of {args.rounds} blocks of {args.days})")
    print(f"recording (50 probes x 5 areas x 128 units, 3 states, 2 pathways): {recording * 1e3:.1f} ms")
    print(f"epoch of {CIFAR10_DAYS} days: {epoch:.1f} s without recording, {epoch + recording:.1f} s with: "
          f"ratio {(epoch + recording) / epoch:.4f}")


if __name__ == "__main__":
    main()
