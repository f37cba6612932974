"""The loop: days of Wake, nights of sleep cycles, epoch-end evaluation, activity file and checkpoints."""
import signal
import time
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from hippocampus import STRATEGIES, recombine
from neuromod import Drive, NeuromodController
from sims import __version__
from sims.brain import Brain
from sims.checkpoint import load_checkpoint, save_checkpoint
from sims.config import PadConfig
from sims.errors import PadError
from sims.evaluation import evaluate, probe_images
from sims.phases import nrem_step, rem_step, wake_step
from sims.recorder import Recorder
from sims.resume import check_compatible
from sims.schedule import DayPlan
from sims.world import World, load_arrays

PHASES = {Drive.SENSORY: wake_step, Drive.REPLAY: nrem_step, Drive.RECOMBINATION: rem_step}


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise PadError(f"device={name}: no CUDA device on this machine (use device=cpu or device=auto)")
    try:
        return torch.device(name)
    except RuntimeError:
        raise PadError(f"device={name}: not a device (auto, cpu, cuda or cuda:N)") from None


class Simulator:
    def __init__(self, config: DictConfig, run_dir: Path):
        self.config = config  # as composed: written into files, compared on resume
        self.cfg: PadConfig = OmegaConf.to_object(config)  # plain dataclasses: no OmegaConf lookups in the hot loop
        self.run_dir = Path(run_dir)
        cfg = self.cfg
        for key in ("replay", "recombination"):
            if getattr(cfg.hippocampus, key) not in STRATEGIES:
                raise PadError(f"hippocampus.{key}={getattr(cfg.hippocampus, key)}: unknown strategy (one of {sorted(STRATEGIES)})")
        self.device = resolve_device(cfg.device)
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest convolutions once
        self.plan = DayPlan(cfg.schedule, NeuromodController(cfg.neuromod))
        self.world = World(load_arrays(cfg.data), self.device, cfg.optim.batch_size)
        self.days_per_epoch = self.world.batches_per_epoch // self.plan.sensory_steps
        if self.days_per_epoch < 1:
            raise PadError(f"data.train_size: {len(self.world.train_y)} images make no full day of "
                           f"{self.plan.sensory_steps} batches of {cfg.optim.batch_size}")
        day_episodes = self.plan.sensory_steps * cfg.optim.batch_size
        if cfg.hippocampus.capacity < day_episodes:
            raise PadError(f"hippocampus.capacity={cfg.hippocampus.capacity}: cannot hold one day's {day_episodes} episodes")
        self.brain = Brain.build(cfg.cortex, cfg.optim, cfg.hippocampus.capacity, cfg.seed, self.device)
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.seed)
        attrs = {"title": "PAD simulation activity", "Conventions": "CF-1.8", "pad_version": __version__,
                 "config": OmegaConf.to_yaml(config), "data_source": self.world.source, "device": str(self.device)}
        self.recorder = Recorder(self.plan, self.days_per_epoch, self.device, attrs, cfg.scenario_name, cfg.seed)
        self.recorder.set_probes(probe_images(self.world, cfg.eval.probes).cpu().numpy())
        self.epoch, self.day_in_epoch, self.order = 1, 0, None
        self._interrupted = False
        if self.checkpoint_path.exists():
            self._restore(load_checkpoint(self.checkpoint_path))

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / "checkpoints" / "last.pt"

    @property
    def activity_path(self) -> Path:
        return self.run_dir / "activity.nc"

    # --- one day and night ----------------------------------------------------------------------------------------
    def live_day(self) -> None:
        cfg, brain, day_in_epoch = self.cfg, self.brain, self.day_in_epoch
        day = (self.epoch - 1) * self.days_per_epoch + day_in_epoch
        batch = day_in_epoch * self.plan.sensory_steps
        row = day_in_epoch * len(self.plan.steps)
        for k, step in enumerate(self.plan.steps):
            drive = step.plasticity.drive
            if drive == Drive.SENSORY:
                x = self.world.batch(self.order, batch)
                batch += 1
                figures, z = wake_step(brain, x, step.plasticity, cfg.phases.wake, self.generator)
                brain.hippocampus.store(z, day)
            else:
                strategy = cfg.hippocampus.replay if drive == Drive.REPLAY else cfg.hippocampus.recombination
                phase = cfg.phases.nrem if drive == Drive.REPLAY else cfg.phases.rem
                seeds = recombine(brain.hippocampus, strategy, cfg.hippocampus, day, cfg.optim.batch_size,
                                  day_in_epoch == 0, self.generator)
                figures = PHASES[drive](brain, seeds, step.plasticity, phase, self.generator)
            self.recorder.log_step(row + k, figures)

    # --- the run --------------------------------------------------------------------------------------------------
    def run(self) -> Path:
        total = self.cfg.epochs * self.days_per_epoch
        done = (self.epoch - 1) * self.days_per_epoch + self.day_in_epoch
        every = max(1, self.days_per_epoch // 20)
        previous_handler = signal.signal(signal.SIGINT, self._on_interrupt)
        try:
            with tqdm(total=total, initial=min(done, total), unit="day", disable=not self.cfg.progress,
                      dynamic_ncols=True) as bar:
                while self.epoch <= self.cfg.epochs:
                    self._run_epoch(bar, every)
        finally:
            signal.signal(signal.SIGINT, previous_handler)
        return self.run_dir

    def _run_epoch(self, bar: tqdm, every: int) -> None:
        if self.day_in_epoch == 0:
            self.order = self.world.shuffle(self.generator)
            self.recorder.begin_epoch()
        start = time.perf_counter()
        bar.set_description(f"epoch {self.epoch}/{self.cfg.epochs}")
        while self.day_in_epoch < self.days_per_epoch:
            self.live_day()
            self.day_in_epoch += 1
            bar.update(1)
            if self.cfg.progress and (self.day_in_epoch % every == 0 or self.day_in_epoch == self.days_per_epoch):
                rows = self.day_in_epoch * len(self.plan.steps)
                recent = self.recorder.recent(rows, every * len(self.plan.steps))
                bar.set_description(f"epoch {self.epoch}/{self.cfg.epochs} day {self.day_in_epoch}/{self.days_per_epoch}")
                bar.set_postfix({k.removeprefix("loss_"): f"{v:.3f}" for k, v in recent.items()}, refresh=False)
            if self._interrupted:
                self._save()
                raise KeyboardInterrupt(f"interrupted; checkpoint saved in {self.checkpoint_path}")
        self._end_epoch(time.perf_counter() - start)

    def _end_epoch(self, seconds: float) -> None:
        cfg, epoch = self.cfg, self.epoch
        figures = {"epoch_seconds": seconds}
        if cfg.eval.every > 0 and (epoch % cfg.eval.every == 0 or epoch == cfg.epochs):
            figures |= evaluate(self.brain.cortex, self.world, cfg.eval, cfg.hippocampus, cfg.seed, epoch)
            tqdm.write(f"epoch {epoch}: read-out accuracy {figures['readout_accuracy']:.2f}% "
                       f"(exact test images: {figures['readout_accuracy_exact']:.2f}%)")
        self.recorder.end_epoch(epoch, figures)
        if cfg.keep_epoch_cortex:
            save_checkpoint(self.run_dir / "checkpoints" / f"cortex_epoch_{epoch:03d}.pt",
                            {"cortex": self.brain.cortex.state_dict(), "epoch": epoch})
        self.epoch, self.day_in_epoch, self.order = epoch + 1, 0, None
        self._save()

    # --- checkpoints ----------------------------------------------------------------------------------------------
    def _on_interrupt(self, signum, frame) -> None:
        if self._interrupted:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self._interrupted = True

    def _save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.recorder.write(self.activity_path)
        save_checkpoint(self.checkpoint_path, {
            "brain": self.brain.state_dict(),
            "recorder": self.recorder.state_dict(),
            "epoch": self.epoch,
            "day_in_epoch": self.day_in_epoch,
            "order": None if self.order is None else self.order.cpu(),
            "generator": self.generator.get_state(),
            "config": OmegaConf.to_yaml(self.config),
        })

    def _restore(self, state: dict) -> None:
        check_compatible(OmegaConf.create(state["config"]), self.config, self.checkpoint_path)
        self.brain.load_state_dict(state["brain"])
        self.recorder.load_state_dict(state["recorder"])
        self.epoch, self.day_in_epoch = int(state["epoch"]), int(state["day_in_epoch"])
        self.order = None if state["order"] is None else state["order"].to(self.device)
        try:
            self.generator.set_state(state["generator"])
        except RuntimeError:
            raise PadError(f"{self.checkpoint_path}: made on another kind of device than device={self.cfg.device}") from None


def run(cfg: DictConfig, run_dir: Path) -> Path:
    """Run (or resume) the simulation described by `cfg` in `run_dir`; returns the run directory."""
    simulator = Simulator(cfg, run_dir)
    if simulator.epoch > cfg.epochs:
        print(f"{run_dir}: already ran {simulator.epoch - 1} epochs (epochs={cfg.epochs}); nothing to do")
        return simulator.run_dir
    return simulator.run()
