"""Resuming: a run directory's checkpoint may only be continued by a configuration that describes the same brain
(the keys that define it: sims.life.identity)."""
import hashlib
import json
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from records.errors import PadError
from sims.life.identity import flat, may_change

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
