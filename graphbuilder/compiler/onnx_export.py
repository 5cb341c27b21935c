"""ONNX export that fails loudly: every export is checked against PyTorch by default.

Users compare the numbers an exported model gives with the ones they trained; an
exporter that quietly changes the maths (interpolation corners, RNN gate order...) is
worse than one that refuses. So :func:`export_onnx` writes to a temp file, runs
``onnx.checker`` and onnxruntime on a random batch of a *different* size than the
example (which also proves the batch axis is dynamic), compares with the PyTorch
eval output and only then moves the file into place.

Exporters: torch 2.14's default dynamo exporter (``torch.export`` + onnxscript) is
preferred: the TorchScript one is deprecated, and only dynamo exports adaptive
pooling to sizes that do not divide the input. Dynamo is slower (measured on a
loaded 2-core box: 1-6 s for small templates, 7-17 s for ResNet-18/34, 33 s for
DenseNet-121, against 0.1-8 s) and cannot lower 3-D
``scaled_dot_product_attention``, so ``exporter="auto"`` falls back to the
TorchScript exporter when dynamo fails *or its result does not verify*; the report
says which one produced the file. ``exporter="torchscript"`` is there for speed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import fx

from graphbuilder.compiler.fx_compile import compile_graph, example_inputs
from graphbuilder.core.graph import ModelGraph

EXPORTERS = ("auto", "dynamo", "torchscript")
#: Above this many bytes of weights ONNX needs an external data file (protobuf: 2 GiB).
_EXTERNAL_DATA_BYTES = 1_800_000_000


class ExportError(ValueError):
    """The model could not be exported, or the exported file computes something else."""


@dataclass
class OnnxReport:
    """What :func:`export_onnx` wrote and how well it matched PyTorch."""

    path: Path
    input_names: list[str]
    output_names: list[str]
    exporter: str  # "dynamo" or "torchscript": the one that produced the file
    opset: int | None
    verified: bool
    max_abs_diff: float | None = None  # over all outputs, on the verification batch
    tolerance: float | None = None  # the largest allowed diff (scaled to the outputs)
    notes: list[str] = field(default_factory=list)  # fallbacks and other remarks


def export_onnx(
    graph_or_module: ModelGraph | fx.GraphModule,
    path: str | os.PathLike[str],
    verify: bool = True,
    opset: int | None = None,
    batch: int = 2,
    *,
    exporter: str = "auto",
    rtol: float = 1e-4,
    atol: float = 1e-6,
    seed: int = 0,
) -> OnnxReport:
    """Export to ``path`` with a dynamic batch axis; names are the Input/Output node ids.

    Raises :class:`ExportError` when no exporter can handle the model or when the
    onnxruntime result differs from PyTorch by more than ``rtol * scale + atol``
    (``scale`` = the largest absolute PyTorch output value). Nothing is left at
    ``path`` after a failure.
    """
    if exporter not in EXPORTERS:
        raise ValueError(f"exporter must be one of {', '.join(EXPORTERS)}, got {exporter!r}")
    if batch < 2:
        raise ValueError("the example batch must be at least 2, or the batch axis gets fixed")
    gm = _as_module(graph_or_module, seed)
    meta = gm.meta["graphbuilder"]
    inputs, outputs = list(meta["inputs"]), list(meta["outputs"])
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    order = ["dynamo", "torchscript"] if exporter == "auto" else [exporter]
    failures: list[str] = []
    for i, name in enumerate(order):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            report = _attempt(gm, tmp, name, inputs, outputs, opset, batch, verify,
                              rtol, atol, seed)
        except ExportError as exc:
            failures.append(f"{name} exporter: {exc}")
            _remove(tmp)
            continue
        except BaseException:
            _remove(tmp)
            raise
        os.replace(tmp, target)
        report.path = target
        if i > 0:
            report.notes.extend(f"fell back after {f}" for f in failures)
        return report
    raise ExportError("ONNX export failed; " + "; ".join(failures))


def _as_module(obj: ModelGraph | fx.GraphModule, seed: int) -> fx.GraphModule:
    if isinstance(obj, ModelGraph):
        return compile_graph(obj, seed=seed)
    if isinstance(obj, fx.GraphModule) and "graphbuilder" in obj.meta:
        return obj
    raise TypeError("export_onnx takes a ModelGraph or a GraphModule made by compile_graph")


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.data")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@contextlib.contextmanager
def _export_mode(gm: torch.nn.Module) -> Iterator[None]:
    """Eval mode, MHA fast path off (it has no ONNX lowering), no deprecation warnings;
    all restored after. (stdout is left alone: ``verbose=False`` keeps dynamo quiet, and
    redirecting it would swallow other threads' output.)"""
    modes = {m: m.training for m in gm.modules()}
    fastpath = torch.backends.mha.get_fastpath_enabled()
    gm.eval()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
        for m, training in modes.items():
            m.training = training


def _attempt(gm: fx.GraphModule, tmp: Path, exporter: str, inputs: list[str],
             outputs: list[str], opset: int | None, batch: int, verify: bool,
             rtol: float, atol: float, seed: int) -> OnnxReport:
    gen = torch.Generator().manual_seed(seed)
    example = example_inputs(gm, batch=batch, generator=gen, device=_device_of(gm))
    weight_bytes = sum(p.numel() * p.element_size() for p in gm.parameters())
    kwargs: dict[str, Any] = {"input_names": inputs, "output_names": outputs,
                              "verbose": False}
    if opset is not None:
        kwargs["opset_version"] = opset
    if exporter == "dynamo":
        dim = torch.export.Dim("batch")
        kwargs.update(dynamo=True, dynamic_shapes=tuple({0: dim} for _ in inputs),
                      external_data=weight_bytes > _EXTERNAL_DATA_BYTES)
    else:
        batched = _batched_outputs(gm, example)
        kwargs.update(dynamo=False, dynamic_axes={
            **{n: {0: "batch"} for n in inputs},
            **{n: {0: "batch"} for n, b in zip(outputs, batched, strict=True) if b},
        })
    with _export_mode(gm):
        try:
            torch.onnx.export(gm, example, str(tmp), **kwargs)
        except Exception as exc:
            raise ExportError(_first_line(exc)) from exc
        report = OnnxReport(tmp, inputs, outputs, exporter, _opset_of(tmp, opset),
                            verified=False)
        if verify:
            report.max_abs_diff, report.tolerance = verify_onnx(
                gm, tmp, batch=batch + 1, rtol=rtol, atol=atol, seed=seed + 1)
            report.verified = True
    return report


def _device_of(gm: torch.nn.Module) -> torch.device:
    """Where the model's weights live (a trained model may sit on a GPU)."""
    for t in (*gm.parameters(), *gm.buffers()):
        return t.device
    return torch.device("cpu")


def _opset_of(path: Path, asked: int | None) -> int | None:
    """The default-domain opset the file declares (what a runtime must support)."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # the checker reports unreadable files; this is only for display
        return asked
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), asked)


def _batched_outputs(gm: fx.GraphModule, example: tuple[torch.Tensor, ...]) -> list[bool]:
    """Which outputs carry the batch axis (a Parameter routed to an Output does not)."""
    with torch.no_grad(), _export_mode(gm):
        a = _as_tuple(gm(*example))
        b = _as_tuple(gm(*(x[:1] for x in example)))
    return [x.dim() > 0 and y.dim() > 0 and x.shape[0] != y.shape[0] for x, y in zip(a, b,
                                                                                 strict=True)]


def verify_onnx(gm: fx.GraphModule, path: str | os.PathLike[str], *, batch: int = 3,
                rtol: float = 1e-4, atol: float = 1e-6, seed: int = 1) -> tuple[float, float]:
    """Check ``path`` against ``gm`` (eval mode) on a random batch.

    Returns ``(max_abs_diff, tolerance)`` over all outputs; raises :class:`ExportError`
    if the checker rejects the file, names or shapes differ, or any output is off by
    more than ``rtol * scale + atol``.
    """
    import onnx
    import onnxruntime as ort

    meta = gm.meta["graphbuilder"]
    in_names, out_names = list(meta["inputs"]), list(meta["outputs"])
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as exc:
        raise ExportError(f"the ONNX checker rejects the file: {_first_line(exc)}") from exc
    xs = example_inputs(gm, batch=batch, generator=torch.Generator().manual_seed(seed),
                        device=_device_of(gm))
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        got_names = [o.name for o in session.get_outputs()]
        if sorted(names) != sorted(in_names) or got_names != out_names:
            raise ExportError(f"the file's inputs {names} / outputs {got_names} do not match "
                              f"the graph's {in_names} / {out_names}")
        feed = dict(zip(in_names, (x.cpu().numpy() for x in xs), strict=True))
        got = session.run(None, feed)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"onnxruntime cannot run the file: {_first_line(exc)}") from exc
    with torch.no_grad(), _export_mode(gm):
        want = [t.detach().cpu().numpy() for t in _as_tuple(gm(*xs))]
    worst, tol_used = 0.0, 0.0
    for name, a, b in zip(out_names, got, want, strict=True):
        if a.shape != b.shape:
            raise ExportError(f"output '{name}' has shape {list(a.shape)} in ONNX but "
                              f"{list(b.shape)} in PyTorch (batch {batch})")
        diff, scale = _diff(a, b)
        tol = rtol * scale + atol
        if not diff <= tol:  # also catches NaN
            raise ExportError(f"output '{name}' differs from PyTorch by {diff:.3g} "
                              f"(allowed {tol:.3g} for outputs of size {scale:.3g}); "
                              "the exported model would compute something else")
        worst, tol_used = max(worst, diff), max(tol_used, tol)
    return worst, tol_used


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Max abs difference (NaN where only one side is NaN) and the output's scale."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    both_nan = np.isnan(a64) & np.isnan(b64)
    delta = np.where(both_nan, 0.0, np.abs(a64 - b64))
    finite = np.abs(b64[np.isfinite(b64)])
    scale = float(finite.max()) if finite.size else 0.0
    return (float(np.max(delta)) if delta.size else 0.0), scale


def _as_tuple(out: Any) -> tuple[torch.Tensor, ...]:
    return tuple(out) if isinstance(out, tuple | list) else (out,)


def _first_line(exc: BaseException) -> str:
    """The informative line of an exporter error (dynamo's are pages long)."""
    text = str(exc)
    for line in text.splitlines():
        if line.startswith("<class") and ">: " in line:
            return line.split(">: ", 1)[1].strip()
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:500]
