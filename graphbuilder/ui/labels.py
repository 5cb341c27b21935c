"""Short texts shown on node faces and in the status bar (no Qt, easy to test)."""

from __future__ import annotations

from typing import Any

_PREFIX = {
    "out_channels": "", "out_features": "", "kernel_size": "k", "stride": "s",
    "num_heads": "heads ", "p": "p=", "hidden_size": "hidden ", "dims": "dims ",
    "dim": "dim ", "output_size": "out ", "num_groups": "groups ", "scale_factor": "×",
    "index": "#", "num_embeddings": "vocab ", "embedding_dim": "dim ",
    "negative_slope": "slope ", "shape": "", "mode": "", "output": "",
}


def fmt_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        if value and all(v == value[0] for v in value) and len(value) <= 3:
            return str(value[0]) if len(value) == 2 else "×".join(str(v) for v in value)
        return "×".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def key_param_text(key_params: tuple[str, ...], params: dict[str, Any]) -> str:
    """E.g. ``64 · k3 · s2`` for a Conv2d (defaults included, ``None`` skipped)."""
    parts = []
    for name in key_params:
        value = params.get(name)
        if value is None or value == "":
            continue
        parts.append(f"{_PREFIX.get(name, name + ' ')}{fmt_value(value)}")
    return " · ".join(parts)


def fmt_count(n: int) -> str:
    """1234 -> 1.2k, 23_500_000 -> 23.5M."""
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            value = n / div
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(n)


def fmt_bytes(n: int) -> str:
    for div, suffix in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= div:
            return f"{n / div:.1f} {suffix}"
    return f"{n} B"
