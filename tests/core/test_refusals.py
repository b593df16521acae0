"""Layer parameters: only the choices Keras accepts, and its refusals as one sentence."""

from __future__ import annotations

import pytest

from designer.core import catalog
from designer.core.analysis import analyze
from designer.core.graph import LayerGraph


@pytest.mark.parametrize("type_name", ["Conv2D", "Conv3D", "SeparableConv2D", "MaxPooling2D"])
def test_causal_padding_is_offered_only_where_keras_takes_it(type_name: str) -> None:
    assert "causal" not in catalog.get_spec(type_name).params["padding"].choices
    assert "same" in catalog.get_spec(type_name).params["padding"].choices


def test_a_1d_convolution_still_offers_causal_padding() -> None:
    assert "causal" in catalog.get_spec("Conv1D").params["padding"].choices


def _one_layer_issue(type_name: str, shape: list[int], **params) -> str:
    graph = LayerGraph()
    a = graph.add("Input", shape=shape)
    b = graph.add(type_name, **params)
    graph.connect(a, b)
    issues = analyze(graph).issues_of(b)
    assert issues, "expected Keras to refuse the parameters"
    return issues[0].message


def test_a_keras_refusal_is_one_sentence_naming_the_parameter() -> None:
    message = _one_layer_issue("Conv2D", [8, 8, 6], filters=4, kernel_size=3, groups=3)
    assert "\n" not in message and "config=" not in message and "deserializing" not in message
    assert "Keras refuses filters=4: " in message or "Keras refuses groups=3: " in message
