"""``graphbuilder train`` / ``lr-find`` through add_commands (one-line errors, JSON output)."""

import argparse
import json

import pytest
from training_models import mlp

from graphbuilder.cli import load_source
from graphbuilder.core.fileformat import save_graph
from graphbuilder.training.cli_commands import add_commands


def run(*argv):
    parser = argparse.ArgumentParser(prog="graphbuilder")
    add_commands(parser.add_subparsers(dest="command", required=True), load_source=load_source)
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


@pytest.fixture
def graph_file(tmp_path):
    graph = mlp(hidden=16)
    graph.training = {"data": {"dataset": "spirals", "size": 200, "batch_size": 32},
                      "optimizer": {"name": "adam", "lr": 0.01}, "epochs": 1}
    path = tmp_path / "mlp.json"
    save_graph(graph, path)
    return path


def test_train_prints_a_summary_and_writes_the_run(graph_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert run("train", graph_file, "--epochs", 2, "--lr", 0.02, "--schedule", "cosine",
               "--out", out, "--json") == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert doc["reason"] == "completed" and "val_accuracy" in doc["last"]
    assert json.loads((out / "config.json").read_text())["optimizer"]["lr"] == 0.02
    assert (out / "metrics.csv").exists() and (out / "best.pt").exists()
    assert run("train", graph_file, "--epochs", 3, "--resume", out / "last.pt", "--out",
               tmp_path / "run2", "--no-progress") == 0
    assert "finished (completed) after 3 epochs" in capsys.readouterr().out


def test_train_with_a_config_file_and_csv_path(tmp_path, capsys):
    from training_models import linear

    table = tmp_path / "t.csv"
    table.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{2 * i + 1}.5\n" for i in range(40)))
    save_graph(linear(2), tmp_path / "lin.json")
    (tmp_path / "run.json").write_text(json.dumps({"epochs": 1, "optimizer": {"lr": 0.001}}))
    assert run("train", tmp_path / "lin.json", "--data", table, "--config", tmp_path / "run.json",
               "--out", tmp_path / "r", "--no-progress") == 0
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["data"]["dataset"] == f"csv:{table}" and cfg["loss"] == "mse"  # from the data


def test_lr_find_json_and_sweep(graph_file, capsys):
    assert run("lr-find", graph_file, "--steps", 30, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"lrs", "losses", "suggested_lr", "diverged_at"} <= set(doc)
    assert len(doc["lrs"]) == len(doc["losses"]) and doc["suggested_lr"] > 0
    assert run("lr-find", graph_file, "--sweep", "1e-4,1e-2", "--sweep-steps", 5, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["lrs"] == [1e-4, 1e-2] and doc["best_lr"] in doc["lrs"]
    assert doc["suggested_lr"] == doc["best_lr"] and len(doc["losses"]) == 2
    assert [len(c) for c in doc["curves"]] == [5, 5] and doc["diverged_at"] == [None, None]
    assert doc["curves"][0][0] == doc["curves"][1][0]  # same weights, same first batch


def test_lr_find_sweep_text_and_plot(graph_file, capsys, tmp_path):
    import importlib.util

    plot = ["--plot", tmp_path / "s.png"] if importlib.util.find_spec("matplotlib") else []
    assert run("lr-find", graph_file, "--sweep", "1e-3,1e-2,1e9", "--sweep-steps", 6,
               *plot) == 0
    out, err = capsys.readouterr()
    assert out.startswith("best learning rate: ")
    lines = [line for line in err.splitlines() if line.startswith("lr=")]
    assert len(lines) >= 3  # one per candidate (and one per blow-up), not one per step
    assert len(lines) <= 4
    if plot:
        assert (tmp_path / "s.png").stat().st_size > 1000


@pytest.mark.parametrize("argv,expected", [
    (["train", "{dir}/missing.json"], "no such file"),
    (["train", "{graph}", "--lr", "-1"], "optimizer.lr"),
    (["train", "{graph}", "--data", "{dir}/none.csv"], "csv: file not found"),
    (["train", "{graph}", "--data", "nosuchset"], "unknown dataset"),
    (["train", "{graph}", "--config", "{dir}/none.json"], "--config: file not found"),
    (["train", "{graph}", "--resume", "{dir}/none.pt"], "checkpoint not found"),
    (["lr-find", "{graph}", "--sweep", "a,b"], "--sweep"),
    (["lr-find", "{graph}", "--start", "1", "--end", "0.1"], "--start/--end"),
])
def test_bad_input_is_one_line_without_traceback(graph_file, capsys, argv, expected):
    argv = [a.format(dir=graph_file.parent, graph=graph_file) for a in argv]
    assert run(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and expected in err and "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_plot_without_matplotlib_is_a_clear_message(graph_file, capsys, tmp_path):
    import importlib.util

    if importlib.util.find_spec("matplotlib") is not None:
        assert run("lr-find", graph_file, "--steps", 10, "--plot", tmp_path / "p.png") == 0
        assert (tmp_path / "p.png").exists()
    else:
        assert run("lr-find", graph_file, "--plot", tmp_path / "p.png") == 2
        assert "needs matplotlib" in capsys.readouterr().err


def test_template_names_load_through_the_zoo(capsys, tmp_path):
    pytest.importorskip("graphbuilder.zoo.catalog")
    assert run("train", "mlp", "--data", "spirals", "--epochs", 1, "--max-steps", 3,
               "--out", tmp_path / "t", "--no-progress") == 0
    assert run("train", "no_such_template_xyz") == 2
    assert "neither a file nor a template" in capsys.readouterr().err
