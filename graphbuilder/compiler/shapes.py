"""Shape and parameter-count inference on ``meta`` tensors.

Every node's module is built on the ``meta`` device and run on ``meta`` tensors:
no memory is allocated and nothing is computed, yet torch itself tells us each
output shape. Results are cached per (op, parameters, input shapes), so after an
edit only the nodes whose inputs changed do real work, and a ResNet's many
identical blocks cost one build each.

Problems never raise: each becomes a :class:`GraphError` pinned to the node that
caused it. Nodes downstream of a failure get no shape and no extra message.

Ops with an ``infer`` rule skip the meta run, and so do the plain torch modules in
:data:`_MODULE_RULES` (Linear, adaptive pooling). Their meta kernels are Python
references (``addmm``, ``mean``) wrapped in ``torch._disable_dynamo``, whose first call
imports ``torch._dynamo``: 3-6 s, which ``graphbuilder info resnet18`` and the
editor's first analysis paid for two layers whose output shape is one line of
arithmetic. The same holds for attention, the recurrent layers, ``Mean`` and
``PrependToken``, whose ops carry ``infer`` rules; a rule may return ``None`` to leave
an unusual case (mismatched batches, say) to the meta run and torch's own error.
Building modules runs under :class:`_NoMetaInit`: ``normal_`` on a meta tensor (the
``Parameter`` op, ``Embedding``) is a Python reference too, and meta tensors have no
values to initialise.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from graphbuilder.core.errors import GraphError
from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.ops._util import fmt_shape
from graphbuilder.core.registry import OpSpec, get_op
from graphbuilder.core.validation import validate_structure

#: Batch size used on meta tensors (2, not 1: BatchNorm refuses a batch of one).
INFER_BATCH = 2
_ALT_BATCH = 3  # second look for multi-input ops (see _batch_mixing)
_DTYPES = {"float32": torch.float32, "int64": torch.int64}
_CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class NodeInfo:
    """What inference learned about one node's output."""

    shape: tuple[int, ...] | None = None  # full shape, batch axis included when batched
    dtype: str | None = None
    batched: bool = True
    params: int = 0
    trainable: int = 0
    buffer_bytes: int = 0
    error: str | None = None

    @property
    def feature_shape(self) -> tuple[int, ...] | None:
        """Shape without the batch axis, the way the editor shows it."""
        if self.shape is None:
            return None
        return self.shape[1:] if self.batched else self.shape

    def shape_text(self) -> str:
        """E.g. ``64×56×56`` for a batched tensor, ``1×1×768`` for a Parameter."""
        fs = self.feature_shape
        if fs is None:
            return "?"
        return "×".join(str(d) for d in fs) if fs else "scalar"


@dataclass
class ShapeReport:
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    errors: list[GraphError] = field(default_factory=list)  # errors and warnings

    @property
    def ok(self) -> bool:
        return not any(e.is_error for e in self.errors)

    @property
    def blocking(self) -> list[GraphError]:
        return [e for e in self.errors if e.is_error]

    @property
    def total_params(self) -> int:
        return sum(i.params for i in self.nodes.values())

    @property
    def trainable_params(self) -> int:
        return sum(i.trainable for i in self.nodes.values())

    @property
    def size_bytes(self) -> int:
        """fp32 size of parameters plus buffers (what a checkpoint weighs)."""
        return 4 * self.total_params + sum(i.buffer_bytes for i in self.nodes.values())

    def errors_for(self, node_id: str) -> list[GraphError]:
        return [e for e in self.errors if e.node == node_id]


class _Cache:
    """Bounded LRU of per-node results keyed by op, parameters and input signature.

    Locked: the editor infers shapes on the GUI thread while a training worker may
    compile (and so infer) at the same time.
    """

    def __init__(self) -> None:
        self.data: OrderedDict[tuple, NodeInfo] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> NodeInfo | None:
        with self._lock:
            hit = self.data.get(key)
            if hit is not None:
                self.data.move_to_end(key)
            return hit

    def put(self, key: tuple, info: NodeInfo) -> None:
        with self._lock:
            self.data[key] = info
            if len(self.data) > _CACHE_LIMIT:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self.data.clear()


_CACHE = _Cache()


def ordered_inputs(spec: OpSpec, connected: dict[str, str]) -> list[tuple[str, Any]]:
    """(port name, source or list of sources or None) in the op's port order."""
    out: list[tuple[str, Any]] = []
    for port in spec.inputs:
        names = port.port_names(connected)
        if port.variadic:
            out.append((port.name, [connected[n] for n in names]))
        else:
            out.append((port.name, connected[names[0]] if names else None))
    return out


def trailing_optional_trim(values: list[Any]) -> list[Any]:
    """Drop trailing ``None`` so optional ports fall back to the op's defaults."""
    while values and values[-1] is None:
        values = values[:-1]
    return values


def infer_shapes(graph: ModelGraph) -> ShapeReport:
    """Validate ``graph`` and infer every node's output shape and parameter count."""
    report = ShapeReport(errors=validate_structure(graph))
    if any(e.message.startswith("connections form a loop") for e in report.errors):
        return report
    broken = {e.node for e in report.errors if e.is_error and e.node}
    for node_id in graph.topological_order():
        if node_id in broken:
            report.nodes[node_id] = NodeInfo(error="see problems")
            continue
        info = _infer_node(graph, node_id, report.nodes)
        report.nodes[node_id] = info
        if info.error:
            report.errors.append(GraphError(node_id, info.error))
    return report


def _infer_node(graph: ModelGraph, node_id: str, known: dict[str, NodeInfo]) -> NodeInfo:
    spec = get_op(graph.op(node_id))
    params = graph.params(node_id)
    if spec.kind == "input":
        return NodeInfo((INFER_BATCH, *params["shape"]), params["dtype"], True)
    ports = ordered_inputs(spec, graph.inputs_of(node_id))
    src_infos: list[Any] = []
    for _, src in ports:
        if isinstance(src, list):
            src_infos.append([known.get(s) for s in src])
        else:
            src_infos.append(known.get(src) if src is not None else None)
    flat = [i for x in src_infos for i in (x if isinstance(x, list) else [x]) if x is not None]
    if any(i is None or i.shape is None for i in flat):
        return NodeInfo()  # upstream problem: reported there, not here
    batched = any(i.batched for i in flat) if flat else False
    if spec.kind == "output":
        return NodeInfo(flat[0].shape, flat[0].dtype, flat[0].batched)

    def sig(x: Any) -> Any:
        if isinstance(x, list):
            return tuple(sig(i) for i in x)
        return None if x is None else (x.shape, x.dtype)

    key = (spec.name, repr(sorted(params.items())), tuple(sig(x) for x in src_infos))
    cached = _CACHE.get(key)
    if cached is None:
        cached = _compute(spec, params, src_infos)
        _CACHE.put(key, cached)
    if cached.error is None and spec.kind != "parameter":
        return NodeInfo(cached.shape, cached.dtype, batched, cached.params, cached.trainable,
                        cached.buffer_bytes)
    return cached


def _flat(src_infos: list[Any]) -> list[Any]:
    return [i for x in src_infos for i in (x if isinstance(x, list) else [x]) if i is not None]


def _shapes(src_infos: list[Any]) -> list[Any]:
    return [[i.shape for i in x] if isinstance(x, list) else (x.shape if x else None)
            for x in src_infos]


def _tensor(info: Any) -> Any:
    if isinstance(info, list):
        return [_tensor(i) for i in info]
    if info is None:
        return None
    return torch.empty(info.shape, dtype=_DTYPES.get(info.dtype, torch.float32), device="meta")


def _compute(spec: OpSpec, params: dict[str, Any], src_infos: list[Any]) -> NodeInfo:
    in_shapes = _shapes(src_infos)
    if not spec.int_inputs and any(i.dtype == "int64" for i in _flat(src_infos)):
        return NodeInfo(error=f"{spec.name} needs floating-point input but receives int64 "
                              "token ids; feed them to an Embedding first")
    msg = _check(spec, params, in_shapes)
    if msg:
        return NodeInfo(error=msg)
    try:
        with torch.device("meta"), _NoMetaInit():
            module = spec.build(params, in_shapes) if spec.build else None
        if spec.kind == "parameter":
            n = module.numel()
            return NodeInfo(tuple(module.shape), "float32", False, n, n)
        out_shape, out_int = _output(spec, module, params, src_infos, in_shapes)
    except Exception as exc:
        return NodeInfo(error=_explain(spec, in_shapes, exc))
    if out_shape is None:
        return NodeInfo(error=f"{spec.name} did not produce a single tensor")
    if any(d == 0 for d in out_shape[1:]):  # meta kernels allow it; real ones often do not
        return NodeInfo(error=f"{spec.name} turns {_listing(in_shapes)} into an empty tensor "
                              f"{fmt_shape(out_shape)}; the input is too small for it")
    flat = _flat(src_infos)
    if len(flat) > 1 and any(i.batched for i in flat):
        msg = _batch_mixing(spec, module, params, src_infos, out_shape)
        if msg:
            return NodeInfo(error=msg)
    n_params = trainable = buf = 0
    if isinstance(module, torch.nn.Module):
        for p in module.parameters():
            n_params += p.numel()
            trainable += p.numel() if p.requires_grad else 0
        buf = sum(b.numel() * b.element_size() for b in module.buffers())
    dtype = "int64" if out_int else "float32"
    return NodeInfo(out_shape, dtype, True, n_params, trainable, buf)


def _check(spec: OpSpec, params: dict[str, Any], in_shapes: list[Any]) -> str | None:
    if spec.check is None:
        return None
    try:
        return spec.check(params, in_shapes)
    except Exception as exc:  # a check must never take the editor down
        return f"{spec.name}: cannot check inputs ({exc})"


def _output(spec: OpSpec, module: Any, params: dict[str, Any], src_infos: list[Any],
            in_shapes: list[Any]) -> tuple[tuple[int, ...] | None, bool]:
    """Output shape (None if the op gave no single tensor) and whether it is int64."""
    shape = spec.infer(params, in_shapes) if spec.infer is not None else None
    if shape is not None:  # fast rule: skips slow Python meta kernels
        flat = _flat(src_infos)
        return tuple(shape), bool(flat) and all(i.dtype == "int64" for i in flat)
    rule = _MODULE_RULES.get(type(module)) if spec.forward is None else None
    if rule is not None and len(in_shapes) == 1 and in_shapes[0] is not None \
            and src_infos[0].dtype != "int64":
        shape = rule(module, tuple(in_shapes[0]))
        if shape is not None:
            return shape, False
    args = trailing_optional_trim([_tensor(x) for x in src_infos])
    with torch.device("meta"):
        out = (spec.forward or _default_forward)(module, *args, **params)
    if not isinstance(out, torch.Tensor):
        return None, False
    return tuple(out.shape), out.dtype == torch.int64


def _batch_mixing(spec: OpSpec, module: Any, params: dict[str, Any], src_infos: list[Any],
                  out_shape: tuple[int, ...]) -> str | None:
    """Re-run a multi-input op at another batch size.

    Inference uses batch 2, so ``[2]`` + ``[2, 2]`` (with batch: (2, 2) + (2, 2, 2))
    broadcasts by accident and then fails for any other batch size. A second pass
    with batch 3 catches a batch axis lined up with a feature axis.
    """
    alt = [[_rebatch(i) for i in x] if isinstance(x, list) else _rebatch(x) for x in src_infos]
    alt_shapes = _shapes(alt)
    msg = _check(spec, params, alt_shapes)
    if msg:
        return msg
    try:
        alt_shape, _ = _output(spec, module, params, alt, alt_shapes)
    except Exception as exc:
        return _explain(spec, alt_shapes, exc)
    if alt_shape != (_ALT_BATCH, *out_shape[1:]):
        return (f"{spec.name}: inputs {_listing(_shapes(src_infos))} only fit together when "
                "the batch size happens to equal a feature size; make their shapes match")
    return None


def _linear_shape(m: torch.nn.Linear, s: tuple[int, ...]) -> tuple[int, ...]:
    if len(s) < 1 or s[-1] != m.in_features:  # torch's words for the same mistake
        rows = s[0] if len(s) == 1 else int(torch.Size(s[:-1]).numel())
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({rows}x{s[-1] if s else 0} and {m.in_features}x{m.out_features})")
    return (*s[:-1], m.out_features)


def _adaptive_rule(k: int, name: str) -> Any:
    """Adaptive pooling over the last ``k`` axes, with torch's input checks."""
    average = name.startswith("adaptive_avg")

    def rule(m: Any, s: tuple[int, ...]) -> tuple[int, ...] | None:
        if getattr(m, "return_indices", False):
            return None  # a tuple: left to the meta run
        size = m.output_size
        size = (size,) * k if isinstance(size, int) else tuple(size)
        if len(size) != k or len(s) < k:
            return None  # torch's own error says it best
        size = tuple(s[len(s) - k + i] if d is None else d for i, d in enumerate(size))
        # global average pooling is a mean over the last k axes: any rank, empty axes too
        mean = average and all(d == 1 for d in size)
        if not (mean and k > 1) and len(s) not in (k + 1, k + 2):
            raise RuntimeError(f"{name}(): Expected {k + 1}D or {k + 2}D tensor, "
                               f"but got: {list(s)}")
        if not mean and any(d == 0 for d in s[-k:]):
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but input has sizes {list(s)}")
        return (*s[:-k], *size)
    return rule


#: Exact output shapes of plain torch modules whose meta kernels are slow Python
#: references (see the module docstring); checked against the meta run in
#: tests/compiler/test_shapes_rules.py. Only used when the op has no custom forward.
_MODULE_RULES: dict[type, Any] = {
    torch.nn.Linear: _linear_shape,
    torch.nn.AdaptiveAvgPool1d: _adaptive_rule(1, "adaptive_avg_pool1d"),
    torch.nn.AdaptiveAvgPool2d: _adaptive_rule(2, "adaptive_avg_pool2d"),
    torch.nn.AdaptiveAvgPool3d: _adaptive_rule(3, "adaptive_avg_pool3d"),
    torch.nn.AdaptiveMaxPool1d: _adaptive_rule(1, "adaptive_max_pool1d"),
    torch.nn.AdaptiveMaxPool2d: _adaptive_rule(2, "adaptive_max_pool2d"),
    torch.nn.AdaptiveMaxPool3d: _adaptive_rule(3, "adaptive_max_pool3d"),
}


#: Random initialisers whose meta kernels are Python references (see the docstring).
_META_INITS = frozenset({torch.nn.init.normal_, torch.nn.init.trunc_normal_,
                         torch.Tensor.normal_})


class _NoMetaInit(TorchFunctionMode):
    """Skips random initialisation of meta tensors while a module is built.

    A meta tensor has a shape and no values, so skipping changes no shape or
    parameter count. Torch-function modes are per thread: a training worker
    building real modules at the same time is not affected.
    """

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in _META_INITS:
            t = args[0] if args else kwargs.get("tensor")
            if isinstance(t, torch.Tensor) and t.is_meta:
                return t
        return func(*args, **kwargs)


def _rebatch(info: Any) -> Any:
    if info is None or not info.batched:
        return info
    return dataclasses.replace(info, shape=(_ALT_BATCH, *info.shape[1:]))


def _default_forward(module: Any, x: Any, **_: Any) -> Any:
    return module(x)


def _listing(in_shapes: list[Any]) -> str:
    flat = [s for x in in_shapes for s in (x if isinstance(x, list) else [x]) if s is not None]
    return " and ".join(fmt_shape(s) for s in flat)


def _explain(spec: OpSpec, in_shapes: list[Any], exc: Exception) -> str:
    """Turn torch's error into one line naming the op and its input shapes."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    shapes = _listing(in_shapes)
    if "expected scalar type Long" in first or "Expected tensor for argument #1 'indices'" in first:
        return f"{spec.name} needs integer token ids: set the Input's dtype to int64"
    return f"{spec.name} cannot take input {shapes}: {first}"
