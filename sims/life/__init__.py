"""The brain's life: its configuration and identity, its cortex's plasticity (phases), its nights (planner,
homeostat, hypnograms), its streams, its recorder, its evaluation, the simulator of one brain and the cohort of
several, and the one driver of both. It imports nothing of the running of jobs (sims.jobs, sims.experiments)."""
