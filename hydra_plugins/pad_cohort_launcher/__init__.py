"""The `cohort` launcher of `sims/run_night.py`: a sweep's brains trained together as cohorts in this one process.

A portion of Hydra's `hydra_plugins` namespace package (there is no `hydra_plugins/__init__.py` anywhere: the
portions installed with Hydra's own launchers and this one, in the repository root, are merged into one package).
Hydra imports every public module under `hydra_plugins` when it starts, so `config` and `cohort_launcher` import only
Hydra; the training lives in `_core`, imported when a sweep is launched.
"""
