"""Typed errors of the document: each refused edit says what was expected and what was received."""

from __future__ import annotations


class GraphError(Exception):
    """Base class: an edit of the layer graph was refused and the graph is unchanged."""


class ParamError(GraphError, ValueError):
    """A parameter value was refused."""


class UnknownLayerType(GraphError, KeyError):
    """A layer type that neither the catalog nor keras.layers knows."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name

    def __str__(self) -> str:
        return (
            f"unknown layer type '{self.type_name}': expected a name from the layer library, "
            f"a keras.layers class, or an importable 'module:Class' Keras layer"
        )


class UnknownNodeError(GraphError, KeyError):
    """A node id that is not in the graph."""

    def __str__(self) -> str:
        return f"no layer with id {self.args[0]!r} in the network"


class SelfLinkError(GraphError):
    """A link from a layer to itself."""


class CycleError(GraphError):
    """A link that would close a cycle."""


class PortError(GraphError):
    """A link to an input port that the layer does not have."""


class PortOccupiedError(GraphError):
    """A link to an input port that is already connected."""


class DuplicateNameError(GraphError):
    """A layer name that another layer already has."""


class LayerNameError(GraphError, ValueError):
    """A layer name that breaks the naming rule (a letter or _ first, no spaces or slashes)."""


class LayerTypeError(GraphError, TypeError):
    """A known layer type that cannot be made from default values (Keras needs arguments)."""


class EditValueError(GraphError, ValueError):
    """A value an edit needs (a position, a learn-rate factor, a flag, a list of ids) of the
    wrong kind."""


class ProjectError(Exception):
    """A project or model file that cannot be read or written; the message says why."""
