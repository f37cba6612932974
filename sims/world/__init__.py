"""The world: sensory data held on the device, and batches drawn from it."""
from sims.world.sources import Arrays, load_arrays
from sims.world.world import World

__all__ = ["Arrays", "World", "load_arrays"]
