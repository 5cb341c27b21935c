"""The template catalog: what ships in ``templates/`` and how to open it.

Templates are plain graph files (``templates/NAME.json``) written by
``python -m graphbuilder.zoo.generate``. The catalog only *reads* them, through
:func:`graphbuilder.resources.templates_dir`, so the editor and the CLI
open a template exactly like a user's own file: versioned, validated, never executed.

``list_templates`` reads only each file's metadata (no graph is built), and caches it
per file modification time, so the template browser stays instant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# ``resources`` is a leaf module (no imports of ours) that every layer may use to find
# shipped data; tests/test_layering.py lists it explicitly only for ui so far.
from graphbuilder import resources as _resources
from graphbuilder.core.errors import GraphFormatError
from graphbuilder.core.fileformat import load_graph
from graphbuilder.core.graph import ModelGraph


def templates_dir() -> Path:
    """Folder of the shipped templates (checkout or installed wheel), via ``resources``."""
    return _resources.templates_dir()


class UnknownTemplateError(KeyError, ValueError):
    """No template of that name; the message lists the available ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown template"


@dataclass(frozen=True)
class TemplateInfo:
    """What the template browser shows before anything is loaded."""

    name: str
    title: str
    description: str
    category: str
    input_shape: tuple[int, ...]
    params: int
    path: Path
    torchvision: str | None = None  # torchvision builder with identical state_dict keys


_INFO_CACHE: dict[Path, tuple[float, TemplateInfo]] = {}


def _info(path: Path) -> TemplateInfo:
    mtime = path.stat().st_mtime
    hit = _INFO_CACHE.get(path)
    if hit is not None and hit[0] == mtime:
        return hit[1]
    try:
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GraphFormatError(f"{path}: cannot read template ({exc})") from None
    meta = doc.get("metadata") or {}
    info = TemplateInfo(
        name=path.stem,
        title=str(meta.get("title", doc.get("name", path.stem))),
        description=str(meta.get("description", doc.get("description", ""))),
        category=str(meta.get("category", "Other")),
        input_shape=tuple(meta.get("input_shape", ())),
        params=int(meta.get("params", 0)),
        path=path,
        torchvision=meta.get("torchvision"),
    )
    _INFO_CACHE[path] = (mtime, info)
    return info


def template_names() -> list[str]:
    """Sorted names of the shipped templates."""
    folder = templates_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json"))


def list_templates() -> list[TemplateInfo]:
    """Every shipped template's browser entry, sorted by category then name."""
    folder = templates_dir()
    infos = [_info(folder / f"{n}.json") for n in template_names()]
    return sorted(infos, key=lambda i: (i.category, i.name))


def template_path(name: str) -> Path:
    """Path of ``templates/NAME.json``; :class:`UnknownTemplateError` if there is none."""
    names = template_names()
    if name not in names:
        available = ", ".join(names) or "none (the templates folder is missing)"
        raise UnknownTemplateError(f"there is no template '{name}'; available: {available}")
    return templates_dir() / f"{name}.json"


def load_template(name: str) -> ModelGraph:
    """A fresh, editable copy of template ``name`` (validated like any graph file)."""
    return load_graph(template_path(name))
