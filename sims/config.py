"""The simulator's structured configuration: one dataclass per component, checked by OmegaConf at composition."""
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from cortex import CortexConfig
from hippocampus import HippocampusConfig
from neuromod import BrainState, NeuromodConfig


class DataName(str, Enum):
    cifar10 = "cifar10"
    svhn = "svhn"
    shapes = "shapes"


@dataclass
class DataConfig:
    name: DataName = DataName.cifar10
    # Unset: $PAD_DATA, then ./data, then ../shared/data beside the repository, then torchvision's download into ./data.
    root: Optional[str] = None
    train_size: Optional[int] = None  # first N training images (None: all)
    test_size: Optional[int] = None  # first N test images (None: all)
    download: bool = True  # let torchvision download where no local copy is found


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


@dataclass
class WakePhase:
    weight: float = 1.0  # W: weight of the reconstruction loss (the KL and discriminator terms keep weight 1, as published)
    latent_noise_std: float = 0.0  # std of Gaussian noise added to z before G's reconstruction (0.5 in "w/o REM")


@dataclass
class NremPhase:
    weight: float = 1.0  # N: weight of the latent reconstruction loss; 0 switches the phase off
    max_square: int = 8  # occlusion square sizes are drawn from 1..max_square


@dataclass
class RemPhase:
    weight: float = 1.0  # R: weight of the adversarial loss; 0 switches the phase off


@dataclass
class PhasesConfig:
    """Per drive: wake = sensory steps, nrem = replay steps, rem = recombination steps."""

    wake: WakePhase = field(default_factory=WakePhase)
    nrem: NremPhase = field(default_factory=NremPhase)
    rem: RemPhase = field(default_factory=RemPhase)


@dataclass
class OptimConfig:
    batch_size: int = 64
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999


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
    epochs: int = 50
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    progress: bool = True
    keep_epoch_cortex: bool = True  # keep checkpoints/cortex_epoch_NNN.pt (weights only) for later analysis
    data: DataConfig = field(default_factory=DataConfig)
    cortex: CortexConfig = field(default_factory=CortexConfig)
    hippocampus: HippocampusConfig = field(default_factory=HippocampusConfig)
    neuromod: NeuromodConfig = field(default_factory=NeuromodConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    phases: PhasesConfig = field(default_factory=PhasesConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
