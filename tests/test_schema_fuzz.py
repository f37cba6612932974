"""Every key the schema declares, fed NaN, infinities, zero, negatives, huge values, wrong types and empty strings.

The keys are not listed here: they are walked from the configuration's dataclasses (`records.schema.leaves`), so a key
added tomorrow is fuzzed tomorrow, and `undeclared` fails the suite if it declares no range. Each (key, value) must
end one of three ways, never in a traceback:
- refused by the types, as Hydra's composition refuses it (OmegaConf's ValidationError; the command line turns it
  into one line naming the override, see tests/test_bad_input.py);
- refused by the validation in one line that names the key (what the preflight prints, before anything is written);
- accepted, and then a brain built from it lives two days: it runs correctly (or diverges with its one-line
  diagnosis, the documented end of a brain whose figures turn non-finite).
The command line itself (exit status 2, one line, nothing written) is walked over Hydra's keys and one value of
every kind below, and over many more keys in tests/test_bad_input.py.
"""
import math
import re
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from records.errors import Diverged, PadError
from records.schema import leaves, undeclared
from sims import run_night
from sims.life.config import PadConfig
from sims.jobs.registry import compose_config
from sims.life.simulator import Simulator

# A tiny brain whose configuration has an item in every list and dict the schema declares: a protocol with a block
# that sets every block key, a drug, and the homeostat on (it plans the nights of the blocks without their own cycle).
BASE = [
    "data=shapes", "data.train_size=40", "data.test_size=40", "cortex.channels=[3,4,4,4]", "cortex.latent_dim=4",
    "optim.batch_size=8", "eval.every=0", "eval.probes=2", "progress=false", "device=cpu", "keep_epoch_cortex=false",
    "record.units_per_area=2", "record.probes_per_class=1",
    "homeostat.enabled=true", "protocol.name=fuzz", "protocol.unit=day",
    "protocol.blocks=[{name:baseline,start:0,stop:1},{name:treatment,start:1,stop:3,cycle:[{state:NREM,steps:1},"
    "{state:REM,steps:1}],cycles:1,keep:{REM:0.5},night_fraction:1.5,arousals:1,arousals_at:night_end,levels:{REM:{ach:1.0,na:0.0}},"
    "weights:{rem:1.0}}]",
    "protocol.drugs=[{name:scopolamine,blocks:[treatment],dose:1.0}]",
]
# A block sleeping hypnogram nights has no homeostat (refused: its time scale is not the hypnogram's): its keys are
# fuzzed on BASE without the homeostat, whose first block (day 0) sleeps a profile's nights.
HYPNOGRAM_BASE = [o.replace("{name:baseline,start:0,stop:1}", "{name:baseline,start:0,stop:1,hypnogram:{source:"
                            "'profile:narcolepsy',minutes_per_step:120}}") for o in BASE if o != "homeostat.enabled=true"]
# The item each `[0]` / `.KEY` of a leaf's path stands for in BASE (the block that sets every key is the second).
ITEMS = {"protocol.blocks[0]": "protocol.blocks[1]", "keep.KEY": "keep.REM", "levels.KEY": "levels.REM",
         "weights.KEY": "weights.rem"}
VALUES = {
    float: [math.nan, math.inf, -math.inf, 0.0, -1.0, 1e300, "abc", ""],
    int: [0, -1, 2 ** 70, 10 ** 12, 1.5, math.nan, "abc", ""],
    str: ["", "   ", "a/b", "nope", 123],
}


def concrete(key: str) -> str:
    if ".hypnogram." in key:
        return key
    for general, item in ITEMS.items():
        key = key.replace(general, item)
    return key


KEYS = [(concrete(key), kind) for key, kind, _ in leaves(PadConfig) if kind in VALUES]
CASES = [(key, value) for key, kind in KEYS for value in VALUES[kind]]


@pytest.fixture(scope="module")
def base():
    return compose_config(BASE)


@pytest.fixture(scope="module")
def hypnogram_base():
    return compose_config(HYPNOGRAM_BASE)


def test_every_numeric_and_string_key_declares_its_range():
    assert undeclared(PadConfig) == []
    assert len(KEYS) >= 70  # the walk reaches into lists and dicts (a broken walk would find a handful)


def test_the_base_lives(base, hypnogram_base):
    """The configurations every case changes run as they are (so a refusal is the changed key's doing)."""
    assert outcome(base, None, None) == "ran" and outcome(hypnogram_base, None, None) == "ran"


def outcome(cfg, key: str | None, value) -> str:
    """'type', 'refused' (one line naming the key) or 'ran' (two days lived, or a one-line divergence)."""
    cfg = cfg.copy()
    if key is not None:
        try:
            OmegaConf.update(cfg, key, value, merge=False)
        except OmegaConfBaseException:
            return "type"
    try:
        simulator = Simulator(cfg, Path("/nonexistent"))  # validates as the preflight does; writes nothing yet
    except PadError as e:
        message = str(e)
        assert "\n" not in message and message.strip() == message, message
        if key is not None:
            name = key.rsplit(".", 1)[-1].split("[")[0]
            named = name if name not in ("REM", "rem") else key.rsplit(".", 2)[-2]
            assert named in message, f"the error does not name the key: {message}"
        return "refused"
    simulator.begin_epoch()
    try:
        for _ in range(2):
            simulator.live_day()
        simulator.check_health(0, simulator.recorder.rows)
    except Diverged as e:
        assert "\n" not in str(e)
    return "ran"


def test_every_key_every_value(base, hypnogram_base):
    ends, failures = {}, []
    for key, value in CASES:
        try:
            end = outcome(hypnogram_base if ".hypnogram." in key else base, key, value)
            if end == "ran" and (isinstance(value, float) and not math.isfinite(value) or value in ("", "   ")):
                raise AssertionError("accepted")
        except Exception as e:  # noqa: BLE001 (every way a case can go wrong is collected and reported)
            failures.append(f"{key}={value!r}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            continue
        ends[end] = ends.get(end, 0) + 1
    print(f"\n{len(KEYS)} keys, {len(CASES)} cases: {ends}", file=sys.stderr)
    assert failures == [], "\n".join(failures)
    assert set(ends) == {"type", "refused", "ran"}


# --- the command line: exit status 2, one line, nothing written ---------------------------------------------------
COMMANDS = (
    [(["-m", "seed=0,1", "hydra.sweep.dir=SWEEP", "hydra/launcher=processes", f"hydra.launcher.n_jobs={v!s}"],
      "hydra.launcher.n_jobs") for v in (0, -1, "abc")]
    + [(["-m", "seed=0,1", "hydra.sweep.dir=SWEEP", "hydra/launcher=cohort", f"hydra.launcher.size={v!s}"],
        "hydra.launcher.size") for v in (0, -1, "abc")]
    + [(["hydra.run.dir="], "hydra.run.dir"), (["-m", "seed=0,1", "hydra.sweep.dir="], "hydra.sweep.dir"),
       (["-m", "seed=0,1", "hydra.sweep.dir=SWEEP", "hydra.sweep.subdir="], "hydra.sweep.subdir")]
    + [([f"{key}={value}", "hydra.run.dir=RUN"], re.sub(r"\.(\d)\.", r"[\1].", key)) for key, value in (
        ("optim.lr", "nan"), ("homeostat.mu", "0"), ("homeostat.chi_w", "-inf"), ("seed", "-1"), ("seed", str(2 ** 70)),
        ("protocol.drugs.0.dose", "1e308"), ("protocol.blocks.1.arousals", str(10 ** 12)),
        ("protocol.blocks.1.night_fraction", "1e15"), ("cortex.latent_dim", str(10 ** 12)), ("scenario_name", "''"),
        ("data.root", "''"), ("eval.probes", str(10 ** 6)))]
    + [(["-m", "seed=0,1", "hydra.sweep.dir=SWEEP", "homeostat.mu=1,0", *launcher], "homeostat.mu")  # one bad brain
       for launcher in ([], ["hydra/launcher=cohort"], ["hydra/launcher=processes"])]
)


@pytest.mark.parametrize("args,key", COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_command_line(tmp_path, monkeypatch, capsys, args, key):
    monkeypatch.chdir(tmp_path)
    args = [a.replace("SWEEP", str(tmp_path / "sweep")).replace("RUN", str(tmp_path / "run")) for a in args]
    monkeypatch.setattr(sys, "argv", ["run_night.py", *BASE, *args])
    with pytest.raises(SystemExit) as end:
        run_night.main()
    err = capsys.readouterr().err.strip()
    assert end.value.code == 2 and err.count("\n") == 0 and err.startswith(f"error: {key}"), err
    assert list(tmp_path.iterdir()) == [], "something was written"
