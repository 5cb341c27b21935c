"""One editor widget per run-config key, described by a small table (:data:`FIELDS`).

A table instead of hand-written widgets keeps "which keys does the form show, with what
range, when is it relevant" in one readable place, and lets the form read and write the
config generically through dotted keys (``optimizer.lr``), the same names
:class:`~graphbuilder.training.ConfigError` uses, so an error can point at its widget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from graphbuilder.training import config as C


def _sched(*names: str) -> Callable[[dict], bool]:
    return lambda cfg: (cfg.get("schedule") or {}).get("name") in names


def _opt(*names: str) -> Callable[[dict], bool]:
    return lambda cfg: (cfg.get("optimizer") or {}).get("name") in names


def _es(cfg: dict) -> bool:
    return cfg.get("early_stopping") is not None


@dataclass(frozen=True)
class Field:
    """``kind``: choice, int, opt_int (0 = off), float, sci, opt_sci (empty = default),
    bool, list (comma-separated numbers)."""

    key: str
    label: str
    kind: str
    group: str
    choices: tuple = ()
    lo: float = 0.0
    hi: float = 1e9
    step: float = 1.0
    decimals: int = 3
    tip: str = ""
    show: Callable[[dict], bool] | None = None


FIELDS: list[Field] = [
    Field("data.val_fraction", "Validation split", "float", "Data", lo=0, hi=0.9, step=0.05,
          decimals=2, tip="Fraction of the samples held out for validation"),
    Field("data.batch_size", "Batch size", "int", "Data", lo=1, hi=65536),
    Field("data.mixup_alpha", "MixUp α", "float", "Data", lo=0, hi=10, step=0.1, decimals=2,
          tip="0 = off. Mixes pairs of samples and their labels (classification only)"),
    Field("data.cutmix_alpha", "CutMix α", "float", "Data", lo=0, hi=10, step=0.1,
          decimals=2, tip="0 = off. Pastes patches between images (classification only)"),
    Field("epochs", "Epochs", "int", "Training", lo=1, hi=100000),
    Field("max_steps", "Max steps", "opt_int", "Training", lo=0, hi=10**9,
          tip="Stop after this many optimizer steps (0 = no limit)"),
    Field("loss", "Loss", "choice", "Training", choices=C.LOSSES),
    Field("seed", "Seed", "int", "Training", lo=0, hi=2**31 - 1),
    Field("early_stopping.monitor", "Early-stop monitor", "choice", "Training",
          choices=("val_loss", "loss", "val_accuracy", "val_mae", "val_iou"), show=_es),
    Field("early_stopping.patience", "Patience (epochs)", "int", "Training", lo=0, hi=1000,
          show=_es),
    Field("optimizer.name", "Optimizer", "choice", "Optimizer", choices=C.OPTIMIZERS),
    Field("optimizer.lr", "Learning rate", "sci", "Optimizer"),
    Field("optimizer.weight_decay", "Weight decay", "sci", "Optimizer", lo=0),
    Field("optimizer.momentum", "Momentum", "float", "Optimizer", lo=0, hi=0.999, step=0.05,
          show=_opt("sgd", "rmsprop")),
    Field("optimizer.nesterov", "Nesterov", "bool", "Optimizer", show=_opt("sgd")),
    Field("optimizer.betas", "Betas (β1, β2)", "list", "Optimizer",
          show=_opt("adam", "adamw", "nadam")),
    Field("schedule.name", "Schedule", "choice", "Schedule", choices=C.SCHEDULES),
    Field("schedule.warmup_steps", "Warm-up steps", "int", "Schedule", lo=0, hi=10**7,
          show=lambda c: not _sched("onecycle", "cyclic")(c)),
    Field("schedule.step_size", "Step every (epochs)", "float", "Schedule", lo=0.01, hi=1e5,
          step=1, decimals=2, show=_sched("step")),
    Field("schedule.milestones", "Milestones (epochs)", "list", "Schedule",
          show=_sched("multistep")),
    Field("schedule.gamma", "Gamma", "float", "Schedule", lo=0.0001, hi=10, step=0.05,
          decimals=4, show=_sched("step", "multistep", "exponential")),
    Field("schedule.end_factor", "End factor", "float", "Schedule", lo=0, hi=1, step=0.05,
          show=_sched("linear")),
    Field("schedule.eta_min", "Minimum LR", "sci", "Schedule", lo=0,
          show=_sched("cosine", "cosine_restarts")),
    Field("schedule.T_0", "First period (epochs)", "float", "Schedule", lo=0.01, hi=1e5,
          decimals=2, show=_sched("cosine_restarts")),
    Field("schedule.T_mult", "Period factor", "int", "Schedule", lo=1, hi=10,
          show=_sched("cosine_restarts")),
    Field("schedule.factor", "Reduce factor", "float", "Schedule", lo=0.01, hi=0.99,
          step=0.05, decimals=2, show=_sched("plateau")),
    Field("schedule.patience", "Patience (epochs)", "int", "Schedule", lo=0, hi=1000,
          show=_sched("plateau")),
    Field("schedule.base_lr", "Base LR", "opt_sci", "Schedule", show=_sched("cyclic"),
          tip="Empty: learning rate / 10"),
    Field("schedule.max_lr", "Max LR", "opt_sci", "Schedule", show=_sched("cyclic", "onecycle"),
          tip="Empty: the learning rate"),
    Field("schedule.step_size_up", "Half cycle (epochs)", "float", "Schedule", lo=0.01,
          hi=1e5, decimals=2, show=_sched("cyclic")),
    Field("schedule.pct_start", "Warm-up fraction", "float", "Schedule", lo=0.01, hi=0.99,
          step=0.05, decimals=2, show=_sched("onecycle")),
    Field("device", "Device", "choice", "Hardware", choices=C.DEVICES),
    Field("precision", "Precision", "choice", "Hardware", choices=C.PRECISIONS,
          tip="bf16/fp16 mixed precision; fp16 needs a CUDA GPU"),
]


def get_path(doc: dict, key: str) -> Any:
    cur: Any = doc
    for part in key.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def set_path(doc: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    cur = doc
    for p in parts[:-1]:
        if not isinstance(cur.get(p), dict):
            cur[p] = {}
        cur = cur[p]
    cur[parts[-1]] = value


def fmt_sci(v: float | None) -> str:
    """Learning-rate style: ``3e-4``, ``1e-2``, ``0.1``, ``2.5e+04`` -> ``25000``."""
    if v is None:
        return ""
    if v == 0:
        return "0"
    if abs(v) < 0.1 or abs(v) >= 1e5:
        mant, exp = f"{v:.2e}".split("e")
        mant = mant.rstrip("0").rstrip(".")
        return f"{mant}e{int(exp)}"
    return f"{v:.4g}"


class SciEdit(QLineEdit):
    """A float in scientific notation (``3e-4``); ``editingFinished`` commits it."""

    def __init__(self, optional: bool = False) -> None:
        super().__init__()
        self.optional = optional
        v = QDoubleValidator(0.0, 1e9, 12)
        v.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.setValidator(v)
        if optional:
            self.setPlaceholderText("default")

    def value(self) -> float | None:
        text = self.text().strip()
        if not text:
            return None if self.optional else 0.0
        try:
            return float(text)
        except ValueError:
            return None if self.optional else 0.0

    def set_value(self, v: float | None) -> None:
        self.setText(fmt_sci(v))


class ListEdit(QLineEdit):
    """Comma-separated numbers (``30, 60``)."""

    def value(self) -> list[float]:
        out = []
        for part in self.text().replace(";", ",").split(","):
            part = part.strip()
            if part:
                try:
                    out.append(float(part))
                except ValueError:
                    return []
        return out

    def set_value(self, v: list[float] | None) -> None:
        self.setText(", ".join(f"{x:g}" for x in (v or [])))


def make_widget(f: Field) -> QWidget:
    """The editor for one field (tooltip set); see :func:`widget_signal`."""
    w: QWidget
    if f.kind == "choice":
        w = QComboBox()
        w.addItems([str(c) for c in f.choices])
    elif f.kind in ("int", "opt_int"):
        w = QSpinBox()
        w.setRange(int(f.lo), int(min(f.hi, 2**31 - 1)))
        if f.kind == "opt_int":
            w.setSpecialValueText("no limit")
    elif f.kind == "float":
        w = QDoubleSpinBox()
        w.setRange(f.lo, f.hi)
        w.setDecimals(f.decimals)
        w.setSingleStep(f.step)
    elif f.kind in ("sci", "opt_sci"):
        w = SciEdit(optional=f.kind == "opt_sci")
    elif f.kind == "bool":
        w = QCheckBox()
    else:
        w = ListEdit()
    w.setObjectName(f.key)
    w.setToolTip(f.tip or f.key)
    return w


def widget_signal(w: QWidget) -> Signal:
    """The signal meaning "the user finished changing this value"."""
    if isinstance(w, QComboBox):
        return w.activated
    if isinstance(w, QCheckBox):
        return w.clicked
    if isinstance(w, (QSpinBox, QDoubleSpinBox)):
        return w.valueChanged
    return w.editingFinished  # type: ignore[attr-defined]


def read_widget(f: Field, w: QWidget) -> Any:
    if isinstance(w, QComboBox):
        return w.currentText()
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, QSpinBox):
        return (w.value() or None) if f.kind == "opt_int" else w.value()
    if isinstance(w, QDoubleSpinBox):
        return round(w.value(), f.decimals)
    return w.value()  # type: ignore[attr-defined]


def write_widget(f: Field, w: QWidget, value: Any) -> None:
    w.blockSignals(True)
    try:
        if isinstance(w, QComboBox):
            i = w.findText(str(value))
            if i < 0 and value is not None:
                w.addItem(str(value))
                i = w.count() - 1
            w.setCurrentIndex(max(i, 0))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value or 0))
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(float(value or 0.0))
        else:
            w.set_value(value)  # type: ignore[attr-defined]
    finally:
        w.blockSignals(False)
