from dataclasses import dataclass

from records.schema import setting

LATENT = "z"  # the top of the hierarchy, recorded beside the areas as one more population


@dataclass
class CortexConfig:
    """The hierarchy's shape. Defaults are the published DCGAN-like networks (REFERENCE.md, Networks)."""

    areas: list[str] = setting(factory=lambda: ["V1", "V2", "V4", "IT"], pattern=r"[A-Za-z][A-Za-z0-9_]*",
                               why="an area's name is a letter, then letters, digits or _")
    # Activity channels of each area; V1's activity is the 32x32 low-level (image) activity.
    channels: list[int] = setting(factory=lambda: [3, 64, 128, 256], low=1)
    latent_dim: int = setting(256, low=1)  # size of z, the top of the hierarchy where the hippocampus reads and writes
    leak: float = setting(0.2, low=0, high=1, why="a LeakyReLU's negative slope")
    init_std: float = setting(0.02, low=0)  # conv and transposed-conv weights ~ N(0, init_std); biases keep PyTorch's default

    def area_shapes(self) -> dict[str, tuple[int, int, int]]:
        """(channels, rows, cols) of every area's activity, bottom (V1: the 32x32 image) to top, then `z`
        (latent_dim, 1, 1): the same along the feedforward and the feedback pathway."""
        size = 4 * 2 ** (len(self.areas) - 1)  # IT is 4x4; every area below doubles it
        shapes = {name: (c, size >> k, size >> k) for k, (name, c) in enumerate(zip(self.areas, self.channels))}
        return shapes | {LATENT: (self.latent_dim, 1, 1)}
