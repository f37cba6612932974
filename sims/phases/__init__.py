"""The three phase steps. Each is a function of (brain, inputs, plasticity, phase config) that makes one backward
pass and one update per plastic pathway, and returns its figures as 0-d device tensors (no host synchronisation)."""
from sims.phases.nrem import nrem_step
from sims.phases.rem import rem_step
from sims.phases.wake import wake_step

__all__ = ["nrem_step", "rem_step", "wake_step"]
