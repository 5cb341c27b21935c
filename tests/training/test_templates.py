"""Every shipped template's run config is valid, and the small ones train a step as shipped."""

import pytest

from graphbuilder.training import RunConfig, RunEnded, trainer_for_graph

catalog = pytest.importorskip("graphbuilder.zoo.catalog")
TEMPLATES = catalog.list_templates()


@pytest.mark.parametrize("info", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_template_config_is_valid(info):
    graph = catalog.load_template(info.name)
    cfg = RunConfig.from_dict(graph.training)
    if ":" in cfg.data.dataset or info.params > 2_000_000:
        return  # needs the user's data, or too big for a CPU unit test
    cfg = cfg.replace(**{"max_steps": 1, "data.batch_size": 4, "data.size": 16})
    final = trainer_for_graph(graph, cfg, step_events=False).fit()
    assert isinstance(final, RunEnded), getattr(final, "message", final)
