"""The loop: days of Wake, nights of sleep cycles, epoch-end evaluation, activity file and checkpoints."""
import json
from dataclasses import replace
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import torch
import xarray as xr
from omegaconf import DictConfig, OmegaConf
from torch import Tensor
from tqdm import tqdm

from hippocampus import recall
from neuromod import BrainState, Drive
from sims import __version__
from sims.life.brain import Brain
from sims.life.labels import scenario_label
from records.lock import run_lock
from records.variables import DAYS_PER_EPOCH, FORMAT, PROTOCOL_BLOCKS
from records.checkpoints import load_checkpoint, save_checkpoint
from sims.life.device import resolve_device
from sims.life.config import Autocast, MemoryFormat, PadConfig
from records.errors import Diverged, PadError
from sims.life.evaluation import evaluate, probe_images
from sims.life.driver import drive
from sims.life.phases import PHASES, StepResult
from sims.life.recorder import Recorder
from sims.life.resume import check_compatible
from sims.life.nights import Night, NightPlanner, PlannedStep
from sims.life.streams import Streams
from sims.life.recording import RecordingPlan, Recordings
from sims.life.validation import check_data_fits, class_counts, store_capacity, validate
from world import World, load_arrays


class DayPlan(NamedTuple):
    day: int  # since the run began
    night: Night  # the day's steps and the night's
    row: int  # the recorder's row of the day's first step
    first_batch: int  # the batch of the epoch's order the day's first Wake step takes (step k takes first_batch + k)


class Simulator:
    """One brain's life. The epoch protocol is public: `begin_epoch()`, then `live_day()` until `epoch_done`,
    then `end_epoch()` (evaluation, activity file, checkpoint); `run()` does exactly that until `epochs`."""

    def __init__(self, config: DictConfig, run_dir: Path, world: World | None = None):
        """world: the data already on the device (a cohort shares one); None: load it from the config."""
        self.config = config  # as composed: written into files, compared on resume
        self.cfg: PadConfig = OmegaConf.to_object(config)  # plain dataclasses: no OmegaConf lookups in the hot loop
        self.run_dir = Path(run_dir)
        cfg = self.cfg
        validate(cfg)
        self.device = resolve_device(cfg.device)
        self.dtype = getattr(torch, cfg.dtype.value)
        self.world = world or World(load_arrays(cfg.data), self.device, cfg.optim.batch_size)
        check_data_fits(cfg, len(self.world.train_y), class_counts(self.world.test_y), self.device)
        self.days_per_epoch = self.world.batches_per_epoch // cfg.schedule.day_steps
        self.planner = NightPlanner(cfg, self.days_per_epoch)
        autocast = None if cfg.autocast == Autocast.none else getattr(torch, cfg.autocast.value)
        self.brain = Brain.build(cfg.cortex, cfg.optim, store_capacity(cfg), cfg.seed, self.device, self.dtype, autocast,
                                 torch.channels_last if cfg.memory_format == MemoryFormat.channels_last else
                                 torch.contiguous_format)
        self.streams = Streams(cfg.seed, self.device)
        attrs = {"title": "PAD simulation activity", "Conventions": "CF-1.8", "pad_version": __version__, "pad_format": FORMAT,
                 "config": OmegaConf.to_yaml(config), "data_source": self.world.source, "device": str(self.device),
                 "optimizer_semantics": cfg.optim.idle_parameters.value, "scenario_name": cfg.scenario_name,
                 "data_fingerprint": json.dumps(self.world.fingerprint), DAYS_PER_EPOCH: self.days_per_epoch,
                 PROTOCOL_BLOCKS: json.dumps(self.planner.block_days())}
        self.recording = RecordingPlan.draw(cfg, self.world, self.dtype)
        self.recorder = Recorder(self.days_per_epoch, self.planner.max_steps_per_day(), self.device, attrs,
                                 scenario_label(config), cfg.seed, self.dtype, Recordings(self.recording.coords),
                                 areas=tuple(cfg.cortex.area_shapes()))  # the population statistics' areas, z last
        self._phases: dict[tuple[Drive, float], object] = {}  # (drive, weight) -> that phase's config
        self.recorder.set_probes(probe_images(self.world, cfg.eval.probes).cpu().numpy())
        self.epoch, self.day_in_epoch, self.order = 1, 0, None
        self.label = ""  # printed before its epoch-end lines (a cohort names each brain's run directory)
        if self.checkpoint_path.exists():
            self._restore(load_checkpoint(self.checkpoint_path))

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / "checkpoints" / "last.pt"

    @property
    def activity_path(self) -> Path:
        return self.run_dir / "activity.nc"

    @property
    def epoch_done(self) -> bool:
        return self.day_in_epoch == self.days_per_epoch

    # --- the epoch protocol ---------------------------------------------------------------------------------------
    def begin_epoch(self) -> None:
        """A fresh order of the training set (from the data stream) and an empty step buffer."""
        self.order = self.world.shuffle(self.streams["data"])
        self.recorder.begin_epoch()

    def live_day(self) -> None:
        """Day `day_in_epoch` of the epoch and the night after it (as the protocol plans it); then the next day."""
        plan = self.plan_day()
        for k, step in enumerate(plan.night.steps):
            phase = PHASES[step.plasticity.drive]
            inputs = self.step_inputs(plan, k, step)
            result = phase.step(self.brain, inputs, step.plasticity, self.phase_config(step), self.streams[phase.name])
            self.after_step(plan, k, step, result)
        self.day_in_epoch += 1
        if self.recording_due:
            self.record_activity()

    def plan_day(self) -> "DayPlan":
        """Today's night (drawn from the night stream, once per day) with its rows in the recorder."""
        day = (self.epoch - 1) * self.days_per_epoch + self.day_in_epoch
        night = self.planner.night(day, self.streams["night"])
        return DayPlan(day, night, self.recorder.log_night(day, night), self.day_in_epoch * self.cfg.schedule.day_steps)

    def step_inputs(self, plan: "DayPlan", k: int, step: PlannedStep) -> Tensor:
        """What drives V1 in step k, drawn from this brain's streams: the day's own Wake steps (the night's first
        `day_steps`) live the epoch's order, other sensory steps see random images; replay and recombination recall
        episodes (the hippocampus's draws)."""
        cfg, drive = self.cfg, step.plasticity.drive
        if drive == Drive.SENSORY:
            if not step.daytime:
                return self.world.sample(self.streams["arousal"]).to(self.dtype)
            return self.world.batch(self.order, plan.first_batch + k).to(self.dtype)
        strategy = cfg.hippocampus.replay if drive == Drive.REPLAY else cfg.hippocampus.recombination
        return recall(self.brain.hippocampus, strategy, cfg.hippocampus, plan.day, cfg.optim.batch_size,
                      self.day_in_epoch == 0, self.streams[PHASES[drive].name])

    def after_step(self, plan: "DayPlan", k: int, step: PlannedStep, result: StepResult) -> None:
        """Store the step's episodes (Wake only: not a sleep state a drug made sensory) and log its figures."""
        if result.episodes is not None and step.state == BrainState.WAKE:
            self.brain.hippocampus.store(result.episodes, plan.day)
        self.recorder.log_step(plan.row + k, result.figures)

    def phase_config(self, step: PlannedStep):
        """The phase config of a step's drive (wake, nrem, rem) with the step's loss weight."""
        drive, weight = step.plasticity.drive, step.weight
        if (drive, weight) not in self._phases:
            phase = getattr(self.cfg.phases, PHASES[drive].name)
            self._phases[drive, weight] = phase if phase.weight == weight else replace(phase, weight=weight)
        return self._phases[drive, weight]

    @property
    def evaluation_due(self) -> bool:
        every = self.cfg.eval.every
        return every > 0 and (self.epoch % every == 0 or self.epoch == self.cfg.epochs)

    @property
    def days_lived(self) -> int:
        return (self.epoch - 1) * self.days_per_epoch + self.day_in_epoch

    @property
    def recording_due(self) -> bool:
        """Every `record.every_days` days (recorded activity at evaluated epoch ends comes with the evaluation)."""
        every = self.cfg.record.every_days
        return every is not None and self.days_lived % every == 0

    @property
    def recorded_today(self) -> bool:
        return self.days_lived in self.recorder.recordings.by_day

    def record_activity(self, activity: np.ndarray | None = None) -> None:
        """Record what every area does for the probe memories now (analysis.activity; one host transfer), or keep
        `activity`, recorded with a cohort's (sims.life.recording.record_cohort)."""
        if activity is None:
            activity = self.recording.record(self.brain.cortex, self.cfg.hippocampus)
        self.recorder.recordings.add(self.days_lived, self.epoch, activity)

    def end_epoch(self, seconds: float = float("nan"), measured: dict | None = None) -> None:
        """Evaluation (where due; `measured`: its figures, measured already with a cohort's), the epoch's figures
        into the activity file, the cortex's weights, the checkpoint."""
        cfg, epoch = self.cfg, self.epoch
        figures = {"epoch_seconds": seconds} | self.planner.sleep_figures()
        if self.evaluation_due:
            if measured is None:
                measured = evaluate(self.brain.cortex, self.world, cfg.eval, cfg.hippocampus, cfg.seed, epoch)
            figures |= measured
            if not self.recorded_today:
                self.record_activity()
            tqdm.write(f"{self.label}epoch {epoch}: read-out accuracy {figures['readout_accuracy']:.2f}% "
                       f"(exact test images: {figures['readout_accuracy_exact']:.2f}%)")
        self.recorder.end_epoch(epoch, figures)
        if cfg.keep_epoch_cortex:
            save_checkpoint(self.run_dir / "checkpoints" / f"cortex_epoch_{epoch:03d}.pt",
                            {"cortex": self.brain.cortex.state_dict(), "epoch": epoch,
                             "run_id": self.recorder.attrs["run_id"]})  # the brain's identity (the run dir's hash)
        self.epoch, self.day_in_epoch, self.order = epoch + 1, 0, None
        self.save()

    # --- the run --------------------------------------------------------------------------------------------------
    def run(self) -> Path:
        """Live to `epochs` (sims.life.driver), resuming where the checkpoint left off; Diverged if the brain diverges."""
        drive(Lone(self))
        return self.run_dir

    def check_health(self, start: int, stop: int) -> None:
        """Raise Diverged if a figure logged in rows [start, stop) of this epoch, or any weight or Adam state, is not
        finite; the activity file then shows the epoch up to the end of the first bad day, and the last checkpoint
        (the last good one: an epoch end or a Ctrl-C) is kept."""
        bad = self.recorder.first_nonfinite(start, stop)
        if bad is not None:
            row, name, value = bad
            state, day = self.recorder.row_state(row)
            what = f"{state} {name}={value}"
        elif (tensor := self.brain.first_nonfinite()) is not None:
            state, day = self.recorder.row_state(stop - 1)
            what = f"{tensor} not finite"
        else:
            return
        day_in_epoch = day - (self.epoch - 1) * self.days_per_epoch
        kept = (f"the last good checkpoint, {self.checkpoint_path}, is kept" if self.checkpoint_path.exists()
                else "no checkpoint had been written")
        diagnosis = f"diverged on day {day} (epoch {self.epoch}, day {day_in_epoch} of it): {what}; {kept}"
        self.recorder.mark_diverged(day, diagnosis)
        self.recorder.write(self.activity_path)
        raise Diverged(diagnosis)

    # --- checkpoints ----------------------------------------------------------------------------------------------
    def save(self) -> None:
        """The activity file and the checkpoint of where the brain is now (an epoch end, or a day of an interrupted run)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.recorder.write(self.activity_path)
        save_checkpoint(self.checkpoint_path, {
            "brain": self.brain.state_dict(),
            "recorder": self.recorder.state_dict(),
            "epoch": self.epoch,
            "day_in_epoch": self.day_in_epoch,
            "order": None if self.order is None else self.order.cpu(),
            "streams": self.streams.state_dict(),
            "planner": self.planner.state_dict(),
            "config": OmegaConf.to_yaml(self.config),
        })

    def _restore(self, state: dict) -> None:
        check_compatible(OmegaConf.create(state["config"]), self.config, self.checkpoint_path)
        self.brain.load_state_dict(state["brain"])
        self.recorder.load_state_dict(state["recorder"])
        self.planner.load_state_dict(state["planner"])
        self.epoch, self.day_in_epoch = int(state["epoch"]), int(state["day_in_epoch"])
        self.order = None if state["order"] is None else state["order"].to(self.device)
        try:
            self.streams.load_state_dict(state["streams"])
        except RuntimeError:
            raise PadError(f"{self.checkpoint_path}: made on another kind of device than device={self.cfg.device}") from None


class Lone:
    """A lone brain as sims.life.driver sees it: a life of one brain whose days, checks and saves are its own."""

    def __init__(self, simulator: Simulator):
        self.members, self.outcomes = [simulator], [None]
        self.saved = f"checkpoint saved in {simulator.checkpoint_path}"

    def live_day(self, front: list[int]) -> None:
        self.members[0].live_day()

    def end_epoch(self, done: list[int], seconds: dict[int, float]) -> None:
        self.members[0].end_epoch(seconds[0])

    def check_health(self, front: list[int], checked: dict[int, int]) -> None:
        member = self.members[0]
        member.check_health(checked[0], member.recorder.rows)  # raises Diverged
        checked[0] = member.recorder.rows

    def save(self, brains: list[int]) -> None:
        self.members[0].save()


def rebuild_activity(cfg: DictConfig, run_dir: Path) -> bool:
    """A finished run whose activity file is missing or unreadable gets it back from its checkpoint (which holds all
    that the file holds); True if it had to."""
    path = Path(run_dir) / "activity.nc"
    try:
        with xr.open_dataset(path) as ds:
            ds.load()
        return False
    except (OSError, ValueError):
        pass
    simulator = Simulator(cfg, run_dir)
    simulator.recorder.write(path)
    return True


def run(cfg: DictConfig, run_dir: Path, finished: Callable[[int], None] | None = None) -> Path:
    """Run (or resume) the simulation described by `cfg` in `run_dir`, holding its lock (records.lock: a PadError if
    another process lives there); returns the run directory. A brain that had already lived its `epochs` lives
    nothing, and `finished` (the job's say: sims.jobs.outcomes.already_ran) hears the epochs it had lived."""
    with run_lock(run_dir):
        simulator = Simulator(cfg, run_dir)
        if simulator.epoch > cfg.epochs and finished is not None:
            finished(simulator.epoch - 1)
        return simulator.run()
