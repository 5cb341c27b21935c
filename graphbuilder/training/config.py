"""The run config: a declarative, versioned description of one training run.

It lives in the graph file under ``"training"`` (see docs/CONTRACTS.md), so a design and
the way it is trained travel together. Everything is plain JSON; every key is optional
when read and filled from the defaults below. Unknown keys and bad values raise
:class:`ConfigError` naming the dotted key (``optimizer.lr``), because the GUI shows that
text next to the offending field and the CLI prints it as a one-line error.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

CONFIG_VERSION = 1

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam")
SCHEDULES = ("constant", "step", "multistep", "exponential", "linear", "cosine", "plateau",
             "cosine_restarts", "cyclic", "onecycle")
LOSSES = ("cross_entropy", "mse", "mae", "smooth_l1", "bce_with_logits")
METRICS = ("accuracy", "top3", "top5", "mse", "mae", "iou")
PRECISIONS = ("fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda", "mps")
TASKS = (None, "classification", "regression", "segmentation", "reconstruction")
AUGMENTS = ("hflip", "vflip", "crop", "color", "rotate", "noise")


class ConfigError(ValueError):
    """A bad run config value; ``key`` is the dotted path of the offending key."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}")


@dataclass
class DataConfig:
    """Where the samples come from and how they are batched/augmented."""

    dataset: str = "shapes"  # built-in name or "kind:PATH" (imagefolder, csv, cifar10...)
    val_fraction: float = 0.2
    batch_size: int = 64
    augment: list[str] = field(default_factory=list)  # names from AUGMENTS
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    num_workers: int = 0
    target_column: str | None = None  # csv: column holding the target (default: last)
    # csv: force "classification"/"regression" (default: guess); "reconstruction": the
    # target is the input (autoencoders; also implied by an mse/mae loss on image classes)
    task: str | None = None
    size: int | None = None  # built-ins: number of samples (default: per dataset)
    image_size: int | None = None  # local images: resize to this (default: model input)


@dataclass
class OptimizerConfig:
    """``name`` picks a torch.optim class; keys it does not take are ignored by it."""

    name: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9  # sgd, rmsprop
    nesterov: bool = False  # sgd
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])  # adam family


@dataclass
class ScheduleConfig:
    """LR schedule, stepped once per optimizer step.

    Durations are in epochs where users think in epochs (``step_size``, ``milestones``,
    ``T_0``, ``step_size_up``) and converted to steps; ``warmup_steps`` is in steps.
    """

    name: str = "constant"
    warmup_steps: int = 0
    warmup_start_factor: float = 0.01
    gamma: float = 0.1  # step, multistep; exponential: factor per epoch (default 0.9 there)
    step_size: float = 10.0  # step (epochs)
    milestones: list[float] = field(default_factory=lambda: [30, 60])  # multistep (epochs)
    end_factor: float = 0.0  # linear decay: final lr = lr * end_factor
    eta_min: float = 0.0  # cosine, cosine_restarts
    T_0: float = 1.0  # cosine_restarts: first period (epochs)
    T_mult: int = 2  # cosine_restarts
    factor: float = 0.1  # plateau
    patience: int = 3  # plateau (epochs)
    base_lr: float | None = None  # cyclic (default lr/10)
    max_lr: float | None = None  # cyclic (default lr), onecycle (default lr)
    step_size_up: float = 2.0  # cyclic: half a cycle (epochs)
    pct_start: float = 0.3  # onecycle
    div_factor: float = 25.0  # onecycle
    final_div_factor: float = 1e4  # onecycle


@dataclass
class EarlyStoppingConfig:
    monitor: str = "val_loss"
    mode: str = "min"
    patience: int = 5
    min_delta: float = 0.0


@dataclass
class CheckpointConfig:
    keep_best: bool = True
    keep_last: bool = True
    monitor: str = "val_loss"
    mode: str = "min"


@dataclass
class RunConfig:
    """One training run. ``RunConfig.from_dict(graph.training)`` / ``.to_dict()``."""

    version: int = CONFIG_VERSION
    data: DataConfig = field(default_factory=DataConfig)
    epochs: int = 10
    max_steps: int | None = None
    loss: str = "cross_entropy"
    metrics: list[str] = field(default_factory=lambda: ["accuracy"])
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    early_stopping: EarlyStoppingConfig | None = None
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"
    compile: bool = False
    channels_last: bool = False
    grad_clip: float | None = None  # max global grad norm (None: off)
    label_smoothing: float = 0.0  # cross_entropy only

    @classmethod
    def from_dict(cls, doc: dict[str, Any] | None) -> RunConfig:
        """Read (and validate) a JSON object; ``None`` gives the defaults."""
        if doc is None:
            doc = {}
        if isinstance(doc, RunConfig):
            return copy.deepcopy(doc)
        sched = doc.get("schedule") if isinstance(doc, dict) else None
        if isinstance(sched, dict) and sched.get("name") == "exponential" and "gamma" not in sched:
            doc = {**doc, "schedule": {**sched, "gamma": 0.9}}
        cfg = _read(cls, doc, "")
        cfg.validate()
        return cfg

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("<json>", f"not valid JSON ({exc})") from None
        return cls.from_dict(doc)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes: Any) -> RunConfig:
        """A validated copy with dotted-key changes: ``cfg.replace(**{"optimizer.lr": 0.1})``."""
        doc = self.to_dict()
        for key, value in changes.items():
            parts = key.split(".")
            target = doc
            for p in parts[:-1]:
                if target.get(p) is None:
                    target[p] = {}
                target = target[p]
            target[parts[-1]] = value
        return RunConfig.from_dict(doc)

    def validate(self) -> None:
        """Check ranges and choices; raise :class:`ConfigError` naming the key."""
        d, o, s = self.data, self.optimizer, self.schedule
        _check(self.version == CONFIG_VERSION, "version",
               f"unsupported version {self.version} (this GraphBuilder reads {CONFIG_VERSION})")
        _check(bool(d.dataset.strip()), "data.dataset", "must name a dataset")
        _check(0.0 <= d.val_fraction < 1.0, "data.val_fraction", "must be in [0, 1)")
        _positive(d.batch_size, "data.batch_size")
        for a in d.augment:
            _choice(a, AUGMENTS, "data.augment")
        _check(d.mixup_alpha >= 0, "data.mixup_alpha", "must be >= 0")
        _check(d.cutmix_alpha >= 0, "data.cutmix_alpha", "must be >= 0")
        _check(d.num_workers >= 0, "data.num_workers", "must be >= 0")
        _choice(d.task, TASKS, "data.task")
        if d.size is not None:
            _positive(d.size, "data.size")
        if d.image_size is not None:
            _positive(d.image_size, "data.image_size")
        _positive(self.epochs, "epochs")
        if self.max_steps is not None:
            _positive(self.max_steps, "max_steps")
        _choice(self.loss, LOSSES, "loss")
        for m in self.metrics:
            _choice(m, METRICS, "metrics")
        _choice(o.name, OPTIMIZERS, "optimizer.name")
        _check(o.lr > 0 and math.isfinite(o.lr), "optimizer.lr", "must be a positive number")
        _check(o.weight_decay >= 0, "optimizer.weight_decay", "must be >= 0")
        _check(0 <= o.momentum < 1, "optimizer.momentum", "must be in [0, 1)")
        _check(len(o.betas) == 2 and all(0 <= b < 1 for b in o.betas), "optimizer.betas",
               "must be two numbers in [0, 1)")
        _check(not (o.nesterov and (o.name != "sgd" or o.momentum <= 0)), "optimizer.nesterov",
               "needs optimizer 'sgd' with momentum > 0")
        _choice(s.name, SCHEDULES, "schedule.name")
        _check(s.warmup_steps >= 0, "schedule.warmup_steps", "must be >= 0")
        _check(not (s.warmup_steps and s.name in ("onecycle", "cyclic")), "schedule.warmup_steps",
               f"'{s.name}' has its own warm-up; set warmup_steps to 0")
        _check(0 < s.warmup_start_factor <= 1, "schedule.warmup_start_factor", "must be in (0, 1]")
        _check(s.gamma > 0, "schedule.gamma", "must be > 0")
        _check(s.step_size > 0, "schedule.step_size", "must be > 0")
        _check(all(m > 0 for m in s.milestones), "schedule.milestones", "must be > 0")
        _check(s.milestones == sorted(s.milestones), "schedule.milestones", "must be increasing")
        _check(0 <= s.end_factor <= 1, "schedule.end_factor", "must be in [0, 1]")
        _check(s.eta_min >= 0, "schedule.eta_min", "must be >= 0")
        _check(s.T_0 > 0, "schedule.T_0", "must be > 0")
        _check(s.T_mult >= 1, "schedule.T_mult", "must be >= 1")
        _check(0 < s.factor < 1, "schedule.factor", "must be in (0, 1)")
        _check(s.patience >= 0, "schedule.patience", "must be >= 0")
        _check(s.step_size_up > 0, "schedule.step_size_up", "must be > 0")
        _check(0 < s.pct_start < 1, "schedule.pct_start", "must be in (0, 1)")
        for key in ("base_lr", "max_lr"):
            v = getattr(s, key)
            _check(v is None or v > 0, f"schedule.{key}", "must be > 0")
        known = ["loss", "val_loss"] + [p + m for m in self.metrics for p in ("", "val_")]
        for name, mon in (("early_stopping", self.early_stopping), ("checkpoint", self.checkpoint)):
            if mon is not None:
                _choice(mon.mode, ("min", "max"), f"{name}.mode")
                _check(mon.monitor in known, f"{name}.monitor",
                       f"unknown metric {mon.monitor!r}; expected one of {', '.join(known)}")
                upward = mon.monitor.endswith(("accuracy", "iou", "top3", "top5"))
                _check(upward == (mon.mode == "max"), f"{name}.mode",
                       f"{mon.monitor!r} improves {'up' if upward else 'down'}wards: use mode "
                       f"'{'max' if upward else 'min'}'")
        if self.early_stopping is not None:
            _check(self.early_stopping.patience >= 0, "early_stopping.patience", "must be >= 0")
        _choice(self.device, DEVICES, "device")
        _choice(self.precision, PRECISIONS, "precision")
        if self.grad_clip is not None:
            _check(self.grad_clip > 0, "grad_clip", "must be > 0")
        _check(0 <= self.label_smoothing < 1, "label_smoothing", "must be in [0, 1)")


def _check(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ConfigError(key, message)


def _positive(v: Any, key: str) -> None:
    _check(v > 0, key, f"must be > 0 (got {v})")


def _choice(v: Any, choices: tuple, key: str) -> None:
    _check(v in choices, key,
           f"unknown value {v!r}; expected one of {', '.join(str(c) for c in choices)}")


_NESTED = {"data": DataConfig, "optimizer": OptimizerConfig, "schedule": ScheduleConfig,
           "early_stopping": EarlyStoppingConfig, "checkpoint": CheckpointConfig}


def _read(cls: type, doc: Any, prefix: str) -> Any:
    """Build dataclass ``cls`` from ``doc``, type-checking each known key."""
    where = prefix.rstrip(".") or "<config>"
    if not isinstance(doc, dict):
        raise ConfigError(where, f"expected a JSON object, got {type(doc).__name__}")
    known = {f.name: f for f in fields(cls)}
    for key in doc:
        if key not in known:
            raise ConfigError(prefix + str(key), f"unknown key (known: {', '.join(known)})")
    defaults = cls()
    kwargs: dict[str, Any] = {}
    for name in known:
        key = prefix + name
        if name not in doc:
            continue
        value = doc[name]
        if name in _NESTED and prefix == "":
            if value is None and name == "early_stopping":
                kwargs[name] = None
            else:
                kwargs[name] = _read(_NESTED[name], value, key + ".")
            continue
        kwargs[name] = _coerce(value, getattr(defaults, name), key, cls, name)
    return cls(**kwargs)


_OPTIONAL = {"max_steps": int, "target_column": str, "task": str, "size": int,
             "image_size": int, "base_lr": float, "max_lr": float, "grad_clip": float}


def _coerce(value: Any, default: Any, key: str, cls: type, name: str) -> Any:
    """Type-check one value against the default's type (ints are accepted for floats)."""
    kind = _OPTIONAL.get(name)
    if value is None:
        if kind is not None:
            return None
        raise ConfigError(key, "must not be null")
    expected = kind or type(default)
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            value = float(value)
            if not math.isfinite(value):
                raise ConfigError(key, "must be a finite number")
    elif expected is list:
        ok = isinstance(value, list)
        if ok and default and isinstance(default[0], (int, float)):
            ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        elif ok and name in ("augment", "metrics"):
            ok = ok and all(isinstance(v, str) for v in value)
        value = list(value) if ok else value
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ConfigError(key, f"expected {expected.__name__}, got {type(value).__name__} "
                               f"({value!r})")
    return value
