"""A brain: one simulated animal's cortex, hippocampus and plasticity (optimizer) state."""
from dataclasses import dataclass

import torch

from cortex import Cortex, CortexConfig
from hippocampus import Hippocampus
from sims.life.config import IdleParameters, OptimConfig


@dataclass
class Brain:
    cortex: Cortex
    hippocampus: Hippocampus
    encoder_optimizer: torch.optim.Adam  # E: feedforward weights and discriminator head
    generator_optimizer: torch.optim.Adam  # G: feedback weights
    idle_parameters: IdleParameters  # what an update does to a parameter without a gradient (sims.life.config)
    autocast: torch.dtype | None = None  # the phases' passes under torch.autocast to this dtype (None: off)

    @classmethod
    def build(cls, cortex_cfg: CortexConfig, optim: OptimConfig, capacity: int, seed: int, device: torch.device,
              dtype: torch.dtype = torch.float32, autocast: torch.dtype | None = None,
              memory_format: torch.memory_format = torch.contiguous_format) -> "Brain":
        """Weights are drawn in float32 on the CPU from `seed`, so a brain starts the same on every device and dtype."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            cortex = Cortex(cortex_cfg)
        cortex.to(device=device, dtype=dtype, memory_format=memory_format)
        # fused: one kernel per update on CPU and CUDA (7x faster than the per-tensor loop on 2 CPU cores)
        adam = lambda params: torch.optim.Adam(params, lr=optim.lr, betas=(optim.beta1, optim.beta2), fused=True)
        return cls(
            cortex=cortex,
            hippocampus=Hippocampus(capacity, cortex_cfg.latent_dim, device, dtype),
            encoder_optimizer=adam(cortex.encoder_parameters()),
            generator_optimizer=adam(cortex.generator_parameters()),
            idle_parameters=IdleParameters(optim.idle_parameters),
            autocast=autocast,
        )

    def first_nonfinite(self) -> str | None:
        """The name of the first weight or Adam state holding a non-finite value, None if all are finite (one host
        synchronisation)."""
        tensors = {f"weight {n}": p for n, p in self.cortex.named_parameters()}
        names = {id(p): n for n, p in self.cortex.named_parameters()}
        for optimizer in (self.encoder_optimizer, self.generator_optimizer):
            for p, state in optimizer.state.items():
                tensors |= {f"Adam {key} of {names[id(p)]}": t for key, t in state.items() if key != "step"}
        finite = torch.stack([torch.isfinite(t).all() for t in tensors.values()])
        if bool(finite.all()):
            return None
        return list(tensors)[int((~finite).nonzero()[0])]

    def state_dict(self) -> dict:
        return {
            "cortex": self.cortex.state_dict(),
            "hippocampus": self.hippocampus.state_dict(),
            "encoder_optimizer": self.encoder_optimizer.state_dict(),
            "generator_optimizer": self.generator_optimizer.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.cortex.load_state_dict(state["cortex"])
        self.hippocampus.load_state_dict(state["hippocampus"])
        self.encoder_optimizer.load_state_dict(state["encoder_optimizer"])
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
