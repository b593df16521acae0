"""The parts of a LayerGraph: nodes (layers), links (tensors) and the events of a change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from designer.core.catalog import LayerSpec, spec_for_type

if TYPE_CHECKING:
    from designer.core.graph import LayerGraph

Pos = tuple[float, float]
_MISSING = object()


@dataclass
class Node:
    """One layer: stable id, type, unique name, parameters, position and training state."""

    id: str
    type: str
    name: str
    params: dict[str, Any]
    pos: Pos = (0.0, 0.0)
    trainable: bool = True
    lr_factors: tuple[float, float] = (1.0, 1.0)  # (weights, bias) learn-rate factors
    call_kwargs: dict[str, Any] = field(default_factory=dict)  # non-tensor call arguments
    call_style: str | None = None  # overrides the spec's "single" / "list" / "args"
    port_args: list[str] | None = None  # keyword names of the ports, when passed by keyword
    const_args: dict[str, Any] = field(default_factory=dict)  # positional constants by index
    shared_with: str | None = None  # id of the node whose Keras layer this one reuses
    subgraph: LayerGraph | None = None  # a nested network (group node), kept collapsed
    group: str | None = None  # name of the group this node was expanded from
    weights: Any = None  # list of arrays, or a lazy source (see designer.core.weights)
    weights_sig: str | None = None  # signature of type+params the weights belong to
    _key: str | None = field(default=None, repr=False, compare=False)

    @property
    def spec(self) -> LayerSpec:
        """The catalog spec of this node's type."""
        return spec_for_type(self.type, self.params)

    @property
    def label(self) -> str:
        """The short type name shown to people ("add" for the operation "keras.ops:add")."""
        return self.type.rsplit(":", 1)[-1]

    @property
    def style(self) -> str:
        """How inputs are passed to the layer: "single", "list" or "args"."""
        return self.call_style or self.spec.call_style

    def params_key(self) -> str:
        """A canonical string of type and parameters (cached until the parameters change)."""
        if self._key is None:
            self._key = json.dumps([self.type, self.params], sort_keys=True, default=str)
        return self._key

    def forget_key(self) -> None:
        """Drop the cached :meth:`params_key` (after changing ``type`` or ``params`` directly,
        as importers do on a node that is not in a graph yet)."""
        self._key = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the project file (weights are stored separately)."""
        spec = self.spec
        if spec.curated:  # defaults are fixed by the catalog: store only what differs
            defaults = spec.defaults()
            params = {k: v for k, v in self.params.items() if defaults.get(k, _MISSING) != v}
        else:  # a generic spec's defaults come from a sample, so keep every value
            params = dict(self.params)
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "params": params,
            "pos": [round(self.pos[0], 2), round(self.pos[1], 2)],
        }
        if not self.trainable:
            data["trainable"] = False
        if tuple(self.lr_factors) != (1.0, 1.0):
            data["lr_factors"] = list(self.lr_factors)
        for key in ("call_kwargs", "const_args", "call_style", "port_args", "shared_with", "group"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.subgraph is not None:
            data["subgraph"] = self.subgraph.to_dict()
        return data


class EventKind(str, Enum):
    """What changed in a :class:`GraphEvent`."""

    ADDED = "added"
    REMOVED = "removed"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    PARAMS = "params"
    RENAMED = "renamed"
    MOVED = "moved"
    TRAINABLE = "trainable"
    LR_FACTORS = "lr_factors"
    REPLACED = "replaced"
    WEIGHTS = "weights"
    OUTPUTS = "outputs"


# Kinds that leave the structure (nodes and links) as it was: the topological order stays.
SAME_STRUCTURE = frozenset(
    {
        EventKind.MOVED,
        EventKind.PARAMS,
        EventKind.RENAMED,
        EventKind.TRAINABLE,
        EventKind.LR_FACTORS,
        EventKind.WEIGHTS,
        EventKind.OUTPUTS,
    }
)


@dataclass(frozen=True)
class GraphEvent:
    """A change of the graph: its kind, the node concerned (None for the whole graph) and
    the kind's details (old and new values, the link's ends)."""

    kind: EventKind
    node: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """A tensor: output ``src_port`` of ``src`` feeds input ``port`` of ``dst``."""

    src: str
    dst: str
    port: int
    src_port: int = 0


@dataclass
class NodeRecord:
    """Everything needed to put a removed node back exactly: its state, links and place."""

    node: Node
    links: list[Link]
    index: int | None = None  # position in the node order
    output_index: int | None = None  # position in the graph's output order, if it had one
