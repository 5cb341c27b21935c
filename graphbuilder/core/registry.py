"""The op registry: every layer type is declared here exactly once.

An :class:`OpSpec` says which input ports an op has, which parameters it takes
(with types, defaults and ranges) and how it becomes torch code:

* ``build(params, in_shapes) -> nn.Module`` creates the module for ops that own
  state or are torch modules (Conv2d, ReLU...). ``in_shapes`` are the shapes of the
  incoming tensors, batch dimension included, so ``in_channels``/``in_features`` are
  inferred and never asked from the user.
* ``forward(m, *inputs, **params)`` says how the op is applied. ``m`` is the built
  module (or ``None`` for function ops). The same function runs on ``meta`` tensors
  for shape inference and on ``torch.fx`` proxies for code generation, so the
  generated ``forward`` contains plain torch calls and nothing of ours.
* ``check(params, in_shapes) -> str | None`` gives a friendly message for the
  mistakes students make, before torch's own (terser) error would appear.

The palette, inspector, compiler, docs and the file validator all read these specs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphbuilder.core.params import ParamSpec

Shape = tuple[int, ...]

#: Op kinds: how the compiler lowers a node.
OP_KINDS = ("input", "output", "module", "function", "parameter")

CATEGORIES = (
    "Input/Output",
    "Dense",
    "Convolution",
    "Pooling",
    "Normalization",
    "Activation",
    "Regularization",
    "Recurrent",
    "Attention",
    "Merge",
    "Reshape",
    "Tensor",
)


@dataclass(frozen=True)
class PortSpec:
    """A named input port. A variadic port takes ``name0``, ``name1``... in order."""

    name: str
    doc: str = ""
    optional: bool = False
    variadic: bool = False
    min_count: int = 1  # for variadic ports

    def port_names(self, connected: Iterable[str]) -> list[str]:
        """Connected port names belonging to this port, in their explicit order."""
        if not self.variadic:
            return [self.name] if self.name in connected else []
        mine = [p for p in connected if _variadic_index(self.name, p) is not None]
        return sorted(mine, key=lambda p: _variadic_index(self.name, p))


def _variadic_index(base: str, port: str) -> int | None:
    if port.startswith(base) and port[len(base):].isdigit():
        return int(port[len(base):])
    return None


@dataclass(frozen=True)
class OpSpec:
    """Declaration of one op. See the module docstring for the meaning of the hooks."""

    name: str
    category: str
    doc: str
    kind: str = "module"
    inputs: tuple[PortSpec, ...] = (PortSpec("in"),)
    params: tuple[ParamSpec, ...] = ()
    build: Callable[[dict[str, Any], list[Any]], Any] | None = None
    forward: Callable[..., Any] | None = None
    check: Callable[[dict[str, Any], list[Any]], str | None] | None = None
    key_params: tuple[str, ...] = ()  # shown on the node's face in the editor
    aliases: tuple[str, ...] = field(default=())
    #: Accepts int64 tensors (token ids). Meta tensors run float-only kernels on ints
    #: without complaint, so shape inference refuses ints for ops that leave this False.
    int_inputs: bool = False
    #: Optional fast shape rule ``infer(params, in_shapes) -> out_shape`` used by shape
    #: inference instead of running ``forward`` on meta tensors. Meta kernels of
    #: element-wise ops and BatchNorm are Python decompositions (~1-5 ms each), which
    #: made a 500-layer graph take most of a second, and some import torch._dynamo on
    #: first use (seconds). Must agree with ``forward``: tests/compiler/test_op_table.py
    #: and test_shapes_rules.py compare it with real torch outputs. Returning None hands
    #: an unusual case back to the meta run, so torch's own error message is kept.
    infer: Callable[[dict[str, Any], list[Any]], Shape | None] | None = None

    def __post_init__(self) -> None:
        if self.kind not in OP_KINDS:
            raise ValueError(f"{self.name}: unknown op kind {self.kind!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.name}: unknown category {self.category!r}")

    # -- parameters --------------------------------------------------------------------
    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r}")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.normalize(p.default) for p in self.params}

    def resolve_params(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given`` (unknown keys are kept for the validator)."""
        out = self.defaults()
        out.update(given)
        return out

    def check_params(self, given: dict[str, Any]) -> list[str]:
        """Messages for unknown names and bad values; empty when all is well."""
        known = {p.name for p in self.params}
        msgs = [
            f"{self.name} has no parameter '{k}' (it takes: {', '.join(sorted(known)) or 'none'})"
            for k in given
            if k not in known
        ]
        for p in self.params:
            if p.name in given:
                msg = p.check(given[p.name])
                if msg:
                    msgs.append(msg)
        return msgs

    # -- ports -------------------------------------------------------------------------
    def port(self, name: str) -> PortSpec | None:
        """The port spec a connected port name belongs to (``in3`` -> variadic ``in``)."""
        for p in self.inputs:
            if p.variadic:
                if _variadic_index(p.name, name) is not None:  # bare "in" is not a port
                    return p
            elif p.name == name:
                return p
        return None

    def required_ports(self) -> list[PortSpec]:
        return [p for p in self.inputs if not p.optional]


_REGISTRY: dict[str, OpSpec] = {}
_ALIASES: dict[str, str] = {}


class UnknownOpError(KeyError):
    """Raised by :func:`get_op` for an op name nobody registered."""


def register_op(spec: OpSpec) -> OpSpec:
    """Add ``spec`` to the registry; re-registering a name is a programming error."""
    if spec.name in _REGISTRY:
        raise ValueError(f"op {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    for alias in spec.aliases:
        _ALIASES[alias] = spec.name
    return spec


def _ensure_loaded() -> None:
    if not _REGISTRY:
        import graphbuilder.core.ops  # noqa: F401  (registers the built-in ops)


def get_op(name: str) -> OpSpec:
    _ensure_loaded()
    name = _ALIASES.get(name, name)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownOpError(name) from None


def has_op(name: str) -> bool:
    _ensure_loaded()
    return name in _REGISTRY or name in _ALIASES


def all_ops() -> list[OpSpec]:
    """Every registered op, grouped by category in palette order."""
    _ensure_loaded()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(_REGISTRY.values(), key=lambda s: (order[s.category], s.name))
