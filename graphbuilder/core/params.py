"""Typed parameter declarations for ops.

A ``ParamSpec`` is the single description of one op parameter: the inspector builds
its widget from it, the file loader validates against it and the docs print it.
Validation returns a readable message instead of raising so that callers (file
loading, the inspector, shape inference) can decide how to report it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Parameter kinds understood by every reader of the registry.
#: ``size`` is an int or a list of ints (kernel sizes), ``shape`` a list of ints.
PARAM_KINDS = ("int", "float", "bool", "choice", "str", "size", "shape")

#: Numbers beyond this are refused: they are typos or hostile files, never layers.
MAX_ABS_NUMBER = 1e9


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an op: its type, default, range/choices and a one-line doc."""

    name: str
    kind: str
    default: Any
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False  # ``None`` is an accepted value
    extra: tuple[Any, ...] = field(default=())  # extra literal values allowed (e.g. "same")

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r} for {self.name}")

    def check(self, value: Any) -> str | None:
        """Return ``None`` if ``value`` is acceptable, else a message a student understands."""
        if value is None:
            return None if self.optional else f"'{self.name}' needs a value"
        if isinstance(value, str) and value in self.extra:
            return None
        checker = getattr(self, f"_check_{self.kind}")
        return checker(value)

    # -- per-kind checks -------------------------------------------------------------
    def _range(self, value: float) -> str | None:
        if isinstance(value, float) and not math.isfinite(value):
            return f"'{self.name}' must be a finite number, got {value}"
        if abs(value) > MAX_ABS_NUMBER:
            return f"'{self.name}' = {value} is unreasonably large"
        if self.min is not None and value < self.min:
            return f"'{self.name}' must be at least {_fmt(self.min)}, got {_fmt(value)}"
        if self.max is not None and value > self.max:
            return f"'{self.name}' must be at most {_fmt(self.max)}, got {_fmt(value)}"
        return None

    def _check_int(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"'{self.name}' must be a whole number, got {value!r}"
        return self._range(value)

    def _check_float(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"'{self.name}' must be a number, got {value!r}"
        return self._range(float(value))

    def _check_bool(self, value: Any) -> str | None:
        if not isinstance(value, bool):
            return f"'{self.name}' must be true or false, got {value!r}"
        return None

    def _check_choice(self, value: Any) -> str | None:
        if value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            return f"'{self.name}' must be one of {options}, got {value!r}"
        return None

    def _check_str(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"'{self.name}' must be text, got {value!r}"
        return None

    def _check_size(self, value: Any) -> str | None:
        if isinstance(value, list | tuple):
            if not value:
                return f"'{self.name}' must not be empty"
            for v in value:
                msg = self._check_int(v)
                if msg:
                    return msg
            return None
        return self._check_int(value)

    def _check_shape(self, value: Any) -> str | None:
        if not isinstance(value, list | tuple):
            return f"'{self.name}' must be a list of whole numbers, got {value!r}"
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int):
                return f"'{self.name}' must be a list of whole numbers, got {value!r}"
            if abs(v) > MAX_ABS_NUMBER:
                return f"'{self.name}' has an unreasonably large entry {v}"
            if self.min is not None and v < self.min:
                return f"'{self.name}' entries must be at least {_fmt(self.min)}, got {v}"
        return None

    def normalize(self, value: Any) -> Any:
        """Canonical JSON-friendly form: tuples become lists, ints stay ints for floats."""
        if isinstance(value, tuple):
            return list(value)
        if self.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    def describe(self) -> str:
        """Short human description used by tooltips and generated docs."""
        parts = [self.kind]
        if self.choices:
            parts = ["one of " + "/".join(str(c) for c in self.choices)]
        if self.min is not None or self.max is not None:
            lo = _fmt(self.min) if self.min is not None else "-inf"
            hi = _fmt(self.max) if self.max is not None else "inf"
            parts.append(f"in [{lo}, {hi}]")
        if self.extra:
            parts.append("or " + "/".join(repr(e) for e in self.extra))
        return f"{self.name} ({', '.join(parts)}; default {self.default!r}): {self.doc}"


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# Short constructors keep op declarations readable.
def Int(name: str, default: int | None, doc: str = "", min: float | None = None,
        max: float | None = None, optional: bool = False) -> ParamSpec:
    return ParamSpec(name, "int", default, doc, min=min, max=max, optional=optional)


def Float(name: str, default: float | None, doc: str = "", min: float | None = None,
          max: float | None = None, optional: bool = False) -> ParamSpec:
    return ParamSpec(name, "float", default, doc, min=min, max=max, optional=optional)


def Bool(name: str, default: bool, doc: str = "") -> ParamSpec:
    return ParamSpec(name, "bool", default, doc)


def Choice(name: str, default: Any, choices: tuple[Any, ...], doc: str = "") -> ParamSpec:
    return ParamSpec(name, "choice", default, doc, choices=tuple(choices))


def Size(name: str, default: Any, doc: str = "", min: float | None = 1,
         extra: tuple[Any, ...] = (), optional: bool = False) -> ParamSpec:
    return ParamSpec(name, "size", default, doc, min=min, extra=extra, optional=optional)


def Shape(name: str, default: list[int], doc: str = "", min: float | None = None) -> ParamSpec:
    return ParamSpec(name, "shape", list(default), doc, min=min)


def Str(name: str, default: str, doc: str = "") -> ParamSpec:
    return ParamSpec(name, "str", default, doc)
