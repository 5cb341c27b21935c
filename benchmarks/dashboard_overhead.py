"""Dashboard overhead: training throughput with the dashboard attached vs headless, and
how responsive the GUI event loop stays while a CPU run is active.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/dashboard_overhead.py [--quick]

Best-of-N is reported beside the median: on a shared machine interference only ever
slows a run down, so the fastest of several runs is the least disturbed estimate.

Throughput is the engine's own measure: samples trained per second of epoch time
(``EpochEnd.metrics["time_s"]``), so both modes are timed identically; by default the
first epoch is left out (it carries one-off costs: the dashboard's first paint of its
plots, the allocator warming up), ``--skip-epochs 0`` counts it. Headless = the
same Trainer iterated by a plain loop that drops the events. Dashboard = the real
TrainingPanel (worker thread, batched signals, 10 Hz plot redraw, progress bar) in a
window. Modes alternate and the median is reported, because the machine is shared.

Latency: a 10 ms repeating QTimer records how late each tick fires while the run is
active (max and p95); the same is measured with the app idle for reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

from graphbuilder.core.builder import NetBuilder  # noqa: E402
from graphbuilder.core.graph import ModelGraph  # noqa: E402
from graphbuilder.training import trainer_for_graph  # noqa: E402
from graphbuilder.training.events import EpochEnd, RunStarted  # noqa: E402


def mlp(hidden: int) -> ModelGraph:
    b = NetBuilder("bench_mlp")
    h = b.input("x", [2])
    for i in range(3):
        h = b.add(f"act{i}", "ReLU", b.add(f"fc{i}", "Linear", h, out_features=hidden))
    b.output("y", b.add("head", "Linear", h, out_features=2))
    return b.build()


def cnn() -> ModelGraph:
    from graphbuilder.zoo.catalog import load_template

    return load_template("simple_cnn")


CASES = {
    # step-bound: ~1 ms steps, the worst case for per-step overhead
    "mlp": (lambda: mlp(256), {"data": {"dataset": "spirals", "size": 6000, "batch_size": 32,
                                        "val_fraction": 0.1}, "epochs": 10}),
    # compute-bound: the default design on the built-in image set
    "cnn": (cnn, {"data": {"dataset": "shapes", "size": 1600, "batch_size": 32,
                           "val_fraction": 0.2}, "epochs": 3}),
}


#: the window is shown this long before Start (the LR-schedule preview the settings form
#: computes 60 ms after loading the config ran inside the measured run, on the GUI thread)
SETTLE_MS = 500
SKIP_EPOCHS = 1  # --skip-epochs: leave out one-off costs (first paint, allocator warm-up)


def throughput(epochs: list[dict[str, float]], samples_per_epoch: int) -> float:
    kept = epochs[SKIP_EPOCHS:] or epochs
    return samples_per_epoch * len(kept) / sum(e["time_s"] for e in kept)


def headless(graph: ModelGraph, config: dict) -> float:
    trainer = trainer_for_graph(graph, config)
    epochs, n = [], 0
    for ev in trainer.run():
        if isinstance(ev, RunStarted):
            n = ev.train_samples
        elif isinstance(ev, EpochEnd):
            epochs.append(ev.metrics)
    return throughput(epochs, n)


class Host(QMainWindow):
    def __init__(self, graph: ModelGraph) -> None:
        super().__init__()
        self.graph = graph
        self.undo_stack = QUndoStack(self)
        self.menus = {"Run": self.menuBar().addMenu("Run")}

    def set_editing_locked(self, locked: bool, reason: str = "") -> None:
        pass


class LatencyProbe:
    """A 10 ms QTimer; ``late`` collects how many ms after its due time each tick ran."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.interval = interval_ms
        self.late: list[float] = []
        self.at: list[float] = []  # seconds since start() of each tick
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.late.clear()
        self.at.clear()
        self.clock.start()
        self.last = self.clock.nsecsElapsed()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.late.append(max(0.0, (now - self.last) / 1e6 - self.interval))
        self.at.append(now / 1e9)
        self.last = now

    def stats(self, skip_s: float = 0.0) -> tuple[float, float]:
        """(max, p95) lateness in ms, ignoring ticks in the first ``skip_s`` seconds."""
        xs = sorted(x for x, t in zip(self.late, self.at, strict=True) if t >= skip_s)
        xs = xs or [0.0]
        return max(xs), xs[min(len(xs) - 1, int(0.95 * len(xs)))]


def dashboard(app: QApplication, graph: ModelGraph, config: dict, runs_root: Path,
              probe: LatencyProbe) -> tuple[float, tuple, tuple, float]:
    """(samples/s, (max, p95) lateness, the same after 1 s, GUI-thread CPU share)."""
    from graphbuilder.ui.training import install_training_ui

    graph = graph.copy()
    graph.training = config
    win = Host(graph)
    panel = install_training_ui(win, runs_root=runs_root)
    win.resize(1400, 900)
    win.show()
    settle = QEventLoop()  # as it has long before anyone presses Start: first paint and
    QTimer.singleShot(SETTLE_MS, settle.quit)  # the settings form's debounced preview
    settle.exec()
    loop = QEventLoop()
    panel.run_finished.connect(lambda _: loop.quit())
    probe.start()
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    panel.start()
    loop.exec()  # a real event loop: it waits in the OS, not holding the GIL
    gui_share = (time.thread_time() - cpu0) / (time.perf_counter() - wall0)
    probe.stop()
    epochs = panel.plots.history.epochs
    n = int(config["data"]["size"] * (1 - config["data"]["val_fraction"]))
    result = throughput(epochs, n), probe.stats(), probe.stats(skip_s=1.0), gui_share
    panel.shutdown()
    win.close()
    win.deleteLater()
    app.processEvents()
    return result


def bare_loop(app: QApplication, graph: ModelGraph, config: dict, probe: LatencyProbe
              ) -> tuple[float, tuple[float, float]]:
    """Reference: the headless trainer in a plain thread beside an empty event loop
    (what any threaded GUI pays, before the dashboard does anything)."""
    import threading

    result: list[float] = []
    loop = QEventLoop()
    t = threading.Thread(target=lambda: result.append(headless(graph, config)))
    poll = QTimer()
    poll.timeout.connect(lambda: None if t.is_alive() else loop.quit())
    probe.start()
    t.start()
    poll.start(50)
    loop.exec()
    poll.stop()
    probe.stop()
    t.join()
    return result[0], probe.stats()


def idle_latency(app: QApplication, probe: LatencyProbe, seconds: float = 1.0) -> tuple:
    loop = QEventLoop()
    probe.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    probe.stop()
    return probe.stats()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", default="mlp,cnn")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip-epochs", type=int, default=1,
                    help="epochs left out of the throughput (steady state); 0 = all")
    args = ap.parse_args()
    global SKIP_EPOCHS
    SKIP_EPOCHS = args.skip_epochs
    torch.set_num_threads(args.threads)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    probe = LatencyProbe()
    runs_root = Path(tempfile.mkdtemp(prefix="gb-bench-runs-"))
    imax, ip95 = idle_latency(app, probe)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}, "
          f"load average {load:.1f}; throughput over epochs {SKIP_EPOCHS + 1}..N; "
          f"idle event-loop lateness: max {imax:.1f} ms, p95 {ip95:.1f} ms")
    for name in args.cases.split(","):
        make, config = CASES[name]
        graph = make()
        headless(graph, {**config, "epochs": 1})  # warm-up: compile, data, allocator
        h, d, b, lat, steady, bare, shares, pairs = [], [], [], [], [], [], [], []
        for _ in range(args.repeats):
            h.append(headless(graph, config))
            tput, stats, stats_steady, share = dashboard(app, graph, config, runs_root, probe)
            shares.append(share)
            pairs.append(tput / h[-1])
            d.append(tput)
            lat.append(stats)
            steady.append(stats_steady)
            bare_tput, bare_stats = bare_loop(app, graph, config, probe)
            b.append(bare_tput)
            bare.append(bare_stats)
        hm, dm = statistics.median(h), statistics.median(d)
        hb, db = max(h), max(d)
        lmax = max(x[0] for x in lat)
        lp95 = statistics.median(x[1] for x in lat)
        print(f"[{name}] headless {hm:,.0f} samples/s  dashboard {dm:,.0f} samples/s  "
              f"ratio of medians {dm / hm:.3f}, ratio of bests {db / hb:.3f}  (runs: headless "
              f"{[round(x) for x in h]}, dashboard {[round(x) for x in d]})")
        print(f"[{name}] median of back-to-back pair ratios {statistics.median(pairs):.3f} "
              f"{[round(x, 2) for x in pairs]}; GUI thread CPU during the run: "
              f"{100 * statistics.median(shares):.1f}% of one core")
        print(f"[{name}] GUI event-loop lateness during the run (10 ms timer): "
              f"max {lmax:.1f} ms, p95 {lp95:.1f} ms; after the first second: max "
              f"{max(x[0] for x in steady):.1f} ms, p95 "
              f"{statistics.median(x[1] for x in steady):.1f} ms")
        print(f"[{name}] reference, headless trainer in a plain thread beside an empty event "
              f"loop: {statistics.median(b):,.0f} samples/s (ratio "
              f"{statistics.median(b) / hm:.3f}), lateness "
              f"max {max(x[0] for x in bare):.1f} ms, "
              f"p95 {statistics.median(x[1] for x in bare):.1f} ms")


if __name__ == "__main__":
    main()
