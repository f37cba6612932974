"""Experiment designs. Table 1: PAD as the control, the four pathological scenarios as conditions named by their
scenario, each prediction tied to its condition's label, the published read-out beside each (typed here from
../shared/REFERENCE.md, not read from analysis.published), and commands without protocol blocks. Fragmentation:
each fragmented condition paired with its matched control (the same Wake steps after an unbroken night)."""
import json
from pathlib import Path

import xarray as xr
import yaml

from sims.experiments import runner
from sims.experiments import fragmentation
from sims.experiments.table1 import EXPERIMENT

PUBLISHED = {"pad": (58.25, 0.70), "no_memory_mix": (53.87, 0.85), "no_rem": (46.00, 0.43), "no_nrem": (58.00, 0.34),
             "wake_only": (42.25, 0.54)}  # CIFAR-10, epoch 50, mean ± SEM over 4 seeds


def fake_run(folder: Path, scenario: str, seed: int, protocol: dict | None = None, label: str = "") -> None:
    config = {"scenario_name": scenario, "seed": seed, "data": {"name": "cifar10"},
              "protocol": protocol or {"name": "none"}}
    label = label or f"{scenario}-label"
    (folder / f"{label}_{seed}").mkdir(parents=True)
    xr.Dataset(coords={"brain": [0], "scenario": ("brain", [label]), "seed": ("brain", [seed])},
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
