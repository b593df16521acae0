"""LayerGraph: the document. Layers are nodes, tensors are links to numbered input ports.

Every edit is a method that checks first and then changes the graph, so a refused edit raises
a typed :class:`~designer.core.errors.GraphError` and leaves the graph exactly as it was.
Views observe plain-Python :class:`GraphEvent` s; nothing here knows about Qt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx
import numpy as np

from designer.core.errors import (
    CycleError,
    DuplicateNameError,
    EditValueError,
    GraphError,
    PortError,
    PortOccupiedError,
    SelfLinkError,
    UnknownNodeError,
)
from designer.core.graph_outputs import GraphOutputs, OutputEntry
from designer.core.names import NameBook
from designer.core.node import (
    SAME_STRUCTURE,
    EventKind,
    GraphEvent,
    Link,
    Node,
    NodeRecord,
    Pos,
    Ranks,
    check_layer_name,
    check_lr_factors,
    check_node,
    check_pos,
    default_name,
    legal_name,
    node_from_dict,
    spec_for_edit,
    whole_number,
)
from designer.core.params import short_repr
from designer.core.structure import StructureError, check_template

__all__ = [
    "EventKind",
    "GraphEvent",
    "LayerGraph",
    "Link",
    "Node",
    "NodeRecord",
    "Pos",
    "default_name",
    "legal_name",
    "node_from_dict",
]

Observer = Callable[[GraphEvent], None]
_NUMBERED_ID = re.compile(r"n(\d{1,18})")


class LayerGraph(GraphOutputs):
    """A network of layers; see the module docstring."""

    def __init__(self) -> None:
        self._g = nx.MultiDiGraph()
        self._nodes: dict[str, Node] = {}
        self._names = NameBook()
        self._observers: list[Observer] = []
        self._next_id = 1
        self._batch_depth = 0
        self._pending: list[GraphEvent] = []
        self._topo: list[str] | None = None
        self._ranks = Ranks(self._g)  # a topological order kept edit by edit: cheap cycle checks
        self._outputs: list[OutputEntry] = []  # the outputs, when their order matters
        # How an imported model nests its inputs and outputs (dicts, tuples): "inputs" and
        # "outputs" templates (designer.core.structure) over the flat tensors.
        self.io_structure: dict[str, Any] = {}
        self.name = "network"
        # Caches of data derived from the graph (the analysis keeps its per-layer results
        # here); not part of the document: never saved, copied or compared.
        self.derived: dict[str, Any] = {}

    # ----------------------------------------------------------------- observing
    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event)`` after each change; returns a function that unsubscribes."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _emit(self, kind: EventKind, node: str | None = None, **data: Any) -> None:
        if kind not in SAME_STRUCTURE:
            self._topo = None
        event = GraphEvent(kind, node, data)
        if self._batch_depth:
            self._pending.append(event)
            return
        for observer in list(self._observers):
            observer(event)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many edits: observers receive the events together at the end."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if not self._batch_depth and self._pending:
                events, self._pending = self._pending, []
                for event in events:
                    for observer in list(self._observers):
                        observer(event)

    # ----------------------------------------------------------------- queries
    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and node_id in self._nodes

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self._nodes.values()))

    @property
    def nodes(self) -> list[Node]:
        """All nodes in insertion order."""
        return list(self._nodes.values())

    def node(self, node_id: str) -> Node:
        """The node with this id; raises UnknownNodeError."""
        try:
            return self._nodes[node_id]
        except (KeyError, TypeError):  # TypeError: not even a possible id (a list)
            raise UnknownNodeError(node_id) from None

    def find(self, name: str) -> Node | None:
        """The node with this name, or None."""
        node_id = self._names.get(name)
        return self._nodes[node_id] if node_id else None

    def links(self) -> list[Link]:
        """All links, sorted by destination and port."""
        out = [Link(s, d, k, a["src_port"]) for s, d, k, a in self._g.edges(keys=True, data=True)]
        return sorted(out, key=lambda link: (link.dst, link.port))

    def inputs_of(self, node_id: str) -> list[Link]:
        """Links into ``node_id``, sorted by port."""
        self.node(node_id)
        links = [  # the adjacency itself: networkx's edge views cost more than the links
            Link(src, node_id, port, data["src_port"])
            for src, ports in self._g.pred[node_id].items()
            for port, data in ports.items()
        ]
        return sorted(links, key=lambda link: link.port)

    def outputs_of(self, node_id: str) -> list[Link]:
        """Links out of ``node_id``."""
        self.node(node_id)
        return [
            Link(node_id, dst, port, data["src_port"])
            for dst, ports in self._g.succ[node_id].items()
            for port, data in ports.items()
        ]

    def predecessors(self, node_id: str) -> list[str]:
        """Ids of the nodes feeding ``node_id`` (once each)."""
        return list(dict.fromkeys(link.src for link in self.inputs_of(node_id)))

    def successors(self, node_id: str) -> list[str]:
        """Ids of the nodes fed by ``node_id`` (once each)."""
        return list(self._g.successors(node_id))

    def topological_order(self) -> list[str]:
        """Node ids so that every link goes forward; ties keep insertion order."""
        if self._topo is None:
            order = {nid: i for i, nid in enumerate(self._nodes)}
            self._topo = list(nx.lexicographical_topological_sort(self._g, key=order.get))
        return list(self._topo)

    def view(self) -> nx.MultiDiGraph:
        """A read-only networkx view of the structure (node ids; edges keyed by input port,
        with their ``src_port``), for algorithms such as layouts and cycle searches."""
        return self._g.copy(as_view=True)

    def group_network(self, node_id: str) -> LayerGraph | None:
        """The nested network of group ``node_id``: its own, or, for a second call of a
        shared sub-model, the network of the group it calls again."""
        node = self.node(node_id)
        if node.subgraph is None and node.shared_with in self._nodes:
            return self._nodes[node.shared_with].subgraph
        return node.subgraph

    def input_nodes(self) -> list[str]:
        """Ids of Input layers in insertion order."""
        return [n.id for n in self._nodes.values() if n.type == "Input"]

    def free_port(self, node_id: str) -> int:
        """The lowest unconnected input port of ``node_id``."""
        self.node(node_id)
        used = {port for ports in self._g.pred[node_id].values() for port in ports}
        port = 0
        while port in used:
            port += 1
        return port

    def unique_name(
        self, base: str, taken: Collection[str] = (), free: Collection[str] = ()
    ) -> str:
        """``base`` if unused, else ``base_1``, ``base_2`` ...; see :meth:`NameBook.unique`."""
        return self._names.unique(base, taken, free)

    # ----------------------------------------------------------------- edits
    def add(
        self,
        type_name: str,
        name: str | None = None,
        pos: Pos = (0.0, 0.0),
        *,
        node_id: str | None = None,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str:
        """Add a layer of ``type_name`` with parameters ``params``/``kwargs``; returns its id."""
        if params is not None and not isinstance(params, dict):
            raise EditValueError(
                f"the parameters of a new layer expect a dictionary; received {short_repr(params)}"
            )
        spec = spec_for_edit(type_name, params)
        name = check_layer_name(name) if name else None
        values = spec.defaults()
        values.update(spec.check_params({**(params or {}), **kwargs}, name or ""))
        place = check_pos(pos)
        if name is not None and name in self._names:
            raise DuplicateNameError(f"a layer named '{name}' already exists; names must be unique")
        if node_id is not None:
            self._check_new_id(node_id)
        if not name:
            name = self.unique_name(default_name(type_name))
        node = Node(node_id or self.new_id(), type_name, name, values, place)
        self._insert(node)
        return node.id

    def new_id(self) -> str:
        """A node id that is not in use (and will not be handed out again)."""
        while f"n{self._next_id}" in self._nodes:
            self._next_id += 1
        self._next_id += 1
        return f"n{self._next_id - 1}"

    def _check_new_id(self, node_id: Any) -> None:
        if not isinstance(node_id, str) or not node_id or "/" in node_id:
            raise EditValueError(
                f"a layer id expects non-empty text without '/'; received {short_repr(node_id)}"
            )
        if node_id in self._nodes:
            raise GraphError(f"a layer with id {node_id!r} already exists")

    def _insert(self, node: Node) -> None:
        self._nodes[node.id] = node
        self._names.claim(node.name, node.id)
        self._g.add_node(node.id)
        self._ranks.add(node.id)
        match = _NUMBERED_ID.fullmatch(node.id)
        if match:
            self._next_id = max(self._next_id, int(match.group(1)) + 1)
        self._emit(EventKind.ADDED, node.id)

    def add_node(self, node: Node, index: int | None = None) -> str:
        """Insert a fully formed :class:`Node` (import, paste, undo) at position ``index`` of the
        node order (the end by default); its id and name must be free and follow the rules."""
        self._check_new_id(node.id)
        check_node(node)
        if node.name in self._names:
            raise DuplicateNameError(f"a layer named '{node.name}' already exists")
        if index is not None:
            index = whole_number(index, "a layer's place in the order")
        self._insert(node)
        if index is not None and index < len(self._nodes) - 1:
            items = list(self._nodes.items())
            items.insert(index, items.pop())
            self._nodes = dict(items)
        return node.id

    def remove(self, node_id: str) -> NodeRecord:
        """Remove a node and its links; the record puts it back with :meth:`restore`."""
        node = self.node(node_id)
        links = self.inputs_of(node_id) + self.outputs_of(node_id)
        index = list(self._nodes).index(node_id)
        ports = tuple(port for nid, port in self._outputs if nid == node_id)
        out = self.output_order.index(node_id) if ports else None
        with self.batch():
            for link in links:
                self.disconnect(link.src, link.dst, link.port)
            self._g.remove_node(node_id)
            del self._nodes[node_id]
            self._names.release(node.name)
            self._ranks.remove(node_id)
            if out is not None:
                self.set_output_order([[n, p] for n, p in self._outputs if n != node_id])
            self._emit(EventKind.REMOVED, node_id, name=node.name)
        return NodeRecord(node, links, index, out, ports)

    def restore(self, record: NodeRecord) -> None:
        """Undo :meth:`remove`: the same node with the same id, links and place."""
        self.restore_all([record])

    def restore_all(self, records: list[NodeRecord]) -> None:
        """Put removed nodes back (in their places in the node and output orders), then all
        their links, once each; all or nothing (a refusal takes back what it put in)."""
        added: list[str] = []
        outputs_before = list(self._outputs)
        with self.batch():
            try:
                for record in sorted(records, key=lambda r: (r.index is None, r.index or 0)):
                    added.append(self.add_node(record.node, record.index))
                outputs = [r for r in records if r.output_index is not None]
                if outputs:
                    self.set_output_order(self._outputs_with(outputs))
                links = {(lk.src, lk.dst, lk.port): lk for r in records for lk in r.links}
                for link in sorted(links.values(), key=lambda lk: (lk.dst, lk.port)):
                    if link.src in self._nodes and link.dst in self._nodes:
                        self.connect(link.src, link.dst, link.port, link.src_port)
            except GraphError:
                for node_id in reversed(added):
                    self.remove(node_id)
                self._outputs = outputs_before
                raise

    def check_link(self, src: str, dst: str, port: int | None = None, src_port: int = 0) -> int:
        """Raise the GraphError that :meth:`connect` would raise; else return the port used."""
        source, target = self.node(src), self.node(dst)
        if port is not None:
            port = whole_number(port, f"an input of '{target.name}'", PortError, minimum=None)
        src_port = whole_number(src_port, f"an output of '{source.name}'", PortError, None)
        if src == dst:
            raise SelfLinkError(f"cannot connect '{source.name}' to itself")
        _, most = target.input_range
        if most == 0:
            raise PortError(
                f"{target.label} '{target.name}' takes no inputs; it starts the network"
            )
        if self._ranks.would_cycle(src, dst):
            raise CycleError(
                f"linking '{source.name}' to '{target.name}' would make a cycle: "
                f"'{target.name}' already feeds '{source.name}'"
            )
        if port is None:
            port = self.free_port(dst)
        if port < 0 or (most is not None and port >= most):
            raise PortError(
                f"{target.label} '{target.name}' has {most} input{'s' if most != 1 else ''}; "
                f"received a link to input {short_repr(port + 1)}"
            )
        for feeder, ports in self._g.pred[dst].items():
            if port in ports:
                raise PortOccupiedError(
                    f"input {port + 1} of '{target.name}' is already fed by "
                    f"'{self._nodes[feeder].name}'; disconnect it first"
                )
        if src_port < 0:
            raise PortError(f"'{source.name}' has no output {src_port}")
        return port

    def connect(self, src: str, dst: str, port: int | None = None, src_port: int = 0) -> int:
        """Feed output ``src_port`` of ``src`` into input ``port`` of ``dst`` (first free port
        when None); returns the port used."""
        port = self.check_link(src, dst, port, src_port)
        src_port = int(src_port)
        self._g.add_edge(src, dst, key=port, src_port=src_port)
        self._ranks.linked(src, dst)
        self._emit(EventKind.CONNECTED, dst, src=src, port=port, src_port=src_port)
        return port

    def add_trusted_link(self, src: str, dst: str, port: int, src_port: int = 0) -> None:
        """Add a link without the checks of :meth:`connect` (for importers whose source,
        a Keras model, is already a valid network)."""
        self._g.add_edge(src, dst, key=port, src_port=src_port)
        self._ranks.linked(src, dst)
        self._emit(EventKind.CONNECTED, dst, src=src, port=port, src_port=src_port)

    def disconnect(self, src: str, dst: str, port: int) -> Link:
        """Remove the link from ``src`` into input ``port`` of ``dst``."""
        source, target = self.node(src), self.node(dst)
        port = whole_number(port, f"an input of '{target.name}'", PortError, minimum=None)
        if not self._g.has_edge(src, dst, key=port):
            raise GraphError(
                f"'{source.name}' does not feed input {short_repr(port + 1)} of '{target.name}'"
            )
        src_port = self._g.edges[src, dst, port]["src_port"]
        self._g.remove_edge(src, dst, key=port)
        self._emit(EventKind.DISCONNECTED, dst, src=src, port=port, src_port=src_port)
        return Link(src, dst, port, src_port)

    def set_params(self, node_id: str, **params: Any) -> dict[str, Any]:
        """Change parameters; returns the previous values of the changed keys (for undo)."""
        node = self.node(node_id)
        checked = node.spec.check_params(params, node.name)
        old = {key: node.params.get(key) for key in checked}
        node.params = {**node.params, **checked}
        node._key = None
        self._emit(EventKind.PARAMS, node_id, old=old, new=checked)
        return old

    def restore_params(
        self, node_id: str, params: dict[str, Any], drop: tuple[str, ...] = ()
    ) -> None:
        """Undo :meth:`set_params`: put earlier values back and take away the keys in ``drop``
        (ones that set_params added); the values were accepted once, so they are not checked."""
        node = self.node(node_id)
        old = {key: node.params.get(key) for key in (*params, *drop)}
        node.params = {k: v for k, v in node.params.items() if k not in drop} | dict(params)
        node._key = None
        self._emit(EventKind.PARAMS, node_id, old=old, new=dict(params))

    def record(self, node_id: str) -> NodeRecord:
        """A copy of a node's state with its links (for putting it back as it is now)."""
        node = self.node(node_id)
        twin = Node(**{k: getattr(node, k) for k in Node.__dataclass_fields__ if k != "_key"})
        return NodeRecord(twin, self.inputs_of(node_id) + self.outputs_of(node_id))

    def check_name(self, node_id: str, name: str) -> None:
        """Raise the GraphError that renaming ``node_id`` to ``name`` would raise."""
        node = self.node(node_id)
        name = check_layer_name(name)
        if name != node.name and name in self._names:
            raise DuplicateNameError(f"a layer named '{name}' already exists; names must be unique")

    def rename(self, node_id: str, name: str) -> str:
        """Rename a layer; returns the old name."""
        self.check_name(node_id, name)
        node, name = self.node(node_id), check_layer_name(name)
        old = node.name
        self._names.release(old)
        node.name = name
        self._names.claim(name, node_id)
        self._emit(EventKind.RENAMED, node_id, old=old, new=name)
        return old

    def move(self, node_id: str, pos: Pos) -> Pos:
        """Move a node on the canvas; returns the old position."""
        node = self.node(node_id)
        old, node.pos = node.pos, check_pos(pos)
        self._emit(EventKind.MOVED, node_id, old=old, new=node.pos)
        return old

    def set_trainable(self, node_id: str, trainable: bool) -> bool:
        """Freeze (False) or unfreeze a layer; returns the previous state."""
        node = self.node(node_id)
        if not isinstance(trainable, bool | np.bool_):
            raise EditValueError(
                f"'{node.name}' trainable expects true or false; received {short_repr(trainable)}"
            )
        old, node.trainable = node.trainable, bool(trainable)
        self._emit(EventKind.TRAINABLE, node_id, old=old, new=node.trainable)
        return old

    def set_lr_factors(self, node_id: str, weights: float, bias: float) -> tuple[float, float]:
        """Set the learn-rate factors of a layer's weights and bias; returns the old pair."""
        node = self.node(node_id)
        old, node.lr_factors = node.lr_factors, check_lr_factors(weights, bias)
        self._emit(EventKind.LR_FACTORS, node_id, old=old, new=node.lr_factors)
        return old

    def set_weights(
        self, node_id: str, weights: Any, signature: str | None = None
    ) -> tuple[Any, str | None]:
        """Give a layer weights (arrays, a lazy source or None) made for the type and
        parameters whose signature is ``signature``; returns the old (weights, signature)."""
        node = self.node(node_id)
        old = (node.weights, node.weights_sig)
        node.weights, node.weights_sig = weights, signature if weights is not None else None
        self._emit(EventKind.WEIGHTS, node_id)
        return old

    def replace(self, node_id: str, type_name: str, **params: Any) -> NodeRecord:
        """Change a layer's type in place, keeping its id, name, position and the links that
        fit the new type; returns the old state for :meth:`restore_replaced`."""
        node = self.node(node_id)
        spec = spec_for_edit(type_name)
        values = spec.defaults()
        values.update(spec.check_params(params, node.name))
        before = self.record(node_id)
        with self.batch():
            for link in self.inputs_of(node_id):
                if spec.max_inputs is not None and link.port >= spec.max_inputs:
                    self.disconnect(link.src, link.dst, link.port)
            node.type, node.params, node._key = type_name, values, None
            node.call_style = None
            node.call_kwargs = {}
            node.call_args = None
            if type_name != "Model":
                node.subgraph = None  # a layer of another type holds no nested network
            self._emit(EventKind.REPLACED, node_id, old_type=before.node.type, new_type=type_name)
        return before

    def restore_replaced(self, record: NodeRecord) -> None:
        """Undo :meth:`replace`: the old type, parameters and links, in the same place."""
        node = self.node(record.node.id)
        with self.batch():
            for link in self.inputs_of(node.id) + self.outputs_of(node.id):
                self.disconnect(link.src, link.dst, link.port)
            for key in Node.__dataclass_fields__:
                if key != "_key":
                    setattr(node, key, getattr(record.node, key))
            node._key = None
            self._emit(EventKind.REPLACED, node.id, old_type=None, new_type=node.type)
            for link in record.links:
                self.connect(link.src, link.dst, link.port, link.src_port)

    # ----------------------------------------------------------------- plain data
    def to_dict(self) -> dict[str, Any]:
        """The graph as plain data (no weights)."""
        data: dict[str, Any] = {
            "name": self.name,
            "nodes": [n.to_dict() for n in self._nodes.values()],
            "links": [[lk.src, lk.dst, lk.port, lk.src_port] for lk in self.links()],
            "outputs": self.output_order,
        }
        plain = self._plain_outputs()
        if plain != data["outputs"]:
            data["output_ports"] = plain
        if self.io_structure:
            data["structure"] = dict(self.io_structure)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerGraph:
        """Rebuild a graph from :meth:`to_dict` data; raises GraphError on bad data."""
        if not isinstance(data, dict):
            raise GraphError(f"a network expects a dictionary; received {short_repr(data)}")
        graph = cls()
        graph.name = data.get("name", "network")
        if not isinstance(graph.name, str):
            raise GraphError(f"a network name expects text; received {short_repr(graph.name)}")
        nodes, links, outputs = (_list(data, key) for key in ("nodes", "links", "outputs"))
        for item in nodes:
            graph.add_node(node_from_dict(item))
        for link in links:
            if not isinstance(link, list | tuple) or len(link) != 4:
                raise GraphError(
                    f"a link expects [source, destination, input, output]; received "
                    f"{short_repr(link)}"
                )
            graph.connect(*link)
        ports = data.get("output_ports")
        order = outputs if ports is None else _list(data, "output_ports")
        try:
            graph._outputs = graph._entries([o for o in order if _first(o) in graph])
        except EditValueError as exc:
            raise GraphError(f"a network's outputs: {exc}") from None
        graph.io_structure = _io_structure(data.get("structure"))
        return graph

    def copy(self) -> LayerGraph:
        """A deep copy of structure and parameters; weights are shared (read-only)."""
        clone = LayerGraph.from_dict(self.to_dict())
        for node in self._nodes.values():
            twin = clone.node(node.id)
            twin.weights, twin.weights_sig = node.weights, node.weights_sig
        return clone

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LayerGraph) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def _first(item: Any) -> Any:
    """The layer id of an output entry (an id, or an [id, output] pair)."""
    return item[0] if isinstance(item, list | tuple) and item else item


def _io_structure(value: Any) -> dict[str, Any]:
    """A stored ``structure`` of a network's inputs and outputs, checked."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not set(value) <= {"inputs", "outputs"}:
        raise GraphError(
            f"a network's structure expects 'inputs' and 'outputs'; received {short_repr(value)}"
        )
    try:
        return {k: check_template(v, f"the network's {k}") for k, v in value.items()}
    except StructureError as exc:
        raise GraphError(str(exc)) from None


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise GraphError(f"a network's '{key}' expects a list; received {short_repr(value)}")
    return value
