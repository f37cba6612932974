from dataclasses import dataclass
from enum import Enum


class BrainState(str, Enum):
    WAKE = "WAKE"
    NREM = "NREM"
    REM = "REM"


@dataclass(frozen=True)
class Neuromodulators:
    """Acetylcholine and noradrenaline levels, as fractions of their waking level (Wake = 1)."""

    ach: float
    na: float
