"""Run (or resume) a night-by-night PAD simulation: `python sims/run_night.py [scenario=NAME] [key=value ...]`.

Sweeps: `python sims/run_night.py -m scenario=pad,no_rem seed=0,1`. Bad input (a key, a value, the data, a run directory
made with another configuration) ends with one line on stderr, `error: KEY...: reason`, and exit status 2, before
Hydra writes anything into a run directory. Ctrl-C saves a checkpoint and exits with 130; the same command resumes.
"""
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra
from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from omegaconf.errors import OmegaConfBaseException

from sims.checkpoint import load_checkpoint
from sims.errors import PadError
from sims.registry import CONF_DIR, register_configs
from sims.resume import check_compatible
from sims.simulator import resolve_device, run
from sims.world import load_arrays

register_configs()
MULTIRUN_FLAGS = ("-m", "--multirun")
FILES = "activity.nc, checkpoints/, .hydra/config.yaml"


def preflight(args: list[str]) -> Path | None:
    """Check a command line as far as possible without writing anything: every override (every job of a sweep), the
    device, the data, and the checkpoint of a run directory that already has one. Raises PadError (one line).
    Returns the run directory when it is a single run that has already finished: there is nothing to do."""
    if any(a.startswith("-") and a not in MULTIRUN_FLAGS for a in args):
        return None  # --help, --cfg, --config-dir, ...: Hydra's own business
    overrides = [a for a in args if a not in MULTIRUN_FLAGS]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None, job_name=Path(__file__).stem):
        parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
        parsed = [_parse(parser, a) for a in overrides]
        is_hydra = lambda o: o.key_or_group.split(".")[0].split("/")[0] == "hydra"
        hydra_args = [a for a, o in zip(overrides, parsed) if is_hydra(o)]
        task = [o for o in parsed if not is_hydra(o)]
        multirun = len(overrides) < len(args) or "hydra.mode=MULTIRUN" in hydra_args
        if multirun:  # the jobs, numbered as Hydra's sweeper will number them
            jobs = _hydra_call(lambda: BasicSweeper.split_arguments(task, None)[0], " ".join(o.input_line for o in task))
        else:
            for o in task:
                if o.is_sweep_override():
                    raise PadError(f"{o.input_line}: a sweep needs -m (--multirun); write a list as key=[a,b]")
            jobs = [[o.input_line for o in task]]
        data_checked, finished = set(), None
        for num, job in enumerate(jobs):
            cfg = _compose(hydra_args + job)
            with read_write(cfg):
                cfg.hydra.job.num = num
            HydraConfig.instance().set_config(cfg)  # run directories may name ${hydra:...}
            key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
            run_dir = _hydra_call(lambda: Path(cfg.hydra.sweep.dir, cfg.hydra.sweep.subdir) if multirun
                                  else Path(cfg.hydra.run.dir), key)
            with read_write(cfg), open_dict(cfg):
                del cfg["hydra"]  # what the run gets
            resolve_device(cfg.device)
            checkpoint = run_dir / "checkpoints" / "last.pt"
            if checkpoint.exists():
                state = load_checkpoint(checkpoint)
                check_compatible(OmegaConf.create(state["config"]), cfg, checkpoint)
                if not multirun and state["epoch"] > cfg.epochs:
                    print(f"{run_dir}: already ran {state['epoch'] - 1} epochs (epochs={cfg.epochs}); nothing to do")
                    finished = run_dir
                    continue
            if (data := OmegaConf.to_yaml(cfg.data)) not in data_checked:
                load_arrays(cfg.data)
                data_checked.add(data)
    return finished


def _parse(parser: OverridesParser, arg: str):
    try:
        return parser.parse_override(arg)
    except HydraException as e:
        raise PadError(f"{arg}: cannot parse ({_first_line(e)})") from None


def _compose(overrides: list[str]) -> DictConfig:
    """The configuration Hydra will run with; on failure, name the first override that makes it fail."""
    try:
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as e:
        error = e
    culprit = next((overrides[i] for i in range(len(overrides)) if not _composes(overrides[: i + 1])), None)
    if isinstance(error, MissingConfigException) and error.options:
        raise PadError(f"{culprit or error.missing_cfg_file}: not one of {', '.join(error.options)}") from None
    cause = error.__cause__ if isinstance(error.__cause__, OmegaConfBaseException) else error
    raise PadError(f"{culprit or getattr(cause, 'full_key', None) or 'config'}: {_first_line(cause)}") from None


def _composes(overrides: list[str]) -> bool:
    try:
        compose(config_name="config", overrides=overrides, return_hydra_config=True)
        return True
    except (HydraException, OmegaConfBaseException):
        return False


def _hydra_call(fn, name: str):
    try:
        return fn()
    except (HydraException, OmegaConfBaseException) as e:
        raise PadError(f"{name}: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def fail(message: object, status: int) -> None:
    print(message, file=sys.stderr)
    sys.exit(status)


@hydra.main(config_path="conf", config_name="config", version_base=None)
def simulate(cfg: DictConfig) -> None:
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
    if finished is not None:
        print(f"done: {finished} ({FILES})")
        return
    simulate()


if __name__ == "__main__":
    main()
