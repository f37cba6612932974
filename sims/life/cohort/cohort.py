"""A cohort: brains trained together in one process on one device, each exactly as it would live alone.

Each brain is a Simulator with its own run directory, streams, night planner, hippocampus and recorder; only its
weights and Adam states live in the cohort's Stack while it trains, and are written back into it (`Stack.unstack`)
wherever a lone run would read them: evaluation, checkpoints, the divergence diagnosis. Every day, each brain plans
its own night; at each step index the brains whose steps share a structure are computed together; a brain whose
night has no such step is left untouched. sims.life.driver lives its days (the brains furthest behind
first), checks its health and saves it on a signal, as it does a lone brain's.
"""
from dataclasses import astuple
from contextlib import ExitStack
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from records.errors import Diverged, PadError
from records.lock import run_lock
from sims.life.cohort.stack import Stack
from sims.life.cohort.steps import Pathways, group_step
from sims.life.device import resolve_device
from sims.life.phases import PHASES
from sims.life.identity import flat, shared_by_cohort
from sims.life.evaluation import evaluate_cohort, metric_options
from sims.life.driver import drive
from sims.life.recording import record_cohort
from sims.life.simulator import Simulator
from world import World, load_arrays

def check_shared(configs: list[DictConfig]) -> None:
    """One line naming the first key on which a brain differs from the first brain in what a cohort shares
    (sims.life.identity.shared_by_cohort)."""
    for k, cfg in enumerate(configs):
        if cfg.get("memory_format") == "channels_last":
            raise PadError(f"memory_format=channels_last: brain {k} of the cohort asks for it, but a cohort's stacked "
                           "weights keep their own layout (lone brains only)")
    first = flat(configs[0])
    for k, cfg in enumerate(configs[1:], start=1):
        other = flat(cfg)
        for key in sorted(set(first) | set(other)):  # a list may be longer in one brain than in the other
            if shared_by_cohort(key) and first.get(key) != other.get(key):
                raise PadError(f"{key}={other.get(key)}: brain {k} of the cohort differs from brain 0 "
                               f"({key}={first.get(key)}); a cohort shares one data set, architecture, batch size, "
                               "dtype, autocast and device")


class Cohort:
    def __init__(self, jobs: list[tuple[DictConfig, Path]], vectorize: str = "auto"):
        """jobs: each brain's configuration and run directory. vectorize: vmap (one pass of grouped convolutions),
        loop (brain by brain, one backward pass: faster on a CPU) or auto (vmap on CUDA, loop elsewhere)."""
        if vectorize not in ("auto", "vmap", "loop"):
            raise PadError(f"hydra.launcher.vectorize={vectorize}: not one of auto, vmap, loop")
        configs = [cfg for cfg, _ in jobs]
        check_shared(configs)
        first = OmegaConf.to_object(configs[0])
        device = resolve_device(first.device)
        self.world = world = World(load_arrays(first.data), device, first.optim.batch_size)
        self.members = [Simulator(cfg, run_dir, world) for cfg, run_dir in jobs]
        for member in self.members:
            member.label = f"{member.run_dir.name}: "
        self.stack = Stack([m.brain for m in self.members])
        self.pathways = Pathways(self.stack.template)
        self.vectorized = vectorize == "vmap" or (vectorize == "auto" and device.type == "cuda")
        self.outcomes: list[str | None] = [None] * len(jobs)  # None: lived (or is living) to its end; else why not
        self.saved = "every brain's checkpoint saved"  # where a signal's save went (sims.life.driver)

    # --- one day of the brains furthest behind --------------------------------------------------------------------
    def live_day(self, front: list[int]) -> None:
        """The brains of `front` (at one point of their lives) live a day and its night: at each step index the
        brains whose steps compute alike are computed together; a brain whose night has no step there waits."""
        plans = {i: self.members[i].plan_day() for i in front}
        for k in range(max(len(plans[i].night.steps) for i in front)):
            for (phase, structure, _), group in self._groups(plans, k).items():
                self._step(phase, structure, group, plans, k)
        for i in front:
            self.members[i].day_in_epoch += 1
        due = [i for i in front if self.members[i].recording_due]  # every record.every_days days: the weights now
        for i in due:
            self.stack.unstack(i, self.members[i].brain)
        self._record(due)

    def _record(self, brains: list[int]) -> None:
        """The brains' recorded activity now (their weights unstacked), together where their recombination and the
        sizes of their recordings agree."""
        groups: dict[tuple, list] = {}
        for i in brains:
            member = self.members[i]
            key = astuple(member.cfg.hippocampus), member.recording.images.shape, len(member.recording.units[0])
            groups.setdefault(key, []).append(member)
        for members in groups.values():
            recorded = record_cohort([m.recording for m in members], [m.brain.cortex for m in members],
                                     members[0].cfg.hippocampus, self.vectorized)
            for member, activity in zip(members, recorded):
                member.record_activity(activity)

    def _groups(self, plans: dict, k: int) -> dict[tuple, list]:
        """Step k of every brain that has one, with its inputs (drawn from the brain's own streams), keyed by what it
        computes: its phase, the phase's structure, whether G learns."""
        groups: dict[tuple, list] = {}
        for i, plan in plans.items():
            if k < len(plan.night.steps):
                member, step = self.members[i], plan.night.steps[k]
                phase, cfg = PHASES[step.plasticity.drive], member.phase_config(step)
                key = (phase, phase.structure(step.plasticity, cfg), step.plasticity.generator_plastic)
                groups.setdefault(key, []).append((i, step, member.step_inputs(plan, k, step), cfg))
        return groups

    def _step(self, phase, structure, group: list, plans: dict, k: int) -> None:
        """One step of a group: each brain's own draws, the group's pass and update, each brain's episodes and figures."""
        members = self.members
        draws = [phase.arguments(members[i].brain.cortex, inputs, step.plasticity, cfg,
                                 members[i].streams[PHASES[step.plasticity.drive].name])
                 for i, step, inputs, cfg in group] if structure.loss else []
        results = group_step(self.stack, self.pathways, [i for i, *_ in group], phase, structure,
                             [step.plasticity for _, step, _, _ in group], draws, self.vectorized)
        for (i, step, _, _), result in zip(group, results):
            members[i].after_step(plans[i], k, step, result)

    # --- the life, as sims.life.driver drives it ------------------------------------------------------------------------
    def run(self) -> list[str | None]:
        """Live every brain to its `epochs`; returns per brain None, or its one-line divergence diagnosis."""
        drive(self)
        return self.outcomes

    def end_epoch(self, done: list[int], seconds: dict[int, float]) -> None:
        """Each brain's epoch end as alone, the evaluations due measured together where their options agree."""
        measured = {}
        groups: dict[tuple, list[int]] = {}
        for i in done:
            self.stack.unstack(i, self.members[i].brain)
            if self.members[i].evaluation_due:
                groups.setdefault(tuple(metric_options(self.members[i].cfg.eval).items()), []).append(i)
        self._record([i for i in done if self.members[i].evaluation_due and not self.members[i].recorded_today])
        for group in groups.values():
            members = [self.members[i] for i in group]
            figures = evaluate_cohort([m.brain.cortex for m in members], self.world, members[0].cfg.eval,
                                      [m.cfg.hippocampus for m in members], [m.cfg.seed for m in members],
                                      [m.epoch for m in members], self.vectorized)
            measured |= dict(zip(group, figures))
        for i in done:
            self.members[i].end_epoch(seconds[i], measured.get(i))

    def check_health(self, front: list[int], checked: dict[int, int]) -> None:
        """A brain whose figures, weights or Adam states turned non-finite stops alone, with a lone run's diagnosis."""
        finite = self.stack.finite()
        for i in front:
            member = self.members[i]
            if not finite[i]:
                self.stack.unstack(i, member.brain)  # so that the diagnosis names the tensor
            try:
                member.check_health(checked[i], member.recorder.rows)
            except Diverged as e:
                self.outcomes[i] = str(e)
            checked[i] = member.recorder.rows

    def save(self, brains: list[int]) -> None:
        for i in brains:
            self.stack.unstack(i, self.members[i].brain)
            self.members[i].save()


def run_cohort(jobs: list[tuple[DictConfig, Path]], vectorize: str = "auto") -> list[str | None]:
    """Train the brains of `jobs` (configuration, run directory) as one cohort, resuming each from its checkpoint;
    returns per brain None (it lived to its end) or the one-line diagnosis of its divergence. Every brain's run
    directory is locked (records.lock) while the cohort lives."""
    with ExitStack() as locks:
        for _, run_dir in jobs:
            locks.enter_context(run_lock(run_dir))
        return Cohort(jobs, vectorize).run()
