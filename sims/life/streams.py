"""A brain's random streams: one per purpose, each derived from (seed, purpose) alone.

So the same seed gives the same data order in every scenario (common random numbers: paired comparisons between
scenarios are sharper), and what one phase draws never shifts what another draws. Evaluation has its own streams
(analysis.measure).
"""
import zlib

import numpy as np
import torch

# data: each epoch's order of the training set; wake: Wake's latent noise; nrem: NREM's recall picks and occlusion;
# rem: REM's recall picks and cortical noise; night: the protocol's draws (periods kept, arousals' places);
# arousal: the images seen by Wake steps outside the day (arousals).
PURPOSES = ("data", "wake", "nrem", "rem", "night", "arousal")
# Streams whose draws the host reads (a night's plan decides which steps run): on the CPU, whatever the brain's device,
# so that planning a night never waits for a GPU (a read of a CUDA draw would synchronise once a day).
ON_HOST = ("night",)


def derived_seed(seed: int, purpose: str) -> int:
    """A 64-bit seed from (seed, purpose) through NumPy's SeedSequence (well mixed, stable across versions)."""
    words = np.random.SeedSequence([seed, zlib.crc32(purpose.encode())]).generate_state(2, np.uint32)
    return int(words[0]) << 32 | int(words[1])


class Streams:
    def __init__(self, seed: int, device: torch.device):
        self.generators = {p: torch.Generator(device="cpu" if p in ON_HOST else device).manual_seed(derived_seed(seed, p))
                           for p in PURPOSES}

    def __getitem__(self, purpose: str) -> torch.Generator:
        return self.generators[purpose]

    def state_dict(self) -> dict:
        return {p: g.get_state() for p, g in self.generators.items()}

    def load_state_dict(self, state: dict) -> None:
        for p, g in self.generators.items():
            g.set_state(state[p])
