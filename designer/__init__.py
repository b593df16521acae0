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

from __future__ import annotations

from designer.core.lazy import lazy_exports

# The public names and the modules that define them. They are imported on first use, so that
# `import designer` (and the launchers, the CLI's --help) does not start Keras and TensorFlow.
_EXPORTS = {
    "designer.core.analysis": ("Issue", "Report", "analyze"),
    "designer.core.build": ("BuildError", "ImportModelError", "build_model", "graph_from_model"),
    "designer.core.errors": (
        "CycleError",
        "DuplicateNameError",
        "GraphError",
        "ParamError",
        "PortError",
        "PortOccupiedError",
        "SelfLinkError",
        "UnknownLayerType",
        "UnknownNodeError",
    ),
    "designer.core.graph": ("GraphEvent", "LayerGraph", "Link", "Node"),
}
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
__getattr__ = lazy_exports(globals(), _EXPORTS)
