"""The training loop as a generator of events (Qt-free; the GUI wraps it in a thread).

    trainer = Trainer(model, config, data=None, run_dir="runs/exp1")
    for event in trainer.run():          # RunStarted, StepEnd..., EpochEnd..., RunEnded
        ...
    # or: final = trainer.fit(listeners=[print])

``pause()``, ``resume()`` and ``stop()`` are thread-safe (``threading.Event``) and take
effect between optimizer steps. The inner step is kept as close as possible to the
15-line hand-written loop (tests check bit-equal weights against one): no ``.item()``
per step on a GPU unless a consumer reads :attr:`StepEnd.loss` (step losses stay on the
device, checked for NaN/inf every 25 steps and read once per epoch, also for steps.csv),
metrics accumulated on the device and read once per epoch, and on the CPU no autocast,
GradScaler or batch-move calls that would do nothing.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn

from graphbuilder.training import distributed as dist_util
from graphbuilder.training.checkpoint import (
    CheckpointError,
    load_checkpoint,
    restore_training_state,
    save_checkpoint,
    training_state,
    unwrap,
)
from graphbuilder.training.config import ConfigError, RunConfig
from graphbuilder.training.data import DataBundle, DataError, Loaders, make_loaders
from graphbuilder.training.device import device_name, select_device
from graphbuilder.training.events import (
    CheckpointSaved,
    EpochEnd,
    Event,
    RunEnded,
    RunFailed,
    RunPaused,
    RunResumed,
    RunStarted,
    StepEnd,
)
from graphbuilder.training.metrics import MetricTracker, make_loss
from graphbuilder.training.optim import make_optimizer
from graphbuilder.training.runlog import RunLog
from graphbuilder.training.schedules import Schedule
from graphbuilder.training.stepping import (
    NonFiniteLossError,
    finite,
    first_loss,
    forward,
    is_oom,
    seed_everything,
    to_device,
)

Listener = Callable[[Event], Any]


class Trainer:
    """Train ``model`` as ``config`` says; see the module docstring for the protocol.

    ``data``: a :class:`DataBundle`, a ``(train_loader, val_loader)`` pair (val may be
    None), or None to load ``config.data`` (``input_shape`` helps size local images).
    ``run_dir``: where config.json, metrics.csv/json, steps.csv and best/last.pt go (None:
    nowhere).
    ``resume_from``: a checkpoint path; training continues after its epoch.
    ``step_events``: False skips :class:`StepEnd` events entirely (fastest).
    Config errors raise :class:`ConfigError` here, before anything runs.
    """

    def __init__(self, model: nn.Module, config: RunConfig | dict | None = None,
                 data: DataBundle | tuple | None = None, run_dir: str | Path | None = None,
                 *, resume_from: str | Path | None = None, step_events: bool = True,
                 input_shape: tuple[int, ...] | None = None) -> None:
        self.model = model
        self.config = config if isinstance(config, RunConfig) else RunConfig.from_dict(config)
        self.data = data
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.resume_from = resume_from
        self.step_events = step_events
        self.input_shape = input_shape
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self.history: list[dict[str, float]] = []
        self.best_metrics: dict[str, float] = {}

    # -- control (any thread) -------------------------------------------------------------
    def pause(self) -> None:
        """Pause after the current step (the run blocks until resume() or stop())."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """Stop after the current step; the run ends with reason "stopped" (after the
        partial epoch's validation). A stopped Trainer stays stopped: make a new one (or
        resume from its last.pt) to continue."""
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # -- running ---------------------------------------------------------------------------
    def fit(self, listeners: Iterable[Listener] = ()) -> RunEnded | RunFailed:
        """Run to the end, calling every listener with every event; return the last one."""
        listeners = list(listeners)
        final: Any = None
        for event in self.run():
            for fn in listeners:
                fn(event)
            final = event
        return final

    def run(self) -> Iterator[Event]:
        """The run as a generator of events; ends with RunEnded or RunFailed (never raises
        for data, NaN or out-of-memory problems; programming errors come as kind "error")."""
        self._step, self._epoch = 0, 0
        try:
            yield from self._run()
        except NonFiniteLossError as exc:
            yield self._failed(str(exc), "nan")
        except (ConfigError, CheckpointError) as exc:
            yield self._failed(str(exc), "config")
        except DataError as exc:
            yield self._failed(str(exc), "data")
        except Exception as exc:  # noqa: BLE001 - reported to the user, not a crash
            if is_oom(exc):
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                bs = self.config.data.batch_size
                yield self._failed(f"out of memory at batch size {bs}: try a smaller batch "
                                   "size, mixed precision (bf16/fp16) or a smaller model", "oom")
            else:
                yield self._failed(f"{type(exc).__name__}: {exc}", "error",
                                   traceback.format_exc())

    def _failed(self, message: str, kind: str, details: str = "") -> RunFailed:
        step, epoch = self._step, self._epoch
        return RunFailed(message, kind, step=step, epoch=epoch,
                         run_dir=str(self.run_dir) if self.run_dir else None, details=details)

    def _run(self) -> Iterator[Event]:
        cfg = self.config
        seed_everything(cfg.seed)
        dist = dist_util.current()
        try:
            device = dist_util.device_for(dist) if dist else select_device(cfg.device)
        except RuntimeError as exc:
            raise ConfigError("device", str(exc)) from None
        notes: list[str] = []
        amp_dtype = None
        if cfg.precision == "bf16":
            amp_dtype = torch.bfloat16
        elif cfg.precision == "fp16":
            if device.type == "cuda":
                amp_dtype = torch.float16
            else:
                notes.append("fp16 needs a CUDA GPU: training in fp32")
        self.history, self.best_metrics = [], {}
        loaders = self._loaders(dist, pin_memory=device.type == "cuda")
        model = self.model.to(device)
        if cfg.channels_last:
            model = model.to(memory_format=torch.channels_last)
        optimizer = make_optimizer(model, cfg.optimizer)
        spe = len(loaders.train)
        if spe == 0:
            raise DataError(f"the training set is smaller than one batch "
                            f"(batch_size {cfg.data.batch_size})")
        total = spe * cfg.epochs if cfg.max_steps is None else min(spe * cfg.epochs, cfg.max_steps)
        cut = total < spe * cfg.epochs
        schedule = Schedule(optimizer, cfg, spe, total)
        scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
        loss_fn = make_loss(cfg)
        log = RunLog(self.run_dir if (dist is None or dist.rank == 0) else None, cfg)
        start_epoch, step = 0, 0
        monitor = cfg.checkpoint.monitor
        best = None
        if self.resume_from:
            ck = load_checkpoint(self.resume_from, map_location=device)
            restore_training_state(ck, model, optimizer, schedule, scaler, loaders.generator)
            start_epoch, step, best = ck["epoch"] + 1, ck["step"], ck.get("best")
            self.history = list(ck.get("history", []))
            self.best_metrics = dict(ck.get("best_metrics", {}))
        start_step = step
        train_model: nn.Module = model
        if dist is not None:
            train_model = dist_util.wrap_ddp(model, device)
        if cfg.compile:
            train_model = torch.compile(train_model)
        n_params = sum(p.numel() for p in unwrap(model).parameters())
        log.start(step)
        yield RunStarted(cfg.to_dict(), device_name(device), total, spe, cfg.epochs,
                         str(self.run_dir) if self.run_dir else None, n_params,
                         loaders.train_samples, loaders.val_samples, start_epoch, notes)
        autocast = (torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None
                    else nullcontext())
        # the step below does only what this run needs: no autocast/GradScaler calls
        # without mixed precision, no batch moves when the loader's batches are already
        # on the device (a few microseconds a step, which tiny CPU models notice)
        amp, scaled, clip = amp_dtype is not None, scaler.is_enabled(), cfg.grad_clip
        mix = loaders.mix
        cl = cfg.channels_last
        move: bool | None = None  # decided on the first batch
        # CPU without DDP: a loss's .item() costs ~0.2 us, so losses are kept as floats and
        # every step is checked. On a GPU it syncs with the device, and under DDP the check
        # is collective (every rank must stop at the same step, or the others hang in the
        # next all-reduce): losses stay tensors there, stacked and checked every 25 steps
        eager = dist is None and device.type == "cpu"
        check_every = 1 if eager else 25
        running, stopping = self._running.is_set, self._stop.is_set
        step_events = self.step_events
        isfinite, clock = math.isfinite, time.perf_counter
        tracker = MetricTracker(cfg.metrics, loaders.num_classes)
        es = cfg.early_stopping
        es_best, es_wait = None, 0
        reason = "completed"
        epoch = start_epoch
        last_metrics: dict[str, float] = {}
        for epoch in range(start_epoch, cfg.epochs):
            if step >= total:
                reason = "max_steps"
                break
            loaders.set_epoch(epoch)
            train_model.train()
            self._epoch = epoch
            losses: list[Any] = []  # this epoch's step losses: floats (eager) or tensors
            chunks: list[torch.Tensor] = []  # tensor losses, stacked at every check
            lrs: list[float] = []  # the LR each step used (steps.csv)
            n_batches = 0
            epoch_step = step
            t_epoch = t_last = time.perf_counter()
            for x, y in loaders.train:
                if not running() and not stopping():
                    yield RunPaused(step)
                    self._running.wait()
                    yield RunResumed(step)
                if stopping():
                    break
                if move is None:
                    move = device.type != "cpu" or cl or not _on_cpu(x) or not _on_cpu(y)
                if move:
                    x, y = to_device(x, device, cl), to_device(y, device)
                if mix is not None:
                    x, y = mix(x, y)
                if n_batches == 0 and step == start_step:
                    with autocast:  # first step: explain a model/data mismatch in words
                        loss = first_loss(train_model, loss_fn, x, y, cfg, loaders.num_classes)
                elif amp:
                    with autocast:
                        loss = loss_fn(forward(train_model, x), y)
                else:
                    loss = loss_fn(forward(train_model, x), y)
                lr = optimizer.param_groups[0]["lr"]  # the LR this step uses
                if scaled:
                    scaler.scale(loss).backward()
                    if clip is not None:
                        scaler.unscale_(optimizer)
                        nn.utils.clip_grad_norm_(model.parameters(), clip)
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    if clip is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), clip)
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                schedule.step_batch()
                step += 1
                n_batches += 1
                self._step = step
                lrs.append(lr)
                if eager:
                    loss_value = loss.item()
                    losses.append(loss_value)
                    if not isfinite(loss_value):
                        self._nan(log, epoch_step, epoch, losses, chunks, lrs)
                else:
                    loss = loss.detach()
                    losses.append(loss)
                    if step % check_every == 0:
                        chunks.append(torch.stack(losses))
                        losses.clear()
                        if not finite(chunks[-1].sum(), dist):
                            self._nan(log, epoch_step, epoch, losses, chunks, lrs)
                if step_events:
                    now = clock()
                    bs = y.shape[0] if hasattr(y, "shape") else 0
                    if eager:
                        event = StepEnd(step, epoch, loss.detach(), lr,
                                        bs / max(now - t_last, 1e-9))
                        event.__dict__["_loss"] = loss_value  # StepEnd.loss's cache: no 2nd read
                    else:
                        event = StepEnd(step, epoch, loss, lr, bs / max(now - t_last, 1e-9))
                    yield event
                    t_last = now
                if step >= total and cut:  # max_steps; else let the loader finish its
                    break  # epoch, so the shuffling RNG state matches an uncut run
            if self._stop.is_set() and n_batches == 0:
                reason = "stopped"
                break
            step_losses = _loss_values(losses, chunks)  # one device sync per epoch
            loss_sum = math.fsum(step_losses)
            if dist is not None:  # every rank must see the same numbers (early stopping...)
                red = dist_util.all_reduce_sums(
                    {"s": torch.tensor([loss_sum], device=device),
                     "n": torch.tensor([float(n_batches)], device=device)})
                loss_sum, n_batches = float(red["s"][0]), int(red["n"][0])
            if not math.isfinite(loss_sum):
                self._nan(log, epoch_step, epoch, step_losses, [], lrs)
            metrics = {"loss": loss_sum / max(n_batches, 1)}
            metrics.update(self._validate(train_model, loaders, loss_fn, tracker, device,
                                          autocast, dist))
            metrics["lr"] = float(optimizer.param_groups[0]["lr"])
            metrics["time_s"] = time.perf_counter() - t_epoch
            schedule.step_epoch(metrics)
            last_metrics = metrics
            self.history.append({"epoch": epoch, "step": step, **metrics})
            value = metrics.get(monitor, metrics.get("val_loss", metrics["loss"]))
            is_best = best is None or _better(value, best, cfg.checkpoint.mode)
            if is_best:
                best = value
                self.best_metrics = dict(metrics, epoch=epoch)
            # before the checkpoints: resuming from one drops the rows after its step
            log.steps(epoch_step, epoch, step_losses, lrs)
            if log.enabled:
                state = training_state(model, optimizer, schedule, scaler, loaders.generator,
                                       config=cfg.to_dict(), epoch=epoch, step=step,
                                       metrics=metrics, best=best, history=self.history,
                                       best_metrics=self.best_metrics)
                if cfg.checkpoint.keep_last:
                    path = log.path("last.pt")
                    save_checkpoint(path, state)
                    yield CheckpointSaved(str(path), "last", epoch)
                if is_best and cfg.checkpoint.keep_best:
                    path = log.path("best.pt")
                    save_checkpoint(path, state)
                    yield CheckpointSaved(str(path), "best", epoch)
                log.epoch(self.history, self.best_metrics)
            yield EpochEnd(epoch, metrics, is_best, step)
            if self._stop.is_set():
                reason = "stopped"
                break
            if es is not None:
                v = metrics.get(es.monitor, metrics["loss"])
                if es_best is None or _better(v, es_best, es.mode, es.min_delta):
                    es_best, es_wait = v, 0
                else:
                    es_wait += 1
                    if es_wait > es.patience:
                        reason = "early_stopping"
                        break
            if step >= total and epoch + 1 < cfg.epochs:
                reason = "max_steps"
                break
        if reason == "completed" and step >= total and total < spe * cfg.epochs:
            reason = "max_steps"
        epochs_done = len(self.history)
        log.end(reason)
        yield RunEnded(reason, self.best_metrics, str(self.run_dir) if self.run_dir else None,
                       last_metrics, epochs_done, step)

    def _loaders(self, dist: Any, pin_memory: bool = False) -> Loaders:
        if isinstance(self.data, tuple):
            return Loaders.from_pair(*self.data)
        bundle = self.data
        if bundle is None:
            from graphbuilder.training.datasets import load_data

            bundle = load_data(self.config.data, seed=self.config.seed,
                               input_shape=self.input_shape)
        return make_loaders(bundle, self.config, dist, pin_memory=pin_memory)

    @torch.no_grad()
    def _validate(self, model: nn.Module, loaders: Loaders, loss_fn: nn.Module,
                  tracker: MetricTracker, device: torch.device, autocast: Any,
                  dist: Any) -> dict[str, float]:
        if loaders.val is None:
            return {}
        model.eval()
        tracker.reset()
        for x, y in loaders.val:
            x, y = to_device(x, device, self.config.channels_last), to_device(y, device)
            with autocast:
                out = forward(model, x)
                loss = loss_fn(out, y)
            tracker.update(out.float(), y, loss.float())
        state = tracker.state()
        if dist is not None:
            state = dist_util.all_reduce_sums(state)
        return tracker.compute("val_", state)

    def _nan(self, log: RunLog, first_step: int, epoch: int, losses: list,
             chunks: list[torch.Tensor], lrs: list[float]) -> None:
        """Record the failing epoch's step losses (steps.csv shows the blow-up), then raise."""
        log.steps(first_step, epoch, _loss_values(losses, chunks), lrs)
        raise NonFiniteLossError(self._nan_message(self._step, epoch, log))

    def _nan_message(self, step: int, epoch: int, log: RunLog) -> str:
        kept = f"; the last good checkpoint is kept in {log.dir}" if log.enabled and \
            self.history else ""
        return (f"the loss became NaN/inf at step {step} (epoch {epoch + 1}); training stopped"
                f"{kept}. Try a lower learning rate, gradient clipping or fp32.")


def _better(value: float, best: float, mode: str, delta: float = 0.0) -> bool:
    if not math.isfinite(value):
        return False
    return value < best - delta if mode == "min" else value > best + delta


def _on_cpu(x: Any) -> bool:
    """Is a batch (a tensor or a tuple/list of them) already on the CPU?"""
    if isinstance(x, (tuple, list)):
        return all(_on_cpu(v) for v in x)
    return not isinstance(x, torch.Tensor) or x.device.type == "cpu"


def _loss_values(losses: list, chunks: list[torch.Tensor]) -> list[float]:
    """Step losses as floats: ``losses`` holds floats, or tensors like ``chunks``."""
    if losses and isinstance(losses[0], torch.Tensor):
        chunks = [*chunks, torch.stack(losses)]
    elif not chunks:
        return losses
    return torch.cat([c.float() for c in chunks]).tolist() if chunks else []
