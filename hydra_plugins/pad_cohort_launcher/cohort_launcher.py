"""The launchers Hydra instantiates for `hydra/launcher=cohort` (in this process) and `cohort_slurm`, `cohort_local`
(one submitit job per cohort): their `_target_`s."""
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf


class CohortLauncher(Launcher):
    """Runs a sweep's jobs as cohorts: the jobs, in sweep order, in consecutive chunks of at most `size`, one chunk
    after the other, each trained together by `sims.life.cohort.run_cohort` (its steps computed as `vectorize` says).
    Each job's run directory and `.hydra/` files are the ones the basic launcher writes (Hydra's `run_job` makes them)."""

    def __init__(self, size: int = 64, vectorize: str = "auto") -> None:
        self.size = size
        self.vectorize = getattr(vectorize, "value", vectorize)  # the schema's Vectorize enum, or its name
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from . import _core  # the simulator (torch) only when a sweep runs, not whenever Hydra scans its plugins

        return _core.launch(self, job_overrides, initial_job_idx)

    def train(self, cohorts: list) -> list:
        """Each cohort's outcomes (per brain None, or its divergence diagnosis): here, one cohort after the other."""
        from . import _core

        return _core.train_in_process(cohorts, self.vectorize)


class SubmititCohortLauncher(CohortLauncher):
    """The same cohorts, each one job of submitit's `cluster` executor, all at once; `params`: submitit's settings."""

    cluster = "abstract"

    def __init__(self, size: int = 64, vectorize: str = "auto", **params: Any) -> None:
        super().__init__(size, vectorize)
        self.params = {k: OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v
                       for k, v in params.items()}

    def train(self, cohorts: list) -> list:
        from ._submitit import train_by_submitit  # submitit only when a sweep runs

        return train_by_submitit(cohorts, self.cluster, self.params, self.vectorize)


class SlurmCohortLauncher(SubmititCohortLauncher):
    cluster = "slurm"


class LocalCohortLauncher(SubmititCohortLauncher):
    cluster = "local"
