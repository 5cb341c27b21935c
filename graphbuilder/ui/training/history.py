"""What a run reported, kept in growable arrays the plots read on their timer (Qt-free).

Training threads hand events over in batches; appending here is O(1) amortised and the
plots only copy when ``version`` moved, so plotting cost does not grow with the rate of
steps. The same object is rebuilt from a run directory's ``metrics.json`` for runs that
are no longer live (the runs list, comparisons).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np


class _Column:
    """A float array that doubles its capacity as it grows."""

    def __init__(self) -> None:
        self.data = np.empty(256, dtype=np.float64)
        self.n = 0

    def append(self, v: float) -> None:
        if self.n == len(self.data):
            self.data = np.concatenate([self.data, np.empty_like(self.data)])
        self.data[self.n] = v
        self.n += 1

    def extend(self, values: list[float]) -> None:
        """Append many values with one array copy (a batch of steps from the worker)."""
        k = len(values)
        if self.n + k > len(self.data):
            grown = np.empty(max(2 * len(self.data), self.n + k), dtype=np.float64)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n: self.n + k] = values
        self.n += k

    def view(self) -> np.ndarray:
        return self.data[: self.n]


class RunHistory:
    """Per-step loss (raw + bias-corrected EMA) and LR; per-epoch metric dicts."""

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = beta
        self.step = _Column()
        self.loss = _Column()
        self.smooth = _Column()
        self.lr = _Column()
        self.epochs: list[dict[str, float]] = []
        self._avg = 0.0
        self._k = 0
        self.version = 0

    def __len__(self) -> int:
        return self.step.n

    def add_step(self, step: int, loss: float, lr: float) -> None:
        self.step.append(step)
        self.loss.append(loss)
        self.lr.append(lr)
        if math.isfinite(loss):
            self._k += 1
            self._avg = self.beta * self._avg + (1 - self.beta) * loss
        self.smooth.append(self._avg / (1 - self.beta ** self._k) if self._k else math.nan)
        self.version += 1

    def add_steps(self, steps: list[int], losses: list[float], lrs: list[float]) -> None:
        """:meth:`add_step` for a batch: the EMA is carried forward over plain floats and
        each column is appended with one array copy (the GUI thread holds the GIL while
        it does this, so a training thread on the CPU waits for it)."""
        if not steps:
            return
        beta, avg, k = self.beta, self._avg, self._k
        smooth = []
        for loss in losses:
            if math.isfinite(loss):
                k += 1
                avg = beta * avg + (1 - beta) * loss
            smooth.append(avg / (1 - beta ** k) if k else math.nan)
        self._avg, self._k = avg, k
        self.step.extend(steps)
        self.loss.extend(losses)
        self.lr.extend(lrs)
        self.smooth.extend(smooth)
        self.version += 1

    def add_epoch(self, epoch: int, metrics: dict[str, float], step: int = 0) -> None:
        self.epochs.append({"epoch": epoch, "step": step, **metrics})
        self.version += 1

    def epoch_series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(1-based epoch numbers, values) of ``key`` over the epochs that have it."""
        rows = [r for r in self.epochs if key in r]
        return (np.array([r["epoch"] + 1 for r in rows], dtype=float),
                np.array([r[key] for r in rows], dtype=float))

    def metric_keys(self) -> list[str]:
        """Epoch metrics other than losses and bookkeeping (accuracy, val_accuracy...)."""
        skip = {"epoch", "step", "loss", "val_loss", "lr", "time_s"}
        keys: list[str] = []
        for r in self.epochs:
            keys += [k for k in r if k not in skip and k not in keys]
        return keys

    def write_csv(self, path: str | Path) -> list[Path]:
        """Per-step rows to ``path`` and per-epoch rows to ``<stem>_epochs.csv``."""
        path = Path(path)
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["step", "loss", "loss_smoothed", "lr"])
            for row in zip(self.step.view(), self.loss.view(), self.smooth.view(),
                           self.lr.view(), strict=True):
                w.writerow([int(row[0]), *(f"{v:.8g}" for v in row[1:])])
        epochs_path = path.with_name(path.stem + "_epochs.csv")
        keys: list[str] = []
        for r in self.epochs:
            keys += [k for k in r if k not in keys]
        with epochs_path.open("w", newline="") as fh:
            w2 = csv.DictWriter(fh, fieldnames=keys or ["epoch"])
            w2.writeheader()
            for r in self.epochs:
                w2.writerow(r)
        return [path, epochs_path]

    @classmethod
    def from_run_dir(cls, run_dir: str | Path) -> RunHistory:
        """Epoch history of a finished (or crashed) run from its ``metrics.json``."""
        h = cls()
        doc = read_json(Path(run_dir) / "metrics.json") or {}
        for row in doc.get("history", []):
            row = dict(row)
            h.add_epoch(int(row.pop("epoch", len(h.epochs))), row, int(row.pop("step", 0)))
        return h


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
