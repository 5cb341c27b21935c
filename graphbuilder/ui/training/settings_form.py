"""The run settings form: every run-config choice, plus a live LR-vs-step preview.

The form never owns the config. It shows ``graph.training`` (:meth:`SettingsForm.load`)
and, when the user changes a value, emits :attr:`SettingsForm.edited` with the whole new
config dict; the panel validates it and stores it through an undoable command, whose
``meta_changed`` event brings the value back here. So undo, opening a file and editing
all go through one path. Keys the form does not show (checkpoint, grad_clip...) are
carried over untouched. The field table is :mod:`fields`; the LR curve beside the
schedule group is :mod:`schedule_preview`, where the groups go :mod:`arrange`.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QToolButton,
    QWidget,
)

from graphbuilder.training.config import AUGMENTS, METRICS, ConfigError, RunConfig
from graphbuilder.training.datasets import BUILTINS
from graphbuilder.training.device import device_info
from graphbuilder.ui.training.arrange import FormGrid
from graphbuilder.ui.training.fields import (
    FIELDS,
    Field,
    get_path,
    make_widget,
    read_widget,
    set_path,
    widget_signal,
    write_widget,
)
from graphbuilder.ui.training.schedule_preview import SchedulePreview

LOCAL_KINDS = [("Image folder…", "imagefolder", True), ("CSV file…", "csv", False),
               ("CIFAR-10 folder…", "cifar10", True), ("MNIST folder…", "mnist", True)]


class SettingsForm(QScrollArea):
    edited = Signal(dict)  # the full config after a user change (not yet validated)

    def __init__(self, theme: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.config: dict[str, Any] = RunConfig().to_dict()
        self.widgets: dict[str, QWidget] = {}
        self.rows: dict[str, tuple[QFormLayout, Field]] = {}
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        boxes: dict[str, QWidget] = {"error": self.error}
        forms = {}
        for name, title in (("Data", "Data"), ("Training", "Training"),
                            ("Optimizer", "Optimizer"), ("Schedule", "LR schedule"),
                            ("Hardware", "Hardware")):
            boxes[name] = QGroupBox(title)
            forms[name] = QFormLayout(boxes[name])
            forms[name].setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._dataset_row(forms["Data"])
        for f in FIELDS:
            if f.key == "early_stopping.monitor":
                self.metrics = self._checks(forms["Training"], "Metrics", "metrics", METRICS)
                self._early_stop_row(forms["Training"])
            w = make_widget(f)
            if isinstance(w, QAbstractSpinBox):
                w.setKeyboardTracking(False)  # one change per finished number, not per key
            self.widgets[f.key] = w
            forms[f.group].addRow(f.label, w)
            self.rows[f.key] = (forms[f.group], f)
            widget_signal(w).connect(lambda *_, f=f: self._changed(f))
        self.augment = self._checks(forms["Data"], "Augment", "augment", AUGMENTS)
        self.found = QLabel(f"Found: {device_info('auto')}")
        self.found.setWordWrap(True)
        forms["Hardware"].addRow(self.found)
        self.schedule_preview = SchedulePreview(self.value, theme)
        self.preview = self.schedule_preview.plot
        self.preview_curve = self.schedule_preview.curve
        self.body = FormGrid(boxes | {"preview": self.preview})
        self.setWidget(self.body)
        self.set_theme(theme)
        self.load(None)

    # ------------------------------------------------------------------ building
    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.body.fit(self.viewport().width())

    def _dataset_row(self, form: QFormLayout) -> None:
        self.dataset = QComboBox()
        self.dataset.setEditable(True)
        self.dataset.addItems(list(BUILTINS))
        self.dataset.setToolTip("A built-in dataset, or kind:PATH for your own data "
                                "(imagefolder:, csv:, cifar10:, mnist:)")
        self.dataset.setObjectName("data.dataset")
        self.dataset.activated.connect(lambda _: self._dataset_changed())
        self.dataset.lineEdit().editingFinished.connect(self._dataset_changed)
        browse = QToolButton()
        browse.setText("Local…")
        browse.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(browse)
        for title, kind, folder in LOCAL_KINDS:
            menu.addAction(title, lambda k=kind, d=folder: self.browse_local(k, d))
        browse.setMenu(menu)
        row = QHBoxLayout()
        row.addWidget(self.dataset, 1)
        row.addWidget(browse)
        form.addRow("Dataset", row)
        self.widgets["data.dataset"] = self.dataset

    def _checks(self, form: QFormLayout, title: str, prefix: str, names: tuple
                ) -> dict[str, QCheckBox]:
        """A grid of check boxes for a list-valued key (augmentations, metrics)."""
        boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for i, name in enumerate(names):
            cb = QCheckBox(name)
            cb.setObjectName(f"{prefix}.{name}")
            cb.clicked.connect(lambda *_: self._emit())
            boxes[name] = cb
            grid.addWidget(cb, i // 3, i % 3)
        form.addRow(title, grid)
        return boxes

    def _early_stop_row(self, form: QFormLayout) -> None:
        self.early = QCheckBox("stop when the monitor stops improving")
        self.early.setObjectName("early_stopping")
        self.early.clicked.connect(lambda *_: self._emit())
        form.addRow("Early stopping", self.early)
        self.widgets["early_stopping"] = self.early

    # ------------------------------------------------------------------ config <-> widgets
    def load(self, config: dict[str, Any] | None) -> None:
        """Show ``config`` (graph.training; None or invalid parts fall back to defaults)."""
        try:
            self.config = RunConfig.from_dict(config).to_dict()
        except ConfigError as exc:
            self.config = copy.deepcopy(config) if isinstance(config, dict) else {}
            self.show_error(exc)
        else:
            self.show_error(None)
        defaults = RunConfig().to_dict()
        es = self.config.get("early_stopping")
        view = copy.deepcopy(self.config)
        view["early_stopping"] = es or defaults_es()
        for f in FIELDS:
            value = get_path(view, f.key)
            write_widget(f, self.widgets[f.key], value if value is not None
                         else get_path(defaults, f.key))
        self.dataset.blockSignals(True)
        self.dataset.setEditText(str(get_path(self.config, "data.dataset") or "shapes"))
        self.dataset.blockSignals(False)
        self.early.setChecked(es is not None)
        for boxes, key in ((self.augment, "data.augment"), (self.metrics, "metrics")):
            chosen = set(get_path(self.config, key) or [])
            for name, cb in boxes.items():
                cb.setChecked(name in chosen)
        self._update_visibility()
        self.schedule_preview.schedule()

    def value(self) -> dict[str, Any]:
        """The config the widgets show, on top of the loaded one (hidden keys kept)."""
        doc = copy.deepcopy(self.config)
        for f in FIELDS:
            if f.key.startswith("early_stopping."):
                continue
            set_path(doc, f.key, read_widget(f, self.widgets[f.key]))
        set_path(doc, "data.dataset", self.dataset.currentText().strip())
        set_path(doc, "data.augment", [n for n, cb in self.augment.items() if cb.isChecked()])
        doc["metrics"] = [n for n, cb in self.metrics.items() if cb.isChecked()]
        if self.early.isChecked():
            es = dict(doc.get("early_stopping") or defaults_es())
            for key in ("monitor", "patience"):
                f = self.rows[f"early_stopping.{key}"][1]
                es[key] = read_widget(f, self.widgets[f.key])
            higher_is_better = any(k in es["monitor"] for k in ("accuracy", "iou", "top"))
            es["mode"] = "max" if higher_is_better else "min"
            doc["early_stopping"] = es
        else:
            doc["early_stopping"] = None
        return doc

    def _changed(self, f: Field) -> None:
        if f.key in ("schedule.name", "optimizer.name"):
            self._update_visibility(self.value())
        self._emit()

    def _dataset_changed(self) -> None:
        name = self.dataset.currentText().strip()
        if name == get_path(self.config, "data.dataset"):
            return
        self.suggest_for(name)
        self._emit()

    def suggest_for(self, name: str) -> None:
        """Switching to a built-in dataset also picks its loss and metrics (regression
        sets need mse, segmentation wants iou): the run would fail or mislead otherwise.
        Happens in the same edit, so one undo restores both."""
        entry = BUILTINS.get(name)
        if entry is None:
            return
        suggested = entry[4]
        loss = suggested.get("loss", "cross_entropy")
        metrics = suggested.get("metrics", ["accuracy"] if entry[2] != "regression" else [])
        write_widget(self.rows["loss"][1], self.widgets["loss"], loss)
        for m, cb in self.metrics.items():
            cb.setChecked(m in metrics)
        es = self.widgets["early_stopping.monitor"]
        if self.early.isChecked() and es.currentText() not in ("loss", "val_loss"):
            write_widget(self.rows["early_stopping.monitor"][1], es, "val_loss")

    def _emit(self) -> None:
        doc = self.value()
        self._update_visibility(doc)
        self.schedule_preview.schedule()
        self.edited.emit(doc)

    def _update_visibility(self, doc: dict[str, Any] | None = None) -> None:
        doc = doc if doc is not None else self.value()
        for key, (form, f) in self.rows.items():
            visible = f.show is None or bool(f.show(doc))
            form.setRowVisible(self.widgets[key], visible)
        self.body.fit(self.viewport().width())  # the groups' sizes changed with their rows
        self.found.setText(f"Found: {device_info('auto')}" if doc.get("device") == "auto"
                           else f"{doc.get('device')}: {device_info(str(doc.get('device')))}")

    def browse_local(self, kind: str, folder: bool) -> None:
        if folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a data folder")
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a CSV file", "", "CSV (*.csv)")
        if path:
            self.dataset.setEditText(f"{kind}:{path}")
            self._emit()

    # ------------------------------------------------------------------ feedback
    def show_error(self, exc: Exception | None) -> None:
        """Show a ConfigError above the form and outline the widget it names."""
        for w in self.widgets.values():
            if w.property("bad"):
                w.setProperty("bad", False)
                w.setStyleSheet("")
        if exc is None:
            self.error.hide()
            return
        self.error.setText(f"⚠ {exc}")
        self.error.setStyleSheet("color: #B91C1C; background: #FEE2E2; padding: 6px;"
                                 " border: 1px solid #FCA5A5; border-radius: 4px;")
        self.error.show()
        key = getattr(exc, "key", "")
        w = self.widgets.get(key) or self.widgets.get(key.rsplit(".", 1)[0])
        if w is not None:
            w.setProperty("bad", True)
            w.setStyleSheet("border: 1.5px solid #DC2626;")

    def update_preview(self) -> None:
        """Recompute the LR schedule preview now (it also follows edits by itself)."""
        self.schedule_preview.update()

    def set_theme(self, theme: Any) -> None:
        self.schedule_preview.set_theme(theme)


def defaults_es() -> dict[str, Any]:
    return {"monitor": "val_loss", "mode": "min", "patience": 5, "min_delta": 0.0}
