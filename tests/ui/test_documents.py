"""Files, templates, recovery, clipboard, groups and settings of the editor window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QSettings, QSize
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from graphbuilder.core.fileformat import graph_to_dict, load_graph
from graphbuilder.ui.recovery import RecoveryManager
from graphbuilder.ui.template_browser import TemplateBrowser, render_preview
from graphbuilder.zoo.catalog import list_templates


def _settle(w) -> None:  # noqa: ANN001
    QApplication.processEvents()
    if w.analysis.pending:
        w.analysis.run_now()
    QApplication.processEvents()


def test_every_template_loads_into_the_canvas(window) -> None:  # noqa: ANN001
    w = window
    names = [t.name for t in list_templates()]
    assert "simple_cnn" in names
    for name in names:
        assert w.open_template(name), name
        _settle(w)
        assert set(w.scene.nodes) == set(w.graph.nodes()), name
        assert len(w.scene.edges) == len(w.graph.edges()), name
        assert w.analysis.report.ok, (name, w.analysis.report.blocking[:3])
        assert not w.isWindowModified()


def test_save_and_reopen_round_trip(window, tmp_path: Path) -> None:  # noqa: ANN001
    w = window
    w.add_op("Dropout", QPointF(300, 300), feed=False)
    path = tmp_path / "design.json"
    assert w.save_to(str(path))
    assert not w.isWindowModified()
    assert "design.json" in w.windowTitle()
    before = graph_to_dict(w.graph)
    assert graph_to_dict(load_graph(path)) == before
    w.open_template("mlp")
    assert w.open_path(str(path))
    assert graph_to_dict(w.graph) == before
    assert w.recent_files()[0] == str(path.resolve())
    assert w.recent_menu.actions()[0].statusTip() == str(path.resolve())


def test_open_bad_file_reports_instead_of_crashing(window, tmp_path: Path,  # noqa: ANN001
                                                   no_modal_dialogs: list[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "graphbuilder.graph", "version": 1, "nodes": 3}')
    n = len(window.graph)
    assert not window.open_path(str(bad))
    assert len(window.graph) == n
    assert "nodes" in no_modal_dialogs[-1]


def test_close_with_unsaved_changes_asks(window) -> None:  # noqa: ANN001
    w = window
    asked = []
    w.ask_unsaved = lambda: asked.append(1) or QMessageBox.StandardButton.Cancel
    w.add_op("ReLU", QPointF(0, 0), feed=False)
    assert not w.close()
    assert asked and w.isVisible()
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard


def test_recovery_file_is_offered_after_a_crash(make_window, tmp_path: Path) -> None:  # noqa: ANN001
    crashed = RecoveryManager(tmp_path / "recovery")
    from graphbuilder.zoo.catalog import load_template
    graph = load_template("mlp")
    graph.name = "lost work"
    crashed.autosave(graph, "/somewhere/lost.json")
    crashed.lock.unlock()  # the process died: nobody holds its lock any more
    w = make_window(template=None)
    offered = []
    w.choose_recovery = lambda entries: offered.extend(entries) or entries[0]
    assert w.offer_recovery()
    assert offered and offered[0].name == "lost work"
    assert w.graph.name == "lost work" and w.isWindowModified()
    assert w.file_path == "/somewhere/lost.json"
    assert not list((tmp_path / "recovery").glob(f"session-{crashed.session}.*"))


def test_running_sessions_autosave_is_not_offered(make_window, tmp_path: Path) -> None:  # noqa: ANN001
    a = make_window()
    a.add_op("ReLU", QPointF(0, 0), feed=False)
    a.autosave()
    assert a.recovery.path.exists()
    b = make_window(template=None)
    assert b.recovery.orphans() == []  # a is alive and holds its lock
    a.save_to(str(tmp_path / "a.json"))
    assert not a.recovery.path.exists()  # saved: nothing to recover


def test_copy_paste_across_windows(make_window) -> None:  # noqa: ANN001
    a, b = make_window(), make_window("mlp")
    a.scene.select_nodes(["stage1.conv", "stage1.relu"])
    assert a.copy()
    n = len(b.graph)
    new = b.paste(QPointF(500, 500))
    assert len(new) == 2 and len(b.graph) == n + 2
    ops = sorted(b.graph.op(x) for x in new)
    assert ops == ["Conv2d", "ReLU"]
    conv = next(x for x in new if b.graph.op(x) == "Conv2d")
    relu = next(x for x in new if x != conv)
    assert b.graph.inputs_of(relu) == {"in": conv}  # the edge between them came along
    assert b.graph.params(conv)["out_channels"] == 16
    b.undo_stack.undo()
    assert len(b.graph) == n
    a.scene.select_nodes(["stage1.conv"])
    a.duplicate()
    assert len(a.scene.selected_node_ids()) == 1
    assert a.scene.selected_node_ids()[0] != "stage1.conv"


def test_groups_collapse_to_one_node_and_expand(window) -> None:  # noqa: ANN001
    w = window
    assert w.graph.groups, "simple_cnn has groups"
    gid = next(iter(w.graph.groups))
    members = w.graph.groups[gid].nodes
    follower = next(n for n in w.graph.nodes() if w.graph.group_of(n) is not None
                    and w.graph.group_of(n).id != gid)
    y_before = w.graph.pos(follower)[1]
    w.scene.set_group_collapsed(gid, True)
    assert w.graph.pos(follower)[1] < y_before  # collapsing closes the gap
    _settle(w)
    assert gid in w.scene.collapsed
    assert all(not w.scene.nodes[n].isVisible() for n in members)
    box = w.scene.collapsed[gid]
    assert box.out_text  # shows the shape leaving the block
    w.scene.select_nodes([members[0]])
    assert set(w.scene.selected_node_ids()) == set(members)
    assert "layers" in w.inspector.scroll.widget().findChildren(QLabel)[1].text()
    w.undo_stack.undo()
    _settle(w)
    assert gid not in w.scene.collapsed and gid in w.scene.frames
    assert w.graph.pos(follower)[1] == y_before
    assert all(w.scene.nodes[n].isVisible() for n in members)


def test_auto_layout_is_undoable_and_sets_direction(window) -> None:  # noqa: ANN001
    w = window
    before = {n: w.graph.pos(n) for n in w.graph.nodes()}
    w.auto_layout("LR")
    assert w.scene.direction == "LR"
    xs = [w.graph.pos(n)[0] for n in w.graph.nodes()]
    assert max(xs) - min(xs) > 1000
    w.undo_stack.undo()
    assert {n: w.graph.pos(n) for n in w.graph.nodes()} == before


def test_theme_toggle_is_persisted(window) -> None:  # noqa: ANN001
    window.actions_["dark"].setChecked(True)
    assert window.scene.theme.name == "dark"
    assert QSettings().value("view/theme") == "dark"
    window.actions_["dark"].setChecked(False)
    assert QSettings().value("view/theme") == "light"


def test_find_node_jumps(window) -> None:  # noqa: ANN001
    w = window
    w.focus_find()
    w.outline.find.setText("fc2")
    w.outline.jump_to_first()
    assert w.scene.selected_node_ids() == ["head.fc2"]


def test_template_browser_lists_and_previews(window) -> None:  # noqa: ANN001
    dialog = TemplateBrowser(window.theme, window)
    assert len(dialog.items) == len(list_templates())
    dialog.select("resnet152")
    assert "ResNet" in dialog.details.text()
    assert dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull()
    assert "Parameters" in dialog.details.text()
    pix = render_preview(window.graph, QSize(120, 90), window.theme)
    assert pix.width() == 120
    dialog.close()


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_canvas_picture_export(window, tmp_path: Path, suffix: str) -> None:  # noqa: ANN001
    from graphbuilder.ui.exports import save_png, save_svg

    path = tmp_path / f"canvas{suffix}"
    (save_png if suffix == ".png" else save_svg)(window.scene, path)
    assert path.stat().st_size > 1000


def test_startup_opens_file_template_or_default(make_window, tmp_path: Path,  # noqa: ANN001
                                                 no_modal_dialogs: list[str]) -> None:
    from graphbuilder.ui.app import open_initial

    w = make_window(template=None)
    open_initial(w, None)
    assert w.graph.name and "stage1.conv" in w.graph  # the built-in default, simple_cnn
    open_initial(w, "mlp")
    assert w.file_path is None and len(w.graph) < 12
    path = tmp_path / "mine.json"
    assert w.save_to(str(path))
    w.open_template("simple_cnn")
    open_initial(w, str(path))
    assert w.file_path == str(path.resolve())
    open_initial(w, str(tmp_path / "missing.json"))
    assert "missing.json" in no_modal_dialogs[-1] and "stage1.conv" in w.graph


def test_code_export_runs_off_the_gui_thread(window, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from graphbuilder.ui.exports import Worker, code_job

    target = tmp_path / "net.py"
    worker = Worker(code_job(window.graph, str(target)))
    with qtbot.waitSignal(worker.done, timeout=60_000) as blocker:
        worker.start()
    worker.wait()
    assert Path(blocker.args[0]) == target
    assert "class" in target.read_text() and "nn.Module" in target.read_text()


def test_window_layout_persists(make_window) -> None:  # noqa: ANN001
    a = make_window()
    a.docks["outline"].hide()
    a.close()
    b = make_window()
    assert b.docks["outline"].isHidden()
    b.docks["outline"].show()


@pytest.mark.slow
def test_onnx_export_from_file_menu_shows_verification(window, qtbot, tmp_path: Path,  # noqa: ANN001
                                                        monkeypatch, no_modal_dialogs) -> None:
    from PySide6.QtWidgets import QFileDialog

    target = tmp_path / "net.onnx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    window.open_template("mlp")
    window.export_onnx()
    assert window._workers, "export runs in a worker thread"
    qtbot.waitUntil(lambda: not window._workers, timeout=120_000)
    assert target.exists()
    assert any("Verified with onnxruntime" in m for m in no_modal_dialogs), no_modal_dialogs


def test_folded_template_opens_compact_and_expands_in_place(window) -> None:  # noqa: ANN001
    w = window
    assert w.open_template("resnet50")
    _settle(w)
    if not w.scene.collapsed:
        pytest.skip("this zoo version ships resnet50 unfolded")
    boxes = sorted(w.scene.collapsed.values(), key=lambda b: b.y())
    assert max(b.y() - a.y() for a, b in zip(boxes, boxes[1:], strict=False)) <= 130
    assert not w.isWindowModified()
    gid = boxes[1].group_id
    below = boxes[2].y()
    w.scene.set_group_collapsed(gid, False)
    _settle(w)
    members = w.graph.groups[gid].nodes
    bottom = max(w.graph.pos(n)[1] for n in members)
    assert w.scene.collapsed[boxes[2].group_id].y() > bottom  # pushed down, no overlap
    w.undo_stack.undo()
    _settle(w)
    assert w.scene.collapsed[boxes[2].group_id].y() == below


def test_auto_layout_treats_collapsed_groups_as_one_node(window) -> None:  # noqa: ANN001
    w = window
    w.set_all_groups(True)
    _settle(w)
    w.auto_layout("TB")
    _settle(w)
    boxes = sorted(w.scene.collapsed.values(), key=lambda b: b.y())
    gaps = [b.y() - a.y() for a, b in zip(boxes, boxes[1:], strict=False)]
    assert gaps and max(gaps) <= 130  # consecutive boxes, no holes where members were
    w.undo_stack.undo()


def test_closing_during_an_export_waits_for_it(window, qtbot, no_modal_dialogs) -> None:  # noqa: ANN001
    """A QThread destroyed while running aborts the process: closing waits instead,
    and the finished export shows no dialog on the closed window."""
    import time

    started = []

    def slow_job() -> str:
        started.append(True)
        time.sleep(0.5)
        return "written"

    window._run_job("Export to ONNX", slow_job, str)
    qtbot.waitUntil(lambda: bool(started), timeout=10_000)
    window.setWindowModified(False)
    assert window.close()
    assert not window._workers or not window._workers[0].isRunning()
    qtbot.wait(50)  # the queued 'done' arrives after the window closed
    assert not no_modal_dialogs
