"""Hydra wiring: the structured schema in the ConfigStore, and composition outside a Hydra app (tests, benchmarks)."""
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from sims.life.config import CONF_DIR, PadConfig
from sims.life.resume import run_name


def register_configs() -> None:
    """The schema, and the `${pad_run_name:}` resolver that names default run directories (sims.life.resume.run_name)."""
    ConfigStore.instance().store(name="pad_schema", node=PadConfig)
    OmegaConf.register_new_resolver("pad_run_name", lambda *, _root_: run_name(_root_), replace=True)


def compose_config(overrides: list[str] = ()) -> DictConfig:
    """The configuration `python sims/run_night.py OVERRIDES...` would run with (without Hydra's own `hydra` node)."""
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        return compose(config_name="config", overrides=list(overrides))
