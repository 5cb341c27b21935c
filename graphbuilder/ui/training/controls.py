"""Start / Pause-Resume / Stop, the progress bar and the run's speed and ETA.

Speed and ETA are computed from wall-clock time between updates rather than from a
single step's ``samples_per_s``, so validation passes and data loading count too and
the ETA does not jump around; time spent paused is excluded.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QWidget,
)


def fmt_duration(s: float) -> str:
    if s != s or s == float("inf"):
        return "–"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class RunControls(QWidget):
    start_clicked = Signal()
    pause_clicked = Signal()  # pause or resume, see ``paused``
    stop_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        icon = self.style().standardIcon
        self.icons = {"play": icon(QStyle.StandardPixmap.SP_MediaPlay),
                      "pause": icon(QStyle.StandardPixmap.SP_MediaPause)}
        self.start = QPushButton(self.icons["play"], "Start")
        self.start.setToolTip("Train the design with these settings (F5)")
        self.pause = QPushButton(self.icons["pause"], "Pause")
        self.stop = QPushButton(icon(QStyle.StandardPixmap.SP_MediaStop), "Stop")
        self.stop.setToolTip("Stop after the current step; the checkpoints are kept")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(260)
        self.speed = QLabel()
        self.speed.setMinimumWidth(230)  # no re-layout of the bar as the text changes
        self.state = QLabel("Ready")
        self.state.setMinimumWidth(120)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 0)
        for w in (self.start, self.pause, self.stop):
            lay.addWidget(w)
        lay.addWidget(self.progress, 1)
        lay.addWidget(self.speed)
        lay.addWidget(self.state)
        self.start.clicked.connect(self.start_clicked)
        self.pause.clicked.connect(self.pause_clicked)
        self.stop.clicked.connect(self.stop_clicked)
        self.paused = False
        self.set_running(False)
        self.reset(0)

    def set_running(self, running: bool, can_pause: bool = True) -> None:
        self.start.setEnabled(not running)
        self.pause.setEnabled(running and can_pause)
        self.stop.setEnabled(running)
        if not running:
            self.set_paused(False)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.pause.setText("Resume" if paused else "Pause")
        self.pause.setIcon(self.icons["play" if paused else "pause"])
        if paused:
            self._paused_at = time.monotonic()
        elif getattr(self, "_paused_at", None) is not None:
            self._paused_total += time.monotonic() - self._paused_at
            self._paused_at = None

    def reset(self, total_steps: int, epochs: int = 0, start_step: int = 0) -> None:
        self.total, self.epochs = total_steps, epochs
        self.start_step = self.step = start_step
        self.epoch = 0
        self.samples_per_s = 0.0
        self._t0 = time.monotonic()
        self._paused_total = 0.0
        self._paused_at = None
        self.progress.setRange(0, max(total_steps, 1))
        self.progress.setValue(start_step)
        self.progress.setFormat("–" if not total_steps else "%p%")
        self.speed.setText("")

    def update_progress(self, step: int, epoch: int, samples_per_s: float) -> None:
        """Called at the redraw rate with the latest step/epoch and recent throughput."""
        self.step, self.epoch = step, epoch
        if samples_per_s > 0:
            self.samples_per_s = samples_per_s
        self._show(min(step, self.total),
                   f"epoch {epoch + 1}/{self.epochs} · step {step}/{self.total}",
                   f"{self.samples_per_s:,.0f} samples/s · ETA {fmt_duration(self.eta())}")

    def show_job_progress(self, label: str, done: int, total: int) -> None:
        """Progress of a job that is not a run (an LR range test or sweep): ``done`` of
        ``total`` steps; ``total`` 0 = unknown (the bar shows "–")."""
        if total <= 0:
            self._show(0, "–", "")
            return
        if self.progress.maximum() != total:
            self.progress.setRange(0, total)
        self._show(min(done, total), f"{label} · step {min(done, total)}/{total}", "")

    def _show(self, value: int, fmt: str, speed: str) -> None:
        """Set the bar and the speed text, touching only what changed: each set repaints
        the widget, and the GUI thread competes with a CPU run for the GIL."""
        if self.progress.value() != value:
            self.progress.setValue(value)
        if self.progress.format() != fmt:
            self.progress.setFormat(fmt)
        if self.speed.text() != speed:
            self.speed.setText(speed)

    def eta(self) -> float:
        active = time.monotonic() - self._t0 - self._paused_total
        if self._paused_at is not None:
            active -= time.monotonic() - self._paused_at
        done = self.step - self.start_step
        if done <= 0 or active <= 0:
            return float("inf")
        return (self.total - self.step) * active / done
