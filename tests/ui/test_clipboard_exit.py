"""Copying layers and quitting must not crash the process (PySide6 clipboard teardown)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv)
    from graphbuilder.ui.main_window import MainWindow
    from pathlib import Path
    w = MainWindow(recovery_dir=Path(sys.argv[1]), install_training=False)
    assert w.open_template("simple_cnn")
    w.scene.select_nodes(["stage1.conv"])
    assert w.copy()
    w.graph.set_meta(name="saved")  # nothing unsaved to ask about
    w.undo_stack.setClean()
    print("copied")
""")


def test_process_exits_cleanly_after_copy(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "rec")],
                          capture_output=True, text=True, env=env, timeout=180)
    assert "copied" in proc.stdout, proc.stderr[-2000:]
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
