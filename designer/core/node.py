"""The parts of a LayerGraph: nodes (layers), links (tensors), the events of a change, the rules
every value of an edit follows (names, positions, ports) and the order that keeps cycle checks
cheap."""

from __future__ import annotations

import functools
import json
import operator
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from designer.core import structure
from designer.core.catalog import LayerSpec, spec_for_type
from designer.core.errors import EditValueError, GraphError, LayerNameError, UnknownLayerType
from designer.core.keras_compat import to_snake_case
from designer.core.params import ParamError, finite_float, json_problem, plain_value, short_repr
from designer.core.unrepresented import UNREPRESENTED

if TYPE_CHECKING:
    from designer.core.graph import LayerGraph

Pos = tuple[float, float]
_MISSING = object()

# The one rule for layer names (add, paste, import, rename): a letter or _ first, then ASCII
# letters, digits, _ . -. Keras refuses "/" in a name, and TensorFlow refuses other characters
# (spaces, accents) in the scope names that training gives layers.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def check_layer_name(name: Any) -> str:
    """``name`` without surrounding spaces if it follows the naming rule, else LayerNameError."""
    text = name.strip() if isinstance(name, str) else name
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise LayerNameError(
            f"a layer name must start with a letter or _ and contain only the letters A-Z, "
            f"digits, _ . and - (no spaces, slashes or accents); received {short_repr(name)}"
        )
    return text


def legal_name(text: str) -> str:
    """``text`` made to follow the naming rule (each character it refuses becomes _), for names
    that come from elsewhere (a Keras model's layer names)."""
    name = _NOT_IN_NAME.sub("_", str(text).strip()) or "layer"
    return name if _NAME.fullmatch(name) else f"_{name}"


def check_pos(pos: Any) -> Pos:
    """A canvas position as two finite floats, else EditValueError."""
    try:
        if not isinstance(pos, tuple | list) or len(pos) != 2:
            raise ParamError("not a pair")
        return (finite_float(pos[0], "x"), finite_float(pos[1], "y"))
    except ParamError:
        raise EditValueError(
            f"a layer position expects two finite numbers (x, y); received {short_repr(pos)}"
        ) from None


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
    call_args: dict[str, Any] | None = None  # a structured call (designer.core.structure)
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
        if self.type == UNREPRESENTED:  # the class it stands for ("TransformerBlock")
            return re.split(r"[>:.]", str(self.params.get("class_name", "?")))[-1]
        return self.type.rsplit(":", 1)[-1]

    @property
    def input_range(self) -> tuple[int, int | None]:
        """(fewest, most) input ports: fixed by a structured call, else the spec's."""
        if self.call_args is not None:
            count = structure.call_ports(self.call_args)
            return count, count
        spec = self.spec
        return spec.min_inputs, spec.max_inputs

    def input_label(self, port: int) -> str:
        """The name of input port ``port`` (``"initial_state[0]"`` in a structured call)."""
        if self.call_args is not None:
            labels = structure.call_labels(self.call_args, self.spec.input_names)
            if port < len(labels):
                return labels[port]
        return self.spec.input_label(port)

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
        for key in _CALL_FIELDS:
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.subgraph is not None:
            data["subgraph"] = self.subgraph.to_dict()
        return data


_CALL_FIELDS = (
    "call_kwargs",
    "const_args",
    "call_args",
    "call_style",
    "port_args",
    "shared_with",
    "group",
)


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
    output_ports: tuple[int | None, ...] = ()  # its outputs among the graph's (None: all)


def check_lr_factors(weights: Any, bias: Any) -> tuple[float, float]:
    """Learn-rate factors (weights, bias) as finite floats >= 0, else EditValueError."""
    try:
        pair = (finite_float(weights, "weights"), finite_float(bias, "bias"))
    except ParamError:
        pair = (-1.0, -1.0)
    if min(pair) < 0:
        raise EditValueError(
            f"a learn-rate factor must be a finite number >= 0; received "
            f"{short_repr(weights)} for the weights and {short_repr(bias)} for the bias"
        )
    return pair


def check_node(node: Node) -> None:
    """Raise the GraphError for a formed node that breaks a rule of the graph (its name, its
    position, its type, data a project file cannot hold); its position becomes floats."""
    if check_layer_name(node.name) != node.name:
        raise LayerNameError(f"a layer name expects no spaces around it; received {node.name!r}")
    node.pos = check_pos(node.pos)
    spec_for_edit(node.type, node.params)
    for what in ("params", "call_kwargs", "const_args"):
        problem = json_problem(getattr(node, what))
        if problem is not None:
            raise EditValueError(
                f"layer '{node.name}' {what} expect plain data (finite numbers, text, lists, "
                f"dictionaries); received {short_repr(problem[1])} at {problem[0] or 'the top'}"
            )
    if node.call_args is not None:
        try:
            structure.check_call(node.call_args, f"layer '{node.name}' call_args")
        except structure.StructureError as exc:
            raise EditValueError(str(exc)) from None


CALL_STYLES = (None, "single", "list", "args")


def node_from_dict(item: Any) -> Node:
    """A Node from its plain-data form (parameters checked against the catalog); GraphError
    naming the field when ``item`` is not a valid layer entry."""
    from designer.core.graph import LayerGraph

    if not isinstance(item, dict):
        raise GraphError(f"a layer entry expects a dictionary; received {short_repr(item)}")
    try:
        type_name, node_id, name = item["type"], item["id"], item["name"]
    except KeyError as exc:
        raise GraphError(
            f"a layer entry lacks the field {exc}; received {short_repr(item)}"
        ) from None
    if not isinstance(node_id, str) or not node_id or "/" in node_id:
        raise GraphError(f"a layer id expects text without '/'; received {short_repr(node_id)}")
    where = f"layer {node_id!r}"
    if not isinstance(type_name, str) or not type_name:
        raise GraphError(f"{where} expects a layer type name; received {short_repr(type_name)}")
    if not isinstance(name, str):
        raise GraphError(f"{where} expects a name; received {short_repr(name)}")
    stored = _field(item, "params", dict, {}, where)
    spec = spec_for_type(type_name, stored)
    params = spec.defaults()
    # Values were accepted when they entered the graph (or came from Keras itself on import);
    # the analysis reports any that Keras refuses, so loading fails only on data that no
    # project file can hold (NaN, objects).
    params.update(plain_value(stored, f"{where} parameters"))
    node = Node(
        node_id, spec.type_name, legal_name(name), params, check_pos(item.get("pos", (0, 0)))
    )
    node.trainable = _field(item, "trainable", bool, True, where)
    node.lr_factors = check_lr_factors(*_pair(item.get("lr_factors", (1.0, 1.0)), where))
    node.call_kwargs = plain_value(_field(item, "call_kwargs", dict, {}, where), where)
    node.const_args = plain_value(_field(item, "const_args", dict, {}, where), where)
    node.call_args = _call_args(item.get("call_args"), where)
    node.call_style = item.get("call_style")
    if node.call_style not in CALL_STYLES:
        raise GraphError(
            f"{where} expects a call style of single, list or args; received {short_repr(node.call_style)}"
        )
    node.port_args = item.get("port_args")
    if node.port_args is not None and not (
        isinstance(node.port_args, list) and all(isinstance(a, str) for a in node.port_args)
    ):
        raise GraphError(
            f"{where} expects port_args as a list of names; received {short_repr(node.port_args)}"
        )
    node.shared_with = _field(item, "shared_with", str, None, where)
    node.group = _field(item, "group", str, None, where)
    if "subgraph" in item:
        node.subgraph = LayerGraph.from_dict(_field(item, "subgraph", dict, {}, where))
    return node


def _call_args(value: Any, where: str) -> dict[str, Any] | None:
    """A stored structured call, checked (GraphError naming the layer), or None."""
    if value is None:
        return None
    try:
        return structure.check_call(value, f"{where} call_args")
    except structure.StructureError as exc:
        raise GraphError(str(exc)) from None


def _field(item: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    """``item[key]`` if it is of ``kind`` (or absent or None: ``default``), else GraphError."""
    value = item.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise GraphError(
            f"{where} field '{key}' expects {kind.__name__}; received {short_repr(value)}"
        )
    return value


def _pair(value: Any, where: str) -> tuple[Any, Any]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise GraphError(
            f"{where} expects a pair of learn-rate factors; received {short_repr(value)}"
        )
    return value[0], value[1]


def spec_for_edit(type_name: Any, sample: dict[str, Any] | None = None) -> LayerSpec:
    """The catalog spec of a type name given to an edit (UnknownLayerType for what is not a
    name at all)."""
    if not isinstance(type_name, str) or not type_name:
        raise UnknownLayerType(short_repr(type_name))
    return spec_for_type(type_name, sample)


def whole_number(
    value: Any, what: str, error: type[GraphError] = EditValueError, minimum: int | None = 0
) -> int:
    """``value`` as an int (numpy integers too; not True/False), else ``error``."""
    try:
        if isinstance(value, bool | np.bool_):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise error(f"{what} expects a whole number; received {short_repr(value)}") from None
    if minimum is not None and number < minimum:
        raise error(f"{what} expects a whole number >= {minimum}; received {number}")
    return number


@functools.lru_cache(maxsize=1024)
def default_name(type_name: str) -> str:
    """A Keras-like snake_case name for a new layer of ``type_name`` (a legal layer name)."""
    base = re.split(r"[:>.]", type_name)[-1]
    if base == "Input":
        return "input"
    return legal_name(to_snake_case(base))


class Ranks:
    """A rank per node of a directed graph such that every link goes forward: a dynamic
    topological order (Pearce and Kelly). A link that goes forward (into a new layer) needs no
    cycle search; one that goes backward searches, and then moves, only the nodes ranked
    between its two ends. A cycle (only trusted links can make one) suspends the ranks until
    it is gone."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self._g = graph
        self._rank: dict[str, int] | None = {}
        self._next = 0

    def add(self, node_id: str) -> None:
        """A new node, ranked last (it has no links yet)."""
        if self._rank is not None:
            self._rank[node_id] = self._next
            self._next += 1

    def remove(self, node_id: str) -> None:
        """A node gone with its links: the others stay in order."""
        if self._rank is not None:
            del self._rank[node_id]

    def _ranks(self) -> dict[str, int] | None:
        if self._rank is None:
            try:
                order = list(nx.topological_sort(self._g))
            except nx.NetworkXUnfeasible:
                return None
            self._rank = {nid: i for i, nid in enumerate(order)}
            self._next = len(order)
        return self._rank

    def _reach(self, rank: dict[str, int], start: str, bound: int, forward: bool) -> set[str]:
        """Nodes reachable from ``start`` along links (or against them) without passing the
        rank ``bound`` (above it going forward, below it going back)."""
        step = self._g.successors if forward else self._g.predecessors
        seen, stack = {start}, [start]
        while stack:
            for nxt in step(stack.pop()):
                if nxt not in seen and (rank[nxt] <= bound if forward else rank[nxt] >= bound):
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def would_cycle(self, src: str, dst: str) -> bool:
        """Whether a link ``src -> dst`` would close a cycle."""
        rank = self._ranks()
        if rank is None:
            return bool(nx.has_path(self._g, dst, src))
        if rank[src] < rank[dst]:
            return False
        return src in self._reach(rank, dst, rank[src], forward=True)

    def linked(self, src: str, dst: str) -> None:
        """Re-rank after the link ``src -> dst`` was added."""
        rank = self._rank
        if rank is None or rank[src] < rank[dst]:
            return
        ahead = self._reach(rank, dst, rank[src], forward=True)
        if src in ahead:  # a trusted link closed a cycle: no order until it is gone
            self._rank = None
            return
        behind = self._reach(rank, src, rank[dst], forward=False)
        moved = sorted(behind, key=rank.__getitem__) + sorted(ahead, key=rank.__getitem__)
        for nid, slot in zip(moved, sorted(rank[n] for n in moved), strict=True):
            rank[nid] = slot
