"""Shared test setup: keep torch to one thread so parallel CI stays predictable."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture
def dispose():
    """Close and really delete a Qt window at teardown (qtbot only closes it).

    Hundreds of closed-but-alive windows (and pyqtgraph's menus) piled up across the
    GUI test folders, and the next app-wide palette or style-sheet change re-polished
    them all; PySide6 crashed in there. Deleting them keeps each test's world small.
    """

    def close_and_delete(widget) -> None:  # noqa: ANN001
        import shiboken6
        from PySide6.QtCore import QCoreApplication, QEvent

        if not shiboken6.isValid(widget):  # already deleted (WA_DeleteOnClose)
            return
        widget.close()
        widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    return close_and_delete
