"""The world: sensory data (CIFAR-10, SVHN, `shapes`) held on the device, and batches drawn from it.

Its own package, beside the simulator, so that the analysis can read the images a run lived on without importing
`sims`; it imports only `records`, `cortex` (pixels -> low-level activity) and third-party packages.
"""
from world.config import DataConfig, DataName
from world.fingerprint import fingerprint, same_data
from world.sources import Arrays, load_arrays
from world.world import World

__all__ = ["Arrays", "DataConfig", "DataName", "World", "fingerprint", "load_arrays", "same_data"]
