"""Every configuration key declares its range once, beside its default: `lr: float = setting(2e-4, above=0)`.

`setting` is a dataclass field whose metadata holds a `Rule`; OmegaConf reads the default and the type annotation (so
a wrong type fails at composition) and ignores the metadata, which `check` walks: every field of a configuration
dataclass, nested dataclasses, lists (each item) and dicts (each key and value), naming the first offender as
`key=value: reason`. Numbers must be finite, strings non-empty. `undeclared`
lists the numeric and string fields that declare nothing, so a test can demand that every key is covered.
"""
import dataclasses
import math
import re
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Iterable

from records.errors import PadError

RULE = "pad_rule"  # the metadata key of a field's Rule


@dataclass(frozen=True)
class Rule:
    """What a value may be. Bounds: low <= v (or above < v), v <= high (or v < below). `choices`: the allowed strings;
    `pattern`: a regular expression a
    string must match whole; `keys`: the allowed keys of a dict; `why`: said after the range, to help the user."""

    low: float | None = None
    above: float | None = None
    high: float | None = None
    below: float | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    keys: tuple[str, ...] | None = None
    why: str = ""

    def range(self) -> str:
        """The allowed range in words: 'a number >= 0 and < 1'."""
        parts = [f">= {_fmt(self.low)}" if self.low is not None else None,
                 f"> {_fmt(self.above)}" if self.above is not None else None,
                 f"<= {_fmt(self.high)}" if self.high is not None else None,
                 f"< {_fmt(self.below)}" if self.below is not None else None]
        return " and ".join(p for p in parts if p)

    def check(self, key: str, value: Any) -> None:
        if isinstance(value, Enum) or isinstance(value, bool):
            return  # OmegaConf checks enums and booleans by type
        if isinstance(value, str):
            self._check_string(key, value)
        elif isinstance(value, (int, float)):
            self._check_number(key, value)

    def _check_number(self, key: str, value: float) -> None:
        bounds = self.range()
        kind = "an integer" if isinstance(value, int) else "a finite number"
        wanted = f"must be {kind}{' ' + bounds if bounds else ''}"
        ok = math.isfinite(value)
        ok = ok and (self.low is None or value >= self.low) and (self.above is None or value > self.above)
        ok = ok and (self.high is None or value <= self.high) and (self.below is None or value < self.below)
        if not ok:
            raise PadError(f"{key}={value}: {wanted}{'; ' + self.why if self.why else ''}")

    def _check_string(self, key: str, value: str) -> None:
        if value.strip() == "":
            raise PadError(f"{key}={value!r}: must not be empty{'; ' + self.why if self.why else ''}")
        if self.choices is not None and value not in self.choices:
            raise PadError(f"{key}={value}: not one of {', '.join(sorted(self.choices))}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise PadError(f"{key}={value}: {self.why or 'must match ' + self.pattern}")


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def setting(default: Any = dataclasses.MISSING, *, factory: Callable[[], Any] | None = None, **rule) -> Any:
    """A dataclass field with its default (or default factory) and its Rule (the keyword arguments of Rule)."""
    metadata = {RULE: Rule(**rule)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


STRING = Rule()  # a string field without a setting: it must be non-empty all the same


def check(node: Any, prefix: str = "") -> None:
    """Check every field of the configuration dataclass `node` (an object, not an OmegaConf node) against its Rule."""
    for f in dataclasses.fields(node):
        _check_value(f"{prefix}{f.name}", getattr(node, f.name), f.metadata.get(RULE, STRING))


def _check_value(key: str, value: Any, rule: Rule) -> None:
    if dataclasses.is_dataclass(value):
        check(value, f"{key}.")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(f"{key}[{i}]", item, rule)
    elif isinstance(value, dict):
        for name, item in value.items():
            if rule.keys is not None and name not in rule.keys:
                raise PadError(f"{key}.{name}: unknown key; keys are {', '.join(rule.keys)}")
            _check_value(f"{key}.{name}", item, rule)
    elif value is not None:
        rule.check(key, value)


def leaves(cls: type, prefix: str = "") -> Iterable[tuple[str, type, Rule | None]]:
    """Every leaf field of the dataclass `cls`: (dotted key, its scalar type, its Rule or None). A list or dict of
    dataclasses is entered through its item type, named `key[0]` / `key.KEY`."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        suffix, kind = _scalar(hints[f.name])
        key = f"{prefix}{f.name}{suffix}"
        if dataclasses.is_dataclass(kind):
            yield from leaves(kind, key + ".")
        else:
            yield key, kind, f.metadata.get(RULE)


def _scalar(hint: Any) -> tuple[str, Any]:
    """(the key suffix that reaches an item, the item type) of Optional[T], list[T], dict[str, T] or T."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:  # Optional[T]
        return _scalar(next(a for a in args if a is not type(None)))
    if origin is list:
        suffix, item = _scalar(args[0])
        return "[0]" + suffix, item
    if origin is dict:
        suffix, item = _scalar(args[1])
        return ".KEY" + suffix, item
    return "", hint


def undeclared(cls: type) -> list[str]:
    """Numeric and string leaf keys of `cls` that declare no Rule."""
    return [key for key, kind, rule in leaves(cls) if rule is None and kind in (int, float, str)]
