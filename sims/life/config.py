"""The simulator's structured configuration: one dataclass per component, checked by OmegaConf at composition."""
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Optional, Union

from cortex import CortexConfig
from hippocampus import HippocampusConfig
from neuromod import BrainState, LevelsConfig, NeuromodConfig
from sims.life.homeostat import HomeostatConfig
from neuromod.drugs import DRUGS
from records.schema import setting
from world.config import DataConfig, DataName  # noqa: F401 (the data group's schema lives with the world)

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"  # sims/conf: the Hydra configs (scenarios, protocols, data)

STATES = tuple(s.value for s in BrainState)  # WAKE, NREM, REM: the keys of a block's `keep` and `levels`
PHASES = ("wake", "nrem", "rem")  # the keys of a block's `weights`
NAME = dict(pattern=r"[A-Za-z0-9_.+-]+", why="a name of letters, digits and _ . + - (it names files and folders)")


class DType(str, Enum):
    float32 = "float32"
    float64 = "float64"


class Autocast(str, Enum):
    """The phases' forward and backward passes under torch.autocast: `none` (the brain's dtype throughout, the
    published arithmetic), or `bfloat16` (convolutions in bfloat16; weights, Adam states, losses and episodes stay
    float32; needs dtype=float32)."""

    none = "none"
    bfloat16 = "bfloat16"


class MemoryFormat(str, Enum):
    """How the cortex's convolution weights lie in memory: `contiguous` (NCHW, the published default) or
    `channels_last` (NHWC: the first convolution hands channels_last activations on; faster on CPUs with AMX under
    autocast=bfloat16, benchmarks/bench_step.py --precision). The same mathematics, other summation orders. Lone
    brains only: a cohort's stacked weights keep their own layout."""

    contiguous = "contiguous"
    channels_last = "channels_last"


@dataclass
class Period:
    state: BrainState
    steps: int = setting(1, low=0)


@dataclass
class ScheduleConfig:
    """A day is `day_steps` Wake steps; the night after it is `cycles` repetitions of `cycle`'s periods."""

    day_steps: int = setting(1, low=1)
    cycles: int = setting(1, low=0)
    cycle: list[Period] = field(default_factory=lambda: [Period(BrainState.NREM, 1), Period(BrainState.REM, 1)])


class BlockUnit(str, Enum):
    epoch = "epoch"  # blocks count epochs, from 1
    day = "day"  # blocks count days since the run began, from 0


@dataclass
class Hypnogram:
    """A block's nights read from hypnograms instead of its cycle (sims/life/hypnograms.py: sources, the mapping of 30-s
    epochs to the brain's steps, and why N1 is NREM by default)."""

    source: str = setting("profile:healthy_young")  # a CSV/TSV or EDF+ file, a folder of them, or profile:NAME
    minutes_per_step: float = setting(30.0, low=0.5, high=600)  # one sleep step lives this much of the night
    n1: str = setting("nrem", choices=("nrem", "wake", "skip"))  # what stage N1 becomes
    n3_weight: float = setting(1.0, low=0, high=10)  # NREM loss weight factor of the steps lived in N3 (1: N2's)
    nights: int = setting(30, low=1, high=10000)  # profile:NAME only: nights generated (night k lives k mod nights)
    profile_seed: int = setting(0, low=0, high=2**31 - 1)  # profile:NAME only: the generator's seed


@dataclass
class Block:
    """A stretch of the run whose nights differ from the scenario's: [start, stop) in the protocol's unit."""

    name: str = setting("manipulation", **NAME)
    start: int = setting(1, low=0)
    stop: Optional[int] = setting(None, low=1)  # exclusive; None: to the end of the run
    cycle: Optional[list[Period]] = None  # this block's night cycle (None: the schedule's)
    cycles: Optional[int] = setting(None, low=0)  # cycles per night (None: the schedule's)
    keep: dict[str, float] = setting(factory=dict, keys=STATES, low=0, high=1)  # state -> probability each of its periods is kept, per night
    night_fraction: float = setting(1.0, low=0)  # < 1: restriction, cut from the night's end (REM-rich) first; > 1: lengthened
    arousals: int = setting(0, low=0)  # Wake steps at random places of each night: they see the world and store episodes
    arousals_at: str = setting("random", choices=("random", "night_end"))  # night_end: the same Wake steps after an unbroken night (the matched control: same updates, sleep not fragmented)
    levels: dict[str, LevelsConfig] = setting(factory=dict, keys=STATES)  # state (WAKE, NREM, REM) -> its levels here
    weights: dict[str, float] = setting(factory=dict, keys=PHASES, low=0)  # phase (wake, nrem, rem) -> its loss weight here
    hypnogram: Optional[Hypnogram] = None  # nights from recorded or generated hypnograms (replaces cycle, cycles)


@dataclass
class DrugDose:
    """A named drug (neuromod.drugs.DRUGS) given on every night of some blocks."""

    name: str = setting("scopolamine", choices=tuple(DRUGS))
    blocks: list[str] = setting(factory=list, **NAME)
    dose: float = setting(1.0, low=0, high=10)  # fraction of the full effect


@dataclass
class ProtocolConfig:
    """How nights change over the run: blocks (baseline, manipulation, recovery) and drugs. No block: every night is
    the scenario's."""

    name: str = setting("none", **NAME)
    unit: BlockUnit = BlockUnit.epoch
    blocks: list[Block] = field(default_factory=list)
    drugs: list[DrugDose] = field(default_factory=list)


@dataclass
class WakePhase:
    weight: float = setting(1.0, low=0)  # W: weight of the reconstruction loss (the KL and discriminator terms keep weight 1, as published)
    # std of Gaussian noise added to z before G's reconstruction: the authors' epsilon, 0.5 "for models without the REM
    # phase" (w/o REM, Wake only)
    latent_noise_std: float = setting(0.0, low=0)


@dataclass
class NremPhase:
    # N: weight of the latent reconstruction loss. 0 is the authors' N = 0: no NREM learning, but the slot's encoder
    # step still happens (under optim.idle_parameters=momentum it moves E on its momentum alone).
    weight: float = setting(1.0, low=0)
    max_square: int = setting(8, low=1, high=32)  # occlusion square sizes are drawn from 1..max_square


@dataclass
class RemPhase:
    weight: float = setting(1.0, low=0)  # R: weight of the adversarial loss; 0 switches the phase off (no update at all, as the authors' R = 0)


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
    batch_size: int = setting(64, low=1)
    lr: float = setting(2e-4, above=0)
    beta1: float = setting(0.5, low=0, below=1)
    beta2: float = setting(0.999, low=0, below=1)
    idle_parameters: IdleParameters = IdleParameters.momentum


@dataclass
class EvalConfig:
    every: int = setting(1, low=0)  # evaluate every K epochs (and at the last); 0 switches evaluation off
    readout_epochs: int = setting(20, low=1)
    readout_lr: float = setting(0.2, above=0)
    readout_batch: int = setting(64, low=1)
    probes: int = setting(16, low=1)  # fixed test images whose dreams are logged each evaluation
    occlusion: bool = True  # the occlusion curve (square 4, drop probability 0, 0.1, ..., 1)
    geometry: bool = False  # distance ratios (also measurable afterwards: python -m analysis.evaluate RUN_DIR)


@dataclass
class RecordConfig:
    """Recorded activity (analysis.activity): what every area does for fixed probe memories, at each evaluated epoch
    end. The probes, units, NREM masks and REM noise are drawn once per run from the brain's seed (sims.life.recording)."""
    probes_per_class: int = setting(5, low=1)  # class-balanced probe memories from the test set
    units_per_area: Union[int, str] = setting(128, low=1, choices=("all",))  # units kept per area, or "all"
    every_days: Optional[int] = setting(None, low=1)  # also record every K days (null: at evaluated epoch ends only)


@dataclass
class PadConfig:
    scenario_name: str = setting("pad", **NAME)
    seed: int = setting(0, low=0, high=2**63 - 1, why="a 64-bit signed integer")
    dtype: DType = DType.float32  # of weights, optimizer state, episodes and logged figures (float64 for verification)
    autocast: Autocast = Autocast.none  # bfloat16: the phases' passes under torch.autocast (faster on tensor cores)
    memory_format: MemoryFormat = MemoryFormat.contiguous  # channels_last: the cortex's weights NHWC (see the class)
    epochs: int = setting(50, low=1)
    device: str = setting("auto")  # auto | cpu | cuda | cuda:N
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
    record: RecordConfig = field(default_factory=RecordConfig)
