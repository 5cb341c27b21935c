"""LR range test and LR grid sweep, both leaving the model exactly as they found it.

Range test (Smith 2015, fastai/Lightning style): one pass of ``num_steps`` mini-batches with
the LR ramped exponentially (or linearly) from ``start_lr`` to ``end_lr``, stopping when
the bias-corrected EMA of the loss exceeds ``diverge_factor`` x its best, or three raw
losses in a row exceed that factor x the best 5-step mean (the EMA alone reacts
~1/(1-beta) steps late, far past the real edge). The raw loss of
every step is kept; suggestions are computed on a *centred* moving average (zero phase:
an EMA lags ~1/(1-beta) steps and pushes suggestions too high) with slopes against
log(lr). Three rules are reported because no single one is reliable: steepest descent,
min-loss LR / 10 and fastai's "valley"; ``suggested_lr`` is the valley.

Grid sweep: a short constant-LR run per candidate from the same initial weights and batch
order, streaming every step's loss (one curve per candidate); the best final loss wins, a
candidate whose loss turns NaN/inf stops early with score inf.

Everything the runs touch is snapshotted in memory (CPU copies) and restored in a
``finally``: parameters, buffers (BatchNorm statistics), gradients, train/eval mode,
optimizer and GradScaler state, RNG states (torch, CUDA, numpy, python).
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from graphbuilder.training.config import RunConfig
from graphbuilder.training.data import DataBundle, make_loaders
from graphbuilder.training.device import select_device
from graphbuilder.training.events import LRPoint, SweepStep
from graphbuilder.training.metrics import make_loss
from graphbuilder.training.optim import make_optimizer, set_lr
from graphbuilder.training.stepping import forward, to_device

#: One line per suggestion rule, for tooltips/legends (no rule is reliable on its own).
SUGGESTION_HELP = {
    "valley": "middle of the longest stretch where the loss keeps falling (fastai's default)",
    "steepest": "where the loss falls fastest against log(lr), before its minimum",
    "min_loss_div10": "a tenth of the LR with the lowest loss (a conservative rule of thumb)",
}


@dataclass
class LRFinderResult:
    lrs: list[float]
    losses: list[float]  # raw per-step losses
    smoothed: list[float]  # centred moving average used for the suggestions
    suggestions: dict[str, float | None]  # "valley", "steepest", "min_loss_div10"
    suggested_lr: float | None
    diverged_at: float | None  # LR where the divergence test fired (None: never)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SweepResult:
    """Outcome of :func:`lr_sweep`, one entry per finished candidate in every list."""

    lrs: list[float]
    #: score per candidate: validation loss, else the mean training loss of the last quarter
    #: of its steps; inf when it diverged
    losses: list[float]
    best_lr: float | None  # lowest finite score (None: every candidate diverged)
    details: list[dict[str, float]] = field(default_factory=list)  # steps, train/val loss
    curves: list[list[float]] = field(default_factory=list)  # training loss of every step
    diverged_at: list[int | None] = field(default_factory=list)  # step the loss went NaN/inf
    stopped: bool = False  # ended by ``should_stop``: later candidates are missing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StateSnapshot:
    """In-memory CPU copy of everything a trial run changes; ``restore()`` puts it back."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                 scaler: torch.amp.GradScaler | None = None) -> None:
        self.model, self.optimizer, self.scaler = model, optimizer, scaler
        cpu = lambda t: t.detach().to("cpu", copy=True)  # noqa: E731
        self.params = {k: cpu(p) for k, p in model.named_parameters()}
        self.grads = {k: (cpu(p.grad) if p.grad is not None else None)
                      for k, p in model.named_parameters()}
        self.buffers = {k: cpu(b) for k, b in model.named_buffers()}
        self.modes = {k: m.training for k, m in model.named_modules()}
        self.opt_state = _to_cpu(copy.deepcopy(optimizer.state_dict())) if optimizer else None
        self.scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
        self.rng = torch.get_rng_state()
        self.cuda_rng = (torch.cuda.get_rng_state_all() if torch.cuda.is_available()
                         and torch.cuda.is_initialized() else None)
        self.np_rng = np.random.get_state()
        self.py_rng = random.getstate()

    @torch.no_grad()
    def restore_weights(self) -> None:
        for k, p in self.model.named_parameters():
            p.copy_(self.params[k])
            g = self.grads[k]
            p.grad = None if g is None else g.to(p.device, copy=True)
        for k, b in self.model.named_buffers():
            b.copy_(self.buffers[k])

    def restore(self) -> None:
        self.restore_weights()
        for k, m in self.model.named_modules():
            m.training = self.modes.get(k, m.training)
        if self.optimizer is not None and self.opt_state is not None:
            self.optimizer.load_state_dict(copy.deepcopy(self.opt_state))
        if self.scaler is not None and self.scaler_state is not None:
            self.scaler.load_state_dict(self.scaler_state)
        torch.set_rng_state(self.rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        np.random.set_state(self.np_rng)
        random.setstate(self.py_rng)


def _to_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cpu(v) for v in obj]
    return obj


def _batches(loader: Any) -> Iterator[Any]:
    """Cycle through a loader forever (short datasets, long ramps)."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            return


class _Stepper:
    """One optimizer step as the trainer does it (autocast/GradScaler per the config)."""

    def __init__(self, model: nn.Module, cfg: RunConfig, device: torch.device,
                 optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> None:
        self.model, self.cfg, self.device, self.optimizer = model, cfg, device, optimizer
        amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.precision)
        if amp == torch.float16 and device.type != "cuda":
            amp = None
        self.amp = amp
        self.scaler = scaler or torch.amp.GradScaler(device.type, enabled=amp == torch.float16)
        self.loss_fn = make_loss(cfg)
        self.mix: Any = None  # MixUp/CutMix of the config, as the trainer applies it

    def step(self, x: Any, y: Any) -> torch.Tensor:
        x, y = to_device(x, self.device, self.cfg.channels_last), to_device(y, self.device)
        if self.mix is not None:
            x, y = self.mix(x, y)
        with torch.autocast(self.device.type, dtype=self.amp or torch.float32,
                            enabled=self.amp is not None):
            loss = self.loss_fn(forward(self.model, x), y)
        self.scaler.scale(loss).backward()
        if self.cfg.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()


def _setup(model: nn.Module, config: RunConfig | dict | None, data: DataBundle | tuple | None,
           input_shape: tuple[int, ...] | None
           ) -> tuple[RunConfig, torch.device, tuple[Any, Any], Any]:
    """Config, device, (train, val) loaders and the batch mixer (MixUp/CutMix or None)."""
    cfg = config if isinstance(config, RunConfig) else RunConfig.from_dict(config)
    device = select_device(cfg.device)
    if isinstance(data, tuple):
        return cfg, device, data, None
    if data is None:
        from graphbuilder.training.datasets import load_data

        data = load_data(cfg.data, seed=cfg.seed, input_shape=input_shape)
    loaders = make_loaders(data, cfg, pin_memory=device.type == "cuda")
    return cfg, device, (loaders.train, loaders.val), loaders.mix


def lr_range_test(model: nn.Module, config: RunConfig | dict | None = None,
                  data: DataBundle | tuple | None = None, *, start_lr: float = 1e-7,
                  end_lr: float = 10.0, num_steps: int = 100, mode: str = "exp",
                  beta: float = 0.98, diverge_factor: float = 4.0,
                  optimizer: torch.optim.Optimizer | None = None,
                  scaler: torch.amp.GradScaler | None = None,
                  input_shape: tuple[int, ...] | None = None
                  ) -> Iterator[LRPoint | LRFinderResult]:
    """Yield an :class:`LRPoint` per step, then the :class:`LRFinderResult`.

    ``optimizer``/``scaler``: use (and afterwards restore) these instead of fresh ones
    made from the config. The model is restored bit-exactly even if the consumer stops
    iterating early or an exception is raised.
    """
    if not (0 < start_lr < end_lr):
        raise ValueError(f"need 0 < start_lr < end_lr (got {start_lr}, {end_lr})")
    if num_steps < 2:
        raise ValueError("num_steps must be >= 2")
    if mode not in ("exp", "linear"):
        raise ValueError(f"mode must be 'exp' or 'linear' (got {mode!r})")
    cfg, device, (train, _val), mix = _setup(model, config, data, input_shape)
    model.to(device)
    snap = StateSnapshot(model, optimizer, scaler)
    lrs: list[float] = []
    losses: list[float] = []
    diverged_at = None
    try:
        torch.manual_seed(cfg.seed)
        opt = optimizer or make_optimizer(model, cfg.optimizer, lr=start_lr)
        stepper = _Stepper(model, cfg, device, opt, scaler)
        stepper.mix = mix
        model.train()
        avg, best, over = 0.0, math.inf, 0
        recent: list[float] = []
        best_mean = math.inf
        batches = _batches(train)
        for i in range(num_steps):
            frac = i / (num_steps - 1)
            lr = (start_lr * (end_lr / start_lr) ** frac if mode == "exp"
                  else start_lr + (end_lr - start_lr) * frac)
            set_lr(opt, lr)
            batch = next(batches, None)
            if batch is None:
                break
            loss = float(stepper.step(*batch))
            lrs.append(lr)
            losses.append(loss)
            finite = math.isfinite(loss)
            avg = beta * avg + (1 - beta) * (loss if finite else avg)
            smooth = avg / (1 - beta ** (i + 1))
            yield LRPoint(i, lr, loss, smooth)
            # The EMA (and its best) lags ~1/(1-beta) steps behind the loss, so also stop
            # when 3 raw losses in a row exceed the factor x the best 5-step mean: a real
            # divergence grows geometrically, a noisy batch does not repeat.
            recent = (recent + [loss])[-5:]
            if len(recent) == 5:
                best_mean = min(best_mean, sum(recent) / 5)
            over = over + 1 if loss > diverge_factor * best_mean else 0
            if not finite or (i > 0 and (smooth > diverge_factor * best or over >= 3)):
                diverged_at = lr
                break
            best = min(best, smooth)
    finally:
        snap.restore()
    yield analyse(lrs, losses, diverged_at)


def analyse(lrs: list[float], losses: list[float], diverged_at: float | None = None
            ) -> LRFinderResult:
    """Suggestions from raw (lr, loss) points (finite ones), on a centred smoother."""
    pts = [(lr, loss) for lr, loss in zip(lrs, losses, strict=True) if math.isfinite(loss)]
    if len(pts) < 5:
        return LRFinderResult(list(lrs), list(losses), [], {}, None, diverged_at)
    lr_arr = np.array([p[0] for p in pts])
    smooth = centred_smooth(np.array([p[1] for p in pts]))
    slope = np.gradient(smooth, np.log(lr_arr))
    n = len(pts)
    best = int(np.argmin(smooth))
    # steepest descent: skip the first 10% (start-up noise) and search up to the minimum
    # (past it the curve is blowing up and its noisy dips are not "descent")
    lo, hi = max(1, n // 10), min(max(n // 10 + 2, n - 3), best + 1)
    steepest = float(lr_arr[lo + int(np.argmin(slope[lo:hi]))]) if hi > lo else None
    min_div10 = float(lr_arr[best] / 10)
    valley = float(lr_arr[_valley(smooth)])
    sugg = {"valley": valley, "steepest": steepest, "min_loss_div10": min_div10}
    return LRFinderResult(list(lrs), list(losses), smooth.tolist(), sugg, valley, diverged_at)


def centred_smooth(y: np.ndarray, window: int | None = None) -> np.ndarray:
    """Zero-phase moving average (window ~ n/10, odd), shrinking at the ends."""
    n = len(y)
    w = window or max(3, (n // 10) | 1)
    half = w // 2
    c = np.concatenate([[0.0], np.cumsum(y)])
    idx = np.arange(n)
    a, b = np.clip(idx - half, 0, n), np.clip(idx + half + 1, 0, n)
    return (c[b] - c[a]) / (b - a)


def _valley(loss: np.ndarray) -> int:
    """fastai's valley: the middle-ish of the longest decreasing run of the curve."""
    n = len(loss)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if loss[i] < loss[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return int(min(n - 1, max_start + int(sections) + int(sections / 2)))


def find_lr(model: nn.Module, config: RunConfig | dict | None = None, data: Any = None,
            **kwargs: Any) -> LRFinderResult:
    """Run :func:`lr_range_test` to the end and return its result."""
    result = None
    for ev in lr_range_test(model, config, data, **kwargs):
        result = ev
    assert isinstance(result, LRFinderResult)
    return result


def lr_sweep(model: nn.Module, config: RunConfig | dict | None = None, data: Any = None, *,
             lrs: list[float], steps: int = 50, input_shape: tuple[int, ...] | None = None,
             should_stop: Callable[[], bool] | None = None
             ) -> Iterator[SweepStep | LRPoint | SweepResult]:
    """Short constant-LR run of ``steps`` steps per candidate, all from the same initial
    state (weights, BatchNorm statistics, RNG) and the same batch order.

    Yields a :class:`SweepStep` per optimizer step (the loss as a float), an
    :class:`LRPoint` per finished candidate (``loss`` = its score), then the
    :class:`SweepResult` with every candidate's loss curve. A candidate whose loss turns
    NaN/inf stops there with score inf and the sweep goes on with the next one.

    To stop early, close the generator (the model is restored, no result) or pass
    ``should_stop``, checked before each step: the sweep then ends with a result over the
    candidates that finished (``stopped=True``). Either way the model is left exactly as
    it was, and so it is after an exception.
    """
    if not lrs:
        raise ValueError("lr_sweep needs at least one learning rate")
    if steps < 1:
        raise ValueError(f"lr_sweep needs steps >= 1 (got {steps})")
    cfg, device, (train, val), mix = _setup(model, config, data, input_shape)
    model.to(device)
    snap = StateSnapshot(model)
    scores: list[float] = []
    curves: list[list[float]] = []
    diverged: list[int | None] = []
    details: list[dict[str, float]] = []
    stopped = False
    try:
        for i, lr in enumerate(lrs):
            snap.restore()
            torch.manual_seed(cfg.seed)
            opt = make_optimizer(model, cfg.optimizer, lr=lr)
            stepper = _Stepper(model, cfg, device, opt, None)
            stepper.mix = mix
            model.train()
            gen = getattr(train, "generator", None)
            if isinstance(gen, torch.Generator):
                gen.manual_seed(cfg.seed)
            batches = _batches(train)
            curve: list[float] = []
            blew_up: int | None = None
            for s in range(1, steps + 1):
                if should_stop is not None and should_stop():
                    stopped = True
                    break
                batch = next(batches, None)
                if batch is None:
                    break
                loss = float(stepper.step(*batch))
                curve.append(loss)
                yield SweepStep(i, lr, s, loss)
                if not math.isfinite(loss):
                    blew_up = s
                    break
            if stopped:
                break  # the unfinished candidate is dropped
            tail = curve[len(curve) * 3 // 4:]
            train_score = float(np.mean(tail)) if tail and blew_up is None else math.inf
            info = {"steps": float(len(curve)), "train_loss": train_score}
            if blew_up is not None or not curve:
                score = math.inf
            elif val is not None:
                score = info["val_loss"] = _val_loss(model, val, stepper)
            else:
                score = train_score
            score = score if math.isfinite(score) else math.inf
            scores.append(score)
            curves.append(curve)
            diverged.append(blew_up)
            details.append(info)
            yield LRPoint(i, lr, score, score)
    finally:
        snap.restore()
    done = list(lrs[:len(scores)])
    finite = [(s, lr) for s, lr in zip(scores, done, strict=True) if math.isfinite(s)]
    best = min(finite)[1] if finite else None
    yield SweepResult(done, scores, best, details, curves, diverged, stopped)


@torch.no_grad()
def _val_loss(model: nn.Module, val: Any, stepper: _Stepper) -> float:
    model.eval()
    total, count = 0.0, 0
    for x, y in val:
        x, y = to_device(x, stepper.device), to_device(y, stepper.device)
        out = forward(model, x)
        total += float(stepper.loss_fn(out.float(), y)) * len(out)
        count += len(out)
    model.train()
    return total / max(count, 1)
