"""Experiment designs. Table 1: PAD as the control, the four pathological scenarios as conditions named by their
scenario, each prediction tied to its condition's label, the published read-out beside each (typed here from
../shared/REFERENCE.md, not read from analysis.published), and commands without protocol blocks. Fragmentation:
each fragmented condition paired with its matched control (the same Wake steps after an unbroken night)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from sims.experiments import runner
from sims.experiments import dose_response, fragmentation, scopolamine
from sims.experiments.table1 import EXPERIMENT

PUBLISHED = {"pad": (58.25, 0.70), "no_memory_mix": (53.87, 0.85), "no_rem": (46.00, 0.43), "no_nrem": (58.00, 0.34),
             "wake_only": (42.25, 0.54)}  # CIFAR-10, epoch 50, mean ± SEM over 4 seeds


def fake_run(folder: Path, scenario: str, seed: int, protocol: dict | None = None, label: str = "") -> None:
    config = {"scenario_name": scenario, "seed": seed, "data": {"name": "cifar10"},
              "protocol": protocol or {"name": "none"}}
    label = label or f"{scenario}-label"
    (folder / f"{label}_{seed}").mkdir(parents=True)
    xr.Dataset(coords={"brain": [0], "condition": ("brain", [label]), "seed": ("brain", [seed])},
               attrs={"config": yaml.safe_dump(config)}).to_netcdf(folder / f"{label}_{seed}" / "activity.nc")


def test_the_manifest_names_conditions_by_scenario_and_carries_the_published_row(tmp_path):
    for scenario in PUBLISHED:
        for seed in (0, 1):
            fake_run(tmp_path, scenario, seed)
    runner.write_manifest(EXPERIMENT, "quick", tmp_path)
    manifest = json.loads((tmp_path / "experiment.json").read_text())
    assert manifest["control"] == "pad-label"
    assert manifest["manipulated"] == sorted(f"{s}-label" for s in PUBLISHED if s != "pad")
    assert manifest["names"] == {f"{s}-label": "control" if s == "pad" else s for s in PUBLISHED}
    for label, rows in manifest["published"].items():
        scenario = label.removesuffix("-label")
        assert (rows["readout"]["mean"], rows["readout"]["sem"]) == PUBLISHED[scenario]
        assert (rows["readout"]["n"], rows["readout"]["epoch"]) == (4, 50)
    by_condition = {(p["condition"], p["metric"]): p["expected"] for p in manifest["predictions"]}
    assert by_condition == {("no_rem-label", "readout"): "lower", ("wake_only-label", "readout"): "lower",
                            ("no_memory_mix-label", "readout"): "lower", ("no_nrem-label", "readout"): "none",
                            ("no_nrem-label", "occluded_inter_ratio"): "higher",
                            ("no_rem-label", "intra_inter_ratio"): "higher"}


def test_a_prediction_for_a_condition_no_run_has_is_one_line(tmp_path, capsys):
    fake_run(tmp_path, "pad", 0)
    fake_run(tmp_path, "no_rem", 0)
    try:
        runner.write_manifest(EXPERIMENT, "quick", tmp_path)
    except SystemExit as stop:
        assert stop.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "prediction of readout for condition 'wake_only': no such condition" in err


def test_the_commands_sweep_the_scenarios_without_protocol_blocks():
    control, manipulated = runner.commands(EXPERIMENT, "quick", Path("/tmp/x"), "0,1", ["epochs=3"])
    assert "data=cifar10" in control and "protocol=none" in control and "epochs=3" in control
    assert not any(o.startswith("scenario=") for o in control)
    assert "scenario=no_memory_mix,no_rem,no_nrem,wake_only" in manipulated and "protocol=none" in manipulated
    assert not any(o.startswith("protocol.blocks") for o in manipulated)
    assert "epochs=8" not in control and "seed=0,1" in control


def test_fragmentation_pairs_each_fragmented_condition_with_its_matched_control(tmp_path):
    fake_run(tmp_path, "pad", 0)
    for placement in ("random", "night_end"):
        protocol = {"name": "fragmentation", "blocks": [{}, {"arousals": 2, "arousals_at": placement}, {}]}
        fake_run(tmp_path, "pad", 0, protocol, label=f"frag-{placement}")
    runner.write_manifest(fragmentation.EXPERIMENT, "quick", tmp_path)
    manifest = json.loads((tmp_path / "experiment.json").read_text())
    assert manifest["control"] == "pad-label" and manifest["manipulated"] == ["frag-night_end", "frag-random"]
    assert manifest["matched"] == {"frag-random": "frag-night_end"}
    assert manifest["names"]["frag-random"] == "fragmentation arousals_at=random"
    assert "matched control" in manifest["notes"]


def test_a_fragmentation_without_its_matched_control_is_one_line(tmp_path, capsys):
    fake_run(tmp_path, "pad", 0)
    fake_run(tmp_path, "pad", 0, {"name": "fragmentation", "blocks": [{}, {"arousals_at": "random"}, {}]}, "frag")
    try:
        runner.write_manifest(fragmentation.EXPERIMENT, "quick", tmp_path)
    except SystemExit as stop:
        assert stop.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no matched control (protocol.blocks.1.arousals_at=night_end) for ['frag']" in err


def test_a_shrunken_table1_end_to_end(tiny_cifar, tmp_path, cli_env):
    """Five conditions x 2 seeds of a tiny cortex for one epoch, through the script: the tables exist, every
    prediction has a verdict, and the numbers agree with each other (the paired effect is the difference of the
    paired means, each condition's own mean is its brains' mean)."""
    shrink = ["--seeds", "0,1", f"data.root={tiny_cifar}", "data.train_size=64", "data.test_size=100",
              "cortex.channels=[3,8,16,32]", "cortex.latent_dim=32", "record.units_per_area=16",
              "record.probes_per_class=2", "optim.batch_size=16", "eval.readout_epochs=1", "eval.probes=4", "epochs=1",
              "device=cpu"]
    done = subprocess.run([sys.executable, "-m", "sims.experiments.table1", "--out", str(tmp_path), *shrink],
                          env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = tmp_path / "report"
    effects = pd.read_csv(report / "effects.csv", keep_default_na=False, na_values=[""])
    conditions = pd.read_csv(report / "conditions.csv")
    names = json.loads((tmp_path / "experiment.json").read_text())["names"]
    assert sorted(names.values()) == ["control", "no_memory_mix", "no_nrem", "no_rem", "wake_only"]
    predicted = effects[effects.expected.notna()]
    assert len(predicted) == 6 and set(predicted.verdict) <= {"confirmed", "contradicted", "inconclusive"}
    assert (predicted.n == 2).all() and (predicted.test == "sign-flip").all()
    readout = effects[effects.metric == "readout"]
    np.testing.assert_allclose(readout.effect_mean, readout.manipulated_mean - readout.reference_mean, atol=1e-9)
    with xr.open_dataset(next(tmp_path.glob("no_rem*/activity.nc"))) as ds:
        label = str(ds.condition.values[0])
    mine = []
    for path in tmp_path.glob("*/activity.nc"):
        with xr.open_dataset(path) as ds:
            if str(ds.condition.values[0]) == label:
                mine.append(float(ds.readout_accuracy.isel(brain=0, epoch=-1)))
    row = conditions[(conditions.condition == label) & (conditions.metric == "readout")].iloc[0]
    assert row.n == 2 and row["mean"] == pytest.approx(np.mean(mine)) and row.published_mean == 46.0
    md = (report / "effects.md").read_text()
    assert "46.00 ± 0.43 (n = 4, epoch 50)" in md and (report / "occlusion.png").exists()


def test_a_shrunken_dose_response_end_to_end(tiny_cifar, tmp_path, cli_env):
    """Scopolamine at doses 0 and 1 beside controls, 2 seeds of a tiny cortex over 3 epochs (baseline, treatment,
    recovery): the doses are the conditions, the manifest carries them as the axis, every prediction of
    scopolamine's own experiment is tested at both doses, and the dose-response figure is drawn."""
    shrink = ["--drug", "scopolamine", "--doses", "0,1", "--seeds", "0,1", f"data.root={tiny_cifar}",
              "data=cifar10", "data.train_size=64", "data.test_size=100", "cortex.channels=[3,8,16,32]",
              "cortex.latent_dim=32", "record.units_per_area=16", "record.probes_per_class=2", "optim.batch_size=16",
              "eval.readout_epochs=1", "eval.probes=4", "epochs=3", "device=cpu", "protocol.blocks.0.stop=2",
              "protocol.blocks.1.start=2", "protocol.blocks.1.stop=3", "protocol.blocks.2.start=3"]
    done = subprocess.run([sys.executable, "-m", "sims.experiments.dose_response", "--out", str(tmp_path), *shrink],
                          env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((tmp_path / "experiment.json").read_text())
    assert sorted(manifest["names"].values()) == ["control", "dose 0.0", "dose 1.0"]
    assert sorted(manifest["axis"]["values"].values()) == [0.0, 1.0] and manifest["axis"]["name"] == "dose"
    effects = pd.read_csv(tmp_path / "report" / "effects.csv", keep_default_na=False, na_values=[""])
    predicted = effects[effects.expected.notna()]
    assert set(predicted.metric) == {p.metric for p in scopolamine.EXPERIMENT.predictions}
    assert predicted.groupby("metric").condition.nunique().eq(2).all()  # at both doses
    assert (tmp_path / "report" / "dose_response.png").stat().st_size > 1000


def test_dose_response_refuses_bad_drugs_and_doses(capsys):
    for argv, says in ((["--drug", "coffee"], "--drug coffee: one of scopolamine"), ([], "--drug is required"),
                       (["--drug", "ssri", "--doses", "0,x"], "--doses 0,x: a comma-separated list of numbers"),
                       (["--drug", "ssri", "--doses", "1,1"], "--doses 1,1: distinct doses in [0, 10]")):
        with pytest.raises(SystemExit) as stop:
            dose_response.main(argv)
        err = capsys.readouterr().err
        assert stop.value.code == 2 and err.count("\n") == 1 and says in err, err


def test_a_shrunken_night_architecture_end_to_end(tmp_path, cli_env):
    """The paper's night (8 cycles), human order and the five night profiles, 2 seeds of a tiny cortex for one epoch:
    every condition is named by its protocol, the control sleeps 16 alternating steps a night and human_order the
    same 16 in another order, the profiles their hypnograms' steps; the hypnograms are drawn."""
    shrink = ["--seeds", "0,1", "data.train_size=64", "data.test_size=100", "cortex.channels=[3,8,16,32]",
              "cortex.latent_dim=32", "record.units_per_area=16", "record.probes_per_class=2", "optim.batch_size=16",
              "eval.readout_epochs=1", "eval.probes=4", "epochs=1", "device=cpu", "eval.geometry=false"]
    done = subprocess.run([sys.executable, "-m", "sims.experiments.night_architecture", "--out", str(tmp_path), *shrink],
                          env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    names = json.loads((tmp_path / "experiment.json").read_text())["names"]
    assert sorted(names.values()) == ["control", "depression", "healthy_older", "healthy_young", "human_order",
                                      "insomnia", "narcolepsy"]
    nights = {}
    for path in tmp_path.glob("*/activity.nc"):
        with xr.open_dataset(path) as ds:
            name = names[str(ds.condition.values[0])]
            night = ds.state.values[(ds.night.values == 0)].tolist()
            nights.setdefault(name, night)
    assert nights["control"] == ["NREM", "REM"] * 8
    assert sorted(nights["human_order"]) == sorted(nights["control"]) and nights["human_order"] != nights["control"]
    assert 10 <= sum(s != "WAKE" for s in nights["healthy_young"]) <= 18  # 445 min of sleep at 30 min a step
    effects = pd.read_csv(tmp_path / "report" / "effects.csv", keep_default_na=False, na_values=[""])
    assert set(effects[effects.expected.notna()].verdict) <= {"confirmed", "contradicted", "inconclusive"}
    assert (tmp_path / "report" / "hypnograms.png").stat().st_size > 1000
