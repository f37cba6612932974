"""The three phase steps. Each is a function of (brain, inputs, plasticity, phase config, random stream) that makes
at most one backward pass and one update per plastic pathway, and returns a StepResult: its figures as 0-d device
tensors (no host synchronisation), and the episodes it made for the hippocampus (Wake)."""
from sims.phases.learning import StepResult
from sims.phases.nrem import nrem_step
from sims.phases.rem import rem_step
from sims.phases.wake import wake_step

__all__ = ["StepResult", "nrem_step", "rem_step", "wake_step"]
