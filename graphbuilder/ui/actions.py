"""Menus, toolbar and shortcuts of the main window, in one table-like place.

Canvas edit actions (copy, paste, delete, select all...) use a widget-with-children
shortcut context on the canvas, so the same keys keep working as text editing keys
in the inspector's fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QToolBar
from shiboken6 import isValid

if TYPE_CHECKING:
    from graphbuilder.ui.main_window import MainWindow

Std = QKeySequence.StandardKey


def _action(w: MainWindow, text: str, slot: Callable[[], object],
            shortcut: QKeySequence.StandardKey | str | list | None = None,
            tip: str = "", canvas: bool = False, checkable: bool = False) -> QAction:
    act = QAction(text, w)
    if isinstance(shortcut, list):
        act.setShortcuts([QKeySequence(s) for s in shortcut])
    elif shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(f"{text.replace('&', '').rstrip('…')}"
                       f"{' (' + act.shortcut().toString() + ')' if shortcut else ''}\n{tip}")
    act.setCheckable(checkable)
    if checkable:
        act.toggled.connect(slot)
    else:
        act.triggered.connect(lambda _=False: slot())
    if canvas:
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        w.view.addAction(act)
    return act


def build_actions(w: MainWindow) -> dict[str, QAction]:
    a: dict[str, QAction] = {}
    a["new"] = _action(w, "&New", w.new_document, Std.New, "Start an empty design")
    a["new_template"] = _action(w, "New from &Template…", w.new_from_template, "Ctrl+Shift+N",
                                "Start from a template: ResNet, U-Net, ViT…")
    a["open"] = _action(w, "&Open…", w.open_dialog, Std.Open, "Open a design file")
    a["save"] = _action(w, "&Save", w.save, Std.Save, "Save the design")
    a["save_as"] = _action(w, "Save &As…", w.save_as, Std.SaveAs, "Save under a new name")
    a["export_onnx"] = _action(w, "Export to &ONNX…", w.export_onnx,
                               tip="Export and verify against onnxruntime")
    a["export_code"] = _action(w, "Export to &PyTorch Code…", w.export_code,
                               tip="Write a standalone nn.Module .py file")
    a["export_image"] = _action(w, "Save Canvas as &Image…", w.export_image,
                                tip="PNG or SVG picture of the whole design")
    a["quit"] = _action(w, "&Quit", w.close, Std.Quit)

    # own actions (not createUndoAction): a fixed label keeps the toolbar still; what
    # would be undone goes in the tooltip and status tip
    stack = w.undo_stack
    a["undo"] = _action(w, "&Undo", stack.undo, Std.Undo)
    a["redo"] = _action(w, "&Redo", stack.redo, [QKeySequence(Std.Redo), "Ctrl+Y"])
    for key, can, text, signal in (("undo", stack.canUndo, stack.undoText,
                                    stack.undoTextChanged),
                                   ("redo", stack.canRedo, stack.redoText,
                                    stack.redoTextChanged)):
        act = a[key]

        def sync(_: object = None, act: QAction = act, can=can, text=text) -> None:
            if not (isValid(stack) and isValid(act)):
                return  # the window is being torn down
            act.setEnabled(can() and not w.locked)
            tip = f"{act.text().replace('&', '')} {text()}".strip()
            act.setToolTip(tip)
            act.setStatusTip(tip)
        signal.connect(sync)
        (stack.canUndoChanged if key == "undo" else stack.canRedoChanged).connect(sync)
        sync()
    a["cut"] = _action(w, "Cu&t", w.cut, Std.Cut, canvas=True)
    a["copy"] = _action(w, "&Copy", w.copy, Std.Copy, canvas=True)
    a["paste"] = _action(w, "&Paste", w.paste, Std.Paste, canvas=True)
    a["duplicate"] = _action(w, "D&uplicate", w.duplicate, "Ctrl+D", canvas=True)
    a["delete"] = _action(w, "&Delete", w.delete_selection, [QKeySequence(Std.Delete),
                                                             "Backspace"], canvas=True)
    a["select_all"] = _action(w, "Select &All", w.select_all, Std.SelectAll, canvas=True)
    a["find"] = _action(w, "&Find Node…", w.focus_find, Std.Find,
                        "Find a node by name or op")
    a["group"] = _action(w, "&Group Selection", w.group_selection, "Ctrl+G",
                         "Make the selected nodes a group you can collapse to one box")
    a["ungroup"] = _action(w, "U&ngroup", w.ungroup_selection, "Ctrl+Shift+G")
    a["collapse_all"] = _action(w, "Collapse All Groups", lambda: w.set_all_groups(True))
    a["expand_all"] = _action(w, "Expand All Groups", lambda: w.set_all_groups(False))

    a["zoom_in"] = _action(w, "Zoom &In", lambda: w.view.zoom_by(1.25),
                           [QKeySequence(Std.ZoomIn), "Ctrl+="])
    a["zoom_out"] = _action(w, "Zoom &Out", lambda: w.view.zoom_by(0.8), Std.ZoomOut)
    a["zoom_fit"] = _action(w, "Zoom to &Fit", w.view.zoom_to_fit, "Ctrl+0",
                            "Show the whole design")
    a["zoom_100"] = _action(w, "Actual Size", w.view.reset_zoom, "Ctrl+1")
    a["dark"] = _action(w, "&Dark Theme", w.set_dark, "Ctrl+Shift+T", checkable=True)
    a["snap"] = _action(w, "&Snap to Grid", w.set_snap, checkable=True)
    a["minimap"] = _action(w, "&Minimap", w.set_minimap, "Ctrl+M", checkable=True)

    a["layout_tb"] = _action(w, "Auto-Layout &Top to Bottom", lambda: w.auto_layout("TB"),
                             "Ctrl+L", "Arrange the layers in rows")
    a["layout_lr"] = _action(w, "Auto-Layout &Left to Right", lambda: w.auto_layout("LR"),
                             "Ctrl+Shift+L", "Arrange the layers in columns")
    a["align_v"] = _action(w, "Align &Vertically", lambda: w.align("x"))
    a["align_h"] = _action(w, "Align &Horizontally", lambda: w.align("y"))
    a["distribute_h"] = _action(w, "Distribute Horizontally", lambda: w.align("distribute_x"))
    a["distribute_v"] = _action(w, "Distribute Vertically", lambda: w.align("distribute_y"))
    for key, short in (("new_template", "Templates"), ("layout_tb", "Layout ↓"),
                       ("layout_lr", "Layout →"), ("zoom_fit", "Fit"), ("zoom_in", "Zoom +"),
                       ("zoom_out", "Zoom −")):
        a[key].setIconText(short)
    a["shortcuts"] = _action(w, "&Keyboard and Mouse", lambda: show_shortcuts(w, a),
                             Std.HelpContents)
    a["about"] = _action(w, "&About GraphBuilder", w.about)
    return a


def build_menus(w: MainWindow, a: dict[str, QAction]) -> dict[str, QMenu]:
    bar = w.menuBar()
    menus: dict[str, QMenu] = {}

    def menu(title: str, items: list[str | None]) -> QMenu:
        m = bar.addMenu(title)
        menus[title.replace("&", "")] = m
        for key in items:
            if key is None:
                m.addSeparator()
            elif key == "recent":
                w.recent_menu = m.addMenu("Open &Recent")
            else:
                m.addAction(a[key])
        return m

    menu("&File", ["new", "new_template", "open", "recent", None, "save", "save_as", None,
                   "export_onnx", "export_code", "export_image", None, "quit"])
    menu("&Edit", ["undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete", None,
                   "select_all", "find", None, "group", "ungroup", "collapse_all",
                   "expand_all"])
    view = menu("&View", ["zoom_in", "zoom_out", "zoom_fit", "zoom_100", None, "dark", "snap",
                          "minimap", None])
    w.panels_menu = view.addMenu("&Panels")
    menu("&Arrange", ["layout_tb", "layout_lr", None, "align_v", "align_h", "distribute_h",
                      "distribute_v"])
    menu("&Run", [])
    menu("&Help", ["shortcuts", None, "about"])
    return menus


_MOUSE = [
    ("Drag from the palette", "add a layer where you drop it; on a wire, splice it in"),
    ("Double-click in the palette", "add after the selected layer, connected"),
    ("Drag from a port", "connect: valid targets light up green"),
    ("Drag on empty canvas", "rubber-band selection"),
    ("Middle-drag / wheel", "pan / zoom (Shift+wheel scrolls)"),
    ("Arrow keys", "nudge the selection (pan when nothing is selected)"),
    ("Double-click a folded block", "expand it to edit inside; ▾ folds it again"),
    ("Right-click a red layer", "one-click fixes"),
]


def show_shortcuts(w: MainWindow, a: dict[str, QAction]) -> None:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in _MOUSE)
    keys = "".join(
        f"<tr><td><b>{act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}</b>"
        f"</td><td>{act.text().replace('&', '')}</td></tr>"
        for act in a.values() if not act.shortcut().isEmpty())
    QMessageBox.information(w, "Keyboard and mouse",
                            f"<table cellspacing=4>{rows}</table><hr>"
                            f"<table cellspacing=4>{keys}</table>")


def context_menu(w: MainWindow, node_id: str | None) -> QMenu:
    """Right-click menu: fixes first (the likely reason to right-click a red node)."""
    menu = QMenu(w)
    if node_id is not None:
        for fix in w.analysis.fixes_for(node_id):
            menu.addAction(f"⚡ {fix.title}", lambda f=fix: w.apply_fix(f))
        if not menu.isEmpty():
            menu.addSeparator()
        group = w.graph.group_of(node_id)
        if group is not None:
            collapsed = group.collapsed
            menu.addAction(f"{'Expand' if collapsed else 'Collapse'} “{group.label or group.id}”",
                           lambda: w.scene.set_group_collapsed(group.id, not collapsed))
        menu.addAction(w.actions_["group"])
        menu.addAction(w.actions_["duplicate"])
        menu.addAction(w.actions_["copy"])
        menu.addAction(w.actions_["cut"])
        menu.addAction(w.actions_["delete"])
        menu.addSeparator()
        menu.addAction(w.actions_["align_v"])
        menu.addAction(w.actions_["align_h"])
    else:
        menu.addAction(w.actions_["paste"])
        menu.addAction(w.actions_["select_all"])
        menu.addSeparator()
        menu.addAction(w.actions_["layout_tb"])
        menu.addAction(w.actions_["layout_lr"])
        menu.addAction(w.actions_["zoom_fit"])
    return menu


def build_toolbar(w: MainWindow, a: dict[str, QAction]) -> QToolBar:
    bar = QToolBar("Main toolbar", w)
    bar.setObjectName("main_toolbar")
    bar.setIconSize(QSize(18, 18))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for key in ("new_template", "open", "save", None, "undo", "redo", None, "delete", None,
                "zoom_in", "zoom_out", "zoom_fit", None, "layout_tb", "layout_lr"):
        if key is None:
            bar.addSeparator()
        else:
            bar.addAction(a[key])
    return bar
