"""The label a brain is logged and compared under: its scenario, plus every scientific override of that scenario.

`scenario=pad hippocampus.recombination=noise` is not PAD: it is labelled `pad (hippocampus.recombination=noise)`,
so analyses grouping by label never average it with real PAD runs. What a study holds fixed across its conditions
(the data, the cortex's shape, the batch size, the seed, the dtype, how the run is watched) is not part of the label;
it is in the activity file's `config` attribute.
"""
from omegaconf import DictConfig, OmegaConf

from sims.config import PadConfig
from sims.registry import CONF_DIR
from sims.resume import RUN_CONTROL, flat

SETUP = ("scenario_name", "seed", "dtype", "data", "cortex", "optim.batch_size") + RUN_CONTROL


def _is_setup(key: str) -> bool:
    return any(key == s or key.startswith(s + ".") for s in SETUP)


def scenario_baseline(name: str) -> DictConfig:
    """The configuration the scenario file `name` gives on the defaults (the defaults alone for an unknown name)."""
    base = OmegaConf.structured(PadConfig)
    path = CONF_DIR / "scenario" / f"{name}.yaml"
    return OmegaConf.merge(base, OmegaConf.load(path)) if path.exists() else base


def scenario_label(config: DictConfig) -> str:
    """`name` or `name (key=value, ...)`, the keys in sorted order."""
    name = config.scenario_name
    base, mine = flat(scenario_baseline(name)), flat(config)
    overrides = [f"{k}={mine.get(k)}" for k in sorted(set(base) | set(mine))
                 if not _is_setup(k) and base.get(k) != mine.get(k)]
    return f"{name} ({', '.join(overrides)})" if overrides else name
