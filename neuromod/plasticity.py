from dataclasses import dataclass
from enum import Enum


class Drive(str, Enum):
    """What drives low-level (V1) activity."""

    SENSORY = "sensory"  # the world: x is an image (Wake)
    REPLAY = "replay"  # single hippocampal episodes, dreamed by G and perturbed (NREM, perturbed dreaming)
    RECOMBINATION = "recombination"  # recombined episodes diluted with cortical noise, dreamed by G (REM, adversarial)


@dataclass(frozen=True)
class Plasticity:
    """What a brain state's neuromodulator levels imply for learning."""

    drive: Drive
    discriminator_gate: bool  # does the discriminator receive a teaching signal?
    discriminator_target: float  # 1.0 "externally driven", 0.0 "internally generated"
    generator_sign: int  # +1 normal, -1 sign-switched (G ascends the loss), 0 not plastic
    discriminator_gain: float = 1.0  # factor on the discriminator's teaching signal where gated (graded mode: ACh)
    generator_gain: float = 1.0  # factor on G's learning rate where plastic (graded mode: NA, where NA acts)

    @property
    def generator_plastic(self) -> bool:
        return self.generator_sign != 0
