"""One level of the cortical hierarchy."""
from torch import Tensor, nn


class CorticalArea(nn.Module):
    """An area with its feedforward weights to the area above and its feedback weights from it.

    Every area but the top halves (feedforward) or doubles (feedback) the spatial size with 4x4 kernels, stride 2.
    The top area (IT) projects with a 4x4 kernel, no padding, onto the 1x1 latent z and receives z back the same way.
    Nonlinearities belong to the receiving side: feedforward activity is LeakyReLU except z, which is linear;
    feedback activity is LeakyReLU except in the bottom area (V1), where tanh bounds the low-level activity to [-1, 1].
    """

    def __init__(self, name: str, channels: int, above: int, *, top: bool, bottom: bool, leak: float):
        super().__init__()
        self.name = name
        stride, padding = (1, 0) if top else (2, 1)
        self.ff = nn.Conv2d(channels, above, 4, stride, padding)
        self.fb = nn.ConvTranspose2d(above, channels, 4, stride, padding)
        self.ff_act = nn.Identity() if top else nn.LeakyReLU(leak)
        self.fb_act = nn.Tanh() if bottom else nn.LeakyReLU(leak)

    def feedforward(self, activity: Tensor) -> Tensor:
        """This area's activity -> the activity it drives in the area above."""
        return self.ff_act(self.ff(activity))

    def feedback(self, above: Tensor) -> Tensor:
        """The area above's activity -> the activity it drives here."""
        return self.fb_act(self.fb(above))
