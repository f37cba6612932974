"""The cohort launcher's settings, registered as `hydra/launcher=pad_cohort` so that overrides are type-checked
(`sims/conf/hydra/launcher/cohort.yaml` builds on it)."""
from dataclasses import dataclass
from enum import Enum

from hydra.core.config_store import ConfigStore


class Vectorize(Enum):
    auto = "auto"  # vmap on CUDA, loop elsewhere
    vmap = "vmap"  # the cohort's brains in one pass of grouped convolutions
    loop = "loop"  # brain by brain, one backward pass (faster on a CPU)


@dataclass
class CohortLauncherConf:
    _target_: str = "hydra_plugins.pad_cohort_launcher.cohort_launcher.CohortLauncher"
    size: int = 64  # brains per cohort at most: the sweep's jobs, in order, in consecutive chunks of this size
    vectorize: Vectorize = Vectorize.auto  # how a cohort computes its brains' steps (sims.cohort.run_cohort)


ConfigStore.instance().store(group="hydra/launcher", name="pad_cohort", node=CohortLauncherConf,
                             provider="pad_cohort_launcher")
