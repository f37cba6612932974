"""The label a brain is logged and compared under: its scenario (and protocol), plus every scientific override of them.

`scenario=pad hippocampus.recombination=noise` is not PAD: it is labelled `pad (hippocampus.recombination=noise)`,
so analyses grouping by label never average it with real PAD runs. What a study holds fixed across its conditions
(the data, the cortex's shape, the batch size, the seed, the dtype, how the run is watched and recorded) is not part
of the label; it is in the activity file's `config` attribute.
"""
from omegaconf import DictConfig, OmegaConf

from sims.life.config import CONF_DIR, PadConfig
from sims.life.identity import flat, in_label


def baseline(scenario: str, protocol: str) -> DictConfig:
    """The configuration the scenario file and the protocol file give on the defaults (a name without a file adds
    nothing)."""
    base = OmegaConf.structured(PadConfig)
    scenario_file, protocol_file = CONF_DIR / "scenario" / f"{scenario}.yaml", CONF_DIR / "protocol" / f"{protocol}.yaml"
    if scenario_file.exists():
        base = OmegaConf.merge(base, OmegaConf.load(scenario_file))
    if protocol_file.exists():
        base = OmegaConf.merge(base, {"protocol": OmegaConf.load(protocol_file)})
    return base


def scenario_label(config: DictConfig) -> str:
    """`scenario`, `scenario+protocol`, then ` (key=value, ...)` for the overrides of those files, keys sorted."""
    name, protocol = config.scenario_name, config.protocol.name
    base, mine = flat(baseline(name, protocol)), flat(config)
    overrides = []
    for k in sorted(set(base) | set(mine)):
        if not in_label(k) or base.get(k) == mine.get(k):
            continue
        if k in base and k in mine:
            overrides.append(f"{k}={mine[k]}")
        elif (changed := ".".join(k.split(".")[:2]) + " changed") not in overrides:  # a list that grew or shrank
            overrides.append(changed)
    label = name if protocol == "none" else f"{name}+{protocol}"
    return f"{label} ({', '.join(overrides)})" if overrides else label
