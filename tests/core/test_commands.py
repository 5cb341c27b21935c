"""do / undo / redo of every edit command restores the graph exactly (as saved)."""

from __future__ import annotations

import inspect

import pytest

from graphbuilder.core import commands as cmds
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.fileformat import graph_to_dict
from graphbuilder.core.graph import GraphEditError, Group, ModelGraph


def _net() -> ModelGraph:
    """A residual block whose input feeds two layers (edge order matters on undo)."""
    b = NetBuilder("blk")
    x = b.input("x", [4, 8, 8])
    with b.scope("layer1.0", "block"):
        h = b.add("conv1", "Conv2d", x, out_channels=4, padding=1)
        h = b.add("relu", "ReLU", h)
        h = b.add("add", "Add", [x, h])
    c = b.add("cat", "Concat", [h, x])
    b.output("y", b.add("gap", "GlobalAvgPool2d", c))
    return b.build()


def _commands(graph: ModelGraph) -> dict[str, cmds.Command]:
    sub = NetBuilder("sub")
    sub.output("o", sub.add("r", "ReLU", sub.input("i", [4, 8, 8])))
    inserted, _ = cmds.insert_subgraph_commands(sub.build(), graph, (10.0, 5.0), "ins_")
    return {
        "AddNodeCommand": cmds.AddNodeCommand("extra", "Linear", {"out_features": 3}, (1, 2)),
        "RemoveNodesCommand": cmds.RemoveNodesCommand(["layer1.0.conv1", "x"]),
        "RemoveNodesCommand-middle": cmds.RemoveNodesCommand(["layer1.0.relu"]),
        "ConnectCommand": cmds.ConnectCommand("x", "cat", "in2"),
        "ConnectCommand-replace": cmds.ConnectCommand("layer1.0.conv1", "cat", "in0"),
        "DisconnectCommand": cmds.DisconnectCommand("layer1.0.conv1", "in"),
        "SetParamsCommand": cmds.SetParamsCommand("layer1.0.conv1", {"out_channels": 8,
                                                                     "bias": False}),
        "MoveNodesCommand": cmds.MoveNodesCommand({"x": (5.5, -3.0), "y": (0.0, 999.0)}),
        "RenameNodeCommand": cmds.RenameNodeCommand("layer1.0.relu", "layer1.0.act"),
        "SetGroupsCommand": cmds.SetGroupsCommand([Group("g", "G", ["x", "cat"], True)]),
        "MacroCommand": cmds.MacroCommand("paste", inserted),
    }


def test_every_command_class_is_covered() -> None:
    classes = {name for name, obj in inspect.getmembers(cmds, inspect.isclass)
               if obj.__module__ == cmds.__name__ and "do" in vars(obj)
               and obj is not cmds.Command}
    covered = {k.split("-")[0] for k in _commands(_net())}
    assert classes - covered == set(), f"commands without a round-trip test: {classes - covered}"


@pytest.mark.parametrize("name", sorted(_commands(_net())))
def test_do_undo_redo_round_trip(name: str) -> None:
    graph = _net()
    cmd = _commands(graph)[name]
    before = graph_to_dict(graph)
    events = []
    graph.subscribe(events.append)
    cmd.do(graph)
    after = graph_to_dict(graph)
    assert after != before and events
    cmd.undo(graph)
    assert graph_to_dict(graph) == before
    cmd.do(graph)
    assert graph_to_dict(graph) == after
    cmd.undo(graph)
    assert graph_to_dict(graph) == before


def test_stack_of_commands_unwinds_exactly() -> None:
    graph = _net()
    before = graph_to_dict(graph)
    done = []
    for cmd in _commands(graph).values():
        try:
            cmd.do(graph)
        except GraphEditError:
            continue  # e.g. an earlier command removed the node it targets
        done.append(cmd)
    assert len(done) >= 5
    for cmd in reversed(done):
        cmd.undo(graph)
    assert graph_to_dict(graph) == before


def test_failed_commands_change_nothing() -> None:
    graph = _net()
    before = graph_to_dict(graph)
    with pytest.raises(GraphEditError, match="out_channels"):
        cmds.SetParamsCommand("layer1.0.conv1", {"out_channels": -1}).do(graph)
    with pytest.raises(KeyError):
        cmds.AddNodeCommand("n", "NoSuchOp").do(graph)
    with pytest.raises(GraphEditError, match="already exists"):
        cmds.AddNodeCommand("x", "ReLU").do(graph)
    with pytest.raises(GraphEditError, match="itself"):
        cmds.ConnectCommand("gap", "gap", "in").do(graph)
    macro = cmds.MacroCommand("bad", [cmds.AddNodeCommand("ok1", "ReLU"),
                                      cmds.ConnectCommand("x", "ok1", "in"),
                                      cmds.AddNodeCommand("x", "ReLU")])
    with pytest.raises(GraphEditError):
        macro.do(graph)
    assert graph_to_dict(graph) == before
