"""The cohort launchers on submitit (`hydra/launcher=cohort_slurm`, and `cohort_local`, submitit's local executor):
each cohort is one submitit job, the cohorts run at once (a SLURM job array), each on its own node or process.

The jobs are started on the submitting machine exactly as `_core` starts them (their run directories and `.hydra/`
files made there, so the sweep folder must be one the nodes share, as with Hydra's own submitit launcher); a node
only trains its cohort (`_core.train_cohort`). A job killed by its time limit or preempted is requeued by submitit
(`max_num_timeout` times) and resumes every brain from its checkpoint, as does the same command submitted again.
"""
import contextlib
import io
import logging

import submitit
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
from omegaconf import OmegaConf

from records.errors import PadError, first_line
from sims.jobs.outcomes import BAD_INPUT, bad_input, fail

from ._core import Job, os_error, train_cohort

log = logging.getLogger(__name__)
SHARED_KEYS = set(OmegaConf.structured(BaseQueueConf).keys())  # submitit's names for every cluster; others get a prefix


class CohortJob(submitit.helpers.Checkpointable):
    """A cohort's training as a submitit job: its outcomes, or the one-line error that stopped it. Checkpointable:
    on a time-out or preemption submitit resubmits it with the same jobs, and each brain resumes from its checkpoint."""

    def __call__(self, jobs: list[Job], vectorize: str) -> list[str | None] | str:
        try:
            return train_cohort(jobs, vectorize)
        except PadError as e:
            return f"error: {e}"
        except OSError as e:
            return f"error: {os_error(e)}"


def train_by_submitit(cohorts: list[list[Job]], cluster: str, params: dict, vectorize: str) -> list[list[str | None]]:
    """Each cohort one job of submitit's `cluster` executor (`params`: the launcher's submitit settings), all at once;
    waits for them all. A cohort stopped by bad input or a failing disk ends the sweep with 2 once all have ended."""
    params = dict(params)
    init = {f"{cluster}_max_num_timeout": params.pop("max_num_timeout")} if "max_num_timeout" in params else {}
    executor = submitit.AutoExecutor(cluster=cluster, folder=params.pop("submitit_folder"), **init)
    executor.update_parameters(**{k if k in SHARED_KEYS else f"{cluster}_{k}": v for k, v in params.items()})
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # submitit repeats sbatch's complaint there; said once below
            jobs = executor.map_array(CohortJob(), cohorts, [vectorize] * len(cohorts))
    except submitit.core.utils.FailedJobError as e:  # sbatch said no
        bad_input(f"{cluster}: the cohorts' submission failed: {first_line(e)}")
    log.info(f"Submitted {len(jobs)} cohort job(s): {', '.join(job.job_id for job in jobs)}")
    results = []
    for job in jobs:
        try:
            results.append(job.result())
        except submitit.core.utils.UncompletedJobError as e:  # killed, out of memory, ...: the node's own words
            results.append(f"error: cohort job {job.job_id} failed ({first_line(e)}); its log: {job.paths.stderr}")
    if errors := [r for r in results if isinstance(r, str)]:
        fail("\n".join(errors), BAD_INPUT)
    return results
