"""Trainer behaviour: events, run directory, resume, control from threads, failures."""

import json
import threading

import pytest
import torch
from training_models import mlp, small_cnn, small_unet

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.training import (
    CheckpointSaved,
    EpochEnd,
    RunEnded,
    RunFailed,
    RunPaused,
    RunResumed,
    RunStarted,
    StepEnd,
    Trainer,
    device_info,
)
from graphbuilder.training.checkpoint import load_checkpoint

SPIRALS = {"data": {"dataset": "spirals", "size": 320, "batch_size": 32}, "epochs": 2,
           "optimizer": {"name": "adam", "lr": 0.01}}


def _model(seed=0):
    return compile_graph(mlp(hidden=16), seed=seed)


def test_event_stream_and_run_directory(tmp_path):
    events = list(Trainer(_model(), SPIRALS, run_dir=tmp_path / "run").run())
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunEnded
    started, ended = events[0], events[-1]
    steps = [e for e in events if isinstance(e, StepEnd)]
    assert len(steps) == started.total_steps == 2 * started.steps_per_epoch == 16
    assert [s.step for s in steps] == list(range(1, 17))
    assert isinstance(steps[0].loss, float) and steps[0].lr == 0.01
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == [0, 1]
    assert {"loss", "val_loss", "val_accuracy", "lr", "time_s"} <= set(epochs[0].metrics)
    assert ended.reason == "completed" and ended.steps_done == 16
    assert any(isinstance(e, CheckpointSaved) and e.kind == "best" for e in events)
    run = tmp_path / "run"
    assert json.loads((run / "config.json").read_text())["epochs"] == 2
    rows = (run / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,step,loss,val_loss,val_accuracy") and len(rows) == 3
    doc = json.loads((run / "metrics.json").read_text())
    assert doc["end_reason"] == "completed" and len(doc["history"]) == 2
    raw = torch.load(run / "last.pt", weights_only=True)
    assert {"model", "optimizer", "schedule", "config", "epoch"} <= set(raw)


def test_no_step_events_when_nobody_wants_them():
    events = list(Trainer(_model(), SPIRALS, step_events=False).run())
    assert not any(isinstance(e, StepEnd) for e in events)


def test_resume_continues_exactly(tmp_path):
    full = _model()
    Trainer(full, {**SPIRALS, "epochs": 3}, step_events=False).fit()
    first = _model()
    Trainer(first, {**SPIRALS, "epochs": 1}, run_dir=tmp_path, step_events=False).fit()
    resumed = _model(seed=9)  # different init: everything must come from the checkpoint
    final = Trainer(resumed, {**SPIRALS, "epochs": 3}, resume_from=tmp_path / "last.pt",
                    step_events=False).fit()
    assert final.reason == "completed" and final.epochs_done == 3
    for k, v in full.state_dict().items():
        assert torch.equal(resumed.state_dict()[k], v), k


def test_pause_resume_and_stop_from_other_threads():
    trainer = Trainer(_model(), {**SPIRALS, "epochs": 50})
    seen = []
    for ev in trainer.run():
        seen.append(ev)
        if isinstance(ev, StepEnd) and ev.step == 3:
            trainer.pause()
            threading.Timer(0.1, trainer.resume).start()
        if isinstance(ev, StepEnd) and ev.step == 7:
            t = threading.Thread(target=trainer.stop)
            t.start()
            t.join()
    kinds = [type(e) for e in seen]
    assert RunPaused in kinds and RunResumed in kinds
    assert kinds.index(RunResumed) == kinds.index(RunPaused) + 1
    assert seen[-1].reason == "stopped" and seen[-1].steps_done == 7


def test_early_stopping():
    cfg = {**SPIRALS, "epochs": 20,
           "early_stopping": {"monitor": "val_loss", "patience": 1, "min_delta": 10.0}}
    final = Trainer(_model(), cfg, step_events=False).fit()
    assert final.reason == "early_stopping" and final.epochs_done == 3


class _PoisonedLoader:
    """Good batches in the first epoch, a NaN batch in the second."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x, self.y = torch.randn(64, 2, generator=g), torch.randint(0, 2, (64,), generator=g)
        self.epoch = 0

    def __len__(self):
        return 4

    def __iter__(self):
        self.epoch += 1
        for i in range(4):
            x = self.x[i * 16:(i + 1) * 16].clone()
            if self.epoch == 2 and i == 2:
                x[0, 0] = float("nan")
            yield x, self.y[i * 16:(i + 1) * 16]


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    loader = _PoisonedLoader()
    final = Trainer(_model(), {"epochs": 5}, data=(loader, None), run_dir=tmp_path).fit()
    assert isinstance(final, RunFailed) and final.kind == "nan"
    assert "NaN" in final.message and "last good checkpoint" in final.message
    assert final.step == 7 and final.epoch == 1
    ck = load_checkpoint(tmp_path / "last.pt")
    assert ck["epoch"] == 0
    assert all(torch.isfinite(v).all() for v in ck["model"].values())
    rows = (tmp_path / "steps.csv").read_text().splitlines()
    assert rows[-1].startswith("7,1,nan,")  # the failing epoch's steps are kept too


class _Greedy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80.00 GiB")


def test_out_of_memory_is_reported_not_raised():
    final = Trainer(_Greedy(), SPIRALS).fit()
    assert isinstance(final, RunFailed) and final.kind == "oom"
    assert "out of memory" in final.message and "batch size 32" in final.message


def test_bad_data_is_a_failed_run_not_a_crash():
    final = Trainer(_model(), {"data": {"dataset": "csv:/no/such/file.csv"}}).fit()
    assert isinstance(final, RunFailed) and final.kind == "data"
    assert "/no/such/file.csv" in final.message
    final = Trainer(_model(), {"data": {"dataset": "nosuchset"}}).fit()
    assert final.kind == "data" and "spirals" in final.message


class _Buggy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return {}["missing"]


def test_programming_errors_carry_a_traceback():
    final = Trainer(_Buggy(), SPIRALS).fit()
    assert final.kind == "error" and "KeyError" in final.message
    assert "Traceback" in final.details


def test_augmentation_mixup_cutmix_bf16_channels_last_run():
    cfg = {"data": {"dataset": "shapes", "size": 96, "batch_size": 16,
                    "augment": ["hflip", "crop", "color", "noise", "rotate"],
                    "mixup_alpha": 0.2, "cutmix_alpha": 1.0},
           "epochs": 1, "precision": "bf16", "channels_last": True, "grad_clip": 1.0,
           "label_smoothing": 0.1, "metrics": ["accuracy", "top3"]}
    final = Trainer(compile_graph(small_cnn(), seed=0), cfg, step_events=False).fit()
    assert isinstance(final, RunEnded), final
    assert 0 <= final.last_metrics["val_top3"] <= 1


def test_segmentation_masks_follow_geometric_augmentation():
    from graphbuilder.training.config import RunConfig
    from graphbuilder.training.data import make_loaders
    from graphbuilder.training.datasets import load_data

    cfg = RunConfig.from_dict({"data": {"dataset": "shapes_seg", "size": 16, "batch_size": 4,
                                        "augment": ["hflip", "vflip", "crop"]}})
    loaders = make_loaders(load_data(cfg.data), cfg)
    x, mask = next(iter(loaders.train))
    assert x.shape == (4, 3, 32, 32) and mask.shape == (4, 32, 32) and mask.dtype == torch.int64
    # the shape is brighter than its background: foreground pixels must still be bright
    fg = (mask > 0).unsqueeze(1).expand_as(x)
    assert x[fg].mean() > x[~fg].mean() + 0.2
    final = Trainer(compile_graph(small_unet(), seed=0),
                    {**cfg.to_dict(), "metrics": ["iou"], "max_steps": 2}).fit()
    assert isinstance(final, RunEnded)


def test_fp16_on_cpu_falls_back_with_a_note():
    events = list(Trainer(_model(), {**SPIRALS, "precision": "fp16", "max_steps": 2}).run())
    assert any("fp16" in n for n in events[0].notes)
    assert isinstance(events[-1], RunEnded) and events[-1].reason == "max_steps"


def test_device_info_and_bad_device():
    assert device_info("cpu").startswith("CPU (")
    if not torch.cuda.is_available():
        final = Trainer(_model(), {**SPIRALS, "device": "cuda"}).fit()
        assert final.kind == "config" and "cuda" in final.message


def test_config_errors_raise_at_construction():
    from graphbuilder.training import ConfigError

    with pytest.raises(ConfigError, match="optimizer.lr"):
        Trainer(_model(), {"optimizer": {"lr": 0}})


def test_model_data_mismatch_is_explained():
    bad_head = compile_graph(mlp(hidden=8, out=5), seed=0)
    final = Trainer(bad_head, {**SPIRALS, "data": {"dataset": "shapes", "size": 40}}).fit()
    assert final.kind == "data" and "model does not accept the data" in final.message
    assert "[3, 32, 32]" in final.message
    final = Trainer(compile_graph(small_cnn(classes=2), seed=0),
                    {"data": {"dataset": "shapes", "size": 64}}).fit()
    assert final.kind == "data" and "needs 3 outputs" in final.message, final.message
    final = Trainer(compile_graph(mlp(hidden=8, in_features=1, out=1), seed=0),
                    {"data": {"dataset": "regression1d", "size": 64}}).fit()
    assert final.kind == "data" and "single model output" in final.message, final.message
    final = Trainer(compile_graph(mlp(hidden=8, in_features=1, out=2), seed=0),
                    {"data": {"dataset": "regression1d", "size": 64}}).fit()
    assert final.kind == "data" and "use loss 'mse'" in final.message, final.message


def test_gui_pattern_worker_thread_controlled_from_the_main_thread():
    """The GUI runs fit() in a worker thread and pauses/stops it from the UI thread."""
    import queue
    import time

    trainer = Trainer(_model(), {**SPIRALS, "epochs": 10_000})
    events: queue.Queue = queue.Queue()
    worker = threading.Thread(target=lambda: trainer.fit([events.put]), daemon=True)
    worker.start()
    while not isinstance(events.get(timeout=30), StepEnd):
        pass
    trainer.pause()
    while not isinstance(events.get(timeout=30), RunPaused):
        pass
    time.sleep(0.2)
    assert events.empty() and trainer.paused  # nothing happens while paused
    trainer.resume()
    assert isinstance(events.get(timeout=30), RunResumed)
    trainer.stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
    last = list(events.queue)[-1]
    assert isinstance(last, RunEnded) and last.reason == "stopped"


def test_resume_into_a_different_model_is_a_clear_error(tmp_path):
    Trainer(_model(), {**SPIRALS, "epochs": 1}, run_dir=tmp_path, step_events=False).fit()
    other = compile_graph(mlp(hidden=8), seed=0)
    final = Trainer(other, SPIRALS, resume_from=tmp_path / "last.pt").fit()
    assert isinstance(final, RunFailed) and final.kind == "config"
    assert "does not fit this model" in final.message


def _steps_csv(path):
    rows = [r.split(",") for r in path.read_text().splitlines()]
    assert rows[0] == ["step", "epoch", "loss", "lr"]
    return [(int(s), int(e), float(loss), float(lr)) for s, e, loss, lr in rows[1:]]


def test_steps_csv_holds_every_step_loss_and_lr(tmp_path):
    cfg = {**SPIRALS, "schedule": {"name": "cosine"}}
    events = list(Trainer(_model(), cfg, run_dir=tmp_path).run())
    steps = [e for e in events if isinstance(e, StepEnd)]
    rows = _steps_csv(tmp_path / "steps.csv")
    assert rows == [(s.step, s.epoch, s.loss, s.lr) for s in steps]
    assert all(s.loss == float(s.loss_tensor) and not s.loss_tensor.requires_grad
               for s in steps)
    assert len({lr for *_, lr in rows}) > 8  # the schedule's LR, step by step
    for ev in (e for e in events if isinstance(e, EpochEnd)):
        losses = [loss for _, epoch, loss, _ in rows if epoch == ev.epoch]
        assert ev.metrics["loss"] == pytest.approx(sum(losses) / len(losses), rel=1e-12)
    # without step events (the fast path) the file is the same
    Trainer(_model(), cfg, run_dir=tmp_path / "quiet", step_events=False).fit()
    assert _steps_csv(tmp_path / "quiet" / "steps.csv") == rows


def test_steps_csv_continues_on_resume(tmp_path):
    Trainer(_model(), {**SPIRALS, "epochs": 1}, run_dir=tmp_path, step_events=False).fit()
    first = _steps_csv(tmp_path / "steps.csv")
    with open(tmp_path / "steps.csv", "a") as f:  # rows of an older, longer continuation
        f.write("9,1,0.5,0.01\n10,1,0.5,0.01\n")
    Trainer(_model(), SPIRALS, run_dir=tmp_path, resume_from=tmp_path / "last.pt",
            step_events=False).fit()
    rows = _steps_csv(tmp_path / "steps.csv")
    assert [r[0] for r in rows] == list(range(1, 17)) and rows[:8] == first
    assert [r[1] for r in rows] == [0] * 8 + [1] * 8


def test_step_losses_kept_as_tensors_are_read_once():
    from graphbuilder.training.trainer import _loss_values

    assert _loss_values([0.5, 1.5], []) == [0.5, 1.5]
    chunks = [torch.tensor([1.0, 2.0])]
    assert _loss_values([torch.tensor(3.0, dtype=torch.bfloat16)], chunks) == [1.0, 2.0, 3.0]
    assert _loss_values([], chunks) == [1.0, 2.0] and _loss_values([], []) == []
