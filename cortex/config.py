from dataclasses import dataclass, field


@dataclass
class CortexConfig:
    """The hierarchy's shape. Defaults are the published DCGAN-like networks (REFERENCE.md, Networks)."""

    areas: list[str] = field(default_factory=lambda: ["V1", "V2", "V4", "IT"])
    # Activity channels of each area; V1's activity is the 32x32 low-level (image) activity.
    channels: list[int] = field(default_factory=lambda: [3, 64, 128, 256])
    latent_dim: int = 256  # size of z, the top of the hierarchy where the hippocampus reads and writes
    leak: float = 0.2  # LeakyReLU slope
    init_std: float = 0.02  # conv and transposed-conv weights ~ N(0, init_std); biases keep PyTorch's default
