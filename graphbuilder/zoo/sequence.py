"""Sequence models: a transformer-encoder classifier and an LSTM classifier.

Both read a sequence and predict one class for it, sized for the built-in 'sequence'
dataset (24 steps of 1 feature, 3 classes). The transformer can instead take integer
token ids (``vocab`` set: an Embedding replaces the per-step Linear projection).
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import finish, group_nodes, run_config
from graphbuilder.zoo.vit import encoder


def transformer_classifier(seq_len: int = 24, features: int = 1, width: int = 64,
                           depth: int = 2, num_heads: int = 4, num_classes: int = 3,
                           dropout: float = 0.1, vocab: int | None = None) -> ModelGraph:
    """Step (or token) + position embeddings, pre-norm encoder blocks, mean, classifier."""
    b = NetBuilder("transformer_classifier")
    if vocab is None:
        x = b.input("x", [seq_len, features])
        before = set(b.graph.nodes())
        h = b.add("embedding", "Linear", x, out_features=width)
    else:
        x = b.input("x", [seq_len], dtype="int64")
        before = set(b.graph.nodes())
        h = b.add("embedding", "Embedding", x, num_embeddings=vocab, embedding_dim=width)
    pos = b.param("pos_embedding", [1, seq_len, width], init="normal", std=0.02)
    h = b.add("add_pos_embedding", "Add", [h, pos])
    h = b.add("embedding_dropout", "Dropout", h, p=dropout)
    group_nodes(b, "embed", "Step embedding + positions", before)
    h = encoder(b, h, width, depth, num_heads, 4 * width, dropout, eps=1e-5)
    before = set(b.graph.nodes())
    h = b.add("pool", "Mean", h, dim=0)
    h = b.add("head", "Linear", h, out_features=num_classes)
    group_nodes(b, "classifier", "Mean over tokens, classifier", before)
    b.output("y", h)
    what = (f"{seq_len} steps of {features} feature(s), each projected to {width}"
            if vocab is None else f"{seq_len} token ids (vocabulary {vocab})")
    return finish(
        b, title="Transformer classifier", category="Sequence",
        input_shape=[seq_len, features] if vocab is None else [seq_len],
        description=(f"Classifies sequences of {what}: learned positions, {depth} pre-norm "
                     "transformer encoder blocks (self-attention + MLP), mean over steps, "
                     "linear classifier. Sized for the built-in 'sequence' dataset."),
        training=run_config("sequence", epochs=30, optimizer="adamw", lr=1e-3,
                            weight_decay=0.01, schedule="cosine", warmup_steps=50),
    )


def lstm_classifier(features: int = 1, seq_len: int = 24, hidden: int = 64, layers: int = 2,
                    num_classes: int = 3, cell: str = "LSTM") -> ModelGraph:
    """Stacked LSTM (or GRU) reading [seq, features]; the last hidden state is classified."""
    b = NetBuilder(f"{cell.lower()}_classifier")
    x = b.input("x", [seq_len, features])
    with b.scope("rnn_head", f"{cell} sequence head"):
        h = b.add("rnn", cell, x, hidden_size=hidden, num_layers=layers, output="last",
                  dropout=0.1 if layers > 1 else 0.0)
        h = b.add("fc", "Linear", h, out_features=num_classes)
    b.output("y", h)
    return finish(
        b, title=f"{cell} sequence classifier", category="Sequence",
        input_shape=[seq_len, features],
        description=(f"A {layers}-layer {cell} reads {seq_len} steps of {features} features; "
                     "its final hidden state goes through a linear classifier. Works for "
                     "numeric time series such as the built-in 'sequence' dataset; put an "
                     "Embedding in front for token ids."),
        training=run_config("sequence", epochs=20, lr=2e-3),
    )
