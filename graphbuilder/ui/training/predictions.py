"""Show an evaluated run: validation metrics and a strip of sample predictions.

Images are drawn as pixmaps of about ``TILE_PX`` (small images scaled up by a whole factor
with nearest-neighbour, so 32x32 pixels stay crisp; large ones scaled down smoothly),
captioned "pred / true" in green or red; segmentation shows the image with the
true and predicted masks side by side; tabular data shows the input values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from graphbuilder.ui.training.evaluate import EvalResult, Sample

MASK_COLORS = np.array([[30, 30, 36], [37, 99, 235], [234, 88, 12], [22, 163, 74],
                        [147, 51, 234], [219, 39, 119], [202, 138, 4], [8, 145, 178]],
                       dtype=np.uint8)


TILE_PX = 112


def to_pixmap(rgb: np.ndarray, size: int = TILE_PX) -> QPixmap:
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    img = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    scale = size // max(h, w)
    if scale >= 1:
        return QPixmap.fromImage(img).scaled(w * scale, h * scale,
                                             Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation)
    return QPixmap.fromImage(img).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)


def mask_rgb(mask: np.ndarray) -> np.ndarray:
    return MASK_COLORS[np.asarray(mask, dtype=np.int64) % len(MASK_COLORS)]


class PredictionsView(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.result: EvalResult | None = None
        self.summary = QLabel("Pick a run in Runs and press “Evaluate on validation set”.")
        self.summary.setWordWrap(True)
        self.grid = QGridLayout()
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.addWidget(self.summary)
        lay.addLayout(self.grid)
        lay.addStretch(1)
        self.setWidget(body)

    def show_busy(self, run: str) -> None:
        self.summary.setText(f"Evaluating {run}…")

    def show_error(self, message: str) -> None:
        self.summary.setText(f"⚠ Evaluation failed: {message}")

    def show_result(self, result: EvalResult) -> None:
        self.result = result
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        metrics = "  ·  ".join(f"{k} {v:.4g}" for k, v in sorted(result.metrics.items()))
        self.summary.setText(f"<b>{result.run_dir.rsplit('/', 1)[-1]}</b> ({result.checkpoint}, "
                             f"{result.task}) — {metrics}")
        cols = 4 if result.task == "segmentation" else 8
        for i, s in enumerate(result.samples):
            self.grid.addWidget(self._tile(s), i // cols, i % cols)

    def _tile(self, s: Sample) -> QWidget:
        tile = QWidget()
        lay = QVBoxLayout(tile)
        lay.setContentsMargins(2, 2, 2, 2)
        pics = QHBoxLayout()
        for arr in (s.image, None if s.true_mask is None else mask_rgb(s.true_mask),
                    None if s.pred_mask is None else mask_rgb(s.pred_mask)):
            if arr is not None:
                pic = QLabel()
                pic.setPixmap(to_pixmap(arr, TILE_PX if s.true_mask is None
                                        else TILE_PX * 2 // 3))
                pics.addWidget(pic)
        lay.addLayout(pics)
        if s.image is None:
            lay.addWidget(QLabel(f"x = [{s.text}]"))
        color = {True: "#16A34A", False: "#DC2626"}.get(s.correct, "")  # type: ignore[arg-type]
        caption = QLabel(f"pred <b>{s.pred}</b><br>true {s.true}" if s.true_mask is None
                         else "image · true · predicted<br>" + s.pred)
        if color:
            caption.setStyleSheet(f"color: {color};")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(caption)
        return tile

    def tile_count(self) -> int:
        return self.grid.count()

    def set_theme(self, theme: Any) -> None:  # plain widgets follow the app palette
        pass
