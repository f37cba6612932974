"""Checks of a `run_night.py` command line before Hydra writes anything into a run directory.

Every override (of every job of a sweep), the device, the checkpoint of a run directory that already has one, and the data.
A failure is a PadError with one line naming the offending override, key or path.
"""
import shutil
from contextlib import ExitStack
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from omegaconf.errors import OmegaConfBaseException

from records.errors import PadError, first_line
from records.checkpoints import load_checkpoint
from records.files import check_writable_folder
from records.lock import check_free, run_lock
from records.schema import Rule
from sims.life.cohort import check_shared
from sims.life.device import check_device_name, resolve_device
from sims.jobs.outcomes import already_ran
from sims.jobs.registry import CONF_DIR, register_configs
from sims.life.resume import check_compatible
from sims.life.validation import check_data_fits, class_counts, validate
from world import load_arrays

MULTIRUN_FLAGS = ("-m", "--multirun")
HYDRA_FLAGS = {"-h", "--help", "--hydra-help", "--version", "-c", "--cfg", "--resolve", "-p", "--package", "-r", "--run",
               *MULTIRUN_FLAGS, "-sc", "--shell-completion", "-cp", "--config-path", "-cn", "--config-name", "-cd",
               "--config-dir", "--experimental-rerun", "-i", "--info"}  # what Hydra's own command line takes


def preflight(args: list[str], locks: ExitStack) -> tuple[Path, DictConfig] | None:
    """Check a command line as far as possible without writing anything: every override (of every job of a sweep), the
    values, the device, the run directory and the checkpoint it may already hold, and the data. Raises PadError (one
    line). Then, all checked, lock the run directories (records.lock) of the brains that live in this process into
    `locks`, and check that the others are free. Returns the run directory and configuration of a single run that has
    already finished: nothing to run."""
    for a in args:
        if a.startswith("-") and a.split("=", 1)[0] not in HYDRA_FLAGS:
            raise PadError(f"{a}: not an option of run_night.py (overrides are key=value; its options are Hydra's: "
                           "--help, --cfg job, -m, ...)")
    if any(a.startswith("-") and a not in MULTIRUN_FLAGS for a in args):
        return None  # --help, --cfg, --config-dir, ...: Hydra's own business
    register_configs()
    overrides = [a for a in args if a not in MULTIRUN_FLAGS]
    multirun = len(overrides) < len(args) or "hydra.mode=MULTIRUN" in overrides
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None, job_name="run_night"):
        checked_data = {}  # data config -> training images
        configs = []  # every job's, for a launcher that trains them together
        run_dirs, in_process = [], True
        for num, job in enumerate(_jobs(overrides, multirun)):
            cfg, run_dir, cohort_size, runs_here, in_process = _job(job, num, multirun)
            run_dirs.append(run_dir)
            configs.append(cfg)
            if (data := OmegaConf.to_yaml(cfg.data)) not in checked_data:  # missing, unreadable, too few images
                arrays = load_arrays(cfg.data)
                checked_data[data] = len(arrays.train_y), class_counts(arrays.test_y)
            device = resolve_device(cfg.device) if runs_here else None  # a node's device: unknown here
            check_data_fits(OmegaConf.to_object(cfg), *checked_data[data], device)
            check_free(run_dir)  # a directory in use says so, before its checkpoint (maybe another brain's) is read
            done = epochs_done(cfg, run_dir, here=runs_here)
            if done >= cfg.epochs and not multirun:
                locks.enter_context(run_lock(run_dir))
                already_ran(run_dir, done, cfg.epochs)
                return run_dir, cfg
        if cohort_size is not None:  # hydra/launcher=cohort: each cohort (consecutive jobs) shares data, cortex, ...
            for start in range(0, len(configs), cohort_size):
                check_shared(configs[start:start + cohort_size])
    for run_dir in run_dirs:  # the jobs of other processes take their own locks; this one's would be in their way
        locks.enter_context(run_lock(run_dir)) if in_process else check_free(run_dir)
    return None


def _jobs(overrides: list[str], multirun: bool) -> list[list[str]]:
    """Each job's overrides (Hydra's own first), in the order in which Hydra's sweeper numbers the jobs."""
    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    parsed = [_parse(parser, a) for a in overrides]
    _check_keys(parsed)
    is_hydra = lambda o: o.key_or_group.split(".")[0].split("/")[0] == "hydra"
    own = [a for a, o in zip(overrides, parsed) if is_hydra(o)]
    task = [o for o in parsed if not is_hydra(o)]
    if multirun:
        sweeps = " ".join(o.input_line for o in task if o.is_sweep_override())
        return [own + job for job in _hydra_call(lambda: BasicSweeper.split_arguments(task, None)[0], sweeps)]
    for o in task:
        if o.is_sweep_override():
            raise PadError(f"{o.input_line}: a sweep needs -m (--multirun); write a list as key=[a,b]")
    return [own + [o.input_line for o in task]]


def _job(overrides: list[str], num: int, multirun: bool) -> tuple[DictConfig, Path, int | None, bool, bool]:
    """Job `num`'s configuration, as its run gets it, its run directory, the brains per cohort if the sweep's
    launcher trains brains together (None otherwise), whether the brain will live on this machine, and whether in
    this process."""
    cfg = _compose(overrides)
    with read_write(cfg):
        cfg.hydra.job.num = num
    HydraConfig.instance().set_config(cfg)  # run directories may name ${hydra:...}
    cohort_size = check_launcher(cfg.hydra.launcher) if multirun else None
    runs_here = not (multirun and runs_elsewhere(cfg.hydra.launcher))
    in_process = not multirun or cfg.hydra.launcher.get("_target_") in IN_PROCESS_LAUNCHERS
    if not runs_here:
        _check_slurm(cfg)
    check_hydra_keys(cfg, multirun)
    if multirun:
        run_dir = _hydra_call(lambda: Path(cfg.hydra.sweep.dir, cfg.hydra.sweep.subdir), "hydra.sweep")
    else:
        run_dir = _hydra_call(lambda: Path(cfg.hydra.run.dir), "hydra.run.dir")
    with read_write(cfg), open_dict(cfg):
        del cfg["hydra"]
    validate(OmegaConf.to_object(cfg))
    check_writable_folder(run_dir, f"{run_dir} (the run directory)")
    return cfg, run_dir, cohort_size, runs_here, in_process


IN_PROCESS_LAUNCHERS = {"hydra._internal.core_plugins.basic_launcher.BasicLauncher",  # a sweep's jobs one by one
                        "hydra_plugins.pad_cohort_launcher.cohort_launcher.CohortLauncher"}  # hydra/launcher=cohort
COHORT_LAUNCHERS = {f"hydra_plugins.pad_cohort_launcher.cohort_launcher.{name}"  # hydra/launcher=cohort, cohort_*
                    for name in ("CohortLauncher", "SlurmCohortLauncher", "LocalCohortLauncher")}
REMOTE_LAUNCHERS = {"hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",  # slurm, cohort_slurm
                    "hydra_plugins.pad_cohort_launcher.cohort_launcher.SlurmCohortLauncher"}


# Hydra's keys a command may set, with their ranges where Hydra's types say too little (the simulator's own keys
# declare theirs beside their defaults, in sims/life/config.py and the components' dataclasses). A launcher's keys apply
# where that launcher is chosen.
HYDRA_KEYS = {
    "hydra.run.dir": Rule(why="an empty run directory would be the working directory"),
    "hydra.sweep.dir": Rule(why="an empty sweep folder would be the working directory"),
    "hydra.sweep.subdir": Rule(why="each job of a sweep needs its own folder"),
    "hydra.launcher.size": Rule(low=1, why="brains per cohort"),  # cohort, cohort_slurm, cohort_local
    "hydra.launcher.n_jobs": Rule(low=1, why="processes at once (give the number; joblib's negative counts are not "
                                              "accepted)"),  # processes
    "hydra.launcher.timeout_min": Rule(low=1),  # slurm, cohort_slurm, cohort_local
    "hydra.launcher.nodes": Rule(low=1),
    "hydra.launcher.tasks_per_node": Rule(low=1),
    "hydra.launcher.gpus_per_node": Rule(low=0),
    "hydra.launcher.cpus_per_task": Rule(low=1),
    "hydra.launcher.mem_gb": Rule(low=1),
    "hydra.launcher.array_parallelism": Rule(low=1),
    "hydra.launcher.max_num_timeout": Rule(low=0),
}


def check_hydra_keys(cfg: DictConfig, multirun: bool) -> None:
    """Each of HYDRA_KEYS that this command's configuration holds (a run's keys, or a sweep's and its launcher's)."""
    for key, rule in HYDRA_KEYS.items():
        if key.startswith("hydra.run." if multirun else "hydra.sweep."):
            continue
        value = _hydra_call(lambda: OmegaConf.select(cfg, key, default=None), key)
        if value is not None:
            rule.check(key, value)


def check_launcher(launcher: DictConfig) -> int | None:
    """A cohort launcher's brains per cohort; None for any other launcher."""
    return int(launcher.size) if launcher.get("_target_") in COHORT_LAUNCHERS else None


def _check_keys(parsed: list) -> None:
    """Each key once; `+key`/`++key` only for a declared key; `~key` never (every key is declared, none may go)."""
    seen = {}
    declared = compose(config_name="config", return_hydra_config=True)
    for o in parsed:
        key = o.key_or_group
        if key in seen:
            raise PadError(f"{o.input_line}: {key} is given twice (also {seen[key]}); give each key once")
        seen[key] = o.input_line
        if o.is_delete():
            raise PadError(f"{o.input_line}: keys cannot be deleted (every key of the configuration is needed)")
        if o.is_add() or o.is_force_add():
            if OmegaConf.select(declared, key, default=_MISSING) is _MISSING:
                raise PadError(f"{o.input_line}: {key} is not a key of the configuration (see --cfg job)")


_MISSING = object()


def runs_elsewhere(launcher: DictConfig) -> bool:
    """Whether the launcher's jobs live on other machines (SLURM nodes), whose devices this machine cannot see."""
    return launcher.get("_target_") in REMOTE_LAUNCHERS


def _check_slurm(cfg: DictConfig) -> None:
    """A SLURM launcher needs a machine that can submit to SLURM (submitit looks for `srun`)."""
    if shutil.which("srun") is None:
        name = cfg.hydra.runtime.choices.get("hydra/launcher", "slurm")
        raise PadError(f"hydra/launcher={name}: no SLURM on this machine (srun not found); submit from a SLURM login "
                       "node, or run here with hydra/launcher=cohort_local or submitit_local")


def epochs_done(cfg: DictConfig, run_dir: Path, here: bool = True) -> int:
    """Check the device (its name only, unless the brain lives `here`, on this machine), and that `cfg` may continue
    the checkpoint in `run_dir`; the epochs that run has lived."""
    if here:
        resolve_device(cfg.device)
    else:
        check_device_name(cfg.device)
    checkpoint = run_dir / "checkpoints" / "last.pt"
    if not checkpoint.exists():
        return 0
    state = load_checkpoint(checkpoint)
    check_compatible(OmegaConf.create(state["config"]), cfg, checkpoint)
    return int(state["epoch"]) - 1


def _parse(parser: OverridesParser, arg: str):
    try:
        return parser.parse_override(arg)
    except HydraException as e:
        raise PadError(f"{arg}: cannot parse ({first_line(e)})") from None


def _compose(overrides: list[str]) -> DictConfig:
    """The configuration Hydra will run with; on failure, name the first override that makes it fail."""
    try:
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as e:
        error = e
    culprit = None
    if _composes([]):  # bisect: overrides[:ok] compose, overrides[:bad] do not
        ok, bad = 0, len(overrides)
        while bad - ok > 1:
            mid = (ok + bad) // 2
            ok, bad = (mid, bad) if _composes(overrides[:mid]) else (ok, mid)
        culprit = overrides[bad - 1]
    if isinstance(error, MissingConfigException) and error.options:
        raise PadError(f"{culprit or error.missing_cfg_file}: not one of {', '.join(error.options)}") from None
    cause = error.__cause__ if isinstance(error.__cause__, OmegaConfBaseException) else error
    raise PadError(f"{culprit or getattr(cause, 'full_key', None) or 'config'}: {first_line(cause)}") from None


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
        raise PadError(f"{name}: {first_line(e)}") from None
