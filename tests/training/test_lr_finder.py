"""LR range test and sweep: sensible suggestions, and the model left bit-exactly as it was."""

import math
import random

import numpy as np
import pytest
import torch
from training_models import linear, mlp

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.training.events import LRPoint, SweepStep
from graphbuilder.training.lr_finder import (
    LRFinderResult,
    SweepResult,
    analyse,
    centred_smooth,
    find_lr,
    lr_range_test,
    lr_sweep,
)
from graphbuilder.training.optim import make_optimizer

SPIRALS = {"data": {"dataset": "spirals", "size": 640, "batch_size": 32},
           "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9}}


def _state(model, opt, scaler):
    return ({k: v.clone() for k, v in model.state_dict().items()},
            {k: (p.grad.clone() if p.grad is not None else None)
             for k, p in model.named_parameters()},
            {k: m.training for k, m in model.named_modules()},
            repr(opt.state_dict()), scaler.state_dict(),
            torch.get_rng_state().clone(), np.random.get_state()[1].copy(), random.getstate())


def _same(a, b):
    assert a[0].keys() == b[0].keys()
    for k in a[0]:
        assert torch.equal(a[0][k], b[0][k]), k
    for k in a[1]:
        assert (a[1][k] is None and b[1][k] is None) or torch.equal(a[1][k], b[1][k]), k
    assert a[2] == b[2] and a[3] == b[3] and a[4] == b[4]
    assert torch.equal(a[5], b[5]) and (a[6] == b[6]).all() and a[7] == b[7]


def _trained_model():
    """A model mid-training: BatchNorm stats, optimizer momentum and grads all non-trivial."""
    from graphbuilder.training.config import RunConfig

    model = compile_graph(mlp(hidden=32, bn=True), seed=0)
    opt = make_optimizer(model, RunConfig.from_dict(SPIRALS).optimizer)
    scaler = torch.amp.GradScaler("cpu", init_scale=128.0)
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    for _ in range(3):
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()  # the user left it in eval mode, with grads present
    return model, opt, scaler


def test_range_test_suggests_and_restores_everything_bit_exactly():
    model, opt, scaler = _trained_model()
    before = _state(model, opt, scaler)
    points, result = [], None
    for ev in lr_range_test(model, SPIRALS, num_steps=100, optimizer=opt, scaler=scaler):
        if isinstance(ev, LRFinderResult):
            result = ev
        else:
            points.append(ev)
    _same(before, _state(model, opt, scaler))
    assert result is not None and len(points) == len(result.lrs) >= 50
    assert result.lrs == sorted(result.lrs) and result.lrs[0] == pytest.approx(1e-7)
    assert result.diverged_at in (None, result.lrs[-1])
    from graphbuilder.training.lr_finder import SUGGESTION_HELP

    assert set(result.suggestions) == set(SUGGESTION_HELP)
    lowest = result.lrs[int(np.argmin(result.smoothed))]
    assert all(1e-4 < v <= lowest for v in result.suggestions.values()), result.suggestions


def test_stopping_early_still_restores():
    model, opt, scaler = _trained_model()
    before = _state(model, opt, scaler)
    gen = lr_range_test(model, SPIRALS, start_lr=1e-3, end_lr=1.0, num_steps=50, optimizer=opt)
    for i, _ in enumerate(gen):
        if i == 5:
            break
    gen.close()
    _same(before, _state(model, opt, scaler))


def test_divergence_is_found_a_little_above_the_least_squares_limit():
    """Mini-batch SGD on mean((Xw - y)^2) is stable iff lr < 1/lambda_max(X'X/n)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 4, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.5 + 0.1 * torch.randn(256, generator=g)
    a = torch.cat([x, torch.ones(256, 1)], 1)
    limit = 1 / torch.linalg.eigvalsh(a.T @ a / 256).max().item()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y.unsqueeze(1)),
                                         batch_size=32, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    result = find_lr(compile_graph(linear(4), seed=0),
                     {"loss": "mse", "optimizer": {"name": "sgd", "momentum": 0.0}},
                     (loader, None), start_lr=1e-3, end_lr=10.0, num_steps=100)
    assert 1.0 < result.diverged_at / limit < 3.0
    assert all(v < limit for v in result.suggestions.values())


def test_centred_smoother_does_not_shift_the_steepest_point():
    lrs = list(np.logspace(-6, 0, 100))
    true = 1e-3  # loss falls fastest here (in log lr)
    rng = np.random.default_rng(0)
    losses = [2 - np.tanh(2 * (np.log10(lr) - np.log10(true))) + 0.05 * rng.standard_normal()
              for lr in lrs]
    res = analyse(lrs, losses)
    assert abs(np.log10(res.suggestions["steepest"]) - np.log10(true)) < 0.35
    flat = centred_smooth(np.arange(10.0))
    assert np.allclose(flat[2:-2], np.arange(10.0)[2:-2])  # zero phase on a ramp


def _sweep(model, config, data=None, **kwargs):
    """Run lr_sweep to the end: (SweepSteps, LRPoints, result)."""
    events = list(lr_sweep(model, config, data, **kwargs))
    steps = [e for e in events if isinstance(e, SweepStep)]
    points = [e for e in events if isinstance(e, LRPoint)]
    assert isinstance(events[-1], SweepResult) and len(steps) + len(points) + 1 == len(events)
    return steps, points, events[-1]


def test_sweep_picks_from_the_same_start():
    model = compile_graph(mlp(hidden=32), seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    _, points, result = _sweep(model, {**SPIRALS, "optimizer": {"name": "adam"}},
                               lrs=[1e-5, 1e-2, 30.0], steps=30)
    assert [p.lr for p in points] == result.lrs == [1e-5, 1e-2, 30.0]
    assert result.best_lr == 1e-2
    assert result.losses[1] < result.losses[0]
    for k, v in before.items():
        assert torch.equal(model.state_dict()[k], v)


def test_sweep_streams_one_curve_per_candidate_and_restores_everything():
    model, opt, scaler = _trained_model()  # BatchNorm stats, grads, eval mode
    before = _state(model, opt, scaler)
    lrs = [1e-3, 1e-1, 1e-3]
    steps, points, result = _sweep(model, SPIRALS, lrs=lrs, steps=12)
    _same(before, _state(model, opt, scaler))
    assert [len(c) for c in result.curves] == [12, 12, 12] and len(steps) == 36
    assert [(e.candidate, e.lr, e.step) for e in steps] == [
        (i, lr, s) for i, lr in enumerate(lrs) for s in range(1, 13)]
    for i, curve in enumerate(result.curves):
        assert [e.loss for e in steps if e.candidate == i] == curve
        assert points[i].loss == result.losses[i]
    # same weights and the same first batch: the first loss (before any update) is shared,
    # and repeating a candidate repeats its whole curve (same batch order, same RNG)
    assert result.curves[0][0] == result.curves[1][0]
    assert result.curves[0] == result.curves[2] and result.curves[0] != result.curves[1]
    assert result.losses[0] == result.losses[2] and result.diverged_at == [None] * 3
    assert result.details[0]["steps"] == 12 and not result.stopped


def test_sweep_stops_a_diverging_candidate_and_goes_on():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 4, generator=g)
    y = (x @ torch.tensor([1.0, -2.0, 0.5, 3.0])).unsqueeze(1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    cfg = {"loss": "mse", "optimizer": {"name": "sgd", "momentum": 0.0}}
    model = compile_graph(linear(4), seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    steps, points, result = _sweep(model, cfg, (loader, None), lrs=[1e-2, 1e6, 1e-1],
                                   steps=40)
    at = result.diverged_at[1]
    assert at is not None and at < 40 and len(result.curves[1]) == at
    assert not math.isfinite(result.curves[1][-1]) and result.losses[1] == math.inf
    assert points[1].loss == math.inf and steps[-1].candidate == 2
    assert [len(result.curves[i]) for i in (0, 2)] == [40, 40]
    assert result.diverged_at[::2] == [None, None] and result.best_lr == 1e-1
    for k, v in before.items():
        assert torch.equal(model.state_dict()[k], v)


def test_closing_or_stopping_a_sweep_restores_everything():
    model, opt, scaler = _trained_model()
    before = _state(model, opt, scaler)
    gen = lr_sweep(model, SPIRALS, lrs=[1e-2, 1e-1], steps=10)
    for ev in gen:
        if isinstance(ev, SweepStep) and ev.candidate == 1 and ev.step == 3:
            break  # mid-candidate, with the weights trained by candidate 1
    gen.close()
    _same(before, _state(model, opt, scaler))

    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 15  # during the second candidate

    steps, points, result = _sweep(model, SPIRALS, lrs=[1e-2, 1e-1, 1.0], steps=10,
                                   should_stop=should_stop)
    _same(before, _state(model, opt, scaler))
    assert result.stopped and result.lrs == [1e-2] and len(result.curves) == 1
    assert len(points) == 1 and len(steps) == 15
