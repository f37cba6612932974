"""Neuromodulation: brain states, their ACh/NA levels, and the plasticity those levels imply."""
from neuromod.config import LevelMode, LevelsConfig, NeuromodConfig
from neuromod.controller import NeuromodController
from neuromod.plasticity import Drive, Plasticity
from neuromod.states import BrainState, Neuromodulators

__all__ = ["BrainState", "Drive", "LevelMode", "LevelsConfig", "NeuromodConfig", "NeuromodController", "Neuromodulators", "Plasticity"]
