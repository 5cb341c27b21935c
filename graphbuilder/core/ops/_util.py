"""Small helpers shared by the op declarations."""

from __future__ import annotations

from collections.abc import Sequence


def fmt_shape(shape: Sequence[int] | None, batched: bool = True) -> str:
    """A shape as students read it: without the batch dimension, e.g. ``[64, 56, 56]``."""
    if shape is None:
        return "[?]"
    dims = list(shape[1:] if batched else shape)
    return "[" + ", ".join(str(d) for d in dims) + "]"


def same_shape(p: dict, s: list) -> tuple[int, ...]:
    """Shape rule of element-wise ops and normalisations: the output is shaped like the input."""
    return tuple(s[0])


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """``torch.broadcast_shapes`` in plain Python.

    torch's first call imports sympy (``torch.fx.experimental.symbolic_shapes``, 0.5-2 s),
    which every graph with a residual Add paid on its first shape inference. Raises
    RuntimeError where torch does; tests/compiler/test_shapes_rules.py compares the two.
    """
    out: list[int] = []
    rank = max((len(s) for s in shapes), default=0)
    for axis in range(1, rank + 1):
        size = 1
        for i, s in enumerate(shapes):
            d = s[-axis] if axis <= len(s) else 1
            if d == 1:
                continue
            if size not in (1, d):
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single "
                                   f"shape.  Mismatch is between arg {i} and an earlier one.")
            size = d
        out.append(size)
    return tuple(reversed(out))


def broadcast_shape(p: dict, s: list) -> tuple[int, ...]:
    """Shape rule of Add/Multiply: their inputs broadcast together (checked beforehand)."""
    return broadcast_shapes(*s[0])


def tdim(dim: int) -> int:
    """Map a user axis (counted without the batch axis) to a torch axis."""
    return dim + 1 if dim >= 0 else dim


def as_size(v):  # noqa: ANN001, ANN201
    """JSON lists become tuples for torch's size arguments; ints and strings pass."""
    return tuple(v) if isinstance(v, list) else v


def pair(v: int | Sequence[int]) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, list | tuple) else (v, v)


def expand(v: int | Sequence[int], n: int) -> tuple[int, ...]:
    """A size parameter as ``n`` numbers: ``3`` or ``[3]`` -> ``(3,) * n``."""
    if isinstance(v, list | tuple):
        return tuple(v) * n if len(v) == 1 else tuple(v)
    return (v,) * n


def check_sizes(op: str, p: dict, names: Sequence[str], n: int) -> str | None:
    """Size parameters given as lists must have 1 or ``n`` entries (one per spatial axis)."""
    for name in names:
        v = p.get(name)
        if isinstance(v, list | tuple) and len(v) not in (1, n):
            what = "one number" if n == 1 else f"one number or {n} (one per spatial axis)"
            return f"{op} {name} needs {what}, got {list(v)}"
    return None


def need_rank(op: str, shape: Sequence[int], ranks: Sequence[int], what: str) -> str | None:
    """Friendly message when an op receives a tensor of the wrong rank."""
    if len(shape) - 1 in ranks:
        return None
    return (
        f"{op} expects {what}, but its input has shape {fmt_shape(shape)} "
        f"({len(shape) - 1} axes besides the batch)"
    )
