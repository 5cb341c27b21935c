"""Generate the op reference (docs/OPS.md) from the registry, the one declaration.

``python -m graphbuilder.core.opdocs`` rewrites the file; a test checks it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphbuilder.core.registry import CATEGORIES, all_ops

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "OPS.md"


def render() -> str:
    lines = [
        "# Op reference",
        "",
        "Generated from the op registry by `python -m graphbuilder.core.opdocs`; do not edit.",
        "Shapes and axes are counted without the batch axis. Input sizes (`in_channels`,",
        "`in_features`) are always inferred from the incoming tensor.",
        "",
    ]
    ops = all_ops()
    for category in CATEGORIES:
        members = [op for op in ops if op.category == category]
        if not members:
            continue
        lines += [f"## {category}", ""]
        for op in members:
            lines += [f"### {op.name}", "", op.doc, ""]
            if op.inputs:
                ports = ", ".join(
                    f"`{p.name}{'0, ' + p.name + '1, ...' if p.variadic else ''}`"
                    + (" (optional)" if p.optional else "")
                    for p in op.inputs
                )
                lines += [f"Inputs: {ports}", ""]
            if op.params:
                lines += ["| parameter | type | default | meaning |", "|---|---|---|---|"]
                for p in op.params:
                    kind = p.kind
                    if p.choices:
                        kind = " / ".join(str(c) for c in p.choices)
                    if p.min is not None or p.max is not None:
                        lo = "" if p.min is None else f"{p.min:g}"
                        hi = "" if p.max is None else f"{p.max:g}"
                        kind += f" [{lo}..{hi}]"
                    lines.append(f"| `{p.name}` | {kind} | `{p.default!r}` | {p.doc} |")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
