"""Sequence models: a transformer-encoder classifier and an LSTM classifier.

Both read a sequence and predict one class for it. The transformer takes integer token
ids (Embedding + learned positions); the LSTM takes feature vectors per time step, so it
also fits numeric time series.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import finish, group_nodes, run_config
from graphbuilder.zoo.vit import encoder


def transformer_classifier(vocab: int = 1000, seq_len: int = 32, width: int = 64,
                           depth: int = 2, num_heads: int = 4, num_classes: int = 2,
                           dropout: float = 0.1) -> ModelGraph:
    """Token + position embeddings, pre-norm encoder blocks, mean pooling, classifier."""
    b = NetBuilder("transformer_classifier")
    x = b.input("x", [seq_len], dtype="int64")
    before = set(b.graph.nodes())
    h = b.add("embedding", "Embedding", x, num_embeddings=vocab, embedding_dim=width)
    pos = b.param("pos_embedding", [1, seq_len, width], init="normal", std=0.02)
    h = b.add("add_pos_embedding", "Add", [h, pos])
    h = b.add("embedding_dropout", "Dropout", h, p=dropout)
    group_nodes(b, "embed", "Token + position embedding", before)
    h = encoder(b, h, width, depth, num_heads, 4 * width, dropout, eps=1e-5)
    before = set(b.graph.nodes())
    h = b.add("pool", "Mean", h, dim=0)
    h = b.add("head", "Linear", h, out_features=num_classes)
    group_nodes(b, "classifier", "Mean over tokens, classifier", before)
    b.output("y", h)
    return finish(
        b, title="Transformer classifier", category="Sequence", input_shape=[seq_len],
        description=(f"Classifies sequences of {seq_len} token ids (vocabulary {vocab}): "
                     "embeddings plus learned positions, pre-norm transformer encoder "
                     "blocks (self-attention + MLP), mean over tokens, linear classifier."),
        training=run_config("sequence", epochs=20, optimizer="adamw", lr=5e-4,
                            weight_decay=0.01, schedule="cosine", warmup_steps=50),
        input_dtype="int64",
    )


def lstm_classifier(features: int = 8, seq_len: int = 32, hidden: int = 64, layers: int = 2,
                    num_classes: int = 2, cell: str = "LSTM") -> ModelGraph:
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
                     "numeric time series; put an Embedding in front for token ids."),
        training=run_config("sequence", epochs=20, lr=2e-3),
    )
