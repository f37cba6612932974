"""Run (or resume) a night-by-night PAD simulation: `python sims/run_night.py [scenario=NAME] [key=value ...]`.

Sweeps: `python sims/run_night.py -m scenario=pad,no_rem seed=0,1`. Bad input (a key, a value, the data, a run directory
made with another configuration) ends with one line on stderr, `error: KEY...: reason`, and exit status 2, before
Hydra writes anything into a run directory. Ctrl-C saves a checkpoint and exits with 130; the same command resumes.
"""
import sys
from pathlib import Path
from typing import NoReturn

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from records.errors import PadError
from sims.preflight import preflight
from sims.registry import register_configs
from sims.simulator import run

register_configs()
FILES = "activity.nc, checkpoints/, .hydra/config.yaml"


def fail(message: str, status: int) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(status)


@hydra.main(config_path="conf", config_name="config", version_base=None)
def simulate(cfg: DictConfig) -> None:
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest convolutions once
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run(cfg, run_dir)
    except PadError as e:
        fail(f"error: {e}", 2)
    except KeyboardInterrupt as e:
        fail(f"\n{e or 'interrupted'}; run the same command to resume", 130)
    print(f"done: {run_dir} ({FILES})")


def main() -> None:
    try:
        finished = preflight(sys.argv[1:])
    except PadError as e:
        fail(f"error: {e}", 2)
    except KeyboardInterrupt:
        fail("\ninterrupted before the run began", 130)
    if finished is None:
        simulate()
    else:
        print(f"done: {finished} ({FILES})")


if __name__ == "__main__":
    main()
