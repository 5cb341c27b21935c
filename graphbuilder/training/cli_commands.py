"""``graphbuilder train`` and ``graphbuilder lr-find`` (registered by graphbuilder/cli.py).

    graphbuilder train FILE_OR_TEMPLATE --data NAME_OR_PATH [--epochs N --lr X ...]
    graphbuilder lr-find FILE_OR_TEMPLATE --data NAME_OR_PATH [--json] [--sweep a,b,c]

The config is layered: defaults < the graph file's "training" section < ``--config
run.json`` < individual flags. Bad input ends with one ``error: ...`` line on stderr and
exit code 2, never a traceback. ``train`` also runs under ``torchrun`` (DDP, rank 0 prints
and writes the run directory). Also runnable as ``python -m graphbuilder.training``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphbuilder.training.config import LOSSES, METRICS, OPTIMIZERS, SCHEDULES

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


class CLIError(Exception):
    """A one-line user-facing error."""


def add_commands(subparsers: Any, load_source: Callable[[str], Any] | None = None) -> None:
    """Add ``train`` and ``lr-find`` to an argparse subparsers object.

    ``load_source`` turns the FILE_OR_TEMPLATE argument into a graph. The top-level CLI
    passes its own (which knows the template zoo); training itself may not import the
    zoo, so without one only graph files are accepted.
    """
    t = subparsers.add_parser("train", help="train a graph file or template",
                              description="Train a graph (file or template name).")
    _common(t)
    t.add_argument("--epochs", type=int)
    t.add_argument("--max-steps", type=int)
    t.add_argument("--schedule", help=", ".join(SCHEDULES))
    t.add_argument("--warmup-steps", type=int)
    t.add_argument("--out", metavar="DIR", help="run directory (default runs/NAME-TIME)")
    t.add_argument("--resume", metavar="CHECKPOINT", help="continue from a last.pt/best.pt")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    t.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    t.set_defaults(func=cmd_train, load_source=load_source)

    f = subparsers.add_parser("lr-find", help="LR range test (or --sweep) for a graph",
                              description="Find a learning rate: LR range test or grid sweep.")
    _common(f)
    f.add_argument("--start", type=float, default=1e-7, help="first LR (default 1e-7)")
    f.add_argument("--end", type=float, default=10.0, help="last LR (default 10)")
    f.add_argument("--steps", type=int, default=100, help="mini-batches (default 100)")
    f.add_argument("--mode", choices=("exp", "linear"), default="exp")
    f.add_argument("--sweep", metavar="LR,LR,...", help="grid sweep over these LRs instead")
    f.add_argument("--sweep-steps", type=int, default=50, help="steps per candidate")
    f.add_argument("--json", action="store_true", help="print the result as JSON")
    f.add_argument("--plot", metavar="PNG", help="save a loss-vs-LR plot (needs matplotlib)")
    f.set_defaults(func=cmd_lr_find, load_source=load_source)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="FILE_OR_TEMPLATE", help="graph .json file or template")
    p.add_argument("--data", metavar="NAME_OR_PATH",
                   help="built-in dataset (spirals, shapes, ...), a folder, a .csv, or "
                        "kind:PATH (imagefolder:, csv:, cifar10:, mnist:, ...)")
    p.add_argument("--config", metavar="RUN_JSON", help="run config JSON file")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--optimizer", help=", ".join(OPTIMIZERS))
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--loss", help=", ".join(LOSSES))
    p.add_argument("--metrics", help="comma separated: " + ",".join(METRICS))
    p.add_argument("--target-column", help="CSV: the target column")
    p.add_argument("--seed", type=int)
    p.add_argument("--precision", choices=("fp32", "bf16", "fp16"))
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))


# -- shared ------------------------------------------------------------------------------------
def load_model_graph(spec: str, load_source: Callable[[str], Any] | None = None) -> Any:
    """The graph named on the command line: through ``load_source``, else a graph file."""
    from graphbuilder.core.errors import GraphFormatError
    from graphbuilder.core.fileformat import load_graph

    if load_source is not None:
        try:
            return load_source(spec)
        except (CLIError, GraphFormatError):
            raise
        except (ValueError, KeyError, OSError) as exc:
            raise CLIError(str(exc.args[0] if exc.args else exc)) from None
        except Exception as exc:  # the CLI's own error type: report its message
            raise CLIError(str(exc)) from None
    path = Path(spec)
    if not path.is_file():
        raise CLIError(f"graph file not found: {path}")
    return load_graph(path)


def data_source(value: str) -> str:
    """``shapes`` stays; an existing folder -> imagefolder:, a .csv file -> csv:."""
    if ":" in value and not Path(value).exists():
        return value
    p = Path(value)
    if p.is_dir():
        return f"imagefolder:{p}"
    if p.suffix.lower() == ".csv":
        return f"csv:{p}"
    return value


def build_config(args: argparse.Namespace, graph: Any) -> dict[str, Any]:
    """Layer defaults < graph.training < --config < flags into one config dict."""
    doc: dict[str, Any] = json.loads(json.dumps(graph.training or {}))
    if args.config:
        p = Path(args.config)
        if not p.is_file():
            raise CLIError(f"--config: file not found: {p}")
        try:
            extra = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CLIError(f"--config: {p} is not valid JSON ({exc})") from None
        if not isinstance(extra, dict):
            raise CLIError(f"--config: {p} must hold a JSON object")
        doc = _merge(doc, extra)

    def put(path: str, value: Any) -> None:
        if value is None:
            return
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[last] = value

    put("data.dataset", data_source(args.data) if args.data else None)
    put("data.batch_size", args.batch_size)
    put("data.target_column", args.target_column)
    put("optimizer.name", args.optimizer)
    put("optimizer.lr", args.lr)
    put("optimizer.weight_decay", args.weight_decay)
    put("loss", args.loss)
    put("metrics", args.metrics.split(",") if args.metrics else None)
    put("seed", args.seed)
    put("precision", args.precision)
    put("device", args.device)
    for name in ("epochs", "max_steps"):
        put(name, getattr(args, name, None))
    put("schedule.name", getattr(args, "schedule", None))
    put("schedule.warmup_steps", getattr(args, "warmup_steps", None))
    return doc


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def prepare(args: argparse.Namespace) -> tuple[Any, Any, Any, tuple[int, ...] | None]:
    """Graph, validated RunConfig, loaded DataBundle, model input shape."""
    from graphbuilder.training.config import RunConfig
    from graphbuilder.training.datasets import apply_suggestions, load_data

    graph = load_model_graph(args.model, getattr(args, "load_source", None))
    doc = build_config(args, graph)
    cfg = RunConfig.from_dict(doc)
    inputs = graph.input_nodes()
    shape = tuple(graph.params(inputs[0]).get("shape") or ()) if len(inputs) == 1 else None
    bundle = load_data(cfg.data, seed=cfg.seed, input_shape=shape)
    if any(k not in doc for k in bundle.suggested):  # dataset defaults (mse for regression)
        cfg = RunConfig.from_dict(apply_suggestions(doc, bundle))
    return graph, cfg, bundle, shape


def _guard(fn: Any, args: argparse.Namespace) -> int:
    """Run a command; known bad input -> one line on stderr and exit 2."""
    from graphbuilder.core.errors import GraphFormatError, GraphInvalidError
    from graphbuilder.training.checkpoint import CheckpointError
    from graphbuilder.training.config import ConfigError
    from graphbuilder.training.data import DataError

    try:
        return fn(args)
    except (CLIError, ConfigError, DataError, GraphFormatError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except GraphInvalidError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# -- train -----------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    return _guard(_train, args)


def _train(args: argparse.Namespace) -> int:
    from graphbuilder.training import distributed
    from graphbuilder.training.graph_training import trainer_for_graph

    dist = distributed.init_from_env(args.device or "auto")
    main = dist is None or dist.rank == 0
    final = None
    try:
        graph, cfg, bundle, shape = prepare(args)
        out = Path(args.out) if args.out else Path("runs") / (
            f"{_slug(graph.name)}-{time.strftime('%Y%m%d-%H%M%S')}")
        trainer = trainer_for_graph(graph, cfg, data=bundle, run_dir=out,
                                    resume_from=args.resume, input_shape=shape,
                                    step_events=main and not args.no_progress)
        final = _drive(trainer, main and not args.no_progress, main)
    finally:
        distributed.cleanup(sync=type(final).__name__ == "RunEnded")
    if not main:
        return 0 if type(final).__name__ == "RunEnded" else EXIT_FAILED
    if type(final).__name__ == "RunFailed":
        if final.kind in ("config", "data"):  # bad input found once the run started
            print(f"error: {final.message}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"error: training failed ({final.kind}): {final.message}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"reason": final.reason, "best": final.best_metrics,
                          "last": final.last_metrics, "run_dir": final.run_dir}))
    else:
        print(f"finished ({final.reason}) after {final.epochs_done} epochs, "
              f"{final.steps_done} steps; run directory: {final.run_dir}")
        for title, m in (("last", final.last_metrics), ("best", final.best_metrics)):
            if m:
                print(f"  {title}: " + "  ".join(f"{k}={_fmt(v)}" for k, v in m.items()
                                                 if k != "time_s"))
    return 0


def _drive(trainer: Any, progress: bool, main: bool) -> Any:
    from tqdm import tqdm

    from graphbuilder.training.events import EpochEnd, RunEnded, RunFailed, RunStarted, StepEnd

    bar = None
    final = None
    for ev in trainer.run():
        if isinstance(ev, RunStarted) and main:
            print(f"training on {ev.device_name}: {ev.train_samples} train / {ev.val_samples} "
                  f"val samples, {ev.epochs} epochs x {ev.steps_per_epoch} steps, "
                  f"{ev.num_params:,} parameters", file=sys.stderr)
            for note in ev.notes:
                print(f"note: {note}", file=sys.stderr)
            spe = ev.steps_per_epoch
        elif isinstance(ev, StepEnd) and progress:
            if bar is None:
                bar = tqdm(total=spe, desc=f"epoch {ev.epoch + 1}", leave=False, file=sys.stderr)
            bar.update(1)
            if ev.step % 10 == 0:
                bar.set_postfix(loss=f"{ev.loss:.4f}", lr=f"{ev.lr:.2e}")
        elif isinstance(ev, EpochEnd):
            if bar is not None:
                bar.close()
                bar = None
            if main:
                shown = "  ".join(f"{k}={_fmt(v)}" for k, v in ev.metrics.items())
                print(f"epoch {ev.epoch + 1}: {shown}{'  *' if ev.is_best else ''}",
                      file=sys.stderr)
        elif isinstance(ev, (RunEnded, RunFailed)):
            if bar is not None:
                bar.close()
            final = ev
    return final


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "run"


# -- lr-find ------------------------------------------------------------------------------------
def cmd_lr_find(args: argparse.Namespace) -> int:
    from graphbuilder.training.cli_lr_find import run_lr_find

    return _guard(run_lr_find, args)
