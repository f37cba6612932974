"""The night planner: which steps a given day and night hold, under the run's protocol.

Without a protocol every day is the scenario's (its schedule, levels and phase weights). A protocol's blocks change,
for the days they cover, the night's cycle, the levels and the phase weights, and can keep each period with a
probability (REM deprivation on a flower pot keeps ~57% of REM), cut the night from its REM-rich end (restriction),
lengthen it by repeating its cycle (rebound), or break it with arousals (Wake steps that see the world). A night
length that is not a whole number of steps is rounded up with the probability of its fraction (0.75 of a 2-step
night: 2 steps on half the nights, 1 on the others), so a dose acts on average. Drugs change levels night by night
(neuromod.drugs). With the homeostat on, S sets each night's NREM and REM steps and NREM's intensity before the
block's cuts, and lives what the night really held. A block may sleep hypnograms instead of a cycle
(sims/life/hypnograms.py: recorded or generated nights mapped to steps in order, their wake after sleep onset as arousal
Wake steps, N3 steps weighted by `n3_weight`); the homeostat plans no such night (validation refuses the pair).

A sleep state whose levels make it sensory-driven (REM under an SSRI) sees random training images, as arousals do,
and learns as Wake does, but only Wake steps store episodes. Every draw comes from the brain's `night` stream, and
only where a block asks for one, so a protocol whose manipulation block changes nothing lives exactly the control's
nights.
"""
import math
from dataclasses import dataclass

import torch

from neuromod import BrainState, NeuromodController, Neuromodulators, Plasticity
from neuromod.drugs import DRUGS, apply, effect
from sims.life.config import Block, BlockUnit, PadConfig
from sims.life.homeostat import Homeostat
from sims.life.hypnograms import load_nights, lived, max_steps, runs
from sims.life.phases import PHASES


@dataclass(frozen=True)
class PlannedStep:
    state: BrainState
    levels: Neuromodulators
    plasticity: Plasticity
    weight: float  # the loss weight of the phase the step's drive selects (W, N or R)
    daytime: bool  # one of the day's Wake steps, which live the epoch's batches in order (not an arousal)


@dataclass(frozen=True)
class Night:
    steps: tuple[PlannedStep, ...]  # the day's Wake steps, then the night
    block: str  # the protocol block the day lies in ("" outside every block)
    planned: int  # sleep steps the night would hold without the block's cuts and arousals
    arousals: int  # Wake steps in the night: the block's arousals and a hypnogram's wake after sleep onset


class NightPlanner:
    def __init__(self, cfg: PadConfig, days_per_epoch: int):
        self.cfg, self.days_per_epoch = cfg, days_per_epoch
        self.controller = NeuromodController(cfg.neuromod)
        self._plasticity: dict[Neuromodulators, Plasticity] = {}
        self.homeostat = Homeostat(cfg.homeostat) if cfg.homeostat.enabled else None
        self.hypnograms = {b.name: load_nights(b.hypnogram) for b in cfg.protocol.blocks if b.hypnogram is not None}

    def state_dict(self) -> dict:
        return {"homeostat": None if self.homeostat is None else self.homeostat.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if self.homeostat is not None:
            self.homeostat.load_state_dict(state["homeostat"])

    def sleep_figures(self) -> dict[str, float]:
        """The homeostat's REM debt and pressure S now (NaN without a homeostat)."""
        if self.homeostat is None:
            return {"rem_debt": math.nan, "sleep_pressure": math.nan}
        return {"rem_debt": float(self.homeostat.rem_debt), "sleep_pressure": float(self.homeostat.s)}

    # --- blocks ------------------------------------------------------------------------------------------------
    def position(self, day: int) -> int:
        """Where `day` lies in the protocol's unit: its epoch (1-based) or the day itself."""
        return day // self.days_per_epoch + 1 if self.cfg.protocol.unit == BlockUnit.epoch else day

    def block(self, day: int) -> Block | None:
        at = self.position(day)
        for block in self.cfg.protocol.blocks:
            if block.start <= at and (block.stop is None or at < block.stop):
                return block
        return None

    def days_of(self, block: Block) -> tuple[int, float]:
        """The days [first, stop) a block covers (stop may be infinite)."""
        if self.cfg.protocol.unit == BlockUnit.day:
            return block.start, math.inf if block.stop is None else block.stop
        stop = math.inf if block.stop is None else (block.stop - 1) * self.days_per_epoch
        return (block.start - 1) * self.days_per_epoch, stop

    def block_days(self) -> list[dict]:
        """The protocol's blocks as day ranges, in the config's order, as activity files carry them
        (records.variables.PROTOCOL_BLOCKS): stop_day None for a block that lasts to the run's end."""
        return [{"name": b.name, "first_day": int(first), "stop_day": None if math.isinf(stop) else int(stop)}
                for b in self.cfg.protocol.blocks for first, stop in [self.days_of(b)]]

    def drug_history(self, blocks: list[str], day: int) -> tuple[int | None, int | None]:
        """(nights of treatment up to and including `day` if it is taken today else None, nights since the last
        treated night before `day` if it is not taken today else None); None, None: never taken."""
        ranges = [self.days_of(b) for b in self.cfg.protocol.blocks if b.name in blocks]
        taken = sum(max(0, min(stop, day + 1) - first) for first, stop in ranges)
        if any(first <= day < stop for first, stop in ranges):
            return int(taken), None
        before = [min(stop, day) - 1 for first, stop in ranges if first < day]
        return None, (day - int(max(before)) if before else None)

    def cycle_of(self, block: Block | None) -> tuple[list, int]:
        """The night's cycle and its repetitions in a block (or outside every block): the block's, else the schedule's."""
        schedule = self.cfg.schedule
        cycle = block.cycle if block is not None and block.cycle is not None else schedule.cycle
        return cycle, block.cycles if block is not None and block.cycles is not None else schedule.cycles

    # --- one day and night -------------------------------------------------------------------------------------
    def night(self, day: int, generator: torch.Generator) -> Night:
        """Day `day` and its night. Call once per day, in order: the homeostat lives them."""
        cfg, block = self.cfg, self.block(day)
        cycle, cycles = self.cycle_of(block)
        periods = [(BrainState(p.state), p.steps, 1.0) for p in cycle] * cycles  # (state, steps, NREM weight factor)
        intensity, plan = 1.0, None
        recorded = block is not None and block.hypnogram is not None  # the homeostat plans no recorded night
        if recorded:
            periods = self._hypnogram(block, day, generator)
        elif self.homeostat is not None and (block is None or block.cycle is None):
            self.homeostat.wake()
            plan = self.homeostat.plan_night()
            periods = [(BrainState.NREM, plan.nrem_steps, 1.0), (BrainState.REM, plan.rem_steps, 1.0)]
            intensity = plan.nrem_intensity
        planned = sum(n for state, n, _ in periods if not (recorded and state == BrainState.WAKE))
        states = self._lived(periods, block, generator)  # (state, NREM weight factor) per step
        waso = sum(s == BrainState.WAKE for s, _ in states) if recorded else 0  # a hypnogram's wake after sleep onset
        arousals = block.arousals if block is not None else 0
        if plan is not None:  # steps planned but not slept (cut, deprived) and arousals are hours awake
            nrem, rem = (sum(s == state for s, _ in states) for state in (BrainState.NREM, BrainState.REM))
            self.homeostat.slept(nrem, rem, wake_steps=max(0, planned - nrem - rem) + arousals, rem_owed=plan.rem_owed)
        if arousals:  # the places are drawn either way, so that both placements leave the night stream alike
            where = torch.randint(0, len(states) + 1, (arousals,), generator=generator, device=generator.device)
            if block.arousals_at == "night_end":
                where = torch.full_like(where, len(states))
            for position in sorted(where.tolist(), reverse=True):
                states.insert(position, (BrainState.WAKE, 1.0))
        drugs = [(DRUGS[d.name], effect(DRUGS[d.name], d.dose, *self.drug_history(d.blocks, day)))
                 for d in cfg.protocol.drugs]
        steps = [self._step(BrainState.WAKE, block, drugs, 1.0, daytime=True)] * cfg.schedule.day_steps
        steps += [self._step(s, block, drugs, intensity * factor, daytime=False) for s, factor in states]
        return Night(tuple(steps), block.name if block is not None else "", planned, arousals + waso)

    def _hypnogram(self, block: Block, day: int, generator) -> list[tuple[BrainState, int, float]]:
        """Night k of the block lives its hypnogram's night k mod n, mapped to steps (sims/life/hypnograms.py)."""
        nights = self.hypnograms[block.name]
        k = day - int(self.days_of(block)[0])
        rand = lambda n: torch.rand(n, generator=generator, device=generator.device).tolist()
        steps = lived(runs(nights[k % len(nights)], block.hypnogram.n1), block.hypnogram.minutes_per_step, rand)
        return [(r.state, r.epochs, block.hypnogram.n3_weight if r.n3 else 1.0) for r in steps]

    def _lived(self, periods: list[tuple[BrainState, int, float]], block: Block | None,
               generator) -> list[tuple[BrainState, float]]:
        """The night's sleep states: kept periods, then cut (from the end) or lengthened (repeating the cycle)."""
        if block is not None and block.keep:
            draws = torch.rand(len(periods), generator=generator, device=generator.device).tolist()
            periods = [p for p, u in zip(periods, draws) if u < block.keep.get(p[0].value, 1.0)]
        states = [(s, factor) for s, n, factor in periods for _ in range(n)]
        fraction = block.night_fraction if block is not None else 1.0
        if fraction != 1.0:  # a fractional length is rounded up with the probability of its fraction
            exact = fraction * len(states)
            length = math.floor(exact)
            if exact > length:
                length += int(torch.rand(1, generator=generator, device=generator.device).item() < exact - length)
            base = states or [(BrainState.NREM, 1.0)]
            states = (base * math.ceil(length / len(base)))[:length] if length > len(states) else states[:length]
        return states

    def _step(self, state: BrainState, block: Block | None, drugs: list, nrem_intensity: float,
              daytime: bool) -> PlannedStep:
        levels = self.controller.levels(state)
        if block is not None and state.value in block.levels:
            override = block.levels[state.value]
            levels = Neuromodulators(ach=float(override.ach), na=float(override.na))
        for drug, strength in drugs:  # tonight's signed fraction of each drug's full effect
            levels = apply(drug, levels, state, strength)
        if levels not in self._plasticity:
            self._plasticity[levels] = self.controller.plasticity(levels)
        plasticity = self._plasticity[levels]
        phase = PHASES[plasticity.drive].name
        weight = getattr(self.cfg.phases, phase).weight
        if block is not None and phase in block.weights:
            weight = float(block.weights[phase])
        if phase == "nrem":
            weight *= nrem_intensity  # the homeostat's slow-wave intensity (1 without it, and at baseline)
        return PlannedStep(state, levels, plasticity, weight, daytime)

    def max_steps_per_day(self) -> int:
        """An upper bound of the steps of any day (the recorder's buffer is sized with it)."""
        cfg = self.cfg
        bound = 0
        for block in [None, *cfg.protocol.blocks]:
            cycle, cycles = self.cycle_of(block)
            length = sum(p.steps for p in cycle) * cycles
            if block is not None and block.hypnogram is not None:
                length = max_steps(self.hypnograms[block.name], block.hypnogram)
            if cfg.homeostat.enabled and (block is None or block.cycle is None):
                length = max(length, cfg.homeostat.max_night_steps)
            fraction = block.night_fraction if block is not None else 1.0
            night = max(length, math.ceil(fraction * max(length, 1)))
            bound = max(bound, night + (block.arousals if block is not None else 0))
        return cfg.schedule.day_steps + bound
