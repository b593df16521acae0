"""What an analysis finds: per-layer infos (shapes, labels, parameters, issues) and the
network's report, read-only. Made by :mod:`designer.core.analysis`. No Qt, no Keras."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from designer.core.graph import LayerGraph

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class Issue:
    """A finding about the network: severity "error" or "warning", node id, code, sentence."""

    severity: str
    node: str | None
    code: str
    message: str

    def to_dict(self, graph: LayerGraph | None = None) -> dict[str, Any]:
        """Plain data; with ``graph``, the node is given by its layer name."""
        layer = None
        if self.node is not None:
            layer = graph.node(self.node).name if graph and self.node in graph else self.node
        return {"layer": layer, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class LayerResult:
    """What Keras says about one layer for given input shapes (the cached part)."""

    shapes: tuple[Shape, ...]
    dtypes: tuple[str, ...]
    trainable: int
    non_trainable: int
    error: tuple[str, str] | None = None  # (code, message)


@dataclass
class NodeInfo:
    """Analysis of one node."""

    shapes: list[Shape] = field(default_factory=list)
    dtypes: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    trainable: int = 0
    non_trainable: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def params(self) -> int:
        """All parameters of the layer."""
        return self.trainable + self.non_trainable

    @property
    def shape(self) -> Shape | None:
        """The first output shape, or None when unknown."""
        return self.shapes[0] if self.shapes else None


_SERIALS = itertools.count(1)


@dataclass
class Report:
    """The result of :func:`analyze` (or of a :class:`LiveAnalysis` update).

    A report and its NodeInfos are read-only: the NodeInfo of a layer that an edit did not
    change is the very object of the report before, and so are unchanged lists.
    """

    nodes: dict[str, NodeInfo]  # in the graph's node order
    issues: list[Issue]
    inputs: list[str]
    outputs: list[str]
    recomputed: int = field(default=0, compare=False)  # layers computed afresh (cache misses)
    order: list[str] = field(default_factory=list)  # network order (topological_order)
    # The ids whose NodeInfo differs from report number ``since`` (added, changed or gone);
    # None when not known. Views that show report ``since`` need to look at these only.
    changed: frozenset[str] | None = field(default=None, compare=False, repr=False)
    since: int | None = field(default=None, compare=False, repr=False)
    serial: int = field(default_factory=lambda: next(_SERIALS), compare=False, repr=False)
    _totals: tuple[int, int] | None = field(default=None, compare=False, repr=False)

    @property
    def errors(self) -> list[Issue]:
        """Issues of severity error."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Issues of severity warning."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when the network has no errors and can be built."""
        return not self.errors

    @property
    def shapes(self) -> dict[str, Shape | None]:
        """First output shape of every node."""
        return {nid: info.shape for nid, info in self.nodes.items()}

    @property
    def params(self) -> dict[str, int]:
        """Parameter count of every node."""
        return {nid: info.params for nid, info in self.nodes.items()}

    def _sums(self) -> tuple[int, int]:
        if self._totals is None:
            infos = self.nodes.values()
            self._totals = (sum(i.trainable for i in infos), sum(i.non_trainable for i in infos))
        return self._totals

    @property
    def trainable_params(self) -> int:
        """Trainable parameters of the whole network."""
        return self._sums()[0]

    @property
    def non_trainable_params(self) -> int:
        """Non-trainable (frozen or statistics) parameters of the whole network."""
        return self._sums()[1]

    @property
    def total_params(self) -> int:
        """All parameters of the network."""
        return self.trainable_params + self.non_trainable_params

    def issues_of(self, node_id: str) -> list[Issue]:
        """Issues about one node."""
        return [i for i in self.issues if i.node == node_id]
