"""Error types shared by every layer of GraphBuilder."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GraphError:
    """A problem pinned to a node (``node`` is None for graph-wide problems)."""

    node: str | None
    message: str
    severity: str = "error"  # "warning" is shown but does not block compiling

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.node}: {self.message}" if self.node else self.message

    def to_dict(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"node": self.node, "message": self.message}
        if self.severity != "error":
            out["severity"] = self.severity
        return out


class GraphFormatError(ValueError):
    """A graph file that cannot be read: names the file and what is wrong with it."""


class GraphInvalidError(ValueError):
    """Raised when a graph with errors is compiled or exported; carries the errors."""

    def __init__(self, errors: list[GraphError]) -> None:
        self.errors = errors
        lines = [str(e) for e in errors[:10]]
        if len(errors) > 10:
            lines.append(f"... and {len(errors) - 10} more")
        super().__init__("the graph has errors:\n  " + "\n  ".join(lines))
