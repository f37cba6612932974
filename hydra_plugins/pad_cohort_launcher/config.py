"""The cohort launchers' settings, registered so that overrides are type-checked: `hydra/launcher=pad_cohort` (in
this process; `sims/conf/hydra/launcher/cohort.yaml` builds on it) and, where Hydra's submitit launcher is installed
(`pip install 'pad-sleep[cluster]'`), `pad_cohort_slurm` and `pad_cohort_local` (one submitit job per cohort: all of
submitit's SLURM, or local, settings, and the cohort's own; `cohort_slurm.yaml` and `cohort_local.yaml` build on them)."""
from dataclasses import dataclass
from enum import Enum

from hydra.core.config_store import ConfigStore

try:
    from hydra_plugins.hydra_submitit_launcher.config import LocalQueueConf, SlurmQueueConf
except ImportError:  # without the cluster extra there are no submitit launchers, cohort or not
    LocalQueueConf = SlurmQueueConf = None

TARGET = "hydra_plugins.pad_cohort_launcher.cohort_launcher"


class Vectorize(Enum):
    auto = "auto"  # vmap on CUDA, loop elsewhere
    vmap = "vmap"  # the cohort's brains in one pass of grouped convolutions
    loop = "loop"  # brain by brain, one backward pass (faster on a CPU)


@dataclass
class CohortConf:
    size: int = 64  # brains per cohort at most: the sweep's jobs, in order, in consecutive chunks of this size
    vectorize: Vectorize = Vectorize.auto  # how a cohort computes its brains' steps (sims.life.cohort.run_cohort)


@dataclass
class CohortLauncherConf(CohortConf):
    _target_: str = f"{TARGET}.CohortLauncher"


store = ConfigStore.instance()
store.store(group="hydra/launcher", name="pad_cohort", node=CohortLauncherConf, provider="pad_cohort_launcher")

if SlurmQueueConf is not None:
    @dataclass
    class SlurmCohortLauncherConf(SlurmQueueConf, CohortConf):
        _target_: str = f"{TARGET}.SlurmCohortLauncher"

    @dataclass
    class LocalCohortLauncherConf(LocalQueueConf, CohortConf):
        _target_: str = f"{TARGET}.LocalCohortLauncher"

    store.store(group="hydra/launcher", name="pad_cohort_slurm", node=SlurmCohortLauncherConf,
                provider="pad_cohort_launcher")
    store.store(group="hydra/launcher", name="pad_cohort_local", node=LocalCohortLauncherConf,
                provider="pad_cohort_launcher")
