"""Every shipped template is generated, valid, trainable and exportable.

* the files are exactly the generator's output (regenerated in memory);
* each one validates, infers shapes, compiles, and runs forward + backward on CPU
  (templates with a torchvision twin do their train step in test_torchvision_compat.py,
  on the module that already holds torchvision's weights, to build it only once);
* its metadata describes it and its suggested run config is a valid RunConfig;
* ONNX export verified with onnxruntime (see ``ONNX_SLOW`` for the default subset).
"""

from __future__ import annotations

import os

import pytest
import torch

from graphbuilder.compiler.fx_compile import compile_graph, example_inputs
from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.zoo.catalog import list_templates, load_template, template_names, templates_dir
from graphbuilder.zoo.generate import GENERATORS, render

NAMES = sorted(GENERATORS)

#: The dynamo ONNX exporter costs 5-30 s for each of these big templates, too much for
#: the default run on two shared cores. Their building blocks are exported anyway: the
#: deeper ResNets repeat resnet18's ops, and tests/zoo/test_blocks.py exports a chain of
#: every composite block (bottleneck, inception, dense + transition, inverted residual,
#: U-Net stages, ViT patch embedding, encoder block...). Set GRAPHBUILDER_ZOO_FULL=1
#: to export every template (about 3 more minutes).
ONNX_SLOW = {"resnet34", "resnet50", "resnet101", "resnet152", "vgg11", "vgg16", "alexnet",
             "googlenet", "densenet121", "vit_b_16", "vit_tiny", "mobilenet_v2", "unet"}
FULL = os.environ.get("GRAPHBUILDER_ZOO_FULL") == "1"


def test_every_generator_has_a_file_and_vice_versa() -> None:
    assert template_names() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_file_is_the_generators_output(name: str) -> None:
    text = (templates_dir() / f"{name}.json").read_text(encoding="utf-8")
    assert text == render(name), (
        f"templates/{name}.json is stale: run `python -m graphbuilder.zoo.generate {name}`")


def test_catalog_metadata_is_complete() -> None:
    infos = list_templates()
    assert [i.name for i in sorted(infos, key=lambda i: i.name)] == NAMES
    for info in infos:
        graph = load_template(info.name)
        (x,) = graph.input_nodes()
        assert list(info.input_shape) == graph.params(x)["shape"], info.name
        assert info.title and len(info.description) > 40 and info.category, info.name
        assert info.params == infer_shapes(graph).total_params, info.name
        assert graph.output_nodes() == ["y"], info.name
        assert graph.groups, f"{info.name} has no collapsible groups"
        grouped = [n for g in graph.groups.values() for n in g.nodes]
        assert len(grouped) == len(set(grouped)), f"{info.name}: a node is in two groups"


def test_suggested_run_configs_are_valid() -> None:
    config = pytest.importorskip("graphbuilder.training.config")
    for name in NAMES:
        graph = load_template(name)
        assert graph.training is not None, name
        config.RunConfig.from_dict(graph.training)  # raises ConfigError naming the key


@pytest.mark.parametrize("name", NAMES)
def test_template_shapes(name: str, shrink) -> None:
    for graph in (load_template(name), shrink(name, load_template(name))):
        report = infer_shapes(graph)
        assert report.ok, report.blocking[:3]
        assert not report.errors, f"warnings: {report.errors[:3]}"


@pytest.mark.parametrize("name", sorted(i.name for i in list_templates() if not i.torchvision))
def test_template_trains_one_step(name: str, shrink, train_step) -> None:
    graph = shrink(name, load_template(name))
    report = infer_shapes(graph)
    gm = compile_graph(graph, seed=0, report=report)
    (x,) = example_inputs(graph, batch=2, generator=torch.Generator().manual_seed(0))
    out = train_step(gm, x)
    assert tuple(out.shape) == (2, *report.nodes["y"].feature_shape)


@pytest.mark.parametrize("name", [n for n in NAMES if FULL or n not in ONNX_SLOW])
def test_template_exports_to_onnx(name: str, tmp_path, shrink) -> None:
    onnx_export = pytest.importorskip("graphbuilder.compiler.onnx_export")
    graph = shrink(name, load_template(name))
    report = onnx_export.export_onnx(graph, tmp_path / f"{name}.onnx", verify=True)
    assert report.verified and (tmp_path / f"{name}.onnx").exists()
    assert report.max_abs_diff <= report.tolerance
