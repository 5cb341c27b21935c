"""Evaluate a kept run on its validation set and pick a few predictions (Qt-free).

Rebuilds the model from the run's ``design.json`` (the design as it was trained, which
may differ from the open one) and fills it from the best checkpoint (else the last),
loads the data as the run's config says, runs the validation split once and returns the
metrics plus the first few samples with their predicted and true labels or masks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphbuilder.training.config import RunConfig


@dataclass
class Sample:
    image: np.ndarray | None  # H x W x 3 uint8, for image inputs
    text: str  # the input, for non-image data
    true: str
    pred: str
    correct: bool | None = None
    true_mask: np.ndarray | None = None  # H x W class ids (segmentation)
    pred_mask: np.ndarray | None = None


@dataclass
class EvalResult:
    run_dir: str
    checkpoint: str
    task: str
    metrics: dict[str, float]
    samples: list[Sample] = field(default_factory=list)
    num_classes: int | None = None


def forward(model: torch.nn.Module, x: Any) -> torch.Tensor:
    """The model's first output for one input or a tuple of inputs (as the trainer)."""
    out = model(*x) if isinstance(x, (tuple, list)) else model(x)
    return out[0] if isinstance(out, (tuple, list)) else out


def _image(x: torch.Tensor) -> np.ndarray | None:
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        return None
    x = x.float()
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 1:  # normalised data: stretch to [0, 1] for display
        x = (x - lo) / max(hi - lo, 1e-8)
    img = (x.clamp(0, 1) * 255).byte().permute(1, 2, 0).numpy()
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else np.ascontiguousarray(img)


def _label(v: Any, classes: list[str]) -> str:
    if isinstance(v, int) and 0 <= v < len(classes):
        return classes[v]
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def evaluate_job(run_dir: str | Path, count: int = 8) -> Iterator[EvalResult]:
    """One :class:`EvalResult` (a generator so it runs in an :class:`EventWorker`)."""
    from graphbuilder.compiler.fx_compile import compile_graph
    from graphbuilder.core.fileformat import load_graph
    from graphbuilder.training.checkpoint import load_checkpoint
    from graphbuilder.training.data import make_loaders
    from graphbuilder.training.datasets import load_data
    from graphbuilder.training.metrics import MetricTracker, make_loss
    from graphbuilder.ui.training.jobs import input_shape_of

    run_dir = Path(run_dir)
    graph = load_graph(run_dir / "design.json")
    ck_path = run_dir / "best.pt" if (run_dir / "best.pt").is_file() else run_dir / "last.pt"
    state = load_checkpoint(ck_path)
    cfg = RunConfig.from_dict(state.get("config") or graph.training)
    model = compile_graph(graph, seed=cfg.seed)
    model.load_state_dict(state["model"])
    model.eval()
    bundle = load_data(cfg.data, seed=cfg.seed, input_shape=input_shape_of(graph))
    loaders = make_loaders(bundle, cfg)
    if loaders.val is None:
        raise ValueError("this run has no validation set (validation split 0)")
    tracker = MetricTracker(cfg.metrics, loaders.num_classes)
    loss_fn = make_loss(cfg)
    samples: list[Sample] = []
    with torch.no_grad():
        for x, y in loaders.val:
            out = forward(model, x)
            tracker.update(out.float(), y, loss_fn(out, y).float())
            if len(samples) < count:
                samples += _samples(x, y, out, bundle.task, bundle.classes, count - len(samples))
    metrics = tracker.compute("val_", tracker.state())
    metrics = {k: v for k, v in metrics.items() if math.isfinite(v)}
    yield EvalResult(str(run_dir), ck_path.name, bundle.task, metrics, samples,
                     bundle.num_classes)


def _samples(x: Any, y: torch.Tensor, out: torch.Tensor, task: str, classes: list[str],
             n: int) -> list[Sample]:
    xs = x[0] if isinstance(x, (tuple, list)) else x
    res = []
    for i in range(min(n, len(y))):
        img = _image(xs[i]) if xs.ndim == 4 else None
        text = "" if img is not None else ", ".join(f"{v:.2f}" for v in xs[i].flatten()[:4])
        if task == "segmentation":
            pm = out[i].argmax(0).numpy()
            tm = y[i].numpy()
            acc = float((pm == tm).mean())
            res.append(Sample(img, text, "mask", f"pixel acc {acc:.0%}", None, tm, pm))
        elif task == "classification" and out.ndim == 2:
            p, t = int(out[i].argmax()), int(y[i])
            res.append(Sample(img, text, _label(t, classes), _label(p, classes), p == t))
        else:
            p = out[i].flatten()
            t = y[i].flatten()
            res.append(Sample(img, text, _label(float(t[0]), []), _label(float(p[0]), [])))
    return res
