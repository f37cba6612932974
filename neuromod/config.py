from dataclasses import dataclass, field
from enum import Enum

from records.schema import setting

# Levels are fractions of the waking level; no drug of neuromod.drugs at full dose gives more than 1.5 of it.
MAX_LEVEL = 10.0


class LevelMode(str, Enum):
    """How levels act. thresholds (the paper): a modulator acts fully at or above its threshold, not at all below.
    graded: as thresholds, and where a modulator acts its level also scales what it gates: ACh the discriminator's
    teaching signal, NA G's learning rate in NA-driven states (so a half dose is half an effect)."""

    thresholds = "thresholds"
    graded = "graded"


@dataclass
class LevelsConfig:
    ach: float = setting(low=0, high=MAX_LEVEL)
    na: float = setting(low=0, high=MAX_LEVEL)


@dataclass
class NeuromodConfig:
    """ACh and NA per state (fractions of the waking level) and the thresholds above which a modulator "acts".

    Defaults follow the paper (its Figure 7): Wake high ACh and NA, NREM both reduced, REM high ACh with NA near zero.
    """

    wake: LevelsConfig = field(default_factory=lambda: LevelsConfig(ach=1.0, na=1.0))
    nrem: LevelsConfig = field(default_factory=lambda: LevelsConfig(ach=0.2, na=0.2))
    rem: LevelsConfig = field(default_factory=lambda: LevelsConfig(ach=1.0, na=0.0))
    ach_threshold: float = setting(0.5, low=0, high=MAX_LEVEL)
    na_threshold: float = setting(0.5, low=0, high=MAX_LEVEL)
    mode: LevelMode = LevelMode.thresholds
