"""Node-face texts and inspector parsing (no window needed)."""

from __future__ import annotations

import pytest

from graphbuilder.core.registry import get_op
from graphbuilder.ui.inspector import format_value, parse_value
from graphbuilder.ui.labels import fmt_bytes, fmt_count, key_param_text


def test_counts_and_sizes_read_like_a_human_wrote_them() -> None:
    assert fmt_count(448) == "448"
    assert fmt_count(1234) == "1.2k"
    assert fmt_count(25_557_032) == "25.6M"
    assert fmt_count(138_357_544) == "138M"
    assert fmt_bytes(2048) == "2.0 KiB"


def test_key_params_on_the_node_face() -> None:
    conv = get_op("Conv2d")
    text = key_param_text(conv.key_params, conv.resolve_params({"out_channels": 64,
                                                                "stride": 2}))
    assert text == "64 · k3 · s2"
    pool = get_op("MaxPool2d")
    assert key_param_text(pool.key_params, pool.resolve_params({})) == "k2"  # stride None


@pytest.mark.parametrize(("op", "name", "text", "value"), [
    ("Conv2d", "kernel_size", "3", 3),
    ("Conv2d", "kernel_size", "3, 5", [3, 5]),
    ("Conv2d", "kernel_size", "3x5", [3, 5]),
    ("Input", "shape", "[3, 32, 32]", [3, 32, 32]),
    ("Dropout", "p", "0.25", 0.25),
    ("Embedding", "padding_idx", "", None),
])
def test_inspector_parses_what_people_type(op: str, name: str, text: str, value) -> None:  # noqa: ANN001
    spec = get_op(op).param(name)
    assert parse_value(spec, text) == value
    assert parse_value(spec, format_value(value)) == value


def test_unreadable_text_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_value(get_op("Linear").param("out_features"), "many")
