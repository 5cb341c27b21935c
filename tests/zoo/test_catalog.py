"""The catalog contract other parts rely on (editor template browser, CLI, default design)."""

from __future__ import annotations

import pytest

from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.catalog import (
    TemplateInfo,
    UnknownTemplateError,
    list_templates,
    load_template,
    template_names,
)


def test_default_templates_exist() -> None:
    names = template_names()
    assert {"simple_cnn", "mlp"} <= set(names)


def test_list_templates_reads_metadata() -> None:
    infos = {i.name: i for i in list_templates()}
    cnn = infos["simple_cnn"]
    assert isinstance(cnn, TemplateInfo)
    assert cnn.input_shape == (3, 32, 32)
    assert cnn.params > 0 and cnn.title and cnn.description and cnn.category
    assert cnn.path.is_file()


def test_load_template_returns_fresh_graph() -> None:
    a, b = load_template("simple_cnn"), load_template("simple_cnn")
    assert isinstance(a, ModelGraph) and a is not b
    assert a.training and a.training["data"]["dataset"] == "shapes"
    assert a.metadata["input_shape"] == [3, 32, 32]


def test_unknown_template_lists_available_names() -> None:
    with pytest.raises(UnknownTemplateError) as info:
        load_template("resnet9000")
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    assert "resnet9000" in str(info.value) and "simple_cnn" in str(info.value)
