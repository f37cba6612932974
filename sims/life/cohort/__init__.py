"""A cohort: brains trained together in one process on one device, each exactly as it would live alone."""
from sims.life.cohort.cohort import Cohort, check_shared, run_cohort

__all__ = ["Cohort", "check_shared", "run_cohort"]
