"""Bad input, as a new user types it: each case ends with exit status 2, exactly one `error: ...` line on stderr
naming the offending key or path, no traceback, and nothing created or changed in an existing run directory.

The cases run `sims/run_night.py`'s `main()` in this process (a subprocess each would cost ~3 s of interpreter
start-up); tests/test_cli.py runs a few of them as real subprocesses. Each case adds its overrides to the command
of a finished run, with epochs=2, so that a good command would resume it and write into its directory.
"""
import os
import sys
from pathlib import Path

import pytest
import torch

from sims import run_night
from tests.conftest import snapshot
from tests.helpers import merged

CASES = {  # id: (overrides, what the error line must name)
    # keys
    "unknown scenario": (["scenario=nope"], ["scenario=nope", "pad"]),
    "unknown key": (["foo=1"], ["foo"]),
    "unknown nested key": (["data.nope=1"], ["data.nope"]),
    "added unknown key": (["+no_such_key=1"], ["no_such_key"]),
    "force-added unknown key": (["++no_such_key=1"], ["no_such_key"]),
    "added unknown nested key": (["+optim.momentum=0.9"], ["optim.momentum"]),
    "deleted key": (["~optim.lr"], ["~optim.lr"]),
    "deleted group": (["~scenario"], ["~scenario"]),
    "key given twice": (["epochs=3", "epochs=4"], ["epochs"]),
    "nested key given twice": (["optim.lr=0.1", "optim.lr=0.2"], ["optim.lr"]),
    "unparsable": (["epochs=["], ["epochs=["]),
    "sweep without -m": (["seed=0,1"], ["seed=0,1", "-m"]),
    "unknown flag": (["--foo"], ["--foo", "not an option"]),
    "unknown short flag": (["-x"], ["-x", "not an option"]),
    # types
    "epochs not a number": (["epochs=abc"], ["epochs=abc"]),
    "size not a number": (["data.train_size=x"], ["data.train_size=x"]),
    "bool not a bool": (["progress=maybe"], ["progress=maybe"]),
    "unknown semantics": (["optim.idle_parameters=sometimes"], ["optim.idle_parameters"]),
    "unknown dtype": (["dtype=float16"], ["dtype"]),
    "unknown autocast": (["autocast=float16"], ["autocast"]),
    "autocast of float64 weights": (["autocast=bfloat16", "dtype=float64"], ["autocast=bfloat16", "dtype=float32"]),
    "unknown data set": (["data.name=mnist"], ["data.name"]),
    "unknown data group": (["data=nope"], ["data=nope"]),
    "unknown state": (["schedule.cycle=[{state:DREAM,steps:1}]"], ["DREAM"]),
    "unknown device": (["device=banana"], ["device=banana"]),
    # values
    "epochs 0": (["epochs=0"], ["epochs=0"]),
    "epochs negative": (["epochs=-1"], ["epochs=-1"]),
    "batch 0": (["optim.batch_size=0"], ["optim.batch_size=0"]),
    "batch negative": (["optim.batch_size=-1"], ["optim.batch_size=-1"]),
    "batch larger than the data": (["optim.batch_size=10000"], ["optim.batch_size"]),
    "lr 0": (["optim.lr=0"], ["optim.lr=0"]),
    "lr negative": (["optim.lr=-1"], ["optim.lr=-1"]),
    "lr nan": (["optim.lr=nan"], ["optim.lr=nan"]),
    "lr inf": (["optim.lr=inf"], ["optim.lr=inf"]),
    "beta1 above 1": (["optim.beta1=1.5"], ["optim.beta1=1.5"]),
    "beta1 negative": (["optim.beta1=-0.1"], ["optim.beta1=-0.1"]),
    "beta2 1": (["optim.beta2=1"], ["optim.beta2=1"]),
    "latent 0": (["cortex.latent_dim=0"], ["cortex.latent_dim=0"]),
    "recorded units 0": (["record.units_per_area=0"], ["record.units_per_area=0"]),
    "recorded units negative": (["record.units_per_area=-1"], ["record.units_per_area=-1"]),
    "recorded units a word": (["record.units_per_area=some"], ["record.units_per_area=some", "all"]),
    "more recorded units than an area has": (["record.units_per_area=100000"],
                                             ["record.units_per_area=100000", "area V1 has only 3072 units"]),
    "more recorded units than z has": (["record.units_per_area=33"], ["record.units_per_area=33", "area z has only 32"]),
    "recording every 0 days": (["record.every_days=0"], ["record.every_days=0"]),
    "recording every -1 days": (["record.every_days=-1"], ["record.every_days=-1"]),
    "recording every 1.5 days": (["record.every_days=1.5"], ["record.every_days=1.5"]),
    "more probes per class than test images": (["record.probes_per_class=1000"], ["record.probes_per_class=1000"]),
    "channels too few": (["cortex.channels=[3,64]"], ["cortex.channels"]),
    "channels not RGB": (["cortex.channels=[1,8,16,32]"], ["cortex.channels"]),
    "channels zero": (["cortex.channels=[3,0,16,32]"], ["cortex.channels"]),
    "areas repeated": (["cortex.areas=[V1,V1,V4,IT]"], ["cortex.areas"]),
    "areas too many": (["cortex.areas=[V1,V2,V3,V4,IT]", "cortex.channels=[3,8,16,32,32]"], ["cortex.areas"]),
    "leak negative": (["cortex.leak=-1"], ["cortex.leak=-1"]),
    "init std nan": (["cortex.init_std=nan"], ["cortex.init_std=nan"]),
    "capacity 0": (["hippocampus.capacity=0"], ["hippocampus.capacity=0"]),
    "capacity below two days": (["hippocampus.capacity=16"], ["hippocampus.capacity=16"]),
    "unknown replay": (["hippocampus.replay=nope"], ["hippocampus.replay=nope"]),
    "unknown recombination": (["hippocampus.recombination=nope"], ["hippocampus.recombination=nope"]),
    "memory mix 2": (["hippocampus.memory_mix=2"], ["hippocampus.memory_mix=2"]),
    "memory mix negative": (["hippocampus.memory_mix=-0.5"], ["hippocampus.memory_mix=-0.5"]),
    "cortex mix nan": (["hippocampus.cortex_mix=nan"], ["hippocampus.cortex_mix=nan"]),
    "wake ach nan": (["neuromod.wake.ach=nan"], ["neuromod.wake.ach=nan"]),
    "rem ach negative": (["neuromod.rem.ach=-1"], ["neuromod.rem.ach=-1"]),
    "nrem na negative": (["neuromod.nrem.na=-0.2"], ["neuromod.nrem.na=-0.2"]),
    "wake without NA": (["neuromod.wake.na=0"], ["neuromod.wake"]),
    "threshold nan": (["neuromod.ach_threshold=nan"], ["neuromod.ach_threshold=nan"]),
    "square 0": (["phases.nrem.max_square=0"], ["phases.nrem.max_square=0"]),
    "square above the image": (["phases.nrem.max_square=33"], ["phases.nrem.max_square=33"]),
    "wake weight negative": (["phases.wake.weight=-1"], ["phases.wake.weight=-1"]),
    "rem weight nan": (["phases.rem.weight=nan"], ["phases.rem.weight=nan"]),
    "latent noise negative": (["phases.wake.latent_noise_std=-0.5"], ["phases.wake.latent_noise_std=-0.5"]),
    "day of 0 steps": (["schedule.day_steps=0"], ["schedule.day_steps=0"]),
    "negative cycles": (["schedule.cycles=-1"], ["schedule.cycles=-1"]),
    "negative period": (["schedule.cycle=[{state:NREM,steps:-1}]"], ["schedule.cycle[0].steps=-1"]),
    "read-out of 0 epochs": (["eval.readout_epochs=0"], ["eval.readout_epochs=0"]),
    "evaluation every -1": (["eval.every=-1"], ["eval.every=-1"]),
    "read-out lr 0": (["eval.readout_lr=0"], ["eval.readout_lr=0"]),
    "read-out batch 0": (["eval.readout_batch=0"], ["eval.readout_batch=0"]),
    "no probes": (["eval.probes=0"], ["eval.probes=0"]),
    "train size 0": (["data.train_size=0"], ["data.train_size=0"]),
    "train size negative": (["data.train_size=-5"], ["data.train_size=-5"]),
    "train size above the data": (["data.train_size=99999"], ["data.train_size=99999"]),
    "test size 0": (["data.test_size=0"], ["data.test_size=0"]),
    "missing data root": (["data.root=/nonexistent/data"], ["data.root=/nonexistent/data"]),
    # protocols
    "unknown protocol": (["protocol=nope"], ["protocol=nope", "rem_deprivation"]),
    "overlapping blocks": (["protocol.blocks=[{name:a,start:1,stop:3},{name:b,start:2}]"], ["protocol.blocks[1].start"]),
    "empty block": (["protocol.blocks=[{name:a,start:2,stop:2}]"], ["protocol.blocks[0].stop"]),
    "two blocks without end": (["protocol.blocks=[{name:a,start:1},{name:b,start:2}]"], ["protocol.blocks[0].stop"]),
    "block name twice": (["protocol.blocks=[{name:a,start:1,stop:2},{name:a,start:2}]"], ["protocol.blocks[1].name"]),
    "block before the first epoch": (["protocol.blocks=[{name:a,start:0}]"], ["protocol.blocks[0].start"]),
    "unknown block key": (["protocol.blocks=[{name:a,start:1,flower:1}]"], ["flower"]),
    "keep of an unknown state": (["protocol.blocks=[{name:a,start:1,keep:{DREAM:0.5}}]"], ["protocol.blocks[0].keep"]),
    "keep above 1": (["protocol.blocks=[{name:a,start:1,keep:{REM:1.5}}]"], ["protocol.blocks[0].keep.REM"]),
    "negative night": (["protocol.blocks=[{name:a,start:1,night_fraction:-0.5}]"], ["protocol.blocks[0].night_fraction"]),
    "negative arousals": (["protocol.blocks=[{name:a,start:1,arousals:-1}]"], ["protocol.blocks[0].arousals"]),
    "weight of an unknown phase": (["protocol.blocks=[{name:a,start:1,weights:{dream:0}}]"], ["protocol.blocks[0].weights"]),
    "levels of an unknown state": (["protocol.blocks=[{name:a,start:1,levels:{SLEEP:{ach:1,na:0}}}]"],
                                   ["protocol.blocks[0].levels"]),
    "unknown drug": (["protocol.blocks=[{name:a,start:1}]", "protocol.drugs=[{name:caffeine,blocks:[a]}]"],
                     ["protocol.drugs[0].name", "scopolamine"]),
    "drug in an unknown block": (["protocol.blocks=[{name:a,start:1}]", "protocol.drugs=[{name:ssri,blocks:[b]}]"],
                                 ["protocol.drugs[0].blocks"]),
    "negative dose": (["protocol.blocks=[{name:a,start:1}]", "protocol.drugs=[{name:ssri,blocks:[a],dose:-1}]"],
                      ["protocol.drugs[0].dose"]),
    "unknown protocol unit": (["protocol.unit=week"], ["protocol.unit"]),
    "homeostat without steps": (["homeostat.enabled=true", "homeostat.max_night_steps=0"], ["homeostat"]),
    # resuming the finished run with another brain
    "resume with another seed": (["seed=1"], ["seed=1", "seed=0", "last.pt"]),
    "resume with another scenario": (["scenario=no_rem"], ["no_rem", "last.pt"]),
    "resume with other probes": (["eval.probes=8"], ["eval.probes=8", "eval.probes=4"]),
    "resume with other semantics": (["optim.idle_parameters=frozen"], ["optim.idle_parameters=frozen"]),
}


@pytest.fixture(scope="module")
def finished(finished_run):
    """The shared finished one-epoch run: (run directory, its command)."""
    return finished_run[:2]


def run_main(args: list[str], capsys, monkeypatch) -> tuple[int, str]:
    """`python sims/run_night.py ARGS` in this process: (exit status, stderr). A command that gets past the checks
    would start a run: that fails the case."""
    monkeypatch.setattr(sys, "argv", ["run_night.py", *args])
    monkeypatch.setattr(run_night, "simulate", lambda: pytest.fail(f"{args}: the run started"))
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        run_night.main()
    return stop.value.code, capsys.readouterr().err


def assert_one_line_error(status: int, stderr: str, names: list[str]) -> None:
    assert status == 2, (status, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for name in names:
        assert name in lines[0], (name, lines[0])


@pytest.mark.parametrize("case", CASES)
def test_bad_override(case, finished, capsys, monkeypatch):
    run_dir, args = finished
    before = snapshot(run_dir)
    overrides, names = CASES[case]
    keys = [o.split("=")[0] for o in overrides]
    repeated = len(set(keys)) < len(keys)  # the case is the repetition itself: keep it
    command = [*merged(args, "epochs=2"), *overrides] if repeated else merged(args, "epochs=2", *overrides)
    status, stderr = run_main(command, capsys, monkeypatch)
    assert_one_line_error(status, stderr, names)
    assert case.startswith("resume") == ("was made with" in stderr), stderr  # caught by its own check, not on resume
    assert snapshot(run_dir) == before


def damaged_checkpoints(tmp_path: Path, good: Path) -> dict[str, Path]:
    """Run directories whose last.pt is random bytes, has one flipped byte, is truncated, or is an empty file."""
    payload = good.read_bytes()
    flipped = bytearray(payload)
    flipped[len(payload) // 2] ^= 0x10
    variants = {"random bytes": os.urandom(4096), "one flipped byte": bytes(flipped),
                "truncated": payload[: len(payload) // 3], "empty": b"", "another format": b"PK\x03\x04" + payload[:100]}
    dirs = {}
    for name, content in variants.items():
        (folder := tmp_path / name.replace(" ", "_") / "checkpoints").mkdir(parents=True)
        (folder / "last.pt").write_bytes(content)
        dirs[name] = folder.parent
    return dirs


def test_damaged_checkpoints_and_unusable_run_directories(finished, tmp_path, capsys, monkeypatch):
    run_dir, args = finished
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    cases = {f"last.pt {name}": (folder, ["last.pt"])
             for name, folder in damaged_checkpoints(tmp_path, run_dir / "checkpoints" / "last.pt").items()}
    cases |= {"run directory is a file": (a_file, [str(a_file)]),
              "run directory under a file": (a_file / "run", [str(a_file)])}
    for case, (folder, names) in cases.items():
        before = snapshot(folder) if folder.is_dir() else None
        status, stderr = run_main(merged(args, "epochs=2", f"hydra.run.dir={folder}"), capsys, monkeypatch)
        assert_one_line_error(status, stderr, names)
        if before is not None:
            assert snapshot(folder) == before, case


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_gpu(finished, capsys, monkeypatch):
    run_dir, args = finished
    status, stderr = run_main(merged(args, "epochs=2", "device=cuda"), capsys, monkeypatch)
    assert_one_line_error(status, stderr, ["device=cuda"])
