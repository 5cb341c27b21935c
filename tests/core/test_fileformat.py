"""The graph file format: exact round trips, clear errors for bad files, atomic saves."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from graphbuilder.core import atomic
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.errors import GraphFormatError
from graphbuilder.core.fileformat import (
    FORMAT_VERSION,
    graph_to_dict,
    load_graph,
    loads_graph,
    save_graph,
)
from graphbuilder.core.graph import ModelGraph


def rich_graph() -> ModelGraph:
    b = NetBuilder("rich net", "groups, metadata, training, dotted ids, variadic ports")
    x = b.input("x", [3, 16, 16])
    with b.scope("stem", "Stem"):
        h = b.add("conv", "Conv2d", x, out_channels=8, kernel_size=[3, 3], padding="same")
        h = b.add("act", "LeakyReLU", h, negative_slope=0.1)
    with b.scope("layer1.0", "Block"):
        a = b.add("conv1", "Conv2d", h, out_channels=8, padding=1, bias=False)
        a = b.add("add", "Add", [a, h])
    c = b.add("cat", "Concat", [a, h], dim=0)
    g = b.add("gap", "GlobalAvgPool2d", c)
    b.output("logits", b.add("fc", "Linear", g, out_features=3))
    b.output("features", g)
    graph = b.build()
    graph.metadata = {"title": "Rich", "input_shape": [3, 16, 16], "nested": {"a": [1, 2.5]}}
    graph.training = {"version": 1, "epochs": 3, "optimizer": {"name": "adam", "lr": 1e-3}}
    return graph


def test_round_trip_is_exact(tmp_path: Path) -> None:
    graph = rich_graph()
    path = tmp_path / "net.json"
    save_graph(graph, path)
    loaded = load_graph(path)
    assert graph_to_dict(loaded) == graph_to_dict(graph)
    assert loaded.nodes() == graph.nodes()
    assert loaded.groups.keys() == graph.groups.keys()
    save_graph(loaded, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def _doc() -> dict[str, Any]:
    return json.loads(json.dumps(graph_to_dict(rich_graph())))


def _mutate(fn) -> str:
    doc = copy.deepcopy(_doc())
    fn(doc)
    return json.dumps(doc)


def _set_param(doc: dict, node: str, key: str, value: Any) -> None:
    next(n for n in doc["nodes"] if n["id"] == node)["params"][key] = value


BAD_FILES = {
    "truncated": (lambda: json.dumps(_doc())[:200], "not valid JSON"),
    "empty": (lambda: "", "not valid JSON"),
    "top-level list": (lambda: "[]", "JSON object"),
    "not ours": (lambda: '{"nodes": []}', "not a GraphBuilder graph"),
    "newer version": (lambda: _mutate(lambda d: d.update(version=FORMAT_VERSION + 1)),
                      "newer GraphBuilder"),
    "version text": (lambda: _mutate(lambda d: d.update(version="1")), "version"),
    "nodes not list": (lambda: _mutate(lambda d: d.update(nodes={})), "'nodes' must be a list"),
    "node not object": (lambda: _mutate(lambda d: d["nodes"].append(3)), "must be an object"),
    "id wrong type": (lambda: _mutate(lambda d: d["nodes"][0].update(id=7)), "invalid id"),
    "id bad chars": (lambda: _mutate(lambda d: d["nodes"][0].update(id="a b")), "invalid id"),
    "duplicate id": (lambda: _mutate(lambda d: d["nodes"].append(dict(d["nodes"][1]))),
                     "duplicate node id 'stem.conv'"),
    "unknown op": (lambda: _mutate(lambda d: d["nodes"][1].update(op="Conv7d")),
                   "unknown op 'Conv7d'"),
    "params wrong type": (lambda: _mutate(lambda d: d["nodes"][1].update(params=[1])),
                          "'params' must be an object"),
    "param wrong type": (lambda: _mutate(lambda d: _set_param(d, "fc", "out_features", "3")),
                         "whole number"),
    "param out of range": (lambda: _mutate(lambda d: _set_param(d, "fc", "out_features", 0)),
                           "at least 1"),
    "unknown param": (lambda: _mutate(lambda d: _set_param(d, "fc", "units", 3)),
                      "no parameter 'units'"),
    "bool as int": (lambda: _mutate(lambda d: _set_param(d, "fc", "out_features", True)),
                    "whole number"),
    "huge param": (lambda: _mutate(lambda d: _set_param(d, "fc", "out_features", 10**11)),
                   "unreasonably large"),
    "huge number anywhere": (lambda: _mutate(lambda d: d["metadata"].update(n=10**40)),
                             "unreasonably large"),
    "NaN": (lambda: json.dumps(_doc()).replace('"negative_slope": 0.1', '"negative_slope": NaN'),
            "NaN is not allowed"),
    "Infinity": (lambda: json.dumps(_doc()).replace("0.1", "-Infinity"), "not allowed"),
    "1e999": (lambda: json.dumps(_doc()).replace("0.1", "1e999"), "non-finite"),
    "giant integer literal": (lambda: json.dumps(_doc()).replace("0.1", "9" * 5000), "limit"),
    "pos wrong": (lambda: _mutate(lambda d: d["nodes"][0].update(pos=[1])), "'pos'"),
    "edge to missing node": (lambda: _mutate(lambda d: d["edges"].append(
        {"src": "fc", "dst": "ghost", "port": "in"})), "missing node 'ghost'"),
    "edge from missing node": (lambda: _mutate(lambda d: d["edges"].append(
        {"src": "ghost", "dst": "fc", "port": "in"})), "missing node 'ghost'"),
    "edge port twice": (lambda: _mutate(lambda d: d["edges"].append(
        {"src": "x", "dst": "fc", "port": "in"})), "connected twice"),
    "edge field type": (lambda: _mutate(lambda d: d["edges"][0].update(port=0)), "must be text"),
    "group missing node": (lambda: _mutate(lambda d: d["groups"][0]["nodes"].append("ghost")),
                           "do not exist"),
    "metadata list": (lambda: _mutate(lambda d: d.update(metadata=[])), "'metadata'"),
    "name not text": (lambda: _mutate(lambda d: d.update(name=None)), "'name' must be text"),
    "deep nesting": (lambda: '{"format": "graphbuilder.graph", "x": ' + "[" * 100_000
                     + "]" * 100_000 + "}", "nested too deeply"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_raises_format_error_naming_the_file(case: str, tmp_path: Path) -> None:
    make, expected = BAD_FILES[case]
    path = tmp_path / "broken.json"
    path.write_text(make(), encoding="utf-8")
    with pytest.raises(GraphFormatError) as info:
        load_graph(path)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert str(path) in message
    assert expected in message, message
    assert "\n" not in message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(GraphFormatError, match="no such file"):
        load_graph(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(GraphFormatError, match="UTF-8"):
        load_graph(binary)
    with pytest.raises(GraphFormatError, match="cannot read"):
        load_graph(tmp_path)  # a folder


def test_loads_accepts_minimal_document() -> None:
    text = ('{"format": "graphbuilder.graph", "version": 1, "nodes": ['
            '{"id": "x", "op": "Input"}, {"id": "y", "op": "Output"}],'
            '"edges": [{"src": "x", "dst": "y"}]}')
    graph = loads_graph(text)
    assert graph.inputs_of("y") == {"in": "x"}
    assert graph.params("x")["shape"] == [3, 32, 32]


def test_save_never_writes_nan(tmp_path: Path) -> None:
    graph = rich_graph()
    graph.metadata["bad"] = float("nan")
    with pytest.raises(ValueError):
        save_graph(graph, tmp_path / "nan.json")
    assert not list(tmp_path.iterdir())


class Crash(BaseException):
    """Stands in for the process dying (not an Exception: nothing may swallow it)."""


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_crash_during_save_keeps_previous_file(where: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "net.json"
    save_graph(rich_graph(), path)
    original = path.read_bytes()
    changed = rich_graph()
    changed.name = "changed"

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash(where)

    if where == "write":
        real_fdopen = os.fdopen

        def half_writing_fdopen(fd: int, *args: Any, **kwargs: Any):
            fh = real_fdopen(fd, *args, **kwargs)
            real_write = fh.write

            def write(text: str) -> int:
                real_write(text[: len(text) // 2])
                fh.flush()
                raise Crash("write")
            fh.write = write
            return fh
        monkeypatch.setattr(atomic.os, "fdopen", half_writing_fdopen)
    else:
        monkeypatch.setattr(atomic.os, where, crash)
    with pytest.raises(Crash):
        save_graph(changed, path)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temp files left
    assert load_graph(path).name == "rich net"
