"""``NetBuilder``: write a graph in a few lines of Python (templates, blocks, tests).

    b = NetBuilder("mlp")
    x = b.input("x", [6])
    h = b.add("fc1", "Linear", x, out_features=4)
    b.output("y", b.add("act1", "ReLU", h))
    graph = b.build()

Each positional input goes to the op's input ports in declaration order; a list goes
to a variadic port (``in0``, ``in1``...). Ids may be dotted to nest submodules;
``with b.scope("layer1.0"):`` prefixes ids and records a collapsible group.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphbuilder.core.graph import Group, ModelGraph
from graphbuilder.core.layout import auto_layout
from graphbuilder.core.registry import get_op


class NetBuilder:
    def __init__(self, name: str, description: str = "") -> None:
        self.graph = ModelGraph(name, description)
        self._prefix: list[str] = []
        self._groups: list[Group] = []

    def _full(self, node_id: str) -> str:
        return ".".join([*self._prefix, node_id]) if self._prefix else node_id

    @contextmanager
    def scope(self, prefix: str, label: str | None = None) -> Iterator[str]:
        """Prefix ids with ``prefix.`` and group the nodes made inside (if labelled)."""
        self._prefix.append(prefix)
        full = ".".join(self._prefix)
        group = Group(full, label) if label else None
        if group:
            self._groups.append(group)
        before = set(self.graph.nodes())
        try:
            yield full
        finally:
            self._prefix.pop()
            if group:
                group.nodes = [n for n in self.graph.nodes() if n not in before]

    def group(self, group_id: str, label: str, nodes: list[str]) -> None:
        """Fold existing nodes into a group without renaming them (e.g. a ResNet stem,
        whose ids must stay torchvision's bare ``conv1``/``bn1``)."""
        self._groups.append(Group(group_id, label, list(nodes)))

    def input(self, node_id: str, shape: list[int], dtype: str = "float32") -> str:
        self.graph.add_node(node_id, "Input", {"shape": list(shape), "dtype": dtype})
        return node_id

    def output(self, node_id: str, src: str) -> str:
        self.graph.add_node(node_id, "Output", {})
        self.graph.connect(src, node_id, "in")
        return node_id

    def param(self, node_id: str, shape: list[int], init: str = "zeros",
              std: float = 0.02) -> str:
        full = self._full(node_id)
        self.graph.add_node(full, "Parameter", {"shape": list(shape), "init": init, "std": std})
        return full

    def add(self, node_id: str, op: str, *inputs: str | list[str], **params: Any) -> str:
        """Add a node fed by ``inputs`` (in port order) and return its full id."""
        spec = get_op(op)
        full = self._full(node_id)
        self.graph.add_node(full, op, params)
        ports = list(spec.inputs)
        if len(inputs) > len(ports):
            raise ValueError(f"{op} takes {len(ports)} inputs, got {len(inputs)}")
        for port, src in zip(ports, inputs, strict=False):
            if src is None:
                continue
            if port.variadic:
                for i, s in enumerate(src if isinstance(src, list) else [src]):
                    self.graph.connect(s, full, f"{port.name}{i}")
            else:
                self.graph.connect(src, full, port.name)
        return full

    def build(self, layout: bool = True) -> ModelGraph:
        if self._groups:
            self.graph.set_groups(self._groups)
        if layout:
            auto_layout(self.graph)
        return self.graph
