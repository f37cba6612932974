"""The launcher Hydra instantiates for `hydra/launcher=cohort` (its `_target_`)."""
from typing import Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class CohortLauncher(Launcher):
    """Runs a sweep's jobs as cohorts: the jobs, in sweep order, in consecutive chunks of at most `size`, one chunk
    after the other, each trained together by `sims.cohort.run_cohort` (its steps computed as `vectorize` says).
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
