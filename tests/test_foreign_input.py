"""Foreign, partial and mismatched input ends every analysis command line and every experiment script in one line on
stderr (`error: ...`, exit status 2), never a traceback: a netCDF file written by another program, a run's file
missing the variables a command needs, a file of another file format (its `pad_version`), a config attribute that is
not YAML, an unknown flag; an experiment whose manipulation block lies beyond the run is refused before anything
trains, and a report of such runs says "not reached" instead of showing effects."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from analysis import experiment, hypnogram, report
from analysis.load import open_runs
from records.variables import FORMAT
from sims.experiments import design, runner
from sims.life.simulator import run
from tests.helpers import tiny_config

matplotlib.use("Agg")
SCRIPTS = ["rem_deprivation", "nrem_deprivation", "total_deprivation", "restriction", "fragmentation", "scopolamine",
           "physostigmine", "ssri"]
COMMANDS = {"report": report.main, "hypnogram": hypnogram.main, "experiment": experiment.main}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """One epoch of a control and of a REM-deprived brain whose deprivation (the protocol's epochs 11-30) lies
    beyond the run: the manipulated brain never lives it."""
    root = tmp_path_factory.mktemp("foreign")
    small = ["epochs=1", "data.train_size=192"]
    run(tiny_config(*small), root / "control")
    run(tiny_config(*small, "protocol=rem_deprivation"), root / "deprived")
    return {"control": root / "control", "deprived": root / "deprived"}


def one_line_exit(capsys, main, argv) -> str:
    """Run a command line's entry point; assert exit status 2 and one line on stderr; return that line."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err.strip()


def experiment_folder(tmp_path: Path, runs: dict, manipulated: Path | None = None) -> Path:
    """An experiment folder: the control, a manipulated run (default: the deprived one) and experiment.json."""
    folder = tmp_path / "exp"
    shutil.copytree(runs["control"], folder / "control")
    shutil.copytree(manipulated or runs["deprived"], folder / "deprived")
    labels = {p.name: str(xr.open_dataset(p / "activity.nc").condition.values[0]) for p in folder.iterdir()}
    (folder / "experiment.json").write_text(json.dumps(
        {"name": "rem_deprivation", "title": "t", "control": labels["control"], "manipulated": [labels["deprived"]],
         "manipulation_block": "deprivation", "mode": "full",
         "predictions": [{"metric": "readout", "expected": "lower", "source": "PAD"},
                         {"metric": "rem_share", "expected": "lower", "source": "protocol", "at": "manipulation"}]}))
    return folder


def argv_of(command: str, run_dir: Path, tmp_path: Path) -> list[str]:
    return {"report": [str(run_dir), "--out", str(tmp_path / "r")],
            "hypnogram": [str(run_dir), "--out", str(tmp_path / "h.csv")],
            "experiment": [str(run_dir.parent)]}[command]


# --- analysis command lines --------------------------------------------------------------------------------------
def damaged(ds: xr.Dataset, case: str) -> xr.Dataset:
    if case == "foreign":
        return xr.Dataset({"x": ("t", [1, 2])})
    if case in ("no day", "no state", "no step_epoch", "no condition"):
        return ds.drop_vars(case[3:])
    if case == "no step dimension":
        return ds.drop_dims("step")
    if case == "newer format":
        return ds.assign_attrs(pad_format=FORMAT + 1, pad_version="9.0.0")
    if case == "blocks not JSON":
        return ds.assign_attrs(protocol_blocks='[{"name": "baseline"')
    return ds.assign_attrs(config="protocol: [unclosed")  # config not YAML


MESSAGES = {"foreign": "not a pad-sleep activity file, or a partial one (no brain, condition, seed, step, state, day, "
                       "step_epoch; written by another program?)",
            "no day": "not a pad-sleep activity file, or a partial one (no day;",
            "no state": "not a pad-sleep activity file, or a partial one (no state;",
            "no step_epoch": "not a pad-sleep activity file, or a partial one (no step_epoch;",
            "no condition": "not a pad-sleep activity file, or a partial one (no condition;",
            "no step dimension": "not a pad-sleep activity file, or a partial one (no step, state, day, step_epoch;",
            "newer format": f"an activity file of format {FORMAT + 1} (pad-sleep 9.0.0); this pad-sleep reads format "
                            f"{FORMAT}: analyse it with the version that wrote it",
            "blocks not JSON": "its protocol_blocks attribute is not a list of blocks ('[{\"name\": \"baseline\"')",
            "config not YAML": "its config attribute is not readable YAML (ParserError)"}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", MESSAGES)
def test_a_foreign_partial_or_mismatched_file_is_one_line(runs, tmp_path, capsys, file_snapshot, command, case):
    folder = experiment_folder(tmp_path, runs)
    bad = folder / "deprived" / "activity.nc"
    damaged(xr.open_dataset(bad).load(), case).to_netcdf(bad)
    if case in ("config not YAML", "blocks not JSON") and command == "hypnogram":  # the CSV export needs neither
        return
    if case == "config not YAML" and command == "experiment":  # it reads the blocks the file says, not the config
        return
    before = file_snapshot(tmp_path)
    line = one_line_exit(capsys, COMMANDS[command], argv_of(command, bad.parent, tmp_path))
    assert line.startswith(f"error: {bad}: {MESSAGES[case]}"), line
    assert file_snapshot(tmp_path) == before  # nothing written


@pytest.mark.parametrize("module", ["analysis.report", "analysis.hypnogram"])
def test_the_command_line_on_another_programs_netcdf_has_no_traceback(module, tmp_path, cli_env):
    (tmp_path / "run").mkdir()
    xr.Dataset({"x": ("t", [1, 2])}).to_netcdf(tmp_path / "run" / "activity.nc")
    done = subprocess.run([sys.executable, "-m", module, str(tmp_path / "run"), "--out", str(tmp_path / "out")],
                          env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.splitlines() == [
        f"error: {tmp_path / 'run' / 'activity.nc'}: {MESSAGES['foreign']}"], done.stderr


def test_the_format_the_simulator_writes_is_the_one_the_analysis_reads(runs, tmp_path, capsys):
    assert xr.open_dataset(runs["control"] / "activity.nc").attrs["pad_format"] == FORMAT == 2
    assert hypnogram.main([str(runs["control"]), "--out", str(tmp_path / "h.csv")]) == tmp_path / "h.csv"
    patched = tmp_path / "run"
    shutil.copytree(runs["control"], patched)
    ds = xr.open_dataset(runs["control"] / "activity.nc").load()
    del ds.attrs["pad_format"]  # a file written before formats were numbered: format 1 (diverged_day -1 for never)
    ds.assign_attrs(pad_version="0.0.1").to_netcdf(patched / "activity.nc")
    with pytest.raises(SystemExit) as stopped:
        hypnogram.main([str(patched), "--out", str(tmp_path / "old.csv")])
    assert stopped.value.code == 2 and capsys.readouterr().err.splitlines() == [
        f"error: {patched / 'activity.nc'}: an activity file of format 1 (pad-sleep 0.0.1); this pad-sleep reads "
        f"format {FORMAT}: analyse it with the version that wrote it"]


def test_a_partial_file_still_gives_what_it_holds(runs, tmp_path, capsys):
    """Without the levels, the REM dreams, the night and block coordinates (an older or partial file): the report
    and the experiment's report are written, figures included, and such a run stacks with a complete one."""
    partial = tmp_path / "partial"
    partial.mkdir()
    ds = xr.open_dataset(runs["deprived"] / "activity.nc").load()
    ds.drop_vars(["ach", "na", "dream_rem", "night", "block"]).to_netcdf(partial / "activity.nc")
    report.main([str(partial), str(runs["control"]), "--out", str(tmp_path / "r")])
    assert (tmp_path / "r" / "hypnogram.png").exists() and (tmp_path / "r" / "dreams.png").exists()
    both = open_runs([partial, runs["control"]])
    assert both.night.dims == ("brain", "step") and np.isnan(both.night.values[0]).all()
    assert list(both.block.values[0][:3]) == [""] * 3
    folder = experiment_folder(tmp_path, runs, partial)
    assert experiment.main([str(folder)]) == folder / "report"
    assert (folder / "report" / "hypnograms.png").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_flag_is_one_line(command, capsys, tmp_path):
    line = one_line_exit(capsys, COMMANDS[command], [str(tmp_path), "--foo"])
    assert line == "error: unrecognized arguments: --foo"


# --- experiments whose manipulation lies beyond the run ----------------------------------------------------------
def test_a_manipulation_beyond_the_run_is_reported_as_not_reached(runs, tmp_path):
    folder = experiment_folder(tmp_path, runs)
    out = experiment.main([str(folder)])
    table = pd.read_csv(out / "effects.csv", keep_default_na=False)
    at_block = table[table.time_point.str.startswith("end of deprivation")]
    assert len(at_block) > 0 and (at_block.verdict == "not reached").all() and (at_block.n == 0).all()
    # one epoch of 3 days (192 images / batches of 64); the block begins at epoch 11, on day 30
    assert set(at_block.time_point) == {"end of deprivation (not reached: it begins on day 30, the run ended after "
                                        "3 days)"}
    assert (at_block.effect_mean == "").all() and (at_block.epoch == "").all()
    at_end = table[table.time_point == "end of run"]
    assert (at_end.verdict == "n/a (not manipulated)").all()
    # drift compares a recording with the previous one: a one-epoch run has none to compare
    assert (at_end.n == np.where(at_end.metric == "drift", 0, 1)).all() and "drift" in set(at_end.metric)
    md = (out / "effects.md").read_text()
    assert "| not reached | 0 | – | – | – | lower | PAD | not reached |" in md and "⚠ Not reached" in md
    assert (out / "hypnograms.png").exists() and (out / "time_course.png").exists()


@pytest.fixture
def no_training(monkeypatch):
    """The experiment scripts must stop before they start run_night.py."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"started {args[0]!r}")
    monkeypatch.setattr(runner.subprocess, "run", refuse)


def script(name: str) -> design.Experiment:
    return __import__(f"sims.experiments.{name}", fromlist=["EXPERIMENT"]).EXPERIMENT


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_block_beyond_the_run_is_refused_before_training(name, no_training, tmp_path, capsys):
    exp = script(name)
    line = one_line_exit(capsys, lambda argv: runner.run(exp, argv), ["--full", "epochs=1", "--out", str(tmp_path)])
    last = 12 if name == "total_deprivation" else 30  # sims/conf/protocol/NAME.yaml
    assert line == (f"error: python -m sims.experiments.{name}: the {exp.manipulation_block} block (epochs 11-{last}) "
                    "begins after the run's last epoch (epochs=1): the manipulated brains would live as their "
                    "controls; raise epochs or move the block (protocol.blocks.1.start=...)")
    assert not any(tmp_path.iterdir())


def test_quick_mode_and_its_blocks_reach_the_manipulation():
    exp = script("restriction")
    quick = runner.commands(exp, "quick", Path("/tmp/x"), "0,1", [])[1][3:]
    assert runner.unreached_block(exp, quick) is None
    short = runner.commands(exp, "quick", Path("/tmp/x"), "0,1", ["epochs=2,6"])[1][3:]  # one job of the sweep
    assert runner.unreached_block(exp, short) == (
        "the restriction block (epochs 3-12) begins after the run's last epoch (epochs=2): the manipulated brains "
        "would live as their controls; raise epochs or move the block (protocol.blocks.1.start=...)")


def test_a_piloted_quick_mode_replaces_the_default_blocks_and_seeds(monkeypatch, tmp_path):
    """rem_deprivation's quick mode is its pilot's setting: 12 epochs, deprivation in epochs 3-12, seeds 0-7."""
    ran = []
    monkeypatch.setattr(runner.subprocess, "run", lambda command, **kw: ran.append(command) or
                        subprocess.CompletedProcess(command, 1))
    with pytest.raises(SystemExit):
        runner.run(script("rem_deprivation"), ["--out", str(tmp_path)])
    control = ran[0]
    assert "epochs=12" in control and "seed=0,1,2,3,4,5,6,7" in control and "protocol=none" in control
    blocks = runner.commands(script("rem_deprivation"), "quick", tmp_path, "0", [])[1]
    assert [o for o in blocks if o.startswith("protocol.blocks")] == [
        "protocol.blocks.0.stop=3", "protocol.blocks.1.start=3", "protocol.blocks.1.stop=13", "protocol.blocks.2.start=13"]
    assert runner.unreached_block(script("rem_deprivation"), blocks[3:]) is None


@pytest.mark.parametrize("name", [*SCRIPTS, "table1"])
def test_an_unknown_flag_is_the_scripts_own_one_line(name, no_training, capsys):
    line = one_line_exit(capsys, lambda argv: runner.run(script(name), argv), ["--foo", "epochs=1"])
    prog = f"python -m sims.experiments.{name}"
    assert line == (f"error: {prog}: unrecognized arguments: --foo (usage: {prog} [--full] [--seeds S,S,...] "
                    "[--out DIR] [--cfg job] [KEY=VALUE ...])")


def test_the_script_run_as_a_module_says_so_too(tmp_path, cli_env):
    done = subprocess.run([sys.executable, "-m", "sims.experiments.ssri", "--foo"], env=cli_env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: python -m sims.experiments.ssri: unrecognized arguments: --foo (usage:")
    assert not any(tmp_path.iterdir())


def test_a_foreign_file_in_the_experiments_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "other").mkdir()
    xr.Dataset({"x": ("t", [1, 2])}).to_netcdf(tmp_path / "other" / "activity.nc")
    line = one_line_exit(capsys, lambda argv: runner.write_manifest(script("ssri"), "quick", tmp_path), [])
    assert line.startswith(f"error: {tmp_path / 'other' / 'activity.nc'}: not the activity file of a run of this "
                           "experiment (AttributeError)")
