"""An experiment as configuration: what it manipulates, what its manipulated brains and controls share, its
predictions with their sources, and its quick and full settings, as a YAML file of the config group `experiment`
(sims/experiments/conf/experiment/NAME.yaml) or any YAML file of the same keys (`python -m sims.experiments FILE`).
Hydra composes it, so a file may begin from another through its defaults list:

    defaults:
      - experiment/rem_deprivation@_here_
      - _self_
    title: REM deprivation, the flower pot's 57%
    quick: {blocks: [..., protocol.blocks.1.keep.REM=0.57]}

The keys (only `title`, `protocol` and `predictions` are required):
  title, protocol (a file of sims/conf/protocol, or none: the sweep alone makes the conditions, as Table 1's),
  manipulation_block (the block whose end the report measures; default: the protocol's middle blocks),
  common (overrides of the manipulated brains and their controls alike), sweep (overrides sweeping the manipulated
  brains), notes (the design: what the conditions hold equal), predictions (a list of {metric, expected: lower |
  higher | none, source, at: manipulation | end (optional), condition: a manipulated condition's short name
  (optional)}), control_is ({key, value}: the config value that makes a brain a control; default protocol.name
  none), names_from and names_format (the config key whose value names a manipulated condition, and how: "dose {}"),
  axis (a numeric config key drawn as the report's x axis, a dose), published (the paper's Table 1 beside each
  condition), matched_by ({key, manipulated, matched}: a manipulated brain's matched control is the one whose swept
  key has the matched value), quick and full ({overrides, blocks, seeds, pilot: what the mode's pilot found, quoted
  by the report}, laid over sims/experiments/conf/modes.yaml).

A bad file ends in one line naming the file and the key (`FILE: predictions.1.metric: ...`)."""
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from records.errors import PadError

CONF = Path(__file__).resolve().parent / "conf"
GROUP = CONF / "experiment"
PROTOCOLS = Path(__file__).resolve().parents[1] / "conf" / "protocol"
MODES = ("quick", "full")
EXPECTED = ("lower", "higher", "none")
TIME_POINTS = ("manipulation", "end")


@dataclass(frozen=True)
class Prediction:
    metric: str  # readout, robustness, robustness_drop, intra_inter_ratio, occluded_inter_ratio, rem_share, ...
    expected: str  # lower | higher | none: the manipulated brain against its control
    source: str
    at: str = ""  # manipulation | end: the time point it is about ("": both)
    condition: str = ""  # one manipulated condition only, by its short name (see Experiment.names_from; "": all)


@dataclass(frozen=True)
class Mode:
    overrides: tuple[str, ...] = ()  # run_night.py overrides of every brain
    blocks: tuple[str, ...] = ()  # the manipulated brains' protocol blocks (protocol.blocks.N.start=...)
    seeds: str = ""  # comma-separated
    pilot: str = ""  # what the mode's pilot found (on seeds the report never uses); the report quotes it


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    protocol: str  # sims/conf/protocol/NAME.yaml, or none
    predictions: tuple[Prediction, ...]
    sweep: tuple[str, ...] = ()  # extra sweep of the manipulated brains (several doses)
    common: tuple[str, ...] = ()  # overrides of both the manipulated brains and their controls (e.g. the homeostat)
    manipulation_block: str = ""  # the block whose end the report measures (default: the middle ones)
    notes: str = ""
    control_is: tuple[str, str] = ("protocol.name", "none")  # (config key, value) that makes a brain a control
    names_from: str = ""  # config key whose value names a manipulated condition ("": the experiment and swept keys)
    names_format: str = "{}"  # how that value is written ("dose {}")
    axis: str = ""  # config key of a numeric axis of the conditions (a dose): the report draws effects against it
    published: bool = False  # the paper's Table 1 read-out of each condition's scenario beside it in the report
    matched_by: tuple[str, ...] = ()  # (swept key, manipulated value, matched value): the matched control of each
    # manipulated brain is the one whose key has the matched value, all else equal; the report tests against it
    modes: dict = field(default_factory=dict)  # quick | full -> Mode: the mode's settings, modes.yaml's included


def names() -> list[str]:
    """The experiments of the config group."""
    return sorted(p.stem for p in GROUP.glob("*.yaml"))


def compose(source: str) -> DictConfig:
    """The experiment's configuration as Hydra composes it: `source` is a name of the group or a YAML file's path."""
    from hydra import compose as hydra_compose, initialize_config_dir

    path = Path(source) if source.endswith((".yaml", ".yml")) else GROUP / f"{source}.yaml"
    if not path.is_file():
        raise PadError(f"{source}: no such experiment (a YAML file, or one of {', '.join(names())})")
    try:
        with initialize_config_dir(config_dir=str(path.resolve().parent), version_base=None):
            return hydra_compose(config_name=path.stem, overrides=[f"hydra.searchpath=[file://{CONF}]"])
    except Exception as e:  # YAML syntax, a missing default: Hydra's message, first line
        raise PadError(f"{path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


def load(source: str) -> Experiment:
    """The experiment `source` names (see compose), checked: PadError naming the file and the key."""
    cfg = compose(source)
    where = str(GROUP / f"{source}.yaml") if not source.endswith((".yaml", ".yml")) else source
    return from_config(cfg, Path(where).stem, where)


def from_config(cfg: DictConfig, name: str, where: str) -> Experiment:
    data = OmegaConf.to_container(cfg, resolve=True)
    check = Checker(where)
    check.keys(data, "", required=("title", "protocol", "predictions"),
               optional=("manipulation_block", "common", "sweep", "notes", "control_is", "names_from",
                         "names_format", "axis", "published", "matched_by", *MODES))
    protocol = check.text(data, "protocol")
    if protocol != "none" and not (PROTOCOLS / f"{protocol}.yaml").is_file():
        check.fail("protocol", f"{protocol!r} is not a protocol (none, or one of "
                               f"{', '.join(sorted(p.stem for p in PROTOCOLS.glob('*.yaml') if p.stem != 'none'))})")
    block = check.text(data, "manipulation_block", "")
    if block:
        blocks = [] if protocol == "none" else [b.name for b in OmegaConf.load(PROTOCOLS / f"{protocol}.yaml").blocks]
        if block not in blocks:
            check.fail("manipulation_block", f"{block!r} is not a block of protocol {protocol} "
                                             f"(blocks: {', '.join(blocks) or 'none'})")
    control = check.pair(data, "control_is", ("key", "value")) or ("protocol.name", "none")
    matched = check.pair(data, "matched_by", ("key", "manipulated", "matched"))
    return Experiment(
        name=name, title=check.text(data, "title"), protocol=protocol, predictions=check.predictions(data),
        sweep=check.overrides(data, "sweep"), common=check.overrides(data, "common"), manipulation_block=block,
        notes=check.text(data, "notes", ""), control_is=control, names_from=check.text(data, "names_from", ""),
        names_format=check.text(data, "names_format", "{}"), axis=check.text(data, "axis", ""),
        published=check.flag(data, "published"), matched_by=matched, modes=check.modes(data))


class Checker:
    """Reads the plain data of an experiment file, failing in one line that names the file and the key."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, problem: str):
        raise PadError(f"{self.where}: {key}: {problem}")

    def keys(self, data, prefix: str, required: tuple[str, ...], optional: tuple[str, ...]):
        if not isinstance(data, dict):
            self.fail(prefix.rstrip(".") or "(top)", f"a mapping of keys, not {data!r}")
        for key in data:
            if key not in required + optional:
                self.fail(f"{prefix}{key}", f"unknown key (keys: {', '.join(required + optional)})")
        for key in required:
            if key not in data:
                self.fail(f"{prefix}{key}", "missing")

    def text(self, data: dict, key: str, default: str | None = None, prefix: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or (default is None and not value):
            self.fail(f"{prefix}{key}", f"a text, not {value!r}")
        return value

    def flag(self, data: dict, key: str) -> bool:
        if not isinstance(value := data.get(key, False), bool):
            self.fail(key, f"true or false, not {value!r}")
        return value

    def overrides(self, data: dict, key: str, prefix: str = "") -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{prefix}{key}", f"a list of KEY=VALUE overrides, not {value!r}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or "=" not in item:
                self.fail(f"{prefix}{key}.{i}", f"a KEY=VALUE override, not {item!r}")
        return tuple(value)

    def pair(self, data: dict, key: str, parts: tuple[str, ...]) -> tuple[str, ...]:
        if key not in data:
            return ()
        self.keys(data[key], f"{key}.", required=parts, optional=())
        return tuple(self.text(data[key], part, prefix=f"{key}.") for part in parts)

    def predictions(self, data: dict) -> tuple[Prediction, ...]:
        from analysis.experiment import METRICS

        if not isinstance(data["predictions"], list):
            self.fail("predictions", f"a list of {{metric, expected, source}}, not {data['predictions']!r}")
        out = []
        for i, p in enumerate(data["predictions"]):
            at = f"predictions.{i}."
            self.keys(p, at, required=("metric", "expected", "source"), optional=("at", "condition"))
            if p["metric"] not in METRICS:
                self.fail(f"{at}metric", f"{p['metric']!r} is not a metric (one of {', '.join(METRICS)})")
            if p["expected"] not in EXPECTED:
                self.fail(f"{at}expected", f"{p['expected']!r}: one of {', '.join(EXPECTED)}")
            if p.get("at", "") not in ("", *TIME_POINTS):
                self.fail(f"{at}at", f"{p['at']!r}: one of {', '.join(TIME_POINTS)}")
            out.append(Prediction(**{k: self.text(p, k, prefix=at) for k in p}))
        return tuple(out)

    def modes(self, data: dict) -> dict[str, Mode]:
        """Each mode's settings: the experiment's own laid over modes.yaml's (its overrides replace those of the
        same key; its blocks and seeds replace the mode's)."""
        base = OmegaConf.to_container(OmegaConf.load(CONF / "modes.yaml"))
        out = {}
        for mode in MODES:
            own = data.get(mode, {})
            self.keys(own, f"{mode}.", required=(), optional=("overrides", "blocks", "seeds", "pilot"))
            overrides = merged(base[mode]["overrides"], self.overrides(own, "overrides", f"{mode}."))
            seeds = str(own.get("seeds", base[mode]["seeds"]))
            if not all(s.strip().isdigit() for s in seeds.split(",")):
                self.fail(f"{mode}.seeds", f"{seeds!r}: comma-separated whole numbers (0,1,2)")
            blocks = self.overrides(own, "blocks", f"{mode}.") if "blocks" in own else tuple(base[mode]["blocks"])
            pilot = self.text(own, "pilot", base[mode].get("pilot", ""), prefix=f"{mode}.")
            out[mode] = Mode(overrides=tuple(overrides), blocks=blocks, seeds=seeds, pilot=pilot)
        return out


def merged(*groups) -> list[str]:
    """Overrides, a later one replacing an earlier one of the same key (run_night.py refuses a key given twice)."""
    out: dict[str, str] = {}
    for override in (o for group in groups for o in group):
        out.pop(override.split("=", 1)[0], None)
        out[override.split("=", 1)[0]] = override
    return list(out.values())


def as_plain(exp: Experiment) -> dict:
    """The experiment as a file of the group would write it, its modes in full (modes.yaml's settings included)."""
    data = {"title": exp.title, "protocol": exp.protocol, "manipulation_block": exp.manipulation_block,
            "common": list(exp.common), "sweep": list(exp.sweep), "notes": exp.notes,
            "control_is": dict(zip(("key", "value"), exp.control_is)), "names_from": exp.names_from,
            "names_format": exp.names_format, "axis": exp.axis, "published": exp.published,
            "matched_by": dict(zip(("key", "manipulated", "matched"), exp.matched_by)),
            "predictions": [{k: v for k, v in vars(p).items() if v != ""} for p in exp.predictions]}
    data = {k: v for k, v in data.items() if v not in ("", [], {})}
    modes = {mode: {"overrides": list(m.overrides), "blocks": list(m.blocks), "seeds": m.seeds}
             | ({"pilot": m.pilot} if m.pilot else {}) for mode, m in exp.modes.items()}
    return data | modes


def as_yaml(exp: Experiment) -> str:
    return OmegaConf.to_yaml(as_plain(exp))
