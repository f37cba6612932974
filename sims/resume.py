"""Resuming: a run directory's checkpoint may only be continued by a configuration that describes the same brain."""
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from records.errors import PadError

# Keys a resumed run may change: how long it lasts, where it runs, and how it is watched.
RUN_CONTROL = ("epochs", "device", "progress", "eval", "keep_epoch_cortex")


def flat(cfg: DictConfig) -> dict:
    """Every leaf of a configuration as dotted key -> value (enums as their names)."""
    out = {}

    def walk(node, prefix):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        else:
            out[prefix[:-1]] = node

    walk(OmegaConf.to_container(cfg, resolve=True, enum_to_str=True), "")
    return out


def check_compatible(saved: DictConfig, current: DictConfig, where: Path) -> None:
    old, new = flat(saved), flat(current)
    for key in sorted(set(old) | set(new)):
        if key.split(".")[0] in RUN_CONTROL:
            continue
        if old.get(key) != new.get(key):
            raise PadError(f"{key}={new.get(key)}: {where} was made with {key}={old.get(key)}; "
                           "use another run directory (hydra.run.dir, hydra.sweep.dir) or the same value")
