"""The hippocampus: an episodic store of latent codes, recalled as single episodes (NREM replay) or recombined (REM)."""
from hippocampus.config import HippocampusConfig
from hippocampus.recall import STRATEGIES, Strategy, recall
from hippocampus.store import Hippocampus

__all__ = ["Hippocampus", "HippocampusConfig", "STRATEGIES", "Strategy", "recall"]
