"""Which configuration keys define a brain, in one place: what a resumed run may change, what a cohort's brains
share, and what stays out of a brain's label. A key names a subtree: `eval` covers `eval.every`, `data` every data
key. Readers and writers of run directories (sims.life.resume, sims.life.labels, sims.life.cohort) ask here.

- may_change: how long a run lasts, where and in which memory layout it runs, and how it is watched; not the number
  of probe memories whose dreams every epoch logs (the file's probe axis). Every other key defines the brain: it
  enters the run id, and a checkpoint resumes only under the same values.
- shared_by_cohort: one data set on one device, one architecture, one batch shape (and so one number of days per
  epoch), one dtype and autocast. Everything else may differ between a cohort's brains: seeds, scenarios, protocols,
  drugs, levels, weights, lr, ...
- in_label: the scientific settings a study varies (a scenario's keys, a protocol's, the neuromodulators, ...), not
  what it holds fixed across its conditions (data, cortex shape, batch size, seed, dtype, recording) nor how a run is
  watched (may_change).
"""
from omegaconf import DictConfig, OmegaConf

RUN_CONTROL = ("epochs", "device", "memory_format", "progress", "eval", "keep_epoch_cortex")
FIXED_EVAL = ("eval.probes",)
SHARED = ("data", "cortex.areas", "cortex.channels", "cortex.latent_dim", "cortex.leak", "optim.batch_size", "dtype",
          "autocast", "device", "schedule.day_steps")
SETUP = ("scenario_name", "seed", "dtype", "data", "cortex", "optim.batch_size", "record") + RUN_CONTROL


def _under(key: str, prefixes: tuple[str, ...]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def may_change(key: str) -> bool:
    """A resumed run may give this key another value (it does not define the brain)."""
    return _under(key, RUN_CONTROL) and key not in FIXED_EVAL


def shared_by_cohort(key: str) -> bool:
    return _under(key, SHARED)


def in_label(key: str) -> bool:
    return not _under(key, SETUP)


def flat(cfg: DictConfig) -> dict:
    """Every leaf of a configuration as dotted key -> value (list items by index, enums as their names)."""
    out = {}

    def walk(node, prefix):
        if isinstance(node, dict) and node:
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        elif isinstance(node, list) and node:
            for k, v in enumerate(node):
                walk(v, f"{prefix}{k}.")
        else:
            out[prefix[:-1]] = node

    walk(OmegaConf.to_container(cfg, resolve=True, enum_to_str=True), "")
    return out
