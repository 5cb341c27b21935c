"""The settings live in graph.training, change through undoable commands, and invalid
settings are refused before anything starts."""

from __future__ import annotations

from typing import Any

from graphbuilder.ui.training.fields import SciEdit


def test_settings_edit_is_undoable_and_follows_the_document(host: Any) -> None:
    panel = host.training_panel
    form, graph, stack = panel.form, host.graph, host.undo_stack
    lr = form.widgets["optimizer.lr"]
    assert isinstance(lr, SciEdit) and lr.text() == "1e-2"
    lr.setText("3e-3")
    lr.editingFinished.emit()
    assert graph.training["optimizer"]["lr"] == 3e-3
    assert stack.count() == 1 and stack.undoText() == "Set optimizer.lr"
    epochs = form.widgets["epochs"]
    for v in (4, 5, 6):  # spin-box bursts merge into one undo step
        epochs.setValue(v)
    assert graph.training["epochs"] == 6 and stack.count() == 2
    stack.undo()
    assert graph.training["epochs"] == 3 and epochs.value() == 3
    stack.undo()
    assert graph.training["optimizer"]["lr"] == 0.01 and lr.text() == "1e-2"
    stack.redo()
    assert lr.text() == "3e-3"

    # the schedule's own parameters appear with it, and the preview follows
    sched = form.widgets["schedule.name"]
    sched.setCurrentText("onecycle")
    sched.activated.emit(sched.currentIndex())
    assert graph.training["schedule"]["name"] == "onecycle"
    assert not form.widgets["schedule.pct_start"].isHidden()
    form.update_preview()
    x, y = form.preview_curve.getData()
    assert len(y) == 3 * 8 and max(y) > 5 * y[0]  # warms up from max_lr / 25

    # a built-in dataset brings its loss and metrics along, in one undo step
    n = stack.count()
    form.dataset.setCurrentText("regression1d")
    form.dataset.activated.emit(form.dataset.currentIndex())
    assert graph.training["loss"] == "mse" and graph.training["metrics"] == ["mae"]
    assert stack.count() == n + 1
    stack.undo()
    assert graph.training["loss"] == "cross_entropy" and form.dataset.currentText() == "spirals"

    # opening another design shows its settings
    other = graph.copy()
    other.training = {"data": {"dataset": "moons"}, "epochs": 7}
    graph.replace_with(other)
    assert form.dataset.currentText() == "moons" and form.widgets["epochs"].value() == 7


def test_invalid_settings_are_refused_before_anything_starts(host: Any, tmp_path: Any) -> None:
    panel = host.training_panel
    form, graph = panel.form, host.graph
    before = dict(graph.training)
    nesterov = form.widgets["optimizer.nesterov"]
    doc = form.value()
    doc["optimizer"]["nesterov"] = True  # adam + nesterov is invalid
    assert not panel.commit_settings(doc)
    assert form.error.isVisibleTo(form) and "optimizer.nesterov" in form.error.text()
    assert graph.training == before and host.undo_stack.count() == 0
    assert nesterov.property("bad")

    missing = tmp_path / "no_such_folder"
    assert not panel.start(config={**form.value(),
                                   "data": {"dataset": f"imagefolder:{missing}"}})
    assert panel.worker is None and host.locks == []
    assert panel.banner.isVisible() and "does not exist" in panel.banner.label.text()
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    assert not panel.start(config={"epochs": 0})
    assert "epochs" in panel.banner.label.text()
