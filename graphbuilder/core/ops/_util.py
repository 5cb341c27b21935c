"""Small helpers shared by the op declarations."""

from __future__ import annotations

from collections.abc import Sequence


def fmt_shape(shape: Sequence[int] | None, batched: bool = True) -> str:
    """A shape as students read it: without the batch dimension, e.g. ``[64, 56, 56]``."""
    if shape is None:
        return "[?]"
    dims = list(shape[1:] if batched else shape)
    return "[" + ", ".join(str(d) for d in dims) + "]"


def tdim(dim: int) -> int:
    """Map a user axis (counted without the batch axis) to a torch axis."""
    return dim + 1 if dim >= 0 else dim


def pair(v: int | Sequence[int]) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, list | tuple) else (v, v)


def need_rank(op: str, shape: Sequence[int], ranks: Sequence[int], what: str) -> str | None:
    """Friendly message when an op receives a tensor of the wrong rank."""
    if len(shape) - 1 in ranks:
        return None
    return (
        f"{op} expects {what}, but its input has shape {fmt_shape(shape)} "
        f"({len(shape) - 1} axes besides the batch)"
    )
