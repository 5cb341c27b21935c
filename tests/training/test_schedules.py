"""LR schedules: previews without training, warm-up, checkpoint round trips."""

import io

import pytest
import torch

from graphbuilder.training.config import SCHEDULES, RunConfig
from graphbuilder.training.optim import make_optimizer
from graphbuilder.training.schedules import Schedule, preview_schedule


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_schedule_previews(name):
    warm = 0 if name in ("cyclic", "onecycle") else 5
    lrs = preview_schedule({"optimizer": {"lr": 0.1},
                            "schedule": {"name": name, "warmup_steps": warm}}, 10, 4)
    assert len(lrs) == 40
    assert all(0 <= lr <= 0.1 + 1e-12 for lr in lrs)
    if warm:
        assert lrs[0] == pytest.approx(0.001) and lrs[5] == pytest.approx(0.1, rel=0.1)


def test_shapes_of_the_curves():
    cos = preview_schedule({"optimizer": {"lr": 1.0}, "schedule": {"name": "cosine"}}, 10, 10)
    assert cos[0] == 1.0 and cos[-1] < 0.01 and cos == sorted(cos, reverse=True)
    step = preview_schedule({"optimizer": {"lr": 1.0},
                             "schedule": {"name": "step", "step_size": 2, "gamma": 0.5}}, 10, 6)
    assert step[19] == 1.0 and step[20] == 0.5 and step[40] == 0.25
    one = preview_schedule({"optimizer": {"lr": 1.0}, "schedule": {"name": "onecycle"}}, 10, 10)
    peak = one.index(max(one))
    assert 25 <= peak <= 35 and max(one) == pytest.approx(1.0, rel=1e-3)
    cyc = preview_schedule({"optimizer": {"lr": 1.0},
                            "schedule": {"name": "cyclic", "step_size_up": 1}}, 10, 4)
    assert cyc[0] == pytest.approx(0.1) and cyc[10] == pytest.approx(1.0)
    assert cyc[20] == pytest.approx(0.1)
    capped = preview_schedule({"max_steps": 7}, 10, 4)
    assert len(capped) == 7


@pytest.mark.parametrize("name", ["cosine", "plateau", "cyclic", "onecycle", "cosine_restarts"])
def test_schedule_state_survives_a_weights_only_checkpoint(name):
    cfg = RunConfig.from_dict({"schedule": {"name": name,
                                            "warmup_steps": 3 if name == "plateau" else 0}})
    p = torch.nn.Parameter(torch.zeros(1))
    opt = make_optimizer([p], cfg.optimizer)
    sched = Schedule(opt, cfg, 10, 100)
    for _ in range(13):
        opt.step()
        sched.step_batch()
    sched.step_epoch({"val_loss": 1.0})
    buf = io.BytesIO()
    torch.save({"s": sched.state_dict(), "o": opt.state_dict()}, buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    opt2 = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg.optimizer)
    sched2 = Schedule(opt2, cfg, 10, 100)
    opt2.load_state_dict(state["o"])
    sched2.load_state_dict(state["s"])
    for _ in range(5):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step_batch()
        assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_plateau_reduces_after_patience():
    cfg = RunConfig.from_dict({"optimizer": {"lr": 1.0},
                               "schedule": {"name": "plateau", "patience": 1, "factor": 0.5}})
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg.optimizer)
    sched = Schedule(opt, cfg, 1, 10)
    for _ in range(4):
        sched.step_epoch({"val_loss": 1.0})
    assert opt.param_groups[0]["lr"] == 0.5


def test_preview_is_exactly_what_training_uses():
    from training_models import mlp

    from graphbuilder.compiler.fx_compile import compile_graph
    from graphbuilder.training import StepEnd, Trainer

    cfg = {"data": {"dataset": "moons", "size": 200, "batch_size": 32}, "epochs": 3,
           "optimizer": {"lr": 0.01}, "schedule": {"name": "cosine", "warmup_steps": 4}}
    used = [e.lr for e in Trainer(compile_graph(mlp(hidden=4), seed=0), cfg).run()
            if isinstance(e, StepEnd)]
    assert used == preview_schedule(cfg, steps_per_epoch=5, epochs=3)
