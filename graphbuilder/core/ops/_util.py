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


def positive_sizes(*groups: Sequence[int], low: int = 1) -> bool:
    """Every entry is a plain int of at least ``low`` (so a shape rule may trust them)."""
    return all(isinstance(v, int) and not isinstance(v, bool) and v >= low
               for g in groups for v in g)


def conv_sizes(shape: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
               padding: Sequence[int], dilation: Sequence[int]) -> tuple[int, ...] | None:
    """Spatial output sizes of a convolution (torch's ``conv_output_size``).

    ``None`` where torch would refuse (a kernel larger than the padded input) or the
    numbers are unusual, so the meta run keeps torch's own error. A plain-Python rule
    because the meta kernel of ``conv`` imports sympy on its first call (0.4-1.3 s).
    """
    spatial = tuple(shape)
    n = len(spatial)
    if not all(len(g) == n for g in (kernel, stride, padding, dilation)):
        return None
    if not (positive_sizes(spatial, kernel, stride, dilation) and positive_sizes(padding, low=0)):
        return None
    out = tuple((size + 2 * p - d * (k - 1) - 1) // s + 1
                for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation,
                                            strict=True))
    if any(size + 2 * p < d * (k - 1) + 1 for size, k, p, d in
           zip(spatial, kernel, padding, dilation, strict=True)) or min(out) < 1:
        return None
    return out


def conv_transpose_sizes(shape: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                         padding: Sequence[int], output_padding: Sequence[int],
                         dilation: Sequence[int]) -> tuple[int, ...] | None:
    """Spatial output sizes of a transposed convolution; ``None`` as for :func:`conv_sizes`
    (a negative size or all sizes 0, output_padding not smaller than stride or
    dilation)."""
    spatial = tuple(shape)
    n = len(spatial)
    if not all(len(g) == n for g in (kernel, stride, padding, output_padding, dilation)):
        return None
    if not (positive_sizes(spatial, kernel, stride, dilation)
            and positive_sizes(padding, output_padding, low=0)):
        return None
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation, strict=True)):
        return None
    out = tuple((size - 1) * s - 2 * p + d * (k - 1) + op + 1
                for size, k, s, p, op, d in zip(spatial, kernel, stride, padding,
                                                output_padding, dilation, strict=True))
    # the meta kernel allows empty axes (then inference reports an empty tensor) as long
    # as one axis is not empty; a negative size fails later, with torch's words
    return out if min(out) >= 0 and max(out) >= 1 else None


def pool_sizes(shape: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
               padding: Sequence[int], ceil_mode: bool,
               dilation: Sequence[int] | None = None) -> tuple[int, ...] | None:
    """Spatial output sizes of max/average pooling (torch's ``pooling_output_shape``,
    ``ceil_mode`` included: the last window must start inside the input or the left
    padding). ``None`` where torch would refuse (padding over half the window, an
    empty output)."""
    spatial = tuple(shape)
    n = len(spatial)
    dilation = tuple(dilation) if dilation is not None else (1,) * n
    if not all(len(g) == n for g in (kernel, stride, padding, dilation)):
        return None
    if not (positive_sizes(spatial, kernel, stride, dilation) and positive_sizes(padding, low=0)):
        return None
    out = []
    for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True):
        if p > (d * (k - 1) + 1) // 2:
            return None
        span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
        o = span // s + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1
        if o < 1:
            return None
        out.append(o)
    return tuple(out)
