"""The run directory: config.json, metrics.csv, metrics.json, steps.csv, best.pt / last.pt.

Files are rewritten whole and atomically after every epoch (they are small), so a crash
or a reader at any moment sees a complete file. ``steps.csv`` (step, epoch, loss, lr of
every optimizer step) grows instead: each epoch's rows, buffered by the trainer, are
appended in one write at its end (no per-step I/O). Disabled (``dir=None``) on non-zero
DDP ranks and when the caller gives no run directory.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from graphbuilder.core.atomic import atomic_write_text
from graphbuilder.training.config import RunConfig

STEPS_HEADER = "step,epoch,loss,lr"


class RunLog:
    def __init__(self, run_dir: Path | None, config: RunConfig) -> None:
        self.dir = Path(run_dir) if run_dir is not None else None
        self.config = config
        self.started = time.time()

    @property
    def enabled(self) -> bool:
        return self.dir is not None

    def path(self, name: str) -> Path:
        assert self.dir is not None
        return self.dir / name

    def start(self, first_step: int = 0) -> None:
        """Write config.json; start steps.csv (a resumed run, at ``first_step`` > 0, keeps
        the rows up to that step and drops any later ones from an older continuation)."""
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.dir / "config.json",
                          json.dumps(self.config.to_dict(), indent=2) + "\n")
        path = self.dir / "steps.csv"
        kept = [STEPS_HEADER]
        if first_step > 0 and path.exists():
            for line in path.read_text().splitlines()[1:]:
                head = line.split(",", 1)[0]
                if head.isdigit() and int(head) <= first_step:
                    kept.append(line)
        atomic_write_text(path, "\n".join(kept) + "\n")

    def steps(self, first_step: int, epoch: int, losses: list[float],
              lrs: list[float]) -> None:
        """Append one epoch's steps (``first_step`` + 1, ...) to steps.csv in one write."""
        if self.dir is None or not losses:
            return
        rows = "".join(f"{first_step + i},{epoch},{loss!r},{lr!r}\n"
                       for i, (loss, lr) in enumerate(zip(losses, lrs, strict=False), 1))
        with open(self.dir / "steps.csv", "a", encoding="utf-8") as f:
            f.write(rows)

    def epoch(self, history: list[dict[str, Any]], best: dict[str, Any]) -> None:
        if self.dir is None or not history:
            return
        keys: list[str] = []
        for row in history:
            keys += [k for k in row if k not in keys]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        for row in history:
            writer.writerow({k: row.get(k, "") for k in keys})
        atomic_write_text(self.dir / "metrics.csv", buf.getvalue())
        self._json(history, best, None)

    def end(self, reason: str, history: list[dict[str, Any]] | None = None,
            best: dict[str, Any] | None = None) -> None:
        if self.dir is None:
            return
        doc_path = self.dir / "metrics.json"
        doc = json.loads(doc_path.read_text()) if doc_path.exists() else {"history": [],
                                                                          "best": {}}
        self._json(doc["history"], doc["best"], reason)

    def _json(self, history: list, best: dict, reason: str | None) -> None:
        assert self.dir is not None
        doc = {"history": history, "best": best, "end_reason": reason,
               "elapsed_s": time.time() - self.started}
        atomic_write_text(self.dir / "metrics.json", json.dumps(doc, indent=2) + "\n")
