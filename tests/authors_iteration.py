"""The oracle: the published training iteration written the way the authors' `main_PAD.py` writes it, independently of
the simulator (REFERENCE.md; github NicoZenith/PAD). Used by tests/test_oracle.py and benchmarks/bench_step.py.

Per iteration (one batch; `i` its index in the epoch), in the authors' order:
  Wake: zero_grad D and G; latent, d = netD(x); real loss BCE(d, 1) backward (retain_graph) only if R > 0;
        KL backward (retain_graph); reconstruction MSE(netG(latent + epsilon * noise), x), W times it backward only
        if W > 0; optimizerD.step(); optimizerG.step().
  NREM: zero_grad D; dream netG(latent) without gradient, occluded by one mask for the batch (a loop over squares);
        N times MSE(netD's latent of the dream, latent) backward only if N > 0; optimizerD.step() ALWAYS.
  REM:  zero_grad D and G; z = 0.5 latent + 0.5 noise if i == 0 else 0.25 latent + 0.25 latent_old + 0.5 noise;
        d = netD(GradReverse(netG(z))); BCE(d, 0) backward and both steps only if R > 0.
The flag R only gates (the authors never scale by it). Returned figures are those a condition learns from (the
authors also logged the real loss and the NREM loss when R = 0 or N = 0; the simulator leaves them out). `zero_grad` follows PyTorch 1.x (gradients filled with zeros)
or PyTorch 2 (set to None), as asked. The networks are cortex.Cortex's (same initial weights as the simulator's).

Random draws are injected (`Draws`): the caller decides where they come from (tests feed the simulator's streams).
"""
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor, nn

from cortex import Cortex


class Draws(Protocol):
    def order(self, n: int) -> Tensor: ...  # a permutation of the n training images, at each epoch start
    def wake_noise(self, shape: tuple[int, int]) -> Tensor: ...  # N(0, 1) noise on the latent (drawn if epsilon > 0)
    def occlusion(self) -> tuple[float, int, Tensor]: ...  # drop probability p, square size s, uniforms (32, 32) per cell
    def rem_noise(self, shape: tuple[int, int]) -> Tensor: ...  # N(0, 1) cortical noise of the REM mixture


@dataclass(frozen=True)
class Flags:
    """main_PAD.py's --W --N --R --epsilon."""

    W: float = 1.0
    N: float = 1.0
    R: float = 1.0
    epsilon: float = 0.0


FLAGS = {  # the authors' flags of each published condition (REFERENCE.md, Pathological conditions)
    "pad": Flags(),
    "no_nrem": Flags(N=0.0),
    "no_rem": Flags(N=0.5, R=0.0, epsilon=0.5),
    "wake_only": Flags(N=0.0, R=0.0, epsilon=0.5),
}


class GradReverse(torch.autograd.Function):
    """Identity forward, negated gradient backward: the authors' plasticity switch on G's output in REM."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * -1


def kl_loss(latent_output: Tensor) -> Tensor:
    m = torch.mean(latent_output, dim=0)
    s = torch.std(latent_output, dim=0)
    return torch.mean((s**2 + m**2) / 2 - torch.log(s) - 1 / 2)


def occlude(images: Tensor, drop_rate: float, tile_size: int, uniforms: Tensor) -> Tensor:
    """The authors' Occlude: walk the grid of squares; square (a, b) is dropped if its uniform < drop_rate; one mask
    for the whole batch, written channel by channel."""
    mask = torch.ones(images.shape[1:], device=images.device, dtype=images.dtype)
    i = 0
    while i < images.size(2):
        j = 0
        while j < images.size(3):
            if uniforms[i // tile_size, j // tile_size] < drop_rate:
                for c in range(images.size(1)):
                    mask[c, i : i + tile_size, j : j + tile_size] = 0
            j += tile_size
        i += tile_size
    return images * mask


class AuthorsIteration:
    def __init__(self, cortex: Cortex, flags: Flags, *, lr: float = 2e-4, betas=(0.5, 0.999), set_to_none: bool = False,
                 **adam_options):
        """adam_options: torch.optim.Adam's implementation switches (foreach, fused); the same mathematics, other
        float rounding."""
        self.cortex, self.flags, self.set_to_none = cortex, flags, set_to_none
        self.optimizerD = torch.optim.Adam(cortex.encoder_parameters(), lr=lr, betas=betas, **adam_options)
        self.optimizerG = torch.optim.Adam(cortex.generator_parameters(), lr=lr, betas=betas, **adam_options)
        self.dis_criterion, self.rec_criterion = nn.BCELoss(), nn.MSELoss()
        self.old_latent_output = None

    def netD(self, image: Tensor) -> tuple[Tensor, Tensor]:
        """(latent code, discriminator output in (0, 1)): both heads every call, as the authors' netD."""
        top = self.cortex.trunk(image)[-1]
        return self.cortex.latent(top), torch.sigmoid(self.cortex.discriminate(top))

    def netG(self, latent: Tensor, reverse: bool = False) -> Tensor:
        output = self.cortex.generate(latent)
        return GradReverse.apply(output) if reverse else output

    def zero_grad(self, *optimizers) -> None:
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=self.set_to_none)

    def iteration(self, real_image: Tensor, i: int, draws: Draws) -> dict[str, Tensor]:
        """One day and night; returns the authors' logged figures (0-d tensors)."""
        W, N, R, epsilon = self.flags.W, self.flags.N, self.flags.R, self.flags.epsilon
        batch_size = real_image.shape[0]
        out = {}
        # Wake
        self.zero_grad(self.optimizerD, self.optimizerG)
        latent_output, dis_output = self.netD(real_image)
        latent_output_noise = latent_output
        if epsilon > 0:
            latent_output_noise = latent_output + epsilon * draws.wake_noise(tuple(latent_output.shape))
        dis_label = torch.ones(batch_size, dtype=dis_output.dtype)
        dis_errD_real = self.dis_criterion(dis_output, dis_label)
        if R > 0.0:
            dis_errD_real.backward(retain_graph=True)
        kl = kl_loss(latent_output)
        kl.backward(retain_graph=True)
        reconstructed_image = self.netG(latent_output_noise, reverse=False)
        rec_real = self.rec_criterion(reconstructed_image, real_image)
        if W > 0.0:
            (W * rec_real).backward()
        self.optimizerD.step()
        self.optimizerG.step()
        out |= {"kl": kl, "rec_real": rec_real, "D_x": dis_output.mean()} | ({"real": dis_errD_real} if R > 0.0 else {})
        # NREM
        self.zero_grad(self.optimizerD)
        latent_z = latent_output.detach()
        if N > 0.0:  # the authors drew the occlusion whatever N; the simulator draws only what it uses
            with torch.no_grad():
                nrem_image = self.netG(latent_z)
                drop_rate, tile_size, uniforms = draws.occlusion()
                occluded_nrem_image = occlude(nrem_image, drop_rate, tile_size, uniforms)
            latent_recons_dream, _ = self.netD(occluded_nrem_image)
            rec_fake = self.rec_criterion(latent_recons_dream, latent_output.detach())
            (N * rec_fake).backward()
            out["rec_fake"] = rec_fake
        self.optimizerD.step()
        # REM
        self.zero_grad(self.optimizerD, self.optimizerG)
        if R > 0.0:  # the authors computed the dream whatever R; without R it changes nothing
            noise = draws.rem_noise(tuple(latent_output.shape))
            if i == 0:
                latent_z = 0.5 * latent_output.detach() + 0.5 * noise
            else:
                latent_z = 0.25 * latent_output.detach() + 0.25 * self.old_latent_output + 0.5 * noise
            dreamed_image_adv = self.netG(latent_z, reverse=True)
            _, dis_output = self.netD(dreamed_image_adv)
            dis_errD_fake = self.dis_criterion(dis_output, torch.zeros(batch_size, dtype=dis_output.dtype))
            dis_errD_fake.backward(retain_graph=True)
            self.optimizerD.step()
            self.optimizerG.step()
            out |= {"fake": dis_errD_fake, "D_G_z1": dis_output.mean()}
        self.old_latent_output = latent_output.detach()
        return {k: v.detach() for k, v in out.items()}

    def epoch(self, train_images: Tensor, batch_size: int, draws: Draws) -> list[dict[str, Tensor]]:
        """One epoch over activity-valued images (n, 3, 32, 32): shuffled by `draws.order`, drop_last."""
        order = draws.order(len(train_images))
        return [self.iteration(train_images[order[i * batch_size : (i + 1) * batch_size]], i, draws)
                for i in range(len(train_images) // batch_size)]
