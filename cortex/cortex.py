"""The hierarchy V1 -> V2 -> V4 -> IT -> z, with a discriminator read out of IT."""
from typing import NamedTuple

import torch
from torch import Tensor, nn

from cortex.area import CorticalArea
from cortex.config import CortexConfig


class Encoding(NamedTuple):
    z: Tensor  # (batch, latent_dim) latent code
    d_logit: Tensor  # (batch,) discriminator pre-activation; d = sigmoid(d_logit) is "externally driven"
    activities: tuple[Tensor, ...]  # per area, bottom (V1 = the image) to top (IT)

    @property
    def d(self) -> Tensor:
        return torch.sigmoid(self.d_logit)


class Cortex(nn.Module):
    """Feedforward pathway E (encoder + discriminator head) and feedback pathway G (generator).

    E's trunk is the feedforward weights of every area but the top; its latent head is the top area's feedforward weights;
    its discriminator head reads the top area's (IT) activity. G is every area's feedback weights.
    """

    def __init__(self, cfg: CortexConfig = CortexConfig()):
        super().__init__()
        if len(cfg.channels) != len(cfg.areas):
            raise ValueError(f"cortex.channels has {len(cfg.channels)} entries but cortex.areas has {len(cfg.areas)}")
        above = list(cfg.channels[1:]) + [cfg.latent_dim]
        n = len(cfg.areas)
        self.areas = nn.ModuleList(
            CorticalArea(name, c, a, top=i == n - 1, bottom=i == 0, leak=cfg.leak)
            for i, (name, c, a) in enumerate(zip(cfg.areas, cfg.channels, above))
        )
        self.discriminator = nn.Conv2d(cfg.channels[-1], 1, 4, 1, 0)
        self.config, self.latent_dim = cfg, cfg.latent_dim
        self.image_size = 4 * 2 ** (n - 1)  # IT is 4x4 (a 4x4 kernel onto the 1x1 z); every area below doubles it
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(module.weight, 0.0, cfg.init_std)

    @property
    def area_names(self) -> list[str]:
        return [area.name for area in self.areas]

    def trunk(self, x: Tensor) -> tuple[Tensor, ...]:
        """Low-level activity x (batch, 3, 32, 32) -> activities of every area, V1 (= x) to IT (batch, 256, 4, 4)."""
        activities = [x]
        for area in self.areas[:-1]:
            activities.append(area.feedforward(activities[-1]))
        return tuple(activities)

    def latent(self, top: Tensor) -> Tensor:
        """IT activity -> z (batch, latent_dim)."""
        return self.areas[-1].feedforward(top).flatten(1)

    def discriminate(self, top: Tensor) -> Tensor:
        """IT activity -> discriminator logit (batch,)."""
        return self.discriminator(top).flatten()

    def encode(self, x: Tensor) -> Encoding:
        activities = self.trunk(x)
        return Encoding(self.latent(activities[-1]), self.discriminate(activities[-1]), activities)

    def generate(self, z: Tensor) -> Tensor:
        """z (batch, latent_dim) -> low-level activity (batch, 3, 32, 32) in [-1, 1], through every area's feedback."""
        activity = z.view(z.shape[0], -1, 1, 1)
        for area in reversed(self.areas):
            activity = area.feedback(activity)
        return activity

    def feedforward_activities(self, x: Tensor) -> tuple[Tensor, ...]:
        """What every area does when x drives the feedforward pathway: V1 (= x) ... IT, then z (batch, latent_dim)."""
        activities = self.trunk(x)
        return activities + (self.latent(activities[-1]),)

    def feedback_activities(self, z: Tensor) -> tuple[Tensor, ...]:
        """What every area does while the feedback pathway generates from z: V1 (the generated low-level activity,
        G(z)) ... IT (driven by z), then z itself; each area's activity has its feedforward shape."""
        activities, above = [z], z.view(z.shape[0], -1, 1, 1)
        for area in reversed(self.areas):
            above = area.feedback(above)
            activities.append(above)
        return tuple(reversed(activities))

    def encoder_parameters(self) -> list[nn.Parameter]:
        """E: every feedforward weight and the discriminator head."""
        return [p for a in self.areas for p in a.ff.parameters()] + list(self.discriminator.parameters())

    def generator_parameters(self) -> list[nn.Parameter]:
        """G: every feedback weight."""
        return [p for a in self.areas for p in a.fb.parameters()]
