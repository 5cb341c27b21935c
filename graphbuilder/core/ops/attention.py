"""Attention: multi-head attention (self and cross) and scaled dot-product attention."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from graphbuilder.core.ops._util import fmt_shape
from graphbuilder.core.params import Bool, Float, Int
from graphbuilder.core.registry import OpSpec, PortSpec, register_op


def _mha_forward(m, q, k=None, v=None, **_):
    k = q if k is None else k
    v = k if v is None else v
    return m(q, k, v, need_weights=False)[0]


def _mha_check(p: dict, s: list) -> str | None:
    q, k, v = (list(s) + [None, None])[:3]
    if len(q) != 3:
        return f"MultiheadAttention expects a sequence [seq, features], got {fmt_shape(q)}"
    width, heads = q[-1], p["num_heads"]
    if width % heads:
        near = [h for h in range(1, width + 1) if width % h == 0]
        best = min(near, key=lambda h: abs(h - heads))
        return (f"attention width {width} is not divisible by num_heads={heads}; "
                f"use {best} heads or a width that is a multiple of {heads}")
    k = k or q
    v = v or k
    if len(k) != 3 or len(v) != 3 or k[1] != v[1]:
        return (f"key {fmt_shape(k)} and value {fmt_shape(v)} must be sequences of the "
                "same length")
    return None


def _mha_shape(p: dict, s: list) -> tuple[int, ...] | None:
    """Output is shaped like the query; mismatched batches are left to torch's error."""
    q, k, v = (list(s) + [None, None])[:3]
    k = k or q
    v = v or k
    if not q[0] == k[0] == v[0]:
        return None
    return tuple(q)


def _mha_build(p: dict, s: list) -> nn.Module:
    q, k, v = (list(s) + [None, None])[:3]
    k = k or q
    v = v or k
    return nn.MultiheadAttention(
        q[-1], p["num_heads"], dropout=p["dropout"], bias=p["bias"], batch_first=True,
        kdim=k[-1], vdim=v[-1],
    )


register_op(OpSpec(
    "MultiheadAttention", "Attention",
    "Multi-head attention. Connect only 'query' for self-attention; add 'key'/'value' "
    "for cross-attention. The width is inferred from the query.",
    inputs=(
        PortSpec("query"),
        PortSpec("key", "defaults to the query (self-attention)", optional=True),
        PortSpec("value", "defaults to the key", optional=True),
    ),
    params=(
        Int("num_heads", 8, "number of attention heads (must divide the width)", min=1),
        Float("dropout", 0.0, "dropout on the attention weights", min=0.0, max=1.0),
        Bool("bias", True, "learn projection biases"),
    ),
    build=_mha_build, forward=_mha_forward, check=_mha_check, infer=_mha_shape,
    key_params=("num_heads",),
))


def _sdpa(m, q, k, v, is_causal=False, **_):
    return F.scaled_dot_product_attention(q, k, v, is_causal=is_causal)


def _sdpa_check(p: dict, s: list) -> str | None:
    q, k, v = s
    if len(q) < 3:
        return "scaled dot-product attention needs [.., seq, features] inputs"
    if q[-1] != k[-1]:
        return f"query width {q[-1]} and key width {k[-1]} must match"
    if k[-2] != v[-2]:
        return "key and value must have the same sequence length"
    return None


def _sdpa_shape(p: dict, s: list) -> tuple[int, ...] | None:
    """[.., L, E] x [.., S, E] x [.., S, Ev] -> [.., L, Ev]; broadcasting left to torch."""
    q, k, v = s
    if not len(q) == len(k) == len(v) or not q[:-2] == k[:-2] == v[:-2]:
        return None
    return (*q[:-1], v[-1])


register_op(OpSpec(
    "ScaledDotProductAttention", "Attention",
    "softmax(Q Kᵀ / √d) V, without learned projections.",
    kind="function",
    inputs=(PortSpec("query"), PortSpec("key"), PortSpec("value")),
    params=(Bool("is_causal", False, "mask future positions (decoder-style)"),),
    forward=_sdpa, check=_sdpa_check, infer=_sdpa_shape,
))
