"""The three phases and their registry, PHASES (the drive a step's plasticity has -> its Phase). Each Phase
(sims.life.phases.learning) knows its name (its config, loss weight key and random stream), its draws from the brain's
stream, a pure loss function of the weights, and the structure of its update; `Phase.step` makes of it at most one
backward pass
and one update per plastic pathway of a lone brain, and a cohort maps the same loss function over its brains.
A step returns a StepResult: its figures as device tensors (0-d; (areas,) for the per-area population statistics of
cortex.population; no host synchronisation), and the episodes it made for the hippocampus (Wake)."""
from neuromod import Drive
from sims.life.phases.learning import Phase, StepResult, Structure
from sims.life.phases.nrem import NREM
from sims.life.phases.rem import REM
from sims.life.phases.wake import WAKE

PHASES = {Drive.SENSORY: WAKE, Drive.REPLAY: NREM, Drive.RECOMBINATION: REM}  # the registry: what each drive runs

__all__ = ["NREM", "PHASES", "Phase", "REM", "StepResult", "Structure", "WAKE"]
