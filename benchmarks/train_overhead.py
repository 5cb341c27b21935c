"""Trainer overhead vs a minimal hand-written loop, measured side by side in one process.

    python benchmarks/train_overhead.py [--model cnn|mlp|tiny] [--steps 200] [--repeats 5]

Same GraphModule (compile_graph, same seed), same batches (the loader ``make_loaders``
builds, so data cost is identical), same optimizer. Runs are interleaved
(hand, trainer, trainer + listener, ...) so a noisy neighbour hits all of them alike; the
best of ``--repeats`` (process CPU time by default) is the ratio, medians are shown too.
Targets: <= 1.03 without listeners, <= 1.05 with a listener that reads every step's loss.
Also: LR range test (snapshot, ramp, restore) vs the same number of plain steps.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphbuilder.compiler.fx_compile import compile_graph  # noqa: E402
from graphbuilder.core.builder import NetBuilder  # noqa: E402
from graphbuilder.training import RunEnded, RunStarted, Trainer  # noqa: E402
from graphbuilder.training.config import RunConfig  # noqa: E402
from graphbuilder.training.data import make_loaders  # noqa: E402
from graphbuilder.training.datasets import load_data  # noqa: E402
from graphbuilder.training.lr_finder import lr_range_test  # noqa: E402
from graphbuilder.training.optim import make_optimizer  # noqa: E402

#: CPU time of this process: on a shared box, time spent descheduled by neighbours is not
#: ours (``--clock wall`` measures wall time instead)
CLOCK = time.process_time


def build(kind: str):
    b = NetBuilder(kind)
    if kind == "tiny":  # framework cost only: shows the absolute per-step overhead in us
        b.output("y", b.add("fc", "Linear", b.input("x", [2]), out_features=2))
        return b.build(layout=False), "spirals"
    if kind == "mlp":
        h = b.input("x", [2])
        for i in range(2):
            h = b.add(f"act{i}", "ReLU", b.add(f"fc{i}", "Linear", h, out_features=128))
        b.output("y", b.add("head", "Linear", h, out_features=2))
        return b.build(layout=False), "spirals"
    h = b.input("x", [3, 32, 32])
    for i, ch in enumerate((16, 32)):
        h = b.add(f"conv{i}", "Conv2d", h, out_channels=ch, kernel_size=3, padding=1)
        h = b.add(f"bn{i}", "BatchNorm2d", h)
        h = b.add(f"relu{i}", "ReLU", h)
        h = b.add(f"pool{i}", "MaxPool2d", h, kernel_size=2)
    b.output("y", b.add("fc", "Linear", b.add("gap", "GlobalAvgPool2d", h), out_features=3))
    return b.build(layout=False), "shapes"


def hand_loop(model, loader, cfg: RunConfig, epochs: int) -> float:
    """The ~15-line loop everyone writes; returns seconds for all steps."""
    opt = make_optimizer(model, cfg.optimizer)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    t0 = CLOCK()
    for _ in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
    return CLOCK() - t0


def trainer_loop(model, bundle, cfg: RunConfig, listener: bool) -> float:
    """Seconds from RunStarted to RunEnded (the loop only, not setup)."""
    losses: list[float] = []
    t0 = t1 = 0.0
    for ev in Trainer(model, cfg, data=bundle, step_events=listener).run():
        if isinstance(ev, RunStarted):
            t0 = CLOCK()
        elif listener and hasattr(ev, "loss_tensor"):
            losses.append(ev.loss)  # a listener that reads every step's loss
        elif isinstance(ev, RunEnded):
            t1 = CLOCK()
        elif not hasattr(ev, "loss_tensor") and type(ev).__name__ == "RunFailed":
            raise RuntimeError(ev.message)
    return t1 - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=("cnn", "mlp", "tiny"), default="cnn")
    ap.add_argument("--steps", type=int, default=200, help="optimizer steps per measurement")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)

    graph, dataset = build(args.model)
    bs = args.batch_size
    cfg = RunConfig.from_dict({"data": {"dataset": dataset, "batch_size": bs,
                                        "val_fraction": 0.0, "size": args.steps * bs},
                               "epochs": 1, "optimizer": {"name": "adam", "lr": 1e-3},
                               "checkpoint": {"keep_best": False, "keep_last": False}})
    bundle = load_data(cfg.data, seed=0)
    base = compile_graph(graph, seed=0)
    loader = make_loaders(bundle, cfg).train
    steps = len(loader)
    hand_loop(copy.deepcopy(base), loader, cfg, 1)  # warm-up (allocator, kernels)

    times: dict[str, list[float]] = {"hand": [], "trainer": [], "trainer+listener": []}
    for _ in range(args.repeats):
        times["hand"].append(hand_loop(copy.deepcopy(base), loader, cfg, 1))
        times["trainer"].append(trainer_loop(copy.deepcopy(base), bundle, cfg, False))
        times["trainer+listener"].append(trainer_loop(copy.deepcopy(base), bundle, cfg, True))
    # best of N (as timeit does): the least disturbed run estimates the intrinsic cost
    med = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}

    lr_steps = min(100, steps)
    lr_times, plain_times = [], []
    for _ in range(args.repeats):
        m = copy.deepcopy(base)
        t0 = CLOCK()
        for _ev in lr_range_test(m, cfg, bundle, num_steps=lr_steps, end_lr=1.0):
            pass
        lr_times.append(CLOCK() - t0)
        sub = [b for _, b in zip(range(lr_steps), loader, strict=False)]
        plain_times.append(hand_loop(copy.deepcopy(base), sub, cfg, 1))
    result = {
        "model": args.model, "steps": steps, "batch_size": bs, "threads": args.threads,
        "ms_per_step": {k: 1000 * v / steps for k, v in med.items()},
        "ratio_trainer": med["trainer"] / med["hand"],
        "ratio_trainer_listener": med["trainer+listener"] / med["hand"],
        "lr_finder_steps": lr_steps,
        "ratio_lr_finder_vs_plain": min(lr_times) / min(plain_times),
        "median_ratio_trainer": median["trainer"] / median["hand"],
        "median_ratio_trainer_listener": median["trainer+listener"] / median["hand"],
        "clock": args.clock,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.model}: {steps} steps of batch {bs}, {args.threads} thread(s), "
          f"best of {args.repeats} ({args.clock} time)")
    for k, v in result["ms_per_step"].items():
        print(f"  {k:18s} {v:8.3f} ms/step")
    extra = {k: 1000 * (result["ms_per_step"][k] - result["ms_per_step"]["hand"])
             for k in ("trainer", "trainer+listener")}
    print(f"  overhead per step: {extra['trainer']:+.1f} us, with listener "
          f"{extra['trainer+listener']:+.1f} us")
    print(f"  trainer / hand            {result['ratio_trainer']:.3f}  (target <= 1.03)")
    print(f"  trainer+listener / hand   {result['ratio_trainer_listener']:.3f}  (target <= 1.05)")
    print(f"  (medians: {result['median_ratio_trainer']:.3f} / "
          f"{result['median_ratio_trainer_listener']:.3f})")
    print(f"  LR finder / {lr_steps} plain steps {result['ratio_lr_finder_vs_plain']:.3f}")


if __name__ == "__main__":
    main()
