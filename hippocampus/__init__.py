"""The hippocampus: an episodic store of latent codes, replay for NREM and recombination for REM."""
from hippocampus.config import HippocampusConfig
from hippocampus.recombination import STRATEGIES, recombine
from hippocampus.store import Hippocampus

__all__ = ["Hippocampus", "HippocampusConfig", "STRATEGIES", "recombine"]
