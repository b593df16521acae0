"""Network Designer: build, analyse, train and export Keras networks by point and click.

The public API (DESIGN.md section 7)::

    import designer as nd
    g = nd.LayerGraph()
    a = g.add("Input", shape=(28, 28, 1))
    b = g.add("Conv2D", filters=6, kernel_size=5, activation="relu")
    g.connect(a, b)
    report = nd.analyze(g)
    model = nd.build_model(g)
    g2 = nd.graph_from_model(model)
"""

from designer.core.analysis import Issue, Report, analyze
from designer.core.build import BuildError, ImportModelError, build_model, graph_from_model
from designer.core.errors import (
    CycleError,
    DuplicateNameError,
    GraphError,
    ParamError,
    PortError,
    PortOccupiedError,
    SelfLinkError,
    UnknownLayerType,
    UnknownNodeError,
)
from designer.core.graph import GraphEvent, LayerGraph, Link, Node

__version__ = "0.1.0"

__all__ = [
    "BuildError",
    "CycleError",
    "DuplicateNameError",
    "GraphError",
    "GraphEvent",
    "ImportModelError",
    "Issue",
    "LayerGraph",
    "Link",
    "Node",
    "ParamError",
    "PortError",
    "PortOccupiedError",
    "Report",
    "SelfLinkError",
    "UnknownLayerType",
    "UnknownNodeError",
    "analyze",
    "build_model",
    "graph_from_model",
]
