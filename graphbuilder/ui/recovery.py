"""Autosave and crash recovery.

Each running window owns ``session-<id>.json`` (the autosave) and ``session-<id>.lock``
(a ``QLockFile``) in the app-data folder. A clean exit deletes both. At start-up an
autosave whose lock can be taken belongs to a session that died (QLockFile sees the
process is gone and treats its lock as stale), so it is offered for recovery; one
whose lock is held belongs to another running window and is left alone.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QSaveFile, QStandardPaths

from graphbuilder.core.fileformat import dumps_graph, load_graph
from graphbuilder.core.graph import ModelGraph

AUTOSAVE_MS = 60_000


@dataclass
class RecoveryEntry:
    autosave: Path
    original: str | None  # the document's own file, if it had one
    saved_at: float
    name: str

    def load(self) -> ModelGraph:
        return load_graph(self.autosave)

    def discard(self) -> None:
        for p in (self.autosave, self.autosave.with_suffix(".meta"),
                  self.autosave.with_suffix(".lock")):
            p.unlink(missing_ok=True)


def default_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".graphbuilder") / "recovery"


def write_atomic(path: Path, text: str) -> None:
    """Write through ``QSaveFile``: the old file stays intact until the new one is whole."""
    f = QSaveFile(str(path))
    if not f.open(QSaveFile.OpenModeFlag.WriteOnly):
        raise OSError(f.errorString())
    f.write(text.encode("utf-8"))
    if not f.commit():
        raise OSError(f.errorString())


class RecoveryManager:
    """One per window: owns the session's lock and autosave file."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_folder()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.session = uuid.uuid4().hex[:12]
        self.path = self.folder / f"session-{self.session}.json"
        self.lock = QLockFile(str(self.path.with_suffix(".lock")))
        self.lock.tryLock(0)

    def autosave(self, graph: ModelGraph, original: str | None) -> None:
        write_atomic(self.path, dumps_graph(graph))
        meta = {"original": original, "saved_at": time.time(), "name": graph.name}
        write_atomic(self.path.with_suffix(".meta"), json.dumps(meta))

    def clear(self) -> None:
        """Nothing unsaved any more (saved, or a clean state): drop the autosave."""
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".meta").unlink(missing_ok=True)

    def close(self) -> None:
        self.clear()
        self.lock.unlock()

    def orphans(self) -> list[RecoveryEntry]:
        """Autosaves left behind by sessions that are not running any more."""
        found = []
        for path in sorted(self.folder.glob("session-*.json")):
            if path == self.path:
                continue
            lock = QLockFile(str(path.with_suffix(".lock")))
            if not lock.tryLock(0):
                continue  # another window is alive and owns it
            lock.unlock()
            meta: dict = {}
            try:
                meta = json.loads(path.with_suffix(".meta").read_text("utf-8"))
            except (OSError, ValueError):
                pass
            found.append(RecoveryEntry(path, meta.get("original"),
                                       float(meta.get("saved_at", path.stat().st_mtime)),
                                       str(meta.get("name", path.stem))))
        return found
