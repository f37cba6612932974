"""The three phase steps. Each is a Phase (sims.phases.learning): its draws from the brain's random stream, a pure
loss function of the weights, and the structure of its update; `phase_step` makes of it at most one backward pass
and one update per plastic pathway of a lone brain, and a cohort maps the same loss function over its brains.
A step returns a StepResult: its figures as device tensors (0-d; (areas,) for the per-area population statistics of
cortex.population; no host synchronisation), and the episodes it made for the hippocampus (Wake)."""
from neuromod import Drive
from sims.phases.learning import Phase, StepResult, Structure
from sims.phases.nrem import NREM, nrem_step
from sims.phases.rem import REM, rem_step
from sims.phases.wake import WAKE, wake_step

PHASE_OF_DRIVE = {Drive.SENSORY: WAKE, Drive.REPLAY: NREM, Drive.RECOMBINATION: REM}

__all__ = ["NREM", "PHASE_OF_DRIVE", "Phase", "REM", "StepResult", "Structure", "WAKE", "nrem_step", "rem_step",
           "wake_step"]
