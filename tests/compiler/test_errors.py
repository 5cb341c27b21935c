"""Bad graphs give student-friendly messages pinned to the right node, and never raise."""

from __future__ import annotations

import random

import pytest

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.errors import GraphInvalidError
from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import all_ops


def _errors(graph: ModelGraph) -> list[tuple[str | None, str]]:
    report = infer_shapes(graph)
    return [(e.node, e.message) for e in report.blocking]


def _only(graph: ModelGraph, node: str | None, *words: str) -> str:
    errors = _errors(graph)
    assert len(errors) == 1, errors
    got_node, message = errors[0]
    assert got_node == node, errors
    for w in words:
        assert w in message, message
    with pytest.raises(GraphInvalidError) as info:
        compile_graph(graph)
    assert message in str(info.value)
    return message


def _chain(shape: list[int]) -> tuple[NetBuilder, str]:
    b = NetBuilder("t")
    return b, b.input("x", shape)


def test_cycle_is_named_with_its_path() -> None:
    b, x = _chain([4])
    a = b.add("a", "Linear", x, out_features=4)
    c = b.add("add", "Add", [a, x])
    b.output("y", c)
    b.graph.disconnect("add", "in1")
    b.graph.add_node("back", "ReLU")
    b.graph.connect("add", "back", "in")
    b.graph.connect("back", "add", "in1")
    b.graph.disconnect("a", "in")
    b.graph.connect("back", "a", "in")
    errors = _errors(b.graph)
    loop = [e for e in errors if "loop" in e[1]]
    assert len(loop) == 1 and loop[0][0] in {"a", "add", "back"}
    assert "->" in loop[0][1]


def test_unconnected_required_port() -> None:
    b, x = _chain([4])
    b.graph.add_node("fc", "Linear", {"out_features": 2})
    b.output("y", "fc")
    b.output("z", x)
    _only(b.graph, "fc", "Linear needs an input", "connect")


def test_unconnected_named_port() -> None:
    b, x = _chain([2, 8, 8])
    b.graph.add_node("crop", "CenterCropLike")
    b.graph.connect(x, "crop", "in")
    b.output("y", "crop")
    _only(b.graph, "crop", "input 'like'")


def test_variadic_needs_two_inputs() -> None:
    b, x = _chain([4])
    b.output("y", b.add("sum", "Add", [x]))
    _only(b.graph, "sum", "at least 2 inputs, 1 connected")


def test_extra_input_port() -> None:
    b, x = _chain([4])
    fc = b.add("fc", "Linear", x, out_features=2)
    b.graph.connect(x, fc, "bias")
    b.output("y", fc)
    _only(b.graph, "fc", "no input port 'bias'", "its ports: in")


def test_variadic_ports_are_numbered() -> None:
    b, x = _chain([4])
    b.graph.add_node("sum", "Add")
    b.graph.connect(x, "sum", "in")
    b.graph.connect(x, "sum", "in0")
    b.graph.connect(x, "sum", "in1")
    b.output("y", "sum")
    _only(b.graph, "sum", "no input port 'in'", "in0, in1, ...")


def test_unknown_op() -> None:
    b, x = _chain([4])
    b.graph.add_node("mystery", "Conv7d")
    b.graph.connect(x, "mystery", "in")
    b.output("y", "mystery")
    _only(b.graph, "mystery", "unknown op 'Conv7d'")


@pytest.mark.parametrize(("params", "words"), [
    ({"out_features": 0}, ["'out_features' must be at least 1, got 0"]),
    ({"out_features": 2.5}, ["whole number"]),
    ({"out_features": 10**12}, ["unreasonably large"]),
    ({"units": 3}, ["no parameter 'units'", "out_features"]),
])
def test_bad_param_values(params: dict, words: list[str]) -> None:
    b, x = _chain([4])
    b.output("y", b.add("fc", "Linear", x, **params))
    _only(b.graph, "fc", *words)


def test_nan_param_value() -> None:
    b, x = _chain([4])
    b.output("y", b.add("drop", "Dropout", x, p=float("nan")))
    _only(b.graph, "drop", "finite")


def test_residual_add_shape_mismatch() -> None:
    b, x = _chain([64, 56, 56])
    c = b.add("conv", "Conv2d", x, out_channels=128, kernel_size=3, stride=2, padding=1)
    b.output("y", b.add("add_3", "Add", [c, x]))
    _only(b.graph, "add_3", "[128, 28, 28]", "[64, 56, 56]", "1x1 conv", "stride 2")


@pytest.mark.parametrize(("a", "c"), [([2], [2, 2]), ([3], [2, 3])])
def test_batch_axis_never_broadcasts_against_features(a: list[int], c: list[int]) -> None:
    """At the inference batch of 2 these shapes broadcast by accident; real batches fail."""
    b = NetBuilder("t")
    b.output("y", b.add("add", "Add", [b.input("a", a), b.input("c", c)]))
    _only(b.graph, "add", "needs equal shapes")


def test_parameter_broadcasts_over_the_batch() -> None:
    b = NetBuilder("t")
    x = b.input("x", [4, 3])
    b.output("y", b.add("add", "Add", [x, b.param("pos", [1, 4, 3])]))
    assert infer_shapes(b.graph).ok


def test_linear_fed_image() -> None:
    b, x = _chain([3, 32, 32])
    c = b.add("conv", "Conv2d", x, out_channels=8)
    b.output("y", b.add("fc", "Linear", c, out_features=10))
    _only(b.graph, "fc", "[8, 30, 30]", "Flatten")


def test_concat_spatial_mismatch() -> None:
    b, x = _chain([3, 32, 32])
    down = b.add("pool", "MaxPool2d", x, kernel_size=2)
    b.output("y", b.add("cat", "Concat", [x, down]))
    _only(b.graph, "cat", "[3, 32, 32]", "[3, 16, 16]", "spatial sizes", "CenterCropLike")


def test_attention_heads_must_divide_width() -> None:
    b, x = _chain([10, 30])
    b.output("y", b.add("attn", "MultiheadAttention", x, num_heads=4))
    msg = _only(b.graph, "attn", "width 30", "num_heads=4")
    assert "use 3 heads" in msg or "use 5 heads" in msg


def test_kernel_bigger_than_input() -> None:
    b, x = _chain([3, 4, 4])
    b.output("y", b.add("conv", "Conv2d", x, out_channels=8, kernel_size=7))
    _only(b.graph, "conv", "kernel 7", "larger than the padded input")


def test_embedding_needs_int_input() -> None:
    b, x = _chain([10])
    b.output("y", b.add("emb", "Embedding", x, num_embeddings=20, embedding_dim=4))
    _only(b.graph, "emb", "int64")


def test_float_op_fed_token_ids() -> None:
    b = NetBuilder("t")
    x = b.input("x", [12], dtype="int64")
    b.output("y", b.add("act", "Softmax", x))
    _only(b.graph, "act", "int64", "Embedding")


def test_size_param_with_wrong_length() -> None:
    b, x = _chain([3, 20])
    b.output("y", b.add("conv", "Conv1d", x, out_channels=4, kernel_size=[3, 3]))
    _only(b.graph, "conv", "kernel_size needs one number", "[3, 3]")


def test_op_shrinking_to_nothing() -> None:
    b, x = _chain([3, 1, 6])
    b.output("y", b.add("down", "Upsample", x, scale_factor=0.25, mode="bilinear"))
    _only(b.graph, "down", "empty tensor", "[3, 0, 1]")


def test_error_downstream_is_reported_once() -> None:
    b, x = _chain([3, 32, 32])
    h = b.add("fc", "Linear", x, out_features=10)
    h = b.add("fc2", "Linear", h, out_features=10)
    b.output("y", b.add("act", "ReLU", h))
    _only(b.graph, "fc", "Flatten")
    report = infer_shapes(b.graph)
    assert report.nodes["act"].shape is None


def test_missing_input_and_output() -> None:
    graph = ModelGraph("empty")
    messages = [m for _, m in _errors(graph)]
    assert any("no Input" in m for m in messages) and any("no Output" in m for m in messages)


def test_reserved_and_nested_ids() -> None:
    b, x = _chain([4])
    h = b.add("training", "ReLU", x)
    h2 = b.add("act", "ReLU", h)
    h3 = b.add("self", "ReLU", h2)
    b.output("y", b.add("act.inner", "ReLU", h3))
    nodes = {n for n, _ in _errors(b.graph)}
    assert nodes == {"training", "act.inner", "self"}


@pytest.mark.parametrize("name", ["torch", "F", "nn", "operator", "getattr", "inf", "input"])
def test_ids_that_shadow_python_names_still_compile(name: str) -> None:
    import torch

    b, x = _chain([3, 4, 4])
    h = b.add(name, "Conv2d", x, out_channels=3, padding=1)
    h2 = b.add("up", "Upsample", h, mode="bilinear")
    b.output("y", b.add("cat", "Concat", [b.add("r", "ResizeLike", h2, h), h]))
    gm = compile_graph(b.graph)
    assert gm(torch.randn(2, 3, 4, 4)).shape == (2, 6, 4, 4)


# --------------------------------------------------------------------- random bad graphs
def _random_value(rng: random.Random):
    return rng.choice([0, -1, 1, 2, 3, 7, 64, 2.5, -0.5, 1e-9, 1e30, float("inf"), "same",
                       "x", None, True, [], [1], [2, 2], [0, 5], [-1], [3, 0, 1], {"a": 1}])


def _random_graph(rng: random.Random) -> ModelGraph:
    specs = all_ops()
    g = ModelGraph("fuzz")
    n_inputs = rng.randint(0, 2)
    for i in range(n_inputs):
        shape = [rng.randint(1, 9) for _ in range(rng.randint(0, 4))]
        g.add_node(f"in{i}", "Input", {"shape": shape,
                                       "dtype": rng.choice(["float32", "int64"])})
    for i in range(rng.randint(1, 8)):
        spec = rng.choice(specs)
        params = {}
        for p in spec.params:
            if rng.random() < 0.3:
                params[p.name] = _random_value(rng)
        g.add_node(f"n{i}", spec.name, params)
    nodes = g.nodes()
    for dst in nodes:
        spec_inputs = [p.name for p in all_ops_by_name()[g.op(dst)].inputs] or ["in"]
        for _ in range(rng.randint(0, 3)):
            port = rng.choice(spec_inputs + ["in0", "in1", "in2", "bogus"])
            src = rng.choice(nodes)
            if port not in g.inputs_of(dst):
                g.connect(src, dst, port)  # self loops and cycles included
    return g


_BY_NAME: dict = {}


def all_ops_by_name() -> dict:
    if not _BY_NAME:
        _BY_NAME.update({s.name: s for s in all_ops()})
    return _BY_NAME


def test_random_bad_graphs_never_raise() -> None:
    rng = random.Random(1234)
    for _ in range(400):
        graph = _random_graph(rng)
        report = infer_shapes(graph)  # must not raise
        for e in report.errors:
            assert e.node is None or e.node in graph, e
            assert e.message and "\n" not in e.message, e
        if report.ok:
            compile_graph(graph)
        else:
            with pytest.raises(GraphInvalidError):
                compile_graph(graph)


def _valid_value(rng: random.Random, p):
    """A value the parameter's own spec accepts (so the op's check and torch are hit)."""
    if p.kind == "bool":
        return rng.random() < 0.5
    if p.kind == "choice":
        return rng.choice(p.choices)
    if p.kind == "str":
        return "x"
    lo = int(p.min) if p.min is not None else -3
    hi = int(min(p.max, 9)) if p.max is not None else 9
    if p.kind == "float":
        return round(rng.uniform(max(lo, 0), min(hi, 3) if hi > 0 else 1), 2)
    if p.kind == "int":
        return rng.randint(lo, max(lo, hi))
    if p.kind == "size":
        if p.extra and rng.random() < 0.2:
            return rng.choice(p.extra)
        n = rng.choice([1, 1, 2])
        vals = [rng.randint(max(lo, 0), 5) for _ in range(n)]
        return vals[0] if n == 1 else vals
    return [rng.randint(lo if p.min is not None else -1, 4) for _ in range(rng.randint(1, 3))]


def test_random_valid_params_give_messages_not_crashes() -> None:
    """Chains of random ops with in-range params: inference either works (and then the
    compiled model runs on real tensors with the inferred shapes) or names the node."""
    import torch

    from graphbuilder.compiler.fx_compile import example_inputs

    rng = random.Random(99)
    ops = [s for s in all_ops() if s.kind in ("module", "function")
           and len(s.required_ports()) == 1]
    n_ok = 0
    for _ in range(300):
        b = NetBuilder("chain")
        shape = [rng.randint(1, 9) for _ in range(rng.randint(1, 3))]
        h = b.input("x", shape)
        for i in range(rng.randint(1, 3)):
            spec = rng.choice(ops)
            params = {p.name: _valid_value(rng, p) for p in spec.params if rng.random() < 0.7}
            if spec.check_params(params):
                continue
            port = spec.inputs[0]
            h = b.add(f"n{i}", spec.name, [h, h] if port.variadic else h, **params)
        b.output("y", h)
        report = infer_shapes(b.graph)
        for e in report.errors:
            assert "cannot check inputs" not in e.message, e
        if not report.ok:
            assert all(e.node in b.graph for e in report.blocking)
            continue
        n_ok += 1
        gm = compile_graph(b.graph).eval()
        with torch.no_grad():
            out = gm(*example_inputs(gm, batch=2))
        assert tuple(out.shape) == report.nodes["y"].shape
    assert n_ok > 50


def test_random_dags_compile_run_and_export_code() -> None:
    """Random acyclic graphs over every op: when inference says ok, the compiled model
    runs with exactly the inferred output shapes and its standalone code matches it."""
    import torch

    from graphbuilder.compiler.code_export import (
        check_generated,
        generate_code,
        generated_class_name,
    )
    from graphbuilder.compiler.fx_compile import example_inputs

    specs = [s for s in all_ops() if s.kind != "input"]
    rng = random.Random(7)
    n_ok = 0
    for _ in range(100):
        g = ModelGraph("dag")
        nodes = []
        for i in range(rng.randint(1, 2)):
            shape = [rng.choice([2, 4, 8]) for _ in range(rng.randint(1, 3))]
            g.add_node(f"in{i}", "Input", {"shape": shape})
            nodes.append(f"in{i}")
        for i in range(rng.randint(1, 6)):
            spec = rng.choice(specs)
            params = {p.name: _valid_value(rng, p) for p in spec.params if rng.random() < 0.4}
            if spec.check_params(params):
                continue
            g.add_node(f"n{i}", spec.name, params)
            for port in spec.inputs:
                if port.optional and rng.random() < 0.5:
                    continue
                for k in range(rng.randint(2, 3) if port.variadic else 1):
                    name = f"{port.name}{k}" if port.variadic else port.name
                    g.connect(rng.choice(nodes), f"n{i}", name)
            nodes.append(f"n{i}")
        g.add_node("out", "Output")
        g.connect(nodes[-1], "out", "in")
        report = infer_shapes(g)
        if not report.ok:
            continue
        n_ok += 1
        gm = compile_graph(g).eval()
        with torch.no_grad():
            out = gm(*example_inputs(gm, batch=2))
        outs = out if isinstance(out, tuple) else (out,)
        assert [tuple(o.shape) for o in outs] == [
            report.nodes[o].shape for o in gm.meta["graphbuilder"]["outputs"]]
        check_generated(generate_code(g, gm), gm, generated_class_name(g))
    assert n_ok >= 12
