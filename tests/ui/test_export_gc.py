"""Export workers never run Python's garbage collector: the GUI thread does.

A collection in the export thread destroyed the editor's dead Qt wrappers there and
deadlocked against the GUI thread (the worker held Qt's signal-slot mutex inside a
QObject destructor and waited for the GIL; the GUI thread held the GIL and waited for
the mutex), so after a training run File > Export ONNX sometimes never finished.
"""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from graphbuilder.ui.exports import Worker
from graphbuilder.ui.gui_gc import _REAL_COLLECT, GUI_THREAD_GC, GuiThreadGC


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _gc_restored():  # noqa: ANN202
    enabled = gc.isenabled()
    yield
    assert GUI_THREAD_GC.holders == 0
    assert gc.collect is _REAL_COLLECT
    (gc.enable if enabled else gc.disable)()


def test_garbage_made_during_a_job_is_collected_on_the_gui_thread(qtbot) -> None:  # noqa: ANN001
    gc.enable()
    collected_on: list[int] = []

    def job() -> bool:
        cycle = _Cycle()  # only the cyclic collector can free it
        weakref.finalize(cycle, lambda: collected_on.append(threading.get_ident()))
        del cycle
        # enough live containers that automatic collection would run here, in the worker
        keep = [[] for _ in range(20 * gc.get_threshold()[0])]
        return gc.isenabled() and len(keep) > 0

    worker = Worker(job)
    with qtbot.waitSignal(worker.done, timeout=20_000) as blocker:
        worker.start()
    assert blocker.args == [False], "automatic collection is off while the job runs"
    qtbot.waitUntil(worker.isFinished, timeout=5_000)
    qtbot.waitUntil(gc.isenabled, timeout=5_000)  # back on once the worker is done
    if not collected_on:
        gc.collect()
    assert collected_on == [threading.get_ident()], "collected on the GUI thread"


def test_explicit_collections_in_a_job_happen_on_the_gui_thread(qtbot) -> None:  # noqa: ANN001
    """torch's dynamo ONNX exporter calls gc.collect() when it finishes."""
    collected_on: list[int] = []

    def job() -> int:
        cycle = _Cycle()
        weakref.finalize(cycle, lambda: collected_on.append(threading.get_ident()))
        del cycle
        return gc.collect()

    worker = Worker(job)
    with qtbot.waitSignal(worker.done, timeout=20_000) as blocker:
        worker.start()
    assert blocker.args == [0], "deferred, not run in the worker"
    # the GUI thread's timer may already have carried the request out: either way the
    # cycle is freed there and never in the worker
    qtbot.waitUntil(lambda: bool(collected_on), timeout=5_000)
    assert collected_on == [threading.get_ident()]


def test_a_worker_deleted_before_its_signals_arrive_still_releases(qtbot) -> None:  # noqa: ANN001
    worker = Worker(lambda: None)
    worker.start()
    worker.wait()
    del worker  # no parent: the QThread goes with its wrapper, queued slots with it
    qtbot.waitUntil(lambda: not GUI_THREAD_GC.active, timeout=5_000)
    assert gc.isenabled()


def test_holds_nest_and_leave_a_host_policy_alone(qtbot) -> None:  # noqa: ANN001
    policy = GuiThreadGC()
    gc.enable()
    policy.hold()
    policy.hold()
    assert not gc.isenabled() and policy.active
    policy.release()
    assert not gc.isenabled()
    policy.release()
    assert gc.isenabled() and not policy.active
    policy.release()  # one too many: harmless
    assert gc.isenabled()

    gc.disable()  # a host that collects by itself keeps doing so
    policy.hold()
    policy.release()
    assert not gc.isenabled()


def test_the_timer_collects_like_the_automatic_collector(qtbot) -> None:  # noqa: ANN001
    policy = GuiThreadGC()
    gc.enable()
    policy.hold()
    try:
        found: list[bool] = []
        cycle = _Cycle()
        weakref.finalize(cycle, lambda: found.append(True))
        del cycle
        keep = [[] for _ in range(2 * gc.get_threshold()[0])]
        assert not found and keep
        qtbot.waitUntil(lambda: bool(found), timeout=5_000)
    finally:
        policy.release()


def test_training_workers_hold_the_policy_too(qtbot) -> None:  # noqa: ANN001
    """A training thread allocates as much as an export: it must not collect either."""
    from graphbuilder.ui.training.worker import EventWorker

    seen: list[bool] = []

    def job():  # noqa: ANN202
        seen.append(gc.isenabled() or GUI_THREAD_GC.holders == 0)
        yield 1

    gc.enable()
    worker = EventWorker(job)
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        worker.start()
    assert seen == [False], "automatic collection is off while the job runs"
    qtbot.waitUntil(lambda: not GUI_THREAD_GC.active, timeout=5_000)
    assert gc.isenabled()
