"""Resuming: a run directory's checkpoint may only be continued by a configuration that describes the same brain."""
import hashlib
import json
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from records.errors import PadError

# Keys a resumed run may change: how long it lasts, where and in which memory layout it runs, and how it is watched; but
# not the number of probe memories whose dreams every epoch logs (the file's probe axis).
RUN_CONTROL = ("epochs", "device", "memory_format", "progress", "eval", "keep_epoch_cortex")
FIXED_EVAL = ("eval.probes",)


def may_change(key: str) -> bool:
    return key.split(".")[0] in RUN_CONTROL and key not in FIXED_EVAL


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


def check_compatible(saved: DictConfig, current: DictConfig, where: Path) -> None:
    old, new = flat(saved), flat(current)
    first = ("scenario_name", "seed")  # the differences a user made most likely, named before what follows from them
    for key in sorted(set(old) | set(new), key=lambda k: (k not in first, k)):
        if may_change(key):
            continue
        if old.get(key) != new.get(key):
            raise PadError(f"{key}={new.get(key)}: {where} was made with {key}={old.get(key)}; "
                           "use another run directory (hydra.run.dir, hydra.sweep.dir) or the same value")


def run_id(cfg: DictConfig) -> str:
    """8 hex digits of a hash of every key that defines the brain (all but those a resumed run may change): the same
    command gives the same id, hence the same default run directory, and resumes; another brain gets another."""
    task = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])  # Hydra's own node names the directory
    identity = {k: v for k, v in flat(task).items() if not may_change(k)}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:8]


def run_name(cfg: DictConfig) -> str:
    """A default run directory's name: scenario (+protocol), seed and run_id, e.g. pad+rem_deprivation_seed0_1a2b3c4d."""
    protocol = cfg.protocol.name
    return f"{cfg.scenario_name}{'' if protocol == 'none' else '+' + protocol}_seed{cfg.seed}_{run_id(cfg)}"
