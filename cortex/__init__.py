"""The cortical hierarchy: areas with feedforward (E) and feedback (G) pathways, and the occlusion perturbation."""
from cortex.area import CorticalArea
from cortex.config import LATENT, CortexConfig
from cortex.cortex import Cortex, Encoding
from cortex.sensory import to_activity
from cortex.occlusion import occlude, occlusion_masks, random_mask, random_occlusion

__all__ = ["LATENT", "CorticalArea", "Cortex", "CortexConfig", "Encoding", "occlude", "occlusion_masks", "random_mask", "random_occlusion", "to_activity"]
