"""The night schedule: a day of Wake steps, then a night of sleep cycles, each a list of (state, steps) periods.

The plan of one day and night is fixed for a run; each step carries its state, levels and plasticity.
"""
from dataclasses import dataclass

import numpy as np

from neuromod import BrainState, Drive, NeuromodController, Neuromodulators, Plasticity
from sims.config import ScheduleConfig
from records.errors import PadError


@dataclass(frozen=True)
class PlannedStep:
    state: BrainState
    levels: Neuromodulators
    plasticity: Plasticity


class DayPlan:
    def __init__(self, cfg: ScheduleConfig, controller: NeuromodController):
        if cfg.day_steps < 1:
            raise PadError(f"schedule.day_steps={cfg.day_steps}: must be >= 1")
        if cfg.cycles < 0:
            raise PadError(f"schedule.cycles={cfg.cycles}: must be >= 0")
        states = [BrainState.WAKE] * cfg.day_steps
        for i, period in enumerate(cfg.cycle):
            if period.steps < 0:
                raise PadError(f"schedule.cycle[{i}].steps={period.steps}: must be >= 0")
        night = [BrainState(p.state) for p in cfg.cycle for _ in range(p.steps)]
        states += night * cfg.cycles
        self.steps = tuple(PlannedStep(s, controller.levels(s), controller.plasticity_of(s)) for s in states)
        self._check()

    def _check(self) -> None:
        drives = [s.plasticity.drive for s in self.steps]
        if Drive.SENSORY not in drives:
            raise PadError(f"neuromod.wake: levels {self.steps[0].levels} leave no state of the day sensory-driven "
                           "(NA at or above neuromod.na_threshold), so nothing is ever stored")
        if drives[0] != Drive.SENSORY:
            raise PadError(f"neuromod.wake: Wake's levels {self.steps[0].levels} do not make it sensory-driven (NA needed)")

    @property
    def states(self) -> list[BrainState]:
        return [s.state for s in self.steps]

    @property
    def state_names(self) -> list[str]:
        return [s.state.value for s in self.steps]

    @property
    def sensory_steps(self) -> int:
        """Batches of the world seen per day."""
        return sum(s.plasticity.drive == Drive.SENSORY for s in self.steps)

    def host_figures(self) -> dict[str, np.ndarray]:
        """The figures the plan fixes, per step of the day."""
        return {
            "ach": np.array([s.levels.ach for s in self.steps]),
            "na": np.array([s.levels.na for s in self.steps]),
            "generator_sign": np.array([s.plasticity.generator_sign for s in self.steps]),
            "discriminator_gate": np.array([s.plasticity.discriminator_gate for s in self.steps]),
            "discriminator_target": np.array([s.plasticity.discriminator_target for s in self.steps]),
        }
