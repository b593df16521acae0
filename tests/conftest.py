"""Shared test set-up: quiet TensorFlow, offscreen Qt, small helpers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest


def make_lenet(graph_cls=None):
    """LeNet-5 built through the public graph API; returns (graph, ids in order)."""
    from designer.core.graph import LayerGraph

    g = (graph_cls or LayerGraph)()
    ids = [
        g.add("Input", shape=[28, 28, 1]),
        g.add("Conv2D", filters=6, kernel_size=5, padding="same", activation="relu"),
        g.add("AveragePooling2D"),
        g.add("Conv2D", filters=16, kernel_size=5, activation="relu"),
        g.add("AveragePooling2D"),
        g.add("Flatten"),
        g.add("Dense", units=120, activation="relu"),
        g.add("Dense", units=84, activation="relu"),
        g.add("Dense", units=10, activation="softmax"),
    ]
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return g, ids


@pytest.fixture
def lenet():
    """A fresh LeNet-5 graph and its node ids."""
    return make_lenet()
