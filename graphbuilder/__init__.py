"""GraphBuilder: design deep networks as graphs, compile them to torch.fx, train, export.

The public API is imported lazily so that ``import graphbuilder`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {
    "ModelGraph": "graphbuilder.core.graph",
    "NetBuilder": "graphbuilder.core.builder",
    "GraphFormatError": "graphbuilder.core.errors",
    "GraphInvalidError": "graphbuilder.core.errors",
    "GraphError": "graphbuilder.core.errors",
    "load_graph": "graphbuilder.core.fileformat",
    "save_graph": "graphbuilder.core.fileformat",
    "infer_shapes": "graphbuilder.compiler.shapes",
    "compile_graph": "graphbuilder.compiler.fx_compile",
    "export_onnx": "graphbuilder.compiler.onnx_export",
    "export_code": "graphbuilder.compiler.code_export",
    "load_template": "graphbuilder.zoo.catalog",
    "list_templates": "graphbuilder.zoo.catalog",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphbuilder' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
