"""The oracle networks: the authors' netD and netG written layer by layer in plain torch.nn, independently of `cortex/`
(REFERENCE.md, Networks; the authors' `network.py`, github NicoZenith/PAD). Used by tests/test_cortex_oracle.py.

Their parametrisation: widths ndf (encoder) and ngf (generator), latent size nz, image channels. The encoder trunk is
img -> ndf -> 2 ndf -> 4 ndf (kernel 4, stride 2, padding 1, bias, LeakyReLU(0.2)); two heads read the 4x4 trunk
output with a 4x4 kernel, padding 0 and (as the authors wrote it) stride 2, which on a 4x4 input gives 1x1 like
stride 1: a latent head (nz, no nonlinearity) and a discriminator head (1, sigmoid). The generator is the mirror:
transposed convs nz -> 4 ngf (kernel 4, stride 1, padding 0) -> 2 ngf -> ngf -> img (kernel 4, stride 2, padding 1),
LeakyReLU(0.2) after the first three, tanh last. The authors' G ends with an optional gradient reversal (REM).
"""
import torch
from torch import Tensor, nn

SLOPE = 0.2  # the authors' LeakyReLU slope, a literal in their network.py


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output


class AuthorsDiscriminator(nn.Module):
    """netD: image (batch, img, 32, 32) -> (latent (batch, nz), d in (0, 1) (batch,))."""

    def __init__(self, nz: int = 256, ndf: int = 64, img_channels: int = 3):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(img_channels, ndf, kernel_size=4, stride=2, padding=1, bias=True),
                                   nn.LeakyReLU(SLOPE))  # (ndf, 16, 16)
        self.conv2 = nn.Sequential(nn.Conv2d(ndf, 2 * ndf, kernel_size=4, stride=2, padding=1, bias=True),
                                   nn.LeakyReLU(SLOPE))  # (2 ndf, 8, 8)
        self.conv3 = nn.Sequential(nn.Conv2d(2 * ndf, 4 * ndf, kernel_size=4, stride=2, padding=1, bias=True),
                                   nn.LeakyReLU(SLOPE))  # (4 ndf, 4, 4)
        self.conv4 = nn.Conv2d(4 * ndf, nz, kernel_size=4, stride=2, padding=0, bias=True)  # latent head, (nz, 1, 1)
        self.dis = nn.Conv2d(4 * ndf, 1, kernel_size=4, stride=2, padding=0, bias=True)  # discriminator head, (1, 1, 1)

    def trunk(self, image: Tensor) -> list[Tensor]:
        """The three hidden activities, (ndf, 16, 16), (2 ndf, 8, 8), (4 ndf, 4, 4)."""
        conv1 = self.conv1(image)
        conv2 = self.conv2(conv1)
        return [conv1, conv2, self.conv3(conv2)]

    def logit(self, image: Tensor) -> Tensor:
        """The discriminator head before its sigmoid, (batch,)."""
        return self.dis(self.trunk(image)[-1]).view(image.shape[0], -1).squeeze(1)

    def forward(self, image: Tensor) -> tuple[Tensor, Tensor]:
        conv3 = self.trunk(image)[-1]
        latent = self.conv4(conv3).view(image.shape[0], -1)
        d = torch.sigmoid(self.dis(conv3)).view(-1, 1).squeeze(1)
        return latent, d


class AuthorsGenerator(nn.Module):
    """netG: latent (batch, nz) -> image (batch, img, 32, 32) in [-1, 1]."""

    def __init__(self, nz: int = 256, ngf: int = 64, img_channels: int = 3):
        super().__init__()
        self.tconv1 = nn.Sequential(nn.ConvTranspose2d(nz, 4 * ngf, kernel_size=4, stride=1, padding=0, bias=True),
                                    nn.LeakyReLU(SLOPE))  # (4 ngf, 4, 4)
        self.tconv2 = nn.Sequential(nn.ConvTranspose2d(4 * ngf, 2 * ngf, kernel_size=4, stride=2, padding=1, bias=True),
                                    nn.LeakyReLU(SLOPE))  # (2 ngf, 8, 8)
        self.tconv3 = nn.Sequential(nn.ConvTranspose2d(2 * ngf, ngf, kernel_size=4, stride=2, padding=1, bias=True),
                                    nn.LeakyReLU(SLOPE))  # (ngf, 16, 16)
        self.tconv4 = nn.Sequential(  # (img, 32, 32)
            nn.ConvTranspose2d(ngf, img_channels, kernel_size=4, stride=2, padding=1, bias=True), nn.Tanh())

    def hidden(self, latent: Tensor) -> list[Tensor]:
        """The three hidden feedback activities, top (4 ngf, 4, 4) to bottom (ngf, 16, 16)."""
        tconv1 = self.tconv1(latent.view(latent.shape[0], latent.shape[1], 1, 1))
        tconv2 = self.tconv2(tconv1)
        return [tconv1, tconv2, self.tconv3(tconv2)]

    def forward(self, latent: Tensor, reverse: bool = False) -> Tensor:
        output = self.tconv4(self.hidden(latent)[-1])
        return GradReverse.apply(output) if reverse else output
