"""Editor responsiveness on a ResNet-152 sized graph (517 layers).

    QT_QPA_PLATFORM=offscreen python benchmarks/editor_perf.py

Prints (targets from issue #5):
* open: template -> canvas items + first shape inference + labels (target < 1 s),
  measured after torch has been warmed on a small design, with the per-node shape
  cache cold and again warm (re-open), all 517 layers as cards, and once with the
  blocks folded as the template ships;
* edit: parameter change -> updated shape labels (target < 100 ms), for a local
  edit (the classifier's width) and one that changes a block's inner channels.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from graphbuilder.core.commands import SetParamsCommand  # noqa: E402


def _settle(app: QApplication, w) -> None:  # noqa: ANN001
    app.processEvents()
    while w.analysis.pending:
        app.processEvents()


def main() -> int:
    app = QApplication.instance() or QApplication([])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    from graphbuilder.ui.main_window import MainWindow
    from graphbuilder.zoo.catalog import load_template

    w = MainWindow(recovery_dir=Path(tempfile.mkdtemp()), install_training=False)
    w.resize(1440, 900)
    w.show()
    w.open_template("simple_cnn")  # warms torch's meta kernels and imports
    _settle(app, w)

    results: dict[str, float] = {}
    for label, expand in (("open ResNet-152, shape cache cold", True),
                          ("re-open ResNet-152, cache warm", True),
                          ("open ResNet-152 with blocks folded", False)):
        graph = load_template("resnet152")
        if expand:  # every layer its own card: the heaviest canvas
            for group in graph.groups.values():
                group.collapsed = False
        t0 = time.perf_counter()
        w.load_graph_object(graph, None)
        _settle(app, w)
        app.processEvents()
        w.view.viewport().repaint()
        results[label] = time.perf_counter() - t0
    n_nodes, n_edges = len(w.scene.nodes), len(w.scene.edges)
    w.set_all_groups(False)  # edits below on the fully expanded canvas
    _settle(app, w)

    def edit(node: str, key: str, values: list, check: str) -> list[float]:
        times = []
        for v in values:
            t0 = time.perf_counter()
            assert w.editor.execute(SetParamsCommand(node, {key: v}))
            _settle(app, w)
            times.append(time.perf_counter() - t0)
            assert w.scene.nodes[check].shape_text, check
        return times

    fc = edit("fc", "out_features", [10, 20, 30, 40, 1000], "fc")
    assert w.scene.nodes["fc"].shape_text == "1000"
    inner = edit("layer3.7.conv2", "out_channels", [192, 200, 208, 216, 256], "layer3.7.conv3")

    t0 = time.perf_counter()
    w.auto_layout("TB")
    _settle(app, w)
    layout_ms = (time.perf_counter() - t0) * 1000
    w.view.zoom_to_fit()
    w.view.zoom_by(0.3 / w.view.zoom())  # far out: hundreds of cards on screen
    t0 = time.perf_counter()
    for _ in range(5):
        w.view.viewport().repaint()
    paint_ms = (time.perf_counter() - t0) * 1000 / 5

    print(f"graph: {n_nodes} nodes, {n_edges} edges on the canvas")
    for label, secs in results.items():
        flag = "OK" if secs < 1.0 else "SLOW"
        print(f"{label:<40} {secs * 1000:8.1f} ms   (target < 1000 ms) {flag}")
    for label, times in (("edit fc.out_features -> labels", fc),
                         ("edit layer3.7.conv2.out_channels -> labels", inner)):
        med = statistics.median(times) * 1000
        flag = "OK" if med < 100 else "SLOW"
        print(f"{label:<40} {med:8.1f} ms median, max {max(times) * 1000:.1f} ms"
              f"   (target < 100 ms) {flag}")
    print(f"last shape inference alone: {w.analysis.last_ms:.1f} ms")
    print(f"auto-layout of all {n_nodes} layers (one undo step): {layout_ms:.1f} ms")
    print(f"repaint at 30% zoom (whole columns on screen): {paint_ms:.1f} ms per frame")
    w.undo_stack.setClean()  # close without the unsaved-changes prompt
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
