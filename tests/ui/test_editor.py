"""The node editor end to end: palette drops, connecting ports, undo, live shapes, fixes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from graphbuilder.core.builder import NetBuilder
from graphbuilder.ui.gestures import OP_MIME


def _settle(w) -> None:  # noqa: ANN001
    """Let the zero-timeout timers (analysis, group frames) run."""
    QApplication.processEvents()
    if w.analysis.pending:
        w.analysis.run_now()
    QApplication.processEvents()


def _view_point(w, scene_pos: QPointF) -> QPoint:  # noqa: ANN001
    return w.view.mapFromScene(scene_pos)


def test_drag_from_palette_drops_a_node(window) -> None:  # noqa: ANN001
    w = window
    item = w.palette.find_item("Conv2d")
    mime = w.palette.tree.mimeData([item])
    assert bytes(mime.data(OP_MIME).data()) == b"Conv2d"
    target = w.view.viewport().rect().center()
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    before = len(w.graph)
    for ev in (QDragEnterEvent(QPointF(target), actions, mime, buttons, mods),
               QDragMoveEvent(QPointF(target), actions, mime, buttons, mods),
               QDropEvent(QPointF(target), actions, mime, buttons, mods)):
        QApplication.sendEvent(w.view.viewport(), ev)
    assert len(w.graph) == before + 1
    new = w.graph.nodes()[-1]
    assert w.graph.op(new) == "Conv2d" and new in w.scene.nodes
    x, y = w.graph.pos(new)
    dropped_at = w.view.mapToScene(target)
    assert abs(x - dropped_at.x()) <= 20 and abs(y - dropped_at.y()) <= 20  # snapped
    assert w.isWindowModified()


def test_palette_search_filters_and_double_click_adds(window) -> None:  # noqa: ANN001
    w = window
    w.palette.search.setText("attention")
    assert not w.palette.find_item("MultiheadAttention").isHidden()
    assert w.palette.find_item("Conv2d").isHidden()
    w.scene.select_nodes(["x"])
    w.palette.activated.emit("op", "BatchNorm2d")
    new = w.graph.nodes()[-1]
    assert w.graph.op(new) == "BatchNorm2d" and w.graph.inputs_of(new) == {"in": "x"}


def test_connect_two_ports_by_dragging(window) -> None:  # noqa: ANN001
    w = window
    a = w.add_op("ReLU", QPointF(600, 0), feed=False)
    b = w.add_op("Sigmoid", QPointF(600, 200), feed=False)
    _settle(w)
    w.view.reset_zoom()
    w.view.centerOn(QPointF(600, 100))
    src = w.scene.nodes[a].out_port.scenePos()
    dst = w.scene.nodes[b].in_ports["in"].scenePos()
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     _view_point(w, src))
    assert w.scene._drag is not None
    # only ports that make sense light up: never the node's own input
    assert w.scene.nodes[b].in_ports["in"].highlighted
    assert not w.scene.nodes[a].in_ports["in"].highlighted
    QTest.mouseMove(vp, _view_point(w, dst + QPointF(4, 3)))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       _view_point(w, dst + QPointF(4, 3)))
    assert w.graph.inputs_of(b) == {"in": a}
    assert (b, "in") in w.scene.edges
    w.undo_stack.undo()
    assert w.graph.inputs_of(b) == {}
    assert (b, "in") not in w.scene.edges


def test_undo_redo_every_change(window) -> None:  # noqa: ANN001
    w = window
    n0 = len(w.graph)
    assert not w.isWindowModified()
    node = w.add_op("Dropout", QPointF(500, 100), feed=False)
    assert len(w.graph) == n0 + 1 and w.isWindowModified()
    w.scene.select_nodes([node])
    w.delete_selection()
    assert node not in w.graph and node not in w.scene.nodes
    w.undo_stack.undo()
    assert node in w.graph and node in w.scene.nodes
    w.undo_stack.undo()
    assert len(w.graph) == n0 and not w.isWindowModified()
    w.undo_stack.redo()
    w.undo_stack.redo()
    assert node not in w.graph


def test_parameter_edit_updates_shape_labels(window) -> None:  # noqa: ANN001
    w = window
    _settle(w)
    w.scene.select_nodes(["stage1.conv"])
    assert w.inspector.node_id == "stage1.conv"
    assert w.scene.nodes["stage1.conv"].shape_text == "16×32×32"
    field = w.inspector.fields["out_channels"]
    field.setText("8")
    field.editingFinished.emit()
    assert w.graph.params("stage1.conv")["out_channels"] == 8
    _settle(w)
    assert w.scene.nodes["stage1.conv"].shape_text == "8×32×32"
    assert w.scene.edges[("stage1.relu", "in")].label == "8×32×32"
    assert w.scene.nodes["stage2.pool"].shape_text == "32×8×8"  # downstream still fine
    w.undo_stack.undo()
    _settle(w)
    assert w.scene.nodes["stage1.conv"].shape_text == "16×32×32"


def test_inspector_refuses_bad_values_and_duplicate_names(window) -> None:  # noqa: ANN001
    w = window
    w.scene.select_nodes(["stage1.conv"])
    depth = w.undo_stack.count()
    field = w.inspector.fields["out_channels"]
    field.setText("-3")
    field.editingFinished.emit()
    assert w.graph.params("stage1.conv")["out_channels"] == 16
    assert "at least" in w.inspector.messages["out_channels"].text()
    assert field.text() == "16"
    w.inspector.name_edit.setText("stage2.conv")
    w.inspector.name_edit.editingFinished.emit()
    assert "already exists" in w.inspector.messages["__name__"].text()
    assert w.undo_stack.count() == depth
    w.inspector.name_edit.setText("stem")
    w.inspector.name_edit.editingFinished.emit()
    assert "stem" in w.graph and "stem" in w.scene.nodes and "stage1.conv" not in w.graph
    assert w.inspector.node_id == "stem"  # the renamed node stays selected and shown
    assert w.scene.selected_node_ids() == ["stem"]


def test_invalid_edit_marks_the_right_node(window) -> None:  # noqa: ANN001
    w = window
    w.scene.select_nodes(["stage2.conv"])
    field = w.inspector.fields["kernel_size"]
    field.setText("40")
    field.editingFinished.emit()
    _settle(w)
    bad = w.scene.nodes["stage2.conv"]
    assert bad.severity == "error" and bad.problem
    others = [n for n, item in w.scene.nodes.items() if item.severity == "error"]
    assert others == ["stage2.conv"]
    rows = [w.problems.tree.topLevelItem(i) for i in range(w.problems.tree.topLevelItemCount())]
    assert any(r.text(1) == "stage2.conv" for r in rows)
    w.problems.jump.emit("stage2.conv")
    assert w.scene.selected_node_ids() == ["stage2.conv"]
    assert "error" in w.timing_label.text()


def test_one_click_fix_from_problems_panel(window) -> None:  # noqa: ANN001
    w = window
    b = NetBuilder("bad")
    x = b.input("x", [3, 16, 16])
    h = b.add("conv", "Conv2d", x, out_channels=8, padding=1)
    b.output("y", b.add("fc", "Linear", h, out_features=3))
    w.load_graph_object(b.build(), None)
    _settle(w)
    assert w.scene.nodes["fc"].severity == "error"
    fixes = w.analysis.fixes_for("fc")
    assert [f.title for f in fixes][0].startswith("Insert Flatten")
    rows = [w.problems.tree.topLevelItem(i) for i in range(w.problems.tree.topLevelItemCount())]
    fc_row = next(r for r in rows if r.text(1) == "fc")
    assert "⚡" in fc_row.text(0)
    from graphbuilder.ui.actions import context_menu
    menu_texts = [a.text() for a in context_menu(w, "fc").actions()]
    assert any("Flatten" in t for t in menu_texts)  # right-click offers the fixes too
    w.problems.tree.setCurrentItem(fc_row)
    assert w.problems.fix_button.isEnabled()
    w.problems.fix_requested.emit(fixes[0])
    _settle(w)
    assert w.analysis.report.ok
    assert w.graph.op(w.graph.inputs_of("fc")["in"]) == "Flatten"
    assert w.undo_stack.count() == 1  # one undo step
    w.undo_stack.undo()
    _settle(w)
    assert not w.analysis.report.ok


def test_editing_lock_refuses_edits_with_notice(window) -> None:  # noqa: ANN001
    w = window
    n = len(w.graph)
    w.set_editing_locked(True, "Training in progress")
    assert w.view._banner.isVisibleTo(w.view) and "Training" in w.view._banner.text()
    assert w.add_op("ReLU", QPointF(0, 0)) is None
    assert len(w.graph) == n
    assert "locked" in w.statusBar().currentMessage().lower()
    assert not w.actions_["undo"].isEnabled() and not w.inspector.isEnabled()
    w.set_editing_locked(False, "")
    assert w.add_op("ReLU", QPointF(0, 0)) is not None
    assert not w.view._banner.isVisibleTo(w.view)


def test_hook_surface_for_training(window) -> None:  # noqa: ANN001
    w = window
    graph = w.graph
    assert "Run" in w.menus and w.menus["Run"] is not None
    w.open_template("mlp")
    assert w.graph is graph  # same object for the window's life
    assert w.statusBar() is not None and w.undo_stack is not None


def test_block_from_palette_inserts_as_one_group_and_one_step(window) -> None:  # noqa: ANN001
    w = window
    _settle(w)
    n, depth = len(w.graph), w.undo_stack.count()
    w.scene.select_nodes(["stage1.pool"])
    w.palette.activated.emit("block", "residual_basic")
    ids = w.scene.selected_node_ids()
    assert len(ids) >= 5 and len(w.graph) == n + len(ids)
    assert w.undo_stack.count() == depth + 1
    group = next(g for g in w.graph.groups.values() if set(g.nodes) == set(ids))
    assert group.label.startswith("Residual")
    fed = [x for x in ids if "stage1.pool" in w.graph.inputs_of(x).values()]
    assert fed, "the block is fed by the selected node"
    _settle(w)
    assert all(w.scene.nodes[x].shape_text for x in ids)  # sized to the 16x16x16 input
    w.undo_stack.undo()
    assert len(w.graph) == n and group.id not in w.graph.groups


def test_arrow_keys_nudge_selection_and_minimap_follows(window, qtbot) -> None:  # noqa: ANN001
    w = window
    w.scene.select_nodes(["stage1.conv"])
    x, y = w.graph.pos("stage1.conv")
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_Right)
    assert w.graph.pos("stage1.conv") == (x + w.scene.grid, y)
    w.undo_stack.undo()
    assert w.graph.pos("stage1.conv") == (x, y)
    w.actions_["minimap"].setChecked(True)
    assert w.view.minimap is not None and w.view.minimap.isVisible()
    w.view.centerOn(w.scene.nodes["y"])  # scrolling must not carry the overlay away
    vp = w.view.viewport().rect()
    assert vp.contains(w.view.minimap.geometry())
    w.actions_["minimap"].setChecked(False)
    assert not w.view.minimap.isVisible()


def test_mouse_move_rubber_band_and_edge_delete(window) -> None:  # noqa: ANN001
    w = window
    _settle(w)
    w.view.reset_zoom()
    node = w.scene.nodes["stage1.relu"]
    w.view.centerOn(node)
    QApplication.processEvents()
    vp = w.view.viewport()
    start = _view_point(w, node.scenePos() + QPointF(-40, 5))  # on the card, not a port
    x0, y0 = w.graph.pos("stage1.relu")
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, start + QPoint(30, 10))
    QTest.mouseMove(vp, start + QPoint(61, 19))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(61, 19))
    x1, y1 = w.graph.pos("stage1.relu")
    assert (x1, y1) != (x0, y0) and x1 % 20 == 0 and y1 % 20 == 0  # moved, snapped
    assert w.undo_stack.undoText() == "Move"
    w.undo_stack.undo()
    assert w.graph.pos("stage1.relu") == (x0, y0)
    # rubber band from empty canvas over two cards
    w.scene.clearSelection()
    a, b = w.scene.nodes["stage1.conv"], w.scene.nodes["stage1.relu"]
    top_left = _view_point(w, a.sceneBoundingRect().topLeft() + QPointF(-150, -20))
    bottom_right = _view_point(w, b.sceneBoundingRect().bottomRight() + QPointF(20, 5))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, top_left)
    QTest.mouseMove(vp, (top_left + bottom_right) / 2)
    QTest.mouseMove(vp, bottom_right)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       bottom_right)
    assert {"stage1.conv", "stage1.relu"} <= set(w.scene.selected_node_ids())
    # select an edge and delete it
    w.scene.clearSelection()
    w.scene.edges[("stage1.relu", "in")].setSelected(True)
    w.delete_selection()
    assert "in" not in w.graph.inputs_of("stage1.relu") and "stage1.conv" in w.graph
    w.undo_stack.undo()
    assert w.graph.inputs_of("stage1.relu") == {"in": "stage1.conv"}


def test_group_and_ungroup_selection(window, monkeypatch) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QInputDialog

    w = window
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Head", True)))
    w.scene.select_nodes(["head.fc2", "y"])
    w.group_selection()
    group = next(g for g in w.graph.groups.values() if g.label == "Head")
    assert group.nodes == ["head.fc2", "y"]
    assert all("head.fc2" not in g.nodes for g in w.graph.groups.values() if g is not group)
    w.scene.select_nodes(["y"])
    w.ungroup_selection()
    assert group.id not in w.graph.groups
    w.undo_stack.undo()
    w.undo_stack.undo()
    assert [g.label for g in w.graph.groups.values()].count("Head") == 0


def test_untouched_field_losing_focus_is_not_an_edit(window) -> None:  # noqa: ANN001
    w = window
    w.scene.select_nodes(["stage1.conv"])
    depth = w.undo_stack.count()
    w.inspector.fields["kernel_size"].editingFinished.emit()
    w.inspector.fields["padding_mode"].activated.emit(0)
    assert w.undo_stack.count() == depth and not w.isWindowModified()


def test_escape_cancels_a_connection_drag(window) -> None:  # noqa: ANN001
    w = window
    _settle(w)
    w.view.reset_zoom()
    port = w.scene.nodes["x"].out_port
    w.view.centerOn(port)
    QApplication.processEvents()
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     _view_point(w, port.scenePos()))
    assert w.scene._drag is not None
    edges = len(w.graph.edges())
    QTest.keyClick(w.view, Qt.Key.Key_Escape)
    assert w.scene._drag is None
    assert not any(p.highlighted for n in w.scene.nodes.values() for p in n.in_ports.values())
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       _view_point(w, port.scenePos()))
    assert len(w.graph.edges()) == edges


def test_integer_tokens_only_offer_embedding_inputs(make_window) -> None:  # noqa: ANN001
    from graphbuilder.ui.connect_drag import ConnectionDrag

    w = make_window(template=None)
    b = NetBuilder("tokens")
    ids = b.input("ids", [16], dtype="int64")
    emb = b.add("emb", "Embedding", ids, num_embeddings=100, embedding_dim=8)
    b.output("y", b.add("fc", "Linear", emb, out_features=2))
    w.load_graph_object(b.build(), None)
    w.add_op("Embedding", QPointF(400, 0), feed=False)
    w.add_op("Linear", QPointF(400, 200), feed=False)
    _settle(w)
    drag = ConnectionDrag(w.scene, w.scene.nodes["ids"].out_port)
    ops = {t.node.op for t in drag.targets}
    drag.finish(QPointF(1e9, 1e9))
    assert "Embedding" in ops and "Linear" not in ops


def _scene_matches_graph(w) -> None:  # noqa: ANN001
    assert set(w.scene.nodes) == set(w.graph.nodes())
    assert set(w.scene.edges) == {(e.dst, e.port) for e in w.graph.edges()}
    for (dst, port), item in w.scene.edges.items():
        assert item.src == w.graph.inputs_of(dst)[port]
        assert (dst, port) in w.scene._edges_at[item.src]
        assert (dst, port) in w.scene._edges_at[dst]


def test_scene_follows_the_model_through_edits_undo_and_redo(make_window) -> None:  # noqa: ANN001
    import random

    from graphbuilder.core.commands import ConnectCommand, RenameNodeCommand

    w = make_window("resnet18")
    rng = random.Random(5)
    for step in range(40):
        nodes = w.graph.nodes()
        kind = rng.choice(["delete", "connect", "rename", "duplicate", "undo", "redo"])
        if kind == "delete":
            w.scene.select_nodes(rng.sample(nodes, 2))
            w.delete_selection()
        elif kind == "connect":
            a, b = rng.sample(nodes, 2)
            if w.graph.op(b) not in ("Input", "Parameter"):
                port = "in0" if w.graph.op(b) in ("Add", "Concat") else "in"
                w.editor.execute(ConnectCommand(a, b, port))  # may be refused: loop, port
        elif kind == "rename":
            w.editor.execute(RenameNodeCommand(rng.choice(nodes), f"renamed_{step}"))
        elif kind == "duplicate":
            w.scene.select_nodes(rng.sample(nodes, 3))
            w.duplicate()
        elif kind == "undo":
            w.undo_stack.undo()
        else:
            w.undo_stack.redo()
        _scene_matches_graph(w)
    while w.undo_stack.canUndo():
        w.undo_stack.undo()
    _scene_matches_graph(w)
    _settle(w)
    assert w.analysis.report.ok and not w.isWindowModified()


def test_input_shape_edit_reshapes_the_whole_network(window) -> None:  # noqa: ANN001
    w = window
    w.scene.select_nodes(["x"])
    field = w.inspector.fields["shape"]
    field.setText("3 x 64 x 64")
    field.editingFinished.emit()
    assert w.graph.params("x")["shape"] == [3, 64, 64]
    _settle(w)
    assert w.scene.nodes["stage1.conv"].shape_text == "16×64×64"
    assert w.scene.nodes["head.flatten"].shape_text == "8192"
    assert w.params_label.text().strip().startswith("530")  # the Linear grew: 530k params


def test_dropping_a_layer_on_a_wire_splices_it_in(window) -> None:  # noqa: ANN001
    w = window
    _settle(w)
    w.view.reset_zoom()
    edge = w.scene.edges[("stage1.relu", "in")]
    mid = edge.path().pointAtPercent(0.5)
    w.view.centerOn(mid)
    QApplication.processEvents()
    mime = w.palette.tree.mimeData([w.palette.find_item("BatchNorm2d")])
    target = _view_point(w, mid)
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for ev in (QDragEnterEvent(QPointF(target), actions, mime, buttons, mods),
               QDragMoveEvent(QPointF(target), actions, mime, buttons, mods),
               QDropEvent(QPointF(target), actions, mime, buttons, mods)):
        QApplication.sendEvent(w.view.viewport(), ev)
    new = w.graph.inputs_of("stage1.relu")["in"]
    assert w.graph.op(new) == "BatchNorm2d"
    assert w.graph.inputs_of(new) == {"in": "stage1.conv"}
    _settle(w)
    assert w.analysis.report.ok
    w.undo_stack.undo()
    assert w.graph.inputs_of("stage1.relu") == {"in": "stage1.conv"} and new not in w.graph
