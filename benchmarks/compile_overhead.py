"""How much does GraphBuilder cost over hand-written PyTorch? (a script, not a test)

    .venv/bin/python benchmarks/compile_overhead.py [--quick]

1. Forward+backward time of a compiled ResNet-style graph against the equivalent
   hand-written ``nn.Module`` with the same weights: the two are timed alternately
   (interleaved, so load changes on a shared machine hit both) and the median of the
   per-pair ratios is reported. Target: <= 1.02.
2. ``infer_shapes`` and ``compile_graph`` on generated graphs of about 100, 500 and 1000
   nodes. "cold" empties the shape cache first (identical blocks still share results
   within the graph), "cold, distinct" uses a graph in which every layer has its own
   signature (the worst case: one meta build per node), "warm" re-runs on the same
   graph (what the editor sees after an edit). Targets: infer 500 nodes < 100 ms,
   compile < 1 s.
3. The same on shipped templates, next to torchvision's constructor of the same network
   (weight initialisation dominates both).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphbuilder.compiler import shapes  # noqa: E402
from graphbuilder.compiler.fx_compile import compile_graph  # noqa: E402
from graphbuilder.compiler.shapes import infer_shapes  # noqa: E402
from graphbuilder.core.builder import NetBuilder  # noqa: E402
from graphbuilder.core.graph import ModelGraph  # noqa: E402

WIDTHS = (16, 32, 64)


# --------------------------------------------------------------------- ResNet pair
def resnet_graph(blocks_per_stage: int = 2) -> ModelGraph:
    b = NetBuilder("bench resnet")
    h = b.input("x", [3, 32, 32])
    h = b.add("conv1", "Conv2d", h, out_channels=WIDTHS[0], padding=1, bias=False)
    h = b.add("bn1", "BatchNorm2d", h)
    h = b.add("relu", "ReLU", h)
    cin = WIDTHS[0]
    for s, width in enumerate(WIDTHS):
        for i in range(blocks_per_stage):
            stride = 2 if s > 0 and i == 0 else 1
            with b.scope(f"layer{s + 1}.{i}"):
                a = b.add("conv1", "Conv2d", h, out_channels=width, stride=stride, padding=1,
                          bias=False)
                a = b.add("bn1", "BatchNorm2d", a)
                a = b.add("relu1", "ReLU", a)
                a = b.add("conv2", "Conv2d", a, out_channels=width, padding=1, bias=False)
                a = b.add("bn2", "BatchNorm2d", a)
                skip = h
                if stride != 1 or cin != width:
                    skip = b.add("downsample.0", "Conv2d", h, out_channels=width,
                                 kernel_size=1, stride=stride, bias=False)
                    skip = b.add("downsample.1", "BatchNorm2d", skip)
                a = b.add("add", "Add", [a, skip])
                h = b.add("relu2", "ReLU", a)
            cin = width
    h = b.add("avgpool", "GlobalAvgPool2d", h)
    b.output("y", b.add("fc", "Linear", h, out_features=10))
    return b.build(layout=False)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu2 = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != width:
            self.downsample = nn.Sequential(nn.Conv2d(cin, width, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        skip = x if self.downsample is None else self.downsample(x)
        return self.relu2(out + skip)


class HandResNet(nn.Module):
    """What a person would write for :func:`resnet_graph` (same state_dict keys)."""

    def __init__(self, blocks_per_stage: int = 2) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, WIDTHS[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(WIDTHS[0])
        self.relu = nn.ReLU()
        cin = WIDTHS[0]
        for s, width in enumerate(WIDTHS):
            layers = []
            for i in range(blocks_per_stage):
                layers.append(BasicBlock(cin, width, 2 if s > 0 and i == 0 else 1))
                cin = width
            setattr(self, f"layer{s + 1}", nn.Sequential(*layers))
        self.fc = nn.Linear(cin, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        for s in range(len(WIDTHS)):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(x.mean((2, 3)))


def time_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    t0 = time.perf_counter()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    for p in model.parameters():
        p.grad = None
    return time.perf_counter() - t0


def bench_overhead(repeats: int, batch: int) -> None:
    graph = resnet_graph()
    gm = compile_graph(graph, seed=0)
    hand = HandResNet()
    hand.load_state_dict(gm.state_dict(), strict=True)
    x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    with torch.no_grad():
        gm.eval()
        hand.eval()
        assert torch.allclose(gm(x), hand(x), atol=1e-5), "models differ"
    gm.train()
    hand.train()
    for _ in range(3):  # warm up allocator and kernels
        time_step(gm, x, y)
        time_step(hand, x, y)
    ratios, t_gm, t_hand = [], [], []
    for i in range(repeats):
        pair = [(gm, t_gm), (hand, t_hand)]
        if i % 2:
            pair.reverse()  # alternate who goes first
        for model, times in pair:
            times.append(time_step(model, x, y))
        ratios.append(t_gm[-1] / t_hand[-1])
    n_nodes = len(graph)
    print(f"ResNet-style graph ({n_nodes} nodes, {sum(p.numel() for p in gm.parameters()):,} "
          f"params), batch {batch}, {repeats} interleaved fwd+bwd steps, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"  compiled GraphModule  median {statistics.median(t_gm) * 1e3:8.2f} ms")
    print(f"  hand-written Module   median {statistics.median(t_hand) * 1e3:8.2f} ms")
    ratio = statistics.median(ratios)
    q = statistics.quantiles(ratios, n=4)
    print(f"  ratio compiled/hand   median of pair ratios {ratio:.3f} "
          f"(IQR {q[0]:.3f}-{q[2]:.3f}), ratio of medians "
          f"{statistics.median(t_gm) / statistics.median(t_hand):.3f}, "
          f"ratio of minima {min(t_gm) / min(t_hand):.3f}")
    print(f"  target <= 1.02 (median of pair ratios): {'OK' if ratio <= 1.02 else 'MISSED'}"
          "; an IQR wider than the target means the machine is too noisy to tell")


# -------------------------------------------------------------------- graph scaling
def chain_graph(n_nodes: int, distinct: bool) -> ModelGraph:
    """Residual blocks of 7 nodes (conv, bn, relu, conv, bn, add, relu) up to ~n nodes.

    ``distinct`` gives every block its own width so no two layers share a signature.
    """
    b = NetBuilder(f"chain{n_nodes}")
    h = b.input("x", [8, 16, 16])
    width, k = 8, 0
    while len(b.graph) < n_nodes - 8:
        new = 8 + (k % 97) if distinct else 8
        with b.scope(f"block{k}"):
            a = b.add("conv1", "Conv2d", h, out_channels=new, padding=1)
            a = b.add("bn1", "BatchNorm2d", a)
            a = b.add("relu1", "ReLU", a)
            a = b.add("conv2", "Conv2d", a, out_channels=width, padding=1)
            a = b.add("bn2", "BatchNorm2d", a)
            a = b.add("add", "Add", [a, h])
            h = b.add("relu2", "ReLU", a)
        k += 1
    h = b.add("pool", "GlobalAvgPool2d", h)
    b.output("y", b.add("fc", "Linear", h, out_features=10))
    return b.build(layout=False)


def best_of(fn: Callable[[], object], n: int, before: Callable[[], None] = lambda: None) -> float:
    times = []
    for _ in range(n):
        before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_scaling(sizes: tuple[int, ...], n: int) -> None:
    clear = shapes._CACHE.clear
    print(f"\nGraph size scaling (best of {n}; ms)")
    print(f"  {'nodes':>6}  {'infer cold':>10}  {'infer cold,distinct':>19}  {'infer warm':>10}"
          f"  {'compile':>8}  {'compile distinct':>16}")
    for size in sizes:
        same, distinct = chain_graph(size, False), chain_graph(size, True)
        cold = best_of(lambda g=same: infer_shapes(g), n, clear)
        cold_d = best_of(lambda g=distinct: infer_shapes(g), n, clear)
        infer_shapes(same)
        warm = best_of(lambda g=same: infer_shapes(g), n)
        rep_same, rep_d = infer_shapes(same), infer_shapes(distinct)
        comp = best_of(lambda g=same, r=rep_same: compile_graph(g, report=r), n)
        comp_d = best_of(lambda g=distinct, r=rep_d: compile_graph(g, report=r), n)
        print(f"  {len(same):>6}  {cold * 1e3:>10.1f}  {cold_d * 1e3:>19.1f}  "
              f"{warm * 1e3:>10.1f}  {comp * 1e3:>8.1f}  {comp_d * 1e3:>16.1f}")
    print("  targets: infer 500 nodes < 100 ms; compile < 1000 ms "
          "(compile times exclude inference, which compile_graph runs unless given a report)")


def bench_templates(names: tuple[str, ...], n: int) -> None:
    """The same timings on shipped templates (real graphs), when the zoo is present."""
    try:
        from graphbuilder.zoo.catalog import load_template, template_names
    except ImportError:
        return
    names = tuple(t for t in names if t in template_names())
    if not names:
        return
    clear = shapes._CACHE.clear
    print(f"\nShipped templates (best of {n}; ms)")
    print(f"  {'template':<14} {'nodes':>6}  {'infer cold':>10}  {'infer warm':>10}  "
          f"{'compile':>8}  {'torchvision ctor':>16}")
    for name in names:
        graph = load_template(name)
        cold = best_of(lambda g=graph: infer_shapes(g), n, clear)
        infer_shapes(graph)
        warm = best_of(lambda g=graph: infer_shapes(g), n)
        report = infer_shapes(graph)
        comp = best_of(lambda g=graph, r=report: compile_graph(g, report=r), n)
        ctor = _torchvision_ctor_ms(graph.metadata.get("torchvision"), n)
        print(f"  {name:<14} {len(graph):>6}  {cold * 1e3:>10.1f}  {warm * 1e3:>10.1f}  "
              f"{comp * 1e3:>8.1f}  {ctor:>16}")
    print("  compile time is mostly weight initialisation: compare torchvision's own "
          "constructor for the same network")


def _torchvision_ctor_ms(builder: str | None, n: int) -> str:
    try:
        import torchvision.models as tvm
    except ImportError:
        return "-"
    if not builder or not hasattr(tvm, builder):
        return "-"
    return f"{best_of(getattr(tvm, builder), n) * 1e3:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bench_overhead(repeats=15 if args.quick else 150, batch=args.batch)
    bench_scaling((100, 500, 1000), n=2 if args.quick else 5)
    bench_templates(("resnet18", "resnet152", "densenet121", "vit_b_16"), n=2 if args.quick else 3)


if __name__ == "__main__":
    main()
