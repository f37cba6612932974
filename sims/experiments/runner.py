"""What every experiment does: run the manipulated brains and their controls over several seeds through the
normal runner and Hydra multirun (so any Hydra launcher can take them elsewhere), then write the report
(`python -m analysis.experiment`: figures with the manipulation's blocks shaded, hypnograms, and the effect,
manipulated minus control paired by seed, beside the prediction). What to run is the experiment's configuration
(sims/experiments/design.py; its modes in sims/experiments/conf/modes.yaml): quick mode (the default) is minutes on
2 CPU cores, or the setting a pilot on seeds 100 and up found to answer; full mode (`--full`) is CIFAR-10 and the
paper's 50 epochs, hours on a GPU. `--cfg job` prints the experiment and its two multiruns, and runs nothing.

Bad input ends in one line on stderr naming the script (`error: python -m sims.experiments.NAME: ...`, status 2)
before anything trains: an unknown flag (run_night.py's overrides go without dashes), a manipulation block that
begins after the run's last epoch (the manipulated brains would live as their controls), and whatever run_night.py's
preflight refuses in the manipulated brains' command (a bad `protocol.*` override), before the controls train.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import xarray as xr
from omegaconf import OmegaConf

from records.errors import PadError
from records.files import atomic_write
from sims.experiments.design import Experiment, as_yaml, merged
from sims.jobs.preflight import preflight

REPO = Path(__file__).resolve().parents[2]


def commands(exp: Experiment, mode: str, folder: Path, seeds: str, extra: list[str]) -> list[list[str]]:
    """The two multiruns: the controls (no protocol), and the manipulated brains (the protocol, or with
    protocol "none" the sweep alone, as Table 1 sweeps scenarios). `extra` overrides win over the mode's and the
    experiment's quick mode; those of the protocol (`protocol.*`) go to the manipulated brains only."""
    common = [*exp.modes[mode].overrides, *exp.common, f"seed={seeds}", f"hydra.sweep.dir={folder}"]
    run_night = [sys.executable, str(REPO / "sims" / "run_night.py"), "-m"]
    own = [o for o in extra if o.startswith("protocol.")]
    shared = [o for o in extra if not o.startswith("protocol.")]
    blocks = exp.modes[mode].blocks if exp.protocol != "none" else ()
    return [run_night + merged(common, ["protocol=none"], shared),
            run_night + merged(common, [f"protocol={exp.protocol}", *blocks, *exp.sweep], shared, own)]


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line naming the script (`error: PROG: ...`, status 2)."""

    def error(self, message: str) -> NoReturn:
        fail(f"{self.prog}: {message} (usage: {self.prog} [--full] [--seeds S,S,...] [--out DIR] [--cfg job] [KEY=VALUE ...])")


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def run(exp: Experiment, argv: list[str] | None = None, prog: str = "") -> Path:
    parser = Parser(prog=prog or f"python -m sims.experiments.{exp.name}", description=exp.title)
    parser.add_argument("--full", action="store_true", help="full mode: CIFAR-10, the paper's 50 epochs (default: quick)")
    parser.add_argument("--seeds", help="comma-separated seeds (default: the mode's, see --cfg job)")
    parser.add_argument("--out", type=Path, help="folder of the runs and the report (default: experiments/NAME/MODE)")
    parser.add_argument("--cfg", choices=["job"], help="print the experiment's configuration and its two multiruns")
    args, extra = parser.parse_known_args(argv)  # anything else goes to run_night.py (e.g. hydra/launcher=joblib)
    if flags := [a for a in extra if a.startswith("-")]:  # run_night.py's flags (-m, --cfg, ...) are the script's
        parser.error(f"unrecognized arguments: {' '.join(flags)}")
    mode = "full" if args.full else "quick"
    folder = (args.out or Path("experiments") / exp.name / mode).resolve()
    env = os.environ | {"PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs = commands(exp, mode, folder, args.seeds or exp.modes[mode].seeds, extra)
    if args.cfg:
        print(as_yaml(exp) + f"# {mode} mode runs:\n" + "".join(f"#   {shlex.join(c[1:])}\n" for c in runs), end="")
        return folder / "report"
    if problem := unreached_block(exp, runs[1][3:]):
        fail(f"{parser.prog}: {problem}")
    with ExitStack() as locks:  # the manipulated brains' overrides, checked before the controls train
        try:
            preflight(runs[1][2:], locks)
        except PadError as e:
            fail(f"{parser.prog}: {e}")
    for command in runs:
        if (status := subprocess.run(command, env=env).returncode) != 0:
            sys.exit(status)
    write_manifest(exp, mode, folder)
    report = subprocess.run([sys.executable, "-m", "analysis.experiment", str(folder)], env=env, cwd=REPO)
    if report.returncode != 0:
        sys.exit(report.returncode)
    print(f"report: {folder / 'report'}")
    return folder / "report"


def unreached_block(exp: Experiment, overrides: list[str]) -> str | None:
    """Why the manipulated brains would never live their manipulation: a block (by epochs) that begins after the
    run's last epoch, in some job of the sweep; None if every job reaches it, or if the overrides do not compose
    (run_night.py then says why, in one line)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from analysis.hypnogram import manipulation_blocks
    from sims.jobs.registry import compose_config

    own = [o for o in overrides if not o.split("=", 1)[0].lstrip("+~").startswith(("hydra", "seed"))]
    try:
        jobs = BasicSweeper.split_arguments(OverridesParser.create().parse_overrides(own), None)[0]
        configs = [compose_config(job) for job in {tuple(job): job for job in jobs}.values()]
    except Exception:  # a bad override: run_night.py's preflight names it
        return None
    for cfg in configs:
        if cfg.protocol.unit != "epoch":
            continue
        blocks = [(b.name, int(b.start), b.stop, i) for i, b in enumerate(cfg.protocol.blocks)]
        for name, start, stop, i in manipulation_blocks(blocks, exp.manipulation_block or None):
            if start > cfg.epochs:
                span = f"epochs {start}-" if stop is None else f"epoch {start}" if stop - 1 <= start else \
                    f"epochs {start}-{stop - 1}"
                return (f"the {name} block ({span}) begins after the run's last epoch (epochs={cfg.epochs}): the "
                        f"manipulated brains would live as their controls; raise epochs or move the block "
                        f"(protocol.blocks.{i}.start=...)")
    return None


def write_manifest(exp: Experiment, mode: str, folder: Path) -> None:
    """experiment.json: what the report needs to know: the conditions by label (control: the brains whose config
    has `exp.control_is`), their short names, the predictions (a condition's by its label), the published read-out
    where asked."""
    from analysis.published import readout_accuracy

    control, manipulated, names, published, axis = set(), set(), {}, {}, {}
    swept = [o.split("=", 1)[0] for o in exp.sweep]
    key, control_value = exp.control_is
    for activity in sorted(folder.glob("*/activity.nc")):
        try:
            with xr.open_dataset(activity) as ds:
                label, config = str(ds.condition.values[0]), OmegaConf.create(ds.attrs["config"])
            config.protocol.name  # noqa: B018 (a run's config has one)
        except Exception as e:  # a foreign or damaged file left in the folder
            fail(f"{activity}: not the activity file of a run of this experiment ({type(e).__name__}); "
                 "give the experiment a folder of its own (--out)")
        if str(OmegaConf.select(config, key)) == control_value:
            control.add(label)
            names[label] = "control"
        else:
            manipulated.add(label)
            names[label] = exp.names_format.format(OmegaConf.select(config, exp.names_from)) if exp.names_from else \
                " ".join([exp.name] + [f"{k.split('.')[-1]}={OmegaConf.select(config, k)}" for k in swept])
            if exp.axis:
                axis[label] = float(OmegaConf.select(config, exp.axis))
        if exp.published and (row := readout_accuracy(config.data.name, config.scenario_name)) is not None:
            published[label] = {"readout": row._asdict()}
    if len(control) != 1 or not manipulated:
        fail(f"{folder}: expected one control condition and manipulated ones, found {sorted(control)} and "
             f"{sorted(manipulated)}")
    matched = pair_matched(exp, names)
    label_of = {name: label for label, name in names.items()}
    predictions = []
    for p in exp.predictions:
        if p.condition and p.condition not in label_of:
            fail(f"{folder}: prediction of {p.metric} for condition {p.condition!r}: no such condition "
                 f"(conditions: {', '.join(sorted(names.values()))})")
        own = {k: v for k, v in asdict(p).items() if v != "" and k != "condition"}
        predictions.append(own | ({"condition": label_of[p.condition]} if p.condition else {}))
    manifest = {"name": exp.name, "title": exp.title, "mode": mode, "protocol": exp.protocol,
                "control": control.pop(), "manipulated": sorted(manipulated),
                "manipulation_block": exp.manipulation_block, "notes": exp.notes, "names": names,
                "pilot": exp.modes[mode].pilot,
                "predictions": predictions} | ({"published": published} if exp.published else {}) | \
        ({"matched": matched} if matched else {}) | \
        ({"axis": {"name": exp.axis.split(".")[-1], "values": axis}} if exp.axis else {})
    atomic_write(folder / "experiment.json", lambda tmp: tmp.write_text(json.dumps(manifest, indent=2)))


def pair_matched(exp: Experiment, names: dict[str, str]) -> dict[str, str]:
    """{manipulated label: its matched control's label} from `exp.matched_by`: the condition whose name differs only
    in the key's value (manipulated value -> matched value)."""
    if not exp.matched_by:
        return {}
    key, own, matching = exp.matched_by
    short = key.split(".")[-1]
    label_of = {name: label for label, name in names.items()}
    pairs = {label: label_of.get(name.replace(f"{short}={own}", f"{short}={matching}"))
             for label, name in names.items() if f"{short}={own}" in name.split()}
    if not pairs or None in pairs.values():
        fail(f"{exp.name}: no matched control ({key}={matching}) for {sorted(pairs) or 'any condition'}")
    return pairs
