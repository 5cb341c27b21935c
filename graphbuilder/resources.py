"""Where the shipped data lives: ``templates/`` and ``resources/``.

In a checkout (or an editable install) they sit next to the package at the top of
the repo; in a wheel they are the data packages ``graphbuilder._templates`` and
``graphbuilder._resources``. Everything finds them through this module.
"""

from __future__ import annotations

from importlib import resources as _ir
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _locate(folder: str, package: str) -> Path:
    local = _REPO_ROOT / folder
    if local.is_dir():
        return local
    try:
        return Path(str(_ir.files(package)))
    except ModuleNotFoundError:
        return local  # nothing shipped; callers report missing files by name


def templates_dir() -> Path:
    """Folder holding the template JSON files."""
    return _locate("templates", "graphbuilder._templates")


def resources_dir() -> Path:
    """Folder holding icons, stylesheets and other app resources."""
    return _locate("resources", "graphbuilder._resources")
