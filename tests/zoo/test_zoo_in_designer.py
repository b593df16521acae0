"""Every zoo entry opens in the designer: imported, analysed afresh without errors, and the
analysis counts the same parameters as Keras."""

from __future__ import annotations

import pytest

from designer import zoo
from designer.core.analysis import analyze, shape_only_scope
from designer.core.build import graph_from_model
from designer.core.graph import LayerGraph

NAMES = [entry.name for entry in zoo.list_entries()]


@pytest.mark.parametrize("name", NAMES)
def test_entry_imports_and_analyses_without_errors(name: str) -> None:
    with shape_only_scope():  # variables are never initialised: VGG19 costs no memory
        model = zoo.build_model(name, weights=None)
    graph = graph_from_model(model, keep_weights=False)
    fresh = LayerGraph.from_dict(graph.to_dict())  # analysed from scratch, not from the import
    report = analyze(fresh)
    assert report.ok, [issue.message for issue in report.errors]
    assert report.total_params == model.count_params()
