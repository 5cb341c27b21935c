"""LR schedules from ``torch.optim.lr_scheduler``, all stepped once per optimizer step.

Stepping per step (not per epoch) makes warm-up, one-cycle and cyclic schedules work
for any epoch length and gives the GUI a smooth LR curve. Durations users think of in
epochs (``step_size``, ``milestones``, ``T_0``, ``step_size_up``) are converted with
``steps_per_epoch``. Reduce-on-plateau is the exception: it needs a validation metric,
so :class:`Schedule` feeds it once per epoch (after the optional linear warm-up).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.optim import lr_scheduler as sch

from graphbuilder.training.config import RunConfig, ScheduleConfig


def _main_scheduler(opt: torch.optim.Optimizer, s: ScheduleConfig, lr: float,
                    spe: int, total: int) -> Any:
    """The schedule after warm-up (``total``: its length in steps)."""
    total = max(1, total)
    if s.name == "constant":
        return sch.ConstantLR(opt, factor=1.0, total_iters=0)
    if s.name == "step":
        return sch.StepLR(opt, step_size=max(1, round(s.step_size * spe)), gamma=s.gamma)
    if s.name == "multistep":
        return sch.MultiStepLR(opt, milestones=[max(1, round(m * spe)) for m in s.milestones],
                               gamma=s.gamma)
    if s.name == "exponential":
        return sch.ExponentialLR(opt, gamma=s.gamma ** (1.0 / spe))
    if s.name == "linear":
        return sch.LinearLR(opt, start_factor=1.0, end_factor=max(s.end_factor, 1e-8),
                            total_iters=total)
    if s.name == "cosine":
        return sch.CosineAnnealingLR(opt, T_max=total, eta_min=s.eta_min)
    if s.name == "cosine_restarts":
        return sch.CosineAnnealingWarmRestarts(opt, T_0=max(1, round(s.T_0 * spe)),
                                               T_mult=s.T_mult, eta_min=s.eta_min)
    if s.name == "cyclic":
        return sch.CyclicLR(opt, base_lr=s.base_lr or lr / 10, max_lr=s.max_lr or lr,
                            step_size_up=max(1, round(s.step_size_up * spe)), mode="triangular",
                            cycle_momentum=False)
    if s.name == "onecycle":
        return sch.OneCycleLR(opt, max_lr=s.max_lr or lr, total_steps=total + 1,
                              pct_start=s.pct_start, div_factor=s.div_factor,
                              final_div_factor=s.final_div_factor, cycle_momentum=False)
    raise ValueError(f"schedule.name: unknown schedule {s.name!r}")


class Schedule:
    """Per-step LR schedule plus the per-epoch hook reduce-on-plateau needs.

    ``step_batch()`` after every optimizer step, ``step_epoch(metrics)`` after validation.
    ``state_dict``/``load_state_dict`` round-trip through checkpoints (weights_only-safe).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, cfg: RunConfig, steps_per_epoch: int,
                 total_steps: int) -> None:
        s = cfg.schedule
        self.cfg = s
        self.monitor = cfg.checkpoint.monitor if cfg.checkpoint else "val_loss"
        self.mode = cfg.checkpoint.mode if cfg.checkpoint else "min"
        warm = min(s.warmup_steps, max(0, total_steps - 1))
        self.warmup = warm
        self.steps = 0
        self.plateau: sch.ReduceLROnPlateau | None = None
        spe = max(1, steps_per_epoch)
        if s.name == "plateau":
            self.scheduler = (sch.LinearLR(optimizer, s.warmup_start_factor, 1.0, total_iters=warm)
                              if warm else None)
            self.plateau = sch.ReduceLROnPlateau(optimizer, mode=self.mode, factor=s.factor,
                                                 patience=s.patience)
            return
        if s.name == "constant" and not warm:
            self.scheduler = None  # nothing to do per step (saves ~5 us/step on tiny models)
            return
        main = _main_scheduler(optimizer, s, cfg.optimizer.lr, spe, total_steps - warm)
        if warm:
            wu = sch.LinearLR(optimizer, start_factor=s.warmup_start_factor, end_factor=1.0,
                              total_iters=warm)
            self.scheduler = sch.SequentialLR(optimizer, [wu, main], milestones=[warm])
        else:
            self.scheduler = main

    def step_batch(self) -> None:
        self.steps += 1
        if self.scheduler is not None and (self.plateau is None or self.steps <= self.warmup):
            self.scheduler.step()

    def step_epoch(self, metrics: dict[str, float]) -> None:
        if self.plateau is not None and self.steps >= self.warmup:
            value = metrics.get(self.monitor, metrics.get("val_loss", metrics.get("loss")))
            if value is not None and math.isfinite(value):
                self.plateau.step(value)

    def state_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"steps": self.steps}
        if self.scheduler is not None:
            out["scheduler"] = self.scheduler.state_dict()
        if self.plateau is not None:
            out["plateau"] = self.plateau.state_dict()
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = state.get("steps", 0)
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.plateau is not None and "plateau" in state:
            self.plateau.load_state_dict(state["plateau"])


def preview_schedule(config: RunConfig | dict, steps_per_epoch: int, epochs: int) -> list[float]:
    """The LR at every step of a run, without training (the GUI plots it while editing).

    Runs the real torch schedulers on a one-parameter dummy optimizer, so the curve is
    exactly what training will use (reduce-on-plateau shows as constant: no metrics yet).
    """
    from graphbuilder.training.optim import make_optimizer

    cfg = RunConfig.from_dict(config) if isinstance(config, dict) else config
    spe = max(1, int(steps_per_epoch))
    total = spe * max(1, int(epochs))
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg.optimizer)
    schedule = Schedule(opt, cfg, spe, total)
    lrs = []
    for _ in range(total):
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        schedule.step_batch()
    return lrs
