"""The ``graphbuilder`` console script: inspect and export designs without the editor.

    graphbuilder info FILE_OR_TEMPLATE [--json]
    graphbuilder export FILE_OR_TEMPLATE --onnx OUT [--no-verify] | --code OUT
    graphbuilder templates

Bad input (a missing file, a broken graph, an export that does not verify) gives one
line on stderr and a non-zero exit status, never a traceback: the people who type
these commands are students, and CI scripts parse the status. Heavy imports (torch,
the zoo, training) happen inside the commands so ``--help`` and ``templates`` are
quick, and nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

#: Exceptions that mean "bad input" and become one line on stderr.
_USER_ERRORS = (ValueError, KeyError, OSError)


class CliError(Exception):
    """A problem to report as one line (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of usage + error
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


#: Our own commands; the training ones are only imported when another one is asked for.
_OWN_COMMANDS = ("info", "export", "templates")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(with_training=command not in _OWN_COMMANDS)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed as one line
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("graphbuilder: interrupted", file=sys.stderr)
        return 130
    except (CliError, *_USER_ERRORS) as exc:
        print(f"graphbuilder: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of ours: still one line unless asked for more
        if os.environ.get("GRAPHBUILDER_DEBUG"):
            raise
        print(f"graphbuilder: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set GRAPHBUILDER_DEBUG=1 for a traceback)", file=sys.stderr)
        return 3


def build_parser(with_training: bool = True) -> argparse.ArgumentParser:
    parser = _Parser(prog="graphbuilder",
                     description="Inspect and export GraphBuilder designs.")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    info = sub.add_parser("info", help="nodes, parameters, output shapes and errors",
                          description="Summarise a design; exit status 1 if it has errors.")
    info.add_argument("source", metavar="FILE_OR_TEMPLATE")
    info.add_argument("--json", action="store_true", help="print a JSON summary")
    info.set_defaults(func=cmd_info)

    export = sub.add_parser("export", help="write ONNX or standalone PyTorch code")
    export.add_argument("source", metavar="FILE_OR_TEMPLATE")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--onnx", metavar="OUT", help="write an ONNX model (verified)")
    target.add_argument("--code", metavar="OUT", help="write a standalone .py nn.Module")
    export.add_argument("--no-verify", action="store_true",
                        help="skip the onnxruntime comparison (not recommended)")
    export.add_argument("--opset", type=int, default=None, help="ONNX opset version")
    export.add_argument("--exporter", choices=("auto", "dynamo", "torchscript"),
                        default="auto", help="ONNX exporter (auto: dynamo, else TorchScript)")
    export.add_argument("--weights", metavar="PT",
                        help="state_dict (.pt) to export instead of fresh weights")
    export.set_defaults(func=cmd_export)

    templates = sub.add_parser("templates", help="list the shipped templates")
    templates.set_defaults(func=cmd_templates)

    if with_training:  # graphbuilder.training imports torch: skip it for our own commands
        _add_training_commands(sub)
    return parser


def _add_training_commands(sub: Any) -> None:
    """``train`` / ``lr-find`` live in graphbuilder.training; the CLI works without them."""
    try:
        from graphbuilder.training.cli_commands import add_commands
    except ModuleNotFoundError as exc:
        if exc.name in ("graphbuilder.training", "graphbuilder.training.cli_commands"):
            return
        print(f"graphbuilder: training commands unavailable ({exc})", file=sys.stderr)
        return
    except Exception as exc:  # their bug must not take info/export down
        print(f"graphbuilder: training commands unavailable ({exc})", file=sys.stderr)
        return
    add_commands(sub, load_source=load_source)


# ----------------------------------------------------------------------------- loading
def load_source(source: str) -> Any:
    """An existing path is read as a graph file; anything else is a template name."""
    from graphbuilder.core.fileformat import load_graph

    path = Path(source)
    if path.exists():
        if path.is_dir():
            raise CliError(f"{source} is a folder, not a graph file")
        return load_graph(path)
    if source.endswith(".json") or os.sep in source or "/" in source:
        raise CliError(f"no such file: {source}")
    try:
        from graphbuilder.zoo.catalog import load_template, template_names
    except ImportError:
        raise CliError(f"no such file: {source}") from None
    if source not in template_names():
        names = ", ".join(template_names()) or "none"
        raise CliError(f"'{source}' is neither a file nor a template (templates: {names})")
    return load_template(source)


# ---------------------------------------------------------------------------- commands
def cmd_info(args: argparse.Namespace) -> int:
    graph = load_source(args.source)  # before importing torch: bad paths fail fast
    from graphbuilder.compiler.shapes import infer_shapes

    report = infer_shapes(graph)
    outputs = {o: (list(report.nodes[o].feature_shape)
                   if o in report.nodes and report.nodes[o].shape is not None else None)
               for o in graph.output_nodes()}
    errors = [{"node": e.node, "message": e.message} for e in report.blocking]
    if args.json:
        print(json.dumps({"params": report.total_params,
                          "trainable_params": report.trainable_params,
                          "outputs": outputs, "errors": errors}))
        return 1 if errors else 0
    print(f"{graph.name}: {len(graph)} nodes, {report.total_params:,} parameters "
          f"({report.trainable_params:,} trainable), {_size(report.size_bytes)}")
    width = max((len(n) for n in graph.nodes()), default=4)
    for node_id in graph.nodes():
        info = report.nodes.get(node_id)
        shape = info.shape_text() if info else "?"
        params = f"{info.params:,}" if info and info.params else ""
        print(f"  {node_id:<{width}}  {graph.op(node_id):<22} {shape:<18} {params}")
    for name, shape in outputs.items():
        print(f"output {name}: {shape if shape is not None else '?'}")
    for e in report.errors:
        kind = "error" if e.is_error else "warning"
        print(f"{kind}: {e}")
    return 1 if errors else 0


def cmd_export(args: argparse.Namespace) -> int:
    graph = load_source(args.source)
    from graphbuilder.compiler.fx_compile import compile_graph

    if args.code:
        from graphbuilder.compiler.code_export import export_code

        if args.weights:
            raise CliError("--weights only applies to --onnx (the code loads any state_dict)")
        path = export_code(graph, args.code)
        print(f"wrote {path}")
        return 0
    from graphbuilder.compiler.onnx_export import export_onnx

    model = compile_graph(graph, seed=0)
    if args.weights:
        _load_weights(model, args.weights)
    report = export_onnx(model, args.onnx, verify=not args.no_verify, opset=args.opset,
                         exporter=args.exporter)
    check = (f"verified, max abs diff {report.max_abs_diff:.2e}" if report.verified
             else "NOT verified")
    print(f"wrote {report.path} ({report.exporter} exporter, {check})")
    for note in report.notes:
        print(f"note: {note}")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    try:
        from graphbuilder.zoo.catalog import list_templates
    except ImportError as exc:
        raise CliError(f"templates are not available ({exc})") from None
    infos = list_templates()
    if not infos:
        raise CliError("no templates found")
    width = max(len(i.name) for i in infos)
    for i in infos:
        print(f"{i.name:<{width}}  {i.category:<16} {i.params:>12,}  {i.title}")
    return 0


# ----------------------------------------------------------------------------- helpers
def _load_weights(model: Any, path: str) -> None:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CliError(f"{path}: cannot read weights ({_one_line(exc)})") from None
    for key in ("model", "state_dict", "model_state"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, AttributeError) as exc:
        raise CliError(f"{path}: weights do not fit this design ({_one_line(exc)})") from None


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return "; ".join(lines).replace(":; ", ": ") if lines else type(exc).__name__
