"""The simulator's structured configuration: one dataclass per component, checked by OmegaConf at composition."""
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from cortex import CortexConfig
from hippocampus import HippocampusConfig
from neuromod import BrainState, LevelsConfig, NeuromodConfig
from sims.homeostat import HomeostatConfig
from world.config import DataConfig, DataName  # noqa: F401 (the data group's schema lives with the world)


class DType(str, Enum):
    float32 = "float32"
    float64 = "float64"


class Autocast(str, Enum):
    """The phases' forward and backward passes under torch.autocast: `none` (the brain's dtype throughout, the
    published arithmetic), or `bfloat16` (convolutions in bfloat16; weights, Adam states, losses and episodes stay
    float32; needs dtype=float32)."""

    none = "none"
    bfloat16 = "bfloat16"


@dataclass
class Period:
    state: BrainState
    steps: int = 1


@dataclass
class ScheduleConfig:
    """A day is `day_steps` Wake steps; the night after it is `cycles` repetitions of `cycle`'s periods."""

    day_steps: int = 1
    cycles: int = 1
    cycle: list[Period] = field(default_factory=lambda: [Period(BrainState.NREM, 1), Period(BrainState.REM, 1)])


class BlockUnit(str, Enum):
    epoch = "epoch"  # blocks count epochs, from 1
    day = "day"  # blocks count days since the run began, from 0


@dataclass
class Block:
    """A stretch of the run whose nights differ from the scenario's: [start, stop) in the protocol's unit."""

    name: str = "manipulation"
    start: int = 1
    stop: Optional[int] = None  # exclusive; None: to the end of the run
    cycle: Optional[list[Period]] = None  # this block's night cycle (None: the schedule's)
    cycles: Optional[int] = None  # cycles per night (None: the schedule's)
    keep: dict[str, float] = field(default_factory=dict)  # state -> probability each of its periods is kept, per night
    night_fraction: float = 1.0  # < 1: restriction, cut from the night's end (REM-rich) first; > 1: lengthened
    arousals: int = 0  # Wake steps at random places of each night: they see the world and store episodes
    levels: dict[str, LevelsConfig] = field(default_factory=dict)  # state (WAKE, NREM, REM) -> its levels here
    weights: dict[str, float] = field(default_factory=dict)  # phase (wake, nrem, rem) -> its loss weight here


@dataclass
class DrugDose:
    """A named drug (neuromod.drugs.DRUGS) given on every night of some blocks."""

    name: str = "scopolamine"
    blocks: list[str] = field(default_factory=list)
    dose: float = 1.0  # fraction of the full effect


@dataclass
class ProtocolConfig:
    """How nights change over the run: blocks (baseline, manipulation, recovery) and drugs. No block: every night is
    the scenario's."""

    name: str = "none"
    unit: BlockUnit = BlockUnit.epoch
    blocks: list[Block] = field(default_factory=list)
    drugs: list[DrugDose] = field(default_factory=list)


@dataclass
class WakePhase:
    weight: float = 1.0  # W: weight of the reconstruction loss (the KL and discriminator terms keep weight 1, as published)
    # std of Gaussian noise added to z before G's reconstruction: the authors' epsilon, 0.5 "for models without the REM
    # phase" (w/o REM, Wake only)
    latent_noise_std: float = 0.0


@dataclass
class NremPhase:
    # N: weight of the latent reconstruction loss. 0 is the authors' N = 0: no NREM learning, but the slot's encoder
    # step still happens (under optim.idle_parameters=momentum it moves E on its momentum alone).
    weight: float = 1.0
    max_square: int = 8  # occlusion square sizes are drawn from 1..max_square


@dataclass
class RemPhase:
    weight: float = 1.0  # R: weight of the adversarial loss; 0 switches the phase off (no update at all, as the authors' R = 0)


@dataclass
class PhasesConfig:
    """Per drive: wake = sensory steps, nrem = replay steps, rem = recombination steps."""

    wake: WakePhase = field(default_factory=WakePhase)
    nrem: NremPhase = field(default_factory=NremPhase)
    rem: RemPhase = field(default_factory=RemPhase)


class IdleParameters(str, Enum):
    """What an optimizer step does to a parameter that got no gradient in that phase (REFERENCE.md, "Optimizer
    semantics"). momentum: it still moves on its Adam momentum, as under PyTorch 1.x, whose zero_grad() filled
    gradients with zeros: the behaviour that produced the published numbers. frozen: it is left alone (PyTorch 2's
    zero_grad(set_to_none=True)). A parameter that has never had a gradient is left alone either way."""

    momentum = "momentum"
    frozen = "frozen"


@dataclass
class OptimConfig:
    batch_size: int = 64
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    idle_parameters: IdleParameters = IdleParameters.momentum


@dataclass
class EvalConfig:
    every: int = 1  # evaluate every K epochs (and at the last); 0 switches evaluation off
    readout_epochs: int = 20
    readout_lr: float = 0.2
    readout_batch: int = 64
    probes: int = 16  # fixed test images whose dreams are logged each evaluation
    occlusion: bool = True  # the occlusion curve (square 4, drop probability 0, 0.1, ..., 1)
    geometry: bool = False  # distance ratios (also measurable afterwards: python -m analysis.evaluate RUN_DIR)


@dataclass
class PadConfig:
    scenario_name: str = "pad"
    seed: int = 0
    dtype: DType = DType.float32  # of weights, optimizer state, episodes and logged figures (float64 for verification)
    autocast: Autocast = Autocast.none  # bfloat16: the phases' passes under torch.autocast (faster on tensor cores)
    epochs: int = 50
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    progress: bool = True
    keep_epoch_cortex: bool = True  # keep checkpoints/cortex_epoch_NNN.pt (weights only) for later analysis
    data: DataConfig = field(default_factory=DataConfig)
    cortex: CortexConfig = field(default_factory=CortexConfig)
    hippocampus: HippocampusConfig = field(default_factory=HippocampusConfig)
    neuromod: NeuromodConfig = field(default_factory=NeuromodConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    homeostat: HomeostatConfig = field(default_factory=HomeostatConfig)
    phases: PhasesConfig = field(default_factory=PhasesConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
