"""Benchmark: one simulated day and night, the simulator against a naive loop in the reference code's style.

What is compared (one "day" = one Wake step, one NREM step, one REM step on a batch of 64):

  simulator  `Simulator.live_day()` of the default `pad` scenario: one backward pass per phase, the NREM occlusion
             mask built on the device from a few tensor operations, G's REM gradient negated in place, and every
             figure kept on the device (no host synchronisation inside a day).
  naive      the same mathematics written the way the authors' reference code (github NicoZenith/PAD, main_PAD.py)
             writes it: three Wake backward passes (real/fake loss and KL with retain_graph, then reconstruction)
             before the optimizer steps; the NREM mask built by a Python loop over the grid of occlusion squares,
             one np.random.rand() < p per square and one mask[:, i:i+s, j:j+s] = 0 per dropped square (the
             reference wrote each channel's square separately, three writes instead of one); REM through a
             gradient-reversal layer on G's output; zero_grad() between phases; the discriminator outputs copied to
             the host with .cpu() and every loss fetched with .item() every day (host synchronisations), as the
             reference logs them. Like the reference's netD, one forward pass of E computes both of its heads.

Both sides use cortex.Cortex networks of the configured shape, initialised from the same seed, two Adam optimizers
(E and G) with lr 2e-4 and betas (0.5, 0.999), batch 64, and the paper's weights and REM mixture. By default both
draw their batches from the same uint8 `shapes` images (10000 of 3x32x32) held on the device, so data loading is not
what is measured; `--naive-data dataloader` makes the naive side read a torch DataLoader over a CPU TensorDataset
instead, as the reference did (then the copy to the device is measured too; the reference's per-image PIL
transforms are still not).

How it is timed: both sides are warmed up, then each lives `--days` days in all, in `--rounds` blocks of consecutive
days (the epoch wraps with a fresh shuffle when the 10000 images are used up), the device being synchronised only at
the end of a block. The blocks of the two sides alternate; the median over blocks of each side's seconds per day is
reported, with the ratio naive / simulator and the projected time of one CIFAR-10 epoch (781 days). A day costs about
0.4 s on two idle CPU cores, so the CPU defaults (60 days per side, 5 blocks of 12) take about a minute; on a loaded
machine the figures are slower and noisier (the 1-minute load average is printed with them).

Run (from the repository root):
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py                 # CPU, and CUDA when available
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py --device cuda --days 781
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py --device cpu --days 30 --threads 2
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
from torch import nn

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cortex import Cortex  # noqa: E402
from sims.registry import compose_config  # noqa: E402
from sims.simulator import Simulator  # noqa: E402
from cortex import to_activity  # noqa: E402

CIFAR10_DAYS = 781  # 50000 training images // batch 64 (drop_last), one Wake batch per day
DEFAULT_DAYS = {"cpu": 60, "cuda": CIFAR10_DAYS}
DEFAULT_WARMUP = {"cpu": 3, "cuda": 30}


# --- the naive side: the reference's style ------------------------------------------------------------------------
class GradReverse(torch.autograd.Function):
    """Identity forward, negated gradient backward (the reference's plasticity switch on G's output)."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * -1


def kl_loss(latent_output):
    m = torch.mean(latent_output, dim=0)
    s = torch.std(latent_output, dim=0)
    return torch.mean((s**2 + m**2) / 2 - torch.log(s) - 1 / 2)


class NaiveDay:
    """One day and night per call, written like main_PAD.py's loop body, on the simulator's networks."""

    def __init__(self, cfg, train_x: torch.Tensor, device: torch.device, naive_data: str):
        with torch.random.fork_rng(devices=[]):  # the simulator's initial weights (Brain.build)
            torch.manual_seed(cfg.seed)
            self.cortex = Cortex(cfg.cortex).to(device)
        adam = lambda params: torch.optim.Adam(params, lr=cfg.optim.lr, betas=(cfg.optim.beta1, cfg.optim.beta2))
        self.optimizerD = adam(self.cortex.encoder_parameters())
        self.optimizerG = adam(self.cortex.generator_parameters())
        self.dis_criterion, self.rec_criterion = nn.BCELoss(), nn.MSELoss()
        self.batch_size, self.nz, self.device = cfg.optim.batch_size, cfg.cortex.latent_dim, device
        self.W, self.N, self.R = cfg.phases.wake.weight, cfg.phases.nrem.weight, cfg.phases.rem.weight
        self.max_tile = cfg.phases.nrem.max_square
        self.dis_label = torch.zeros(self.batch_size, dtype=torch.float32, device=device)
        self.batches = self._device_batches(train_x) if naive_data == "device" else self._loader_batches(train_x)
        self.old_latent_output, self.losses = None, []

    def _device_batches(self, train_x):
        """(first day of the epoch?, batch) forever, from the uint8 images on the device."""
        days = len(train_x) // self.batch_size
        while True:
            order = torch.randperm(len(train_x), device=train_x.device)
            for i in range(days):
                yield i == 0, to_activity(train_x[order[i * self.batch_size : (i + 1) * self.batch_size]])

    def _loader_batches(self, train_x):
        """The same, through a DataLoader over a CPU TensorDataset (shuffle, drop_last), copied to the device."""
        dataset = torch.utils.data.TensorDataset(train_x.cpu())
        loader = torch.utils.data.DataLoader(dataset, batch_size=self.batch_size, shuffle=True, drop_last=True)
        while True:
            for i, (images,) in enumerate(loader):
                yield i == 0, images.to(self.device).float() / 127.5 - 1.0

    def netD(self, image):
        """E: (latent code, discriminator output in (0, 1)), both heads every call, as the reference's netD."""
        top = self.cortex.trunk(image)[-1]
        return self.cortex.latent(top), torch.sigmoid(self.cortex.discriminate(top))

    def netG(self, latent, reverse):
        output = self.cortex.generate(latent)
        return GradReverse.apply(output) if reverse else output

    def occlude(self, imgs, drop_rate, tile_size):
        """The reference's Occlude: a Python loop over the squares, one mask shared by the batch."""
        mask = torch.ones(imgs.shape[1:], device=imgs.device)
        i = 0
        while i < imgs.size(2):
            j = 0
            while j < imgs.size(3):
                if np.random.rand() < drop_rate:
                    mask[:, i : i + tile_size, j : j + tile_size] = 0
                j += tile_size
            i += tile_size
        return imgs * mask

    def wake(self, real_image):
        self.optimizerD.zero_grad()
        self.optimizerG.zero_grad()
        latent_output, dis_output = self.netD(real_image)
        self.dis_label[:] = 1.0
        dis_errD_real = self.dis_criterion(dis_output, self.dis_label)
        dis_errD_real.backward(retain_graph=True)
        kl = kl_loss(latent_output)
        kl.backward(retain_graph=True)
        rec_real = self.rec_criterion(self.netG(latent_output, reverse=False), real_image)
        (self.W * rec_real).backward()
        self.optimizerD.step()
        self.optimizerG.step()
        D_x = dis_output.cpu().mean()  # host synchronisation, as in the reference
        return latent_output, (dis_errD_real, kl, rec_real), D_x

    def nrem(self, latent_output):
        self.optimizerD.zero_grad()
        with torch.no_grad():
            nrem_image = self.netG(latent_output.detach(), reverse=False)
            occluded = self.occlude(nrem_image, random.random(), random.randint(1, self.max_tile))
        latent_recons_dream, _ = self.netD(occluded)
        rec_fake = self.rec_criterion(latent_recons_dream, latent_output.detach())
        (self.N * rec_fake).backward()
        self.optimizerD.step()
        return rec_fake

    def rem(self, latent_output, first_day):
        self.optimizerD.zero_grad()
        self.optimizerG.zero_grad()
        noise = torch.randn(self.batch_size, self.nz, device=self.device)
        if first_day:
            latent_z = 0.5 * latent_output.detach() + 0.5 * noise
        else:
            latent_z = 0.25 * latent_output.detach() + 0.25 * self.old_latent_output + 0.5 * noise
        _, dis_output = self.netD(self.netG(latent_z, reverse=True))  # gradient reversal: G ascends the loss
        self.dis_label[:] = 0.0
        dis_errD_fake = self.dis_criterion(dis_output, self.dis_label)
        (self.R * dis_errD_fake).backward(retain_graph=True)
        self.optimizerD.step()
        self.optimizerG.step()
        D_G_z1 = dis_output.cpu().mean()  # host synchronisation, as in the reference
        self.old_latent_output = latent_output.detach()
        return dis_errD_fake, D_G_z1

    def __call__(self) -> None:
        first_day, real_image = next(self.batches)
        latent_output, (real, kl, rec_real), D_x = self.wake(real_image)
        rec_fake = self.nrem(latent_output)
        fake, D_G_z1 = self.rem(latent_output, first_day)
        self.losses.append([real.item(), kl.item(), rec_real.item(), rec_fake.item(), fake.item(),
                            D_x.item(), D_G_z1.item()])
        if first_day:
            self.losses = self.losses[-1:]  # the reference keeps one epoch's list


# --- the simulator side -------------------------------------------------------------------------------------------
def simulator_day(sim: Simulator):
    """A callable living one day of `sim` per call, starting epochs (shuffle, recorder buffer) as Simulator.run does."""

    def begin_epoch() -> None:
        sim.order = sim.world.shuffle(sim.generator)
        sim.recorder.begin_epoch()

    def day() -> None:
        sim.live_day()
        sim.day_in_epoch += 1
        if sim.day_in_epoch == sim.days_per_epoch:  # epoch end, without evaluation or checkpoint
            sim.epoch, sim.day_in_epoch = sim.epoch + 1, 0
            begin_epoch()

    begin_epoch()
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


def bench_device(name: str, block: int, warmup: int, rounds: int, naive_data: str) -> dict:
    """Per side, the seconds per day of `rounds` alternating timed blocks of `block` days each."""
    overrides = ["data=shapes", "progress=false", "eval.every=0", "keep_epoch_cortex=false", f"device={name}"]
    cfg = compose_config(overrides)
    with tempfile.TemporaryDirectory(prefix="bench_step_") as run_dir:
        sim = Simulator(cfg, Path(run_dir))
        sides = {"simulator": simulator_day(sim), "naive": NaiveDay(cfg, sim.world.train_x, sim.device, naive_data)}
        for live_one_day in sides.values():
            seconds_per_day(live_one_day, warmup, sim.device)
        times = {side: [] for side in sides}
        for r in range(rounds):  # alternate which side goes first
            for side in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
                times[side].append(seconds_per_day(sides[side], block, sim.device))
    return {"device": sim.device, "block": block, "times": times}


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
    for side, t in result["times"].items():
        blocks = ", ".join(f"{x:.4g}" for x in t)
        print(f"  {side:<9} {median[side]:9.4g} s/day   (blocks: {blocks} s/day)")
    print(f"  ratio naive / simulator: {median['naive'] / median['simulator']:.2f}x")
    print(f"  projected {CIFAR10_DAYS}-day CIFAR-10 epoch (training only): "
          f"simulator {CIFAR10_DAYS * median['simulator']:.1f} s, naive {CIFAR10_DAYS * median['naive']:.1f} s")


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
    print("PAD day-and-night step: Simulator.live_day() (scenario pad) vs a naive loop in main_PAD.py's style")
    print(f"torch {torch.__version__}; batch 64; data: `shapes`, 10000 uint8 images 3x32x32 on the device")
    if args.naive_data == "device":
        print("naive data: the simulator's own on-device uint8 tensor (data loading is not measured on either side)")
    else:
        print("naive data: torch DataLoader over a CPU TensorDataset, copied to the device "
              "(measured on the naive side only)")
    for name in devices_to_run(args.device):
        block = math.ceil((args.days or DEFAULT_DAYS[name]) / args.rounds)
        warmup = DEFAULT_WARMUP[name] if args.warmup is None else args.warmup
        report(bench_device(name, block, warmup, args.rounds, args.naive_data), args.rounds)


if __name__ == "__main__":
    main()
