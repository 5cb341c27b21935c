"""``graphbuilder lr-find``: the LR range test or grid sweep from the command line.

``--json`` prints ``{"lrs", "losses", "suggested_lr", "diverged_at", "suggestions"}``
(sweep: ``{"lrs", "losses", "best_lr", "suggested_lr", "curves", "diverged_at"}`` with
``losses`` the final score per candidate, ``curves`` its training loss per step and
``diverged_at`` the step its loss went NaN/inf, or null); non-finite losses become null.
``--plot`` uses matplotlib when it is installed and says so clearly when it is not: the
loss-vs-LR curve, or for a sweep the per-step curves beside the final loss per LR.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from typing import Any

from graphbuilder.training.cli_commands import CLIError, _fmt, prepare


def run_lr_find(args: argparse.Namespace) -> int:
    """``graphbuilder lr-find``: range test (default) or ``--sweep``; JSON with ``--json``."""
    from graphbuilder.compiler.fx_compile import compile_graph
    from graphbuilder.training.events import SweepStep
    from graphbuilder.training.lr_finder import LRFinderResult, SweepResult, lr_range_test, lr_sweep

    if args.plot and importlib.util.find_spec("matplotlib") is None:
        raise CLIError("--plot needs matplotlib, which is not installed "
                       "(pip install matplotlib), or use --json and plot elsewhere")
    graph, cfg, bundle, shape = prepare(args)
    model = compile_graph(graph, seed=cfg.seed)
    if args.sweep:
        try:
            lrs = [float(v) for v in args.sweep.split(",") if v.strip()]
        except ValueError:
            raise CLIError(f"--sweep: expected comma-separated numbers, got {args.sweep!r}") \
                from None
        if not lrs or any(lr <= 0 for lr in lrs):
            raise CLIError("--sweep: learning rates must be positive")
        events = lr_sweep(model, cfg, bundle, lrs=lrs, steps=args.sweep_steps)
    else:
        if not (0 < args.start < args.end):
            raise CLIError(f"--start/--end: need 0 < start < end (got {args.start}, {args.end})")
        if args.steps < 5:
            raise CLIError("--steps: need at least 5 steps")
        events = lr_range_test(model, cfg, bundle, start_lr=args.start, end_lr=args.end,
                               num_steps=args.steps, mode=args.mode)
    result: Any = None
    for ev in events:
        if isinstance(ev, (LRFinderResult, SweepResult)):
            result = ev
        elif isinstance(ev, SweepStep):
            if not math.isfinite(ev.loss) and not args.json:
                print(f"lr={ev.lr:.3e}  diverged at step {ev.step}", file=sys.stderr)
        elif not args.json:
            print(f"lr={ev.lr:.3e}  loss={ev.loss:.4f}", file=sys.stderr)
    if isinstance(result, SweepResult):
        doc = {"lrs": result.lrs, "losses": _finite(result.losses), "best_lr": result.best_lr,
               "suggested_lr": result.best_lr,
               "curves": [_finite(curve) for curve in result.curves],
               "diverged_at": result.diverged_at}
        if args.json:
            print(json.dumps(doc))
        else:
            print(f"best learning rate: {_fmt(result.best_lr)}")
        if args.plot:
            _plot_sweep(args.plot, result)
        return 0
    doc = {"lrs": result.lrs, "losses": _finite(result.losses),
           "suggested_lr": result.suggested_lr, "diverged_at": result.diverged_at,
           "suggestions": result.suggestions}
    if args.json:
        print(json.dumps(doc))
    else:
        print(f"suggested learning rate: {_fmt(result.suggested_lr)} (valley)")
        for k, v in result.suggestions.items():
            print(f"  {k}: {_fmt(v)}")
        print("  diverged at: " + (_fmt(result.diverged_at) if result.diverged_at else "never"))
    if args.plot:
        _plot(args.plot, result.lrs, result.losses, result.suggested_lr, "loss")
    return 0


def _finite(values: list[float]) -> list[float | None]:
    """JSON has no NaN/inf: non-finite losses become null."""
    return [v if math.isfinite(v) else None for v in values]


def _plot(path: str, lrs: list[float], losses: list[float], mark: float | None,
          ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(lrs, losses, marker="." if len(lrs) < 20 else None)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(ylabel)
    if mark:
        ax.axvline(mark, color="r", linestyle="--", label=f"suggested {mark:.2e}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"plot saved to {path}", file=sys.stderr)


def _plot_sweep(path: str, result: Any) -> None:
    """Left: each candidate's training loss per step; right: its final loss per LR."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (curves, final) = plt.subplots(1, 2, figsize=(10, 4))
    for lr, curve in zip(result.lrs, result.curves, strict=True):
        best = lr == result.best_lr
        ys = [v if math.isfinite(v) else math.nan for v in curve]  # a blow-up just ends
        curves.plot(range(1, len(curve) + 1), ys, linewidth=2.6 if best else 1.2,
                    label=f"lr {lr:.2g}" + (" (best)" if best else ""))
    starts = [c[0] for c in result.curves if c and math.isfinite(c[0])]
    cap = 3 * max(starts) if starts else math.inf  # a blow-up must not flatten the rest
    tops = [v for c in result.curves for v in c if math.isfinite(v)]
    if tops and max(tops) > cap > 0:
        curves.set_ylim(min(tops) - 0.05 * (cap - min(tops)), cap)
    curves.set_xlabel("step")
    curves.set_ylabel("training loss")
    curves.legend(fontsize="small")
    pts = [(lr, v) for lr, v in zip(result.lrs, result.losses, strict=True) if math.isfinite(v)]
    if pts:
        final.plot(*zip(*sorted(pts), strict=True), marker="o")
        lo = min(v for _, v in pts)
        if max(v for _, v in pts) > cap > 0:
            final.set_ylim(lo - 0.05 * (cap - lo), cap)
    final.set_xscale("log")
    final.set_xlabel("learning rate")
    final.set_ylabel("final loss")
    if result.best_lr:
        final.axvline(result.best_lr, color="r", linestyle="--",
                      label=f"best {result.best_lr:.2e}")
        final.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"plot saved to {path}", file=sys.stderr)
