"""Run (or resume) a night-by-night PAD simulation: `python sims/run_night.py [scenario=NAME] [key=value ...]`."""
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sims.errors import PadError
from sims.registry import register_configs
from sims.simulator import run

register_configs()


@hydra.main(config_path="conf", config_name="config", version_base=None)
def main(cfg: DictConfig) -> None:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run(cfg, run_dir)
    except PadError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as e:
        print(f"\n{e or 'interrupted'}; run the same command to resume", file=sys.stderr)
        sys.exit(130)
    print(f"done: {run_dir} (activity.nc, checkpoints/, .hydra/config.yaml)")


if __name__ == "__main__":
    main()
