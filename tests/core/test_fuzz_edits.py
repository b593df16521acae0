"""Graph edits, fuzzed (tests/fuzz/graph.py through Hypothesis) and the named refusals."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from designer.core.analysis import analyze
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph
from tests.fuzz.graph import one_case


@given(seed=st.integers(0, 2**32 - 1))
def test_random_edit_sequences_keep_every_invariant(tmp_path: Path, seed: int) -> None:
    outcome = one_case(random.Random(seed), tmp_path)  # a broken invariant raises InvariantBroken
    assert outcome == "ok" or outcome.startswith("refused:")


def _pair() -> tuple[LayerGraph, str, str]:
    graph = LayerGraph()
    return graph, graph.add("Input", shape=[4]), graph.add("Dense", units=3)


REFUSED = {
    "huge integer": lambda g, a, b: g.add("Dense", units=10**400),
    "port as text": lambda g, a, b: g.connect(a, b, "0"),
    "port as fraction": lambda g, a, b: g.connect(a, b, 0.5),
    "type ':'": lambda g, a, b: g.replace(b, ":"),
    "NaN position": lambda g, a, b: g.move(b, (math.nan, 0)),
    "infinite position": lambda g, a, b: g.move(b, (math.inf, 0)),
    "text position": lambda g, a, b: g.add("Dense", pos=("a", "b")),
    "NaN in a config": lambda g, a, b: g.set_params(
        b, kernel_initializer={"class_name": "Constant", "config": {"value": math.nan}}
    ),
    "slash in a name": lambda g, a, b: g.add("Dense", name="a/b"),
}


@pytest.mark.parametrize("edit", sorted(REFUSED))
def test_odd_edits_are_refused_with_a_graph_error_and_leave_no_trace(edit: str) -> None:
    graph, a, b = _pair()
    before = graph.to_dict()
    with pytest.raises(GraphError):
        REFUSED[edit](graph, a, b)
    assert graph.to_dict() == before
    json.dumps(graph.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("layer", "params"),
    [
        ("Dense", {"units": 3, "bias_initializer": "orthogonal"}),
        ("LayerNormalization", {"beta_initializer": "identity"}),
    ],
)
def test_the_analysis_reports_what_keras_refuses_at_build(layer: str, params: dict) -> None:
    graph = LayerGraph()
    src = graph.add("Input", shape=[4])
    node = graph.add(layer, **params)
    graph.connect(src, node)
    report = analyze(graph)
    assert not report.ok
    assert any(issue.node == node and issue.severity == "error" for issue in report.issues)


def test_a_ten_thousand_layer_chain_is_built_edit_by_edit() -> None:
    graph = LayerGraph()
    prev = graph.add("Input", shape=[8])
    for _ in range(10_000):
        node = graph.add("Dense", units=2)
        graph.connect(prev, node)
        prev = node
    assert len(graph) == 10_001 and graph.topological_order()[-1] == prev
    assert graph.find("dense_9999") is not None
