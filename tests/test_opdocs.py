"""docs/OPS.md is generated from the registry; it must match what the registry says."""

from graphbuilder.core import opdocs


def test_op_reference_is_current() -> None:
    assert opdocs.DOC_PATH.is_file(), "run: python -m graphbuilder.core.opdocs"
    assert opdocs.DOC_PATH.read_text(encoding="utf-8") == opdocs.render(), (
        "docs/OPS.md is stale; run: python -m graphbuilder.core.opdocs"
    )
