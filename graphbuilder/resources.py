"""Where the shipped data lives: ``templates/`` and ``resources/``.

In a checkout (or an editable install) they sit next to the package at the top of
the repo; in a wheel they are the data packages ``graphbuilder._templates`` and
``graphbuilder._resources``. Everything finds them through this module.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_REPO_ROOT = _HERE.parent


def _locate(folder: str, package: str) -> Path:
    """The checkout's folder if there is one, else the data package inside the install."""
    local = _REPO_ROOT / folder
    if local.is_dir():
        return local
    installed = _HERE / package.rsplit(".", 1)[1]
    return installed if installed.is_dir() else local


def templates_dir() -> Path:
    """Folder holding the template JSON files."""
    return _locate("templates", "graphbuilder._templates")


def resources_dir() -> Path:
    """Folder holding icons, stylesheets and other app resources."""
    return _locate("resources", "graphbuilder._resources")
