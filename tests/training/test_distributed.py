"""DDP on CPU: two gloo processes stay in sync (identical weights) and rank 0 alone writes."""

import os
import subprocess
import sys
from pathlib import Path

import torch
import torch.multiprocessing as mp
from training_models import mlp

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.core.fileformat import save_graph
from graphbuilder.training import Trainer
from graphbuilder.training import distributed as dist_util

CFG = {"data": {"dataset": "moons", "size": 256, "batch_size": 16}, "epochs": 2,
       "optimizer": {"name": "adam", "lr": 0.02}}


def _worker(rank: int, world: int, tmp: str) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{tmp}/store", rank=rank,
                            world_size=world)
    try:
        # different initial weights on purpose: DDP must broadcast rank 0's
        model = compile_graph(mlp(hidden=16, bn=True), seed=rank)
        final = Trainer(model, CFG, run_dir=f"{tmp}/run", step_events=False).fit()
        torch.save({"state": model.state_dict(), "reason": getattr(final, "reason", None),
                    "failed": getattr(final, "message", None), "metrics": final.last_metrics
                    if hasattr(final, "last_metrics") else {}}, f"{tmp}/rank{rank}.pt")
    finally:
        dist_util.cleanup()


def test_two_gloo_processes_end_with_identical_weights(tmp_path):
    mp.spawn(_worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["reason"] == r1["reason"] == "completed", (r0["failed"], r1["failed"])
    for k, v in r0["state"].items():
        assert torch.equal(v, r1["state"][k]), k
    assert r0["metrics"]["val_loss"] == r1["metrics"]["val_loss"]  # all-reduced
    assert r0["metrics"]["val_accuracy"] > 0.75
    ref = compile_graph(mlp(hidden=16, bn=True), seed=0)
    assert not torch.equal(ref.state_dict()["fc1.weight"], r0["state"]["fc1.weight"])
    written = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert written == ["best.pt", "config.json", "last.pt", "metrics.csv", "metrics.json",
                       "steps.csv"]


def test_cli_train_under_torchrun(tmp_path):
    graph = mlp(hidden=8)
    save_graph(graph, tmp_path / "g.json")
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "graphbuilder", "train", str(tmp_path / "g.json"), "--data", "spirals",
         "--epochs", "1", "--batch-size", "64", "--out", str(tmp_path / "run"),
         "--no-progress", "--device", "cpu"],
        capture_output=True, text=True, timeout=120, env=env)
    # a rank's own error is printed before torchrun's long summary: show both ends
    assert proc.returncode == 0, proc.stderr[:3000] + "\n...\n" + proc.stderr[-1500:]
    assert proc.stdout.count("finished (completed)") == 1  # rank 0 alone reports
    assert (tmp_path / "run" / "last.pt").exists()
