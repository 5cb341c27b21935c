"""Recurrent layers (batch-first). ``input_size`` is inferred from the last axis."""

from __future__ import annotations

from torch import nn

from graphbuilder.core.ops._util import need_rank
from graphbuilder.core.params import Bool, Choice, Float, Int
from graphbuilder.core.registry import OpSpec, register_op


def _rnn_forward(m, x, output="sequence", **_):
    """LSTM/GRU/RNN return (sequence, state); pick what the next layer needs."""
    seq = m(x)[0]
    return seq if output == "sequence" else seq[:, -1]


def _rnn_shape(p: dict, s: list) -> tuple[int, ...] | None:
    """[seq, features] -> [seq, hidden] (or [hidden] for 'last'); x2 when bidirectional."""
    batch, seq = s[0][0], s[0][1]
    if seq == 0:
        return None  # an empty sequence: left to torch
    width = p["hidden_size"] * (2 if p["bidirectional"] else 1)
    return (batch, seq, width) if p["output"] == "sequence" else (batch, width)


def _rnn_params(extra: tuple = ()) -> tuple:
    return (
        Int("hidden_size", 64, "size of the hidden state", min=1),
        Int("num_layers", 1, "stacked recurrent layers", min=1, max=16),
        Bool("bidirectional", False, "also read the sequence backwards (doubles the width)"),
        Float("dropout", 0.0, "dropout between stacked layers", min=0.0, max=1.0),
        Choice("output", "sequence", ("sequence", "last"),
               "'sequence': every step [seq, hidden]; 'last': the final step [hidden]"),
        *extra,
    )


def _build(cls, p: dict, s: list, **kw) -> nn.Module:
    return cls(
        s[0][-1], p["hidden_size"], num_layers=p["num_layers"], batch_first=True,
        bidirectional=p["bidirectional"],
        dropout=p["dropout"] if p["num_layers"] > 1 else 0.0, **kw,
    )


def _check(op: str):
    return lambda p, s: need_rank(op, s[0], (2,), "a sequence [seq, features]")


register_op(OpSpec(
    "LSTM", "Recurrent",
    "Long short-term memory: a gated RNN that keeps long-range information.",
    params=_rnn_params(),
    build=lambda p, s: _build(nn.LSTM, p, s),
    forward=_rnn_forward, infer=_rnn_shape, check=_check("LSTM"),
    key_params=("hidden_size", "output"),
))

register_op(OpSpec(
    "GRU", "Recurrent",
    "Gated recurrent unit: a lighter gated RNN.",
    params=_rnn_params(),
    build=lambda p, s: _build(nn.GRU, p, s),
    forward=_rnn_forward, infer=_rnn_shape, check=_check("GRU"),
    key_params=("hidden_size", "output"),
))

register_op(OpSpec(
    "RNN", "Recurrent",
    "Plain (Elman) recurrent layer: h_t = act(W x_t + U h_(t-1) + b).",
    params=_rnn_params((Choice("nonlinearity", "tanh", ("tanh", "relu"), "activation"),)),
    build=lambda p, s: _build(nn.RNN, p, s, nonlinearity=p["nonlinearity"]),
    forward=_rnn_forward, infer=_rnn_shape, check=_check("RNN"),
    key_params=("hidden_size", "output"),
))
