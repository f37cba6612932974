"""Experiments as configuration (sims/experiments/design.py): every file of the config group loads and describes a
runnable experiment; its modes lay its own settings over modes.yaml's as written down by hand; `--cfg job` prints
what runs; a user's YAML file, extending a group's experiment or written from nothing, runs without Python; a bad
file ends in one line naming the file and the key."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from records.errors import PadError
from sims.experiments import __main__ as experiments_main
from sims.experiments import design, runner
from sims.experiments.dose_response import experiment as dose_response

QUICK = ["data=shapes", "data.train_size=2560", "data.test_size=1000", "cortex.channels=[3,16,32,64]",
         "cortex.latent_dim=64", "record.units_per_area=64", "optim.batch_size=32", "eval.readout_epochs=5",
         "eval.geometry=true", "progress=false", "keep_epoch_cortex=false", "epochs=12"]  # modes.yaml, by hand


def one_line_exit(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        experiments_main.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err.strip()


@pytest.mark.parametrize("name", design.names())
def test_every_experiment_of_the_group_loads_and_reaches_its_manipulation(name):
    exp = design.load(name)
    assert exp.name == name and exp.title and exp.predictions and exp.notes
    assert design.from_config(OmegaConf.create(design.as_plain(exp)), name, "round trip") == exp
    assert __import__(f"sims.experiments.{name}", fromlist=["EXPERIMENT"]).EXPERIMENT == exp  # the script runs it
    for mode in design.MODES:
        manipulated = runner.commands(exp, mode, Path("/tmp/x"), exp.modes[mode].seeds, [])[1][3:]
        assert runner.unreached_block(exp, manipulated) is None


def test_the_group_holds_every_experiment_script():
    scripts = {p.stem for p in Path(runner.__file__).parent.glob("*.py")} - {
        "__init__", "__main__", "runner", "design", "dose_response"}
    assert scripts == set(design.names())


def test_modes_lay_the_experiments_settings_over_the_defaults():
    rem = design.load("rem_deprivation").modes  # nothing of its own: the piloted 12 epochs, 8 seeds
    assert list(rem["quick"].overrides) == QUICK
    assert rem["quick"].blocks == ("protocol.blocks.0.stop=3", "protocol.blocks.1.start=3",
                                   "protocol.blocks.1.stop=13", "protocol.blocks.2.start=13")
    assert rem["quick"].seeds == "0,1,2,3,4,5,6,7"
    assert rem["full"] == design.Mode(("data=cifar10", "epochs=50", "eval.geometry=true"), (), "0,1,2,3")
    night = design.load("night_architecture").modes["quick"]  # its own overrides replace those of the same key
    assert list(night.overrides) == [*[o for o in QUICK if o not in ("data.train_size=2560", "epochs=12")],
                                     "data.train_size=1280", "epochs=4"]
    assert night.seeds == "0,1,2" and night.blocks == rem["quick"].blocks


def test_cfg_job_prints_the_experiment_and_its_two_multiruns(capsys):
    folder = runner.run(design.load("fragmentation"), ["--cfg", "job", "--seeds", "4,5", "epochs=7"])
    out = capsys.readouterr().out
    printed = yaml.safe_load(out)
    assert printed == design.as_plain(design.load("fragmentation")) and printed["quick"]["seeds"] == "0,1,2,3,4,5,6,7"
    commands = [line.split()[1:] for line in out.splitlines() if line.startswith("#   ")]
    assert len(commands) == 2 and all("seed=4,5" in c and "epochs=7" in c for c in commands)
    assert "protocol=none" in commands[0] and "protocol.blocks.1.arousals_at=random,night_end" in commands[1]
    assert not folder.parent.exists()  # nothing ran, nothing written


def test_a_users_file_extends_a_group_experiment(tmp_path, capsys):
    mine = tmp_path / "flower_pot.yaml"
    mine.write_text("defaults:\n  - experiment/rem_deprivation@_here_\n  - _self_\n"
                    "title: REM deprivation, the flower pot's 57%\n"
                    "quick:\n  seeds: 3,4\n  blocks: [protocol.blocks.1.keep.REM=0.57]\n")
    exp = design.load(str(mine))
    rem = design.load("rem_deprivation")
    assert exp.name == "flower_pot" and exp.title == "REM deprivation, the flower pot's 57%"
    assert exp.predictions == rem.predictions and exp.common == rem.common
    assert exp.modes["quick"].seeds == "3,4" and exp.modes["quick"].blocks == ("protocol.blocks.1.keep.REM=0.57",)
    assert exp.modes["quick"].overrides == rem.modes["quick"].overrides  # a mode's keys merge one by one
    experiments_main.main([str(mine), "--cfg", "job"])
    assert "protocol.blocks.1.keep.REM=0.57" in capsys.readouterr().out


def test_dose_response_is_checked_like_a_file():
    exp = dose_response("scopolamine", [0, 1])
    assert exp.predictions == design.load("scopolamine").predictions and exp.axis == "protocol.drugs.0.dose"
    assert exp.modes["full"] == design.load("scopolamine").modes["full"]
    quick = exp.modes["quick"]  # the design shown in minutes: 2 epochs of treatment, 3 seeds, a pilot note saying so
    assert quick.seeds == "0,1,2" and "epochs=6" in quick.overrides and quick.pilot.startswith("not piloted")
    assert quick.blocks == ("protocol.blocks.0.stop=3", "protocol.blocks.1.start=3", "protocol.blocks.1.stop=5",
                            "protocol.blocks.2.start=5")


def prediction(**own) -> dict:
    return {"predictions": [{"metric": "readout", "expected": "lower", "source": "s"} | own]}


BAD = [  # (what the file changes of a good one, the one line's end)
    (prediction(metric="readot"), "predictions.0.metric: 'readot' is not a metric (one of readout, robustness, "
     "robustness_drop, intra_inter_ratio, occluded_inter_ratio, rem_share, nrem_share, nrem_replay_fidelity, "
     "rem_replay_fidelity, drift)"),
    (prediction(expected="down"), "predictions.0.expected: 'down': one of lower, higher, none"),
    (prediction(at="start"), "predictions.0.at: 'start': one of manipulation, end"),
    (prediction(when=1), "predictions.0.when: unknown key (keys: metric, expected, source, at, condition)"),
    ({"predictions": [{"metric": "readout", "expected": "lower"}]}, "predictions.0.source: missing"),
    ({"protocol": "rem_deprivaton"}, "protocol: 'rem_deprivaton' is not a protocol (none, or one of "
     f"{', '.join(sorted(p.stem for p in design.PROTOCOLS.glob('*.yaml') if p.stem != 'none'))})"),
    ({"manipulation_block": "deprivaton"}, "manipulation_block: 'deprivaton' is not a block of protocol "
     "rem_deprivation (blocks: baseline, deprivation, recovery)"),
    ({"quick": {"seeds": "0-7"}}, "quick.seeds: '0-7': comma-separated whole numbers (0,1,2)"),
    ({"quick": {"overrides": ["epochs"]}}, "quick.overrides.0: a KEY=VALUE override, not 'epochs'"),
    ({"quick": {"epochs": 12}}, "quick.epochs: unknown key (keys: overrides, blocks, seeds, pilot)"),
    ({"full": {"pilot": ["seeds 100-103"]}}, "full.pilot: a text, not ['seeds 100-103']"),
    ({"published": "maybe"}, "published: true or false, not 'maybe'"),
    ({"matched_by": {"key": "k", "manipulated": "a"}}, "matched_by.matched: missing"),
    ({"title": None}, "title: a text, not None"),
    ({"seeds": "0,1"}, "seeds: unknown key (keys: title, protocol, predictions, manipulation_block, common, sweep, "
     "notes, control_is, names_from, names_format, axis, published, matched_by, quick, full)"),
]


@pytest.mark.parametrize("change, problem", BAD, ids=[problem.split(":")[0] for _, problem in BAD])
def test_a_bad_file_is_one_line_naming_the_key(change, problem, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"title": "t", "protocol": "rem_deprivation"} | prediction() | change))
    assert one_line_exit(capsys, [str(bad)]) == f"error: python -m sims.experiments: {bad}: {problem}"


def test_unreadable_missing_and_unnamed_experiments_are_one_line(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [unclosed\n")
    assert one_line_exit(capsys, [str(broken)]).startswith(f"error: python -m sims.experiments: {broken}: ")
    assert one_line_exit(capsys, ["nope"]) == (
        f"error: python -m sims.experiments: nope: no such experiment (a YAML file, or one of "
        f"{', '.join(design.names())})")
    assert one_line_exit(capsys, ["--full"]).startswith("error: python -m sims.experiments: name an experiment first")
    with pytest.raises(PadError, match="missing.yaml: no such experiment"):
        design.load(str(tmp_path / "missing.yaml"))


def test_an_experiment_written_as_yaml_runs_end_to_end(tmp_path, cli_env):
    """A new experiment with no Python: REM deprivation in epoch 2 of 3, on a tiny cortex, 2 seeds; the report
    carries the file's prediction with a verdict."""
    mine = tmp_path / "tiny_rem.yaml"
    mine.write_text(
        "title: Tiny REM deprivation\nprotocol: rem_deprivation\nmanipulation_block: deprivation\n"
        "notes: the same seed and images; REM removed in epoch 2\n"
        "predictions:\n- {metric: readout, expected: lower, source: a test}\n"
        "quick:\n  seeds: 0,1\n"
        "  overrides: [data.train_size=64, data.test_size=100, 'cortex.channels=[3,8,16,32]', cortex.latent_dim=32,\n"
        "    record.units_per_area=16, record.probes_per_class=2, optim.batch_size=16, eval.readout_epochs=1,\n"
        "    eval.probes=4, epochs=3, device=cpu, eval.geometry=false]\n"
        "  blocks: [protocol.blocks.0.stop=2, protocol.blocks.1.start=2, protocol.blocks.1.stop=3,\n"
        "    protocol.blocks.2.start=3]\n")
    done = subprocess.run([sys.executable, "-m", "sims.experiments", str(mine), "--out", str(tmp_path / "out")],
                          env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((tmp_path / "out" / "experiment.json").read_text())
    assert manifest["name"] == "tiny_rem" and manifest["title"] == "Tiny REM deprivation"
    md = (tmp_path / "out" / "report" / "effects.md").read_text()
    assert "a test" in md and any(v in md for v in ("confirmed", "contradicted", "inconclusive"))


def test_a_bad_protocol_override_is_refused_before_the_controls_train(tmp_path, capsys, monkeypatch):
    """`protocol.*` overrides go to the manipulated brains only: run_night.py's preflight of their command runs
    before the controls' multirun starts."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"started {args[0]!r}")
    monkeypatch.setattr(runner.subprocess, "run", refuse)
    with pytest.raises(SystemExit) as exit_:
        runner.run(design.load("ssri"), ["--out", str(tmp_path), "protocol.blocks.1.keep.REM=2"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("error: python -m sims.experiments.ssri: protocol.blocks.1.keep.REM") and not any(
        tmp_path.iterdir())
