"""The error banner: why a run failed, in words, and what was kept.

Failures (NaN loss, out of memory, missing data, a design that does not fit the data)
arrive as ``RunFailed`` events; they are shown here inside the panel instead of a
modal dialog, so a failed run never blocks the app and the message stays visible next
to the plots that led up to it. The traceback, when there is one, is one click away.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

TITLES = {"nan": "The loss became NaN", "oom": "Out of memory", "data": "Data problem",
          "config": "Settings problem", "error": "Training failed", "crash": "Internal error"}


def hint_for(kind: str, message: str) -> str:
    """A next step for errors whose raw text does not say what to do."""
    low = message.lower()
    if kind == "error" and any(k in low for k in ("shape", "size", "dimension", "expected")):
        return ("The design does not fit the dataset's samples: check the Input node's shape "
                "and the output size against the dataset.")
    return ""


class ErrorBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet("#errorBanner { background: #FEE2E2; border: 1px solid #FCA5A5;"
                           " border-radius: 4px; } QLabel { color: #7F1D1D; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.details_button = QPushButton("Details…")
        self.close_button = QPushButton("✕")
        self.close_button.setFixedWidth(28)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.details_button)
        lay.addWidget(self.close_button)
        self.details = ""
        self.details_button.clicked.connect(self.show_details)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_error(self, kind: str, message: str, details: str = "", kept: str = "") -> None:
        self.kind, self.message, self.details = kind, message, details
        parts = [f"<b>{TITLES.get(kind, 'Error')}</b> — {html.escape(message, quote=False)}"]
        hint = hint_for(kind, message)
        if hint:
            parts.append(hint)
        if kept:
            parts.append(f"The last good checkpoint is kept: <code>{html.escape(kept)}</code>")
        self.label.setText("<br>".join(parts))
        self.details_button.setVisible(bool(details))
        self.show()

    def show_details(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, TITLES.get(self.kind, "Error"),
                          self.message, QMessageBox.StandardButton.Close, self)
        box.setDetailedText(self.details)
        box.setModal(False)
        box.show()
