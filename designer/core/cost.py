"""What a network costs: multiply-accumulates, weight and activation memory, the peak of memory
in a schedule, an estimate of training memory, and receptive fields; from an analysis
:class:`~designer.core.report.Report` (shapes per layer) and the layers' parameters, so it runs
with every analysis (each layer's cost is cached by its parameters, shapes and inputs).

Counting rules (one sample unless said otherwise):

- A MAC (multiply-accumulate) is one multiply and one add. Bias adds are not MACs.
- Conv1D/2D/3D: ``k_h*k_w*c_in/groups*c_out*h_out*w_out`` (1-D and 3-D alike).
- Conv*Transpose: ``k_h*k_w*c_in/groups*c_out*h_in*w_in`` (every input position meets the kernel).
- DepthwiseConv: ``k_h*k_w*c_in*depth_multiplier*h_out*w_out``; SeparableConv: that depthwise
  part plus the pointwise ``c_in*depth_multiplier*c_out*h_out*w_out``.
- Dense: ``in*units``, at every position for inputs of more than 2 dimensions; EinsumDense: the
  product of the equation's index sizes.
- SimpleRNN / GRU / LSTM (1 / 3 / 4 gates): ``gates*(in+units)*units`` per time step, times the
  steps; ConvLSTM: 4 convolutions of input and state per step; Bidirectional: both layers;
  TimeDistributed: the inner layer times the steps.
- MultiHeadAttention: the query, key and value projections (``T*d*heads*key_dim``, value with
  ``value_dim``), ``Q K^T`` (``heads*T_q*T_k*key_dim``), ``A V`` (``heads*T_q*T_v*value_dim``) and
  the output projection (``T_q*heads*value_dim*d_out``); Attention: scores plus weighted sum.
- BatchNormalization, activations, pooling, Add and other merges, Rescaling and the like: 0 MACs,
  counted as element-wise operations (``elementwise_ops``): one per output value; a pooling
  window's values per output; global pooling one per input value; a merge of n inputs (n-1) per
  output value; plus the bias add and the activation of a layer with MACs. Layers that only move
  values (Flatten, Reshape, Concatenate, padding, cropping, Dropout at inference, Embedding): 0.
- A group (a nested model) counts its inner layers. A layer type with weights and no rule
  (a Lambda, a custom layer) has unknown MACs (None) and is named in ``uncounted``.

Memory: ``weight_bytes`` = parameters x the size of the layer's variable dtype (float32: 4;
mixed precision keeps float32 variables); ``activation_bytes`` = a layer's output values for one
sample x the output dtype's size. ``peak_activation_bytes``: the layers run one by one in network
(topological) order; a tensor is alive from the step that makes it until the last step that uses
it (network outputs until the end); the peak is the largest sum alive during a step (inputs and
outputs of that step included), times the batch size. Training memory (an estimate)::

    weights + gradients + optimizer state + activations kept for backprop
    = weight_bytes + (1 + slots) * trainable_weight_bytes + batch * sum(activation_bytes)

where ``slots`` is the optimizer's state per weight (SGD 0, SGD with momentum 1, RMSprop 1,
Adam/AdamW/Nadam 2) and the sum runs over every layer's outputs (the input included). It leaves
out the framework's workspace and the temporary gradients of activations.

Receptive field (size and stride in input pixels, per spatial axis): 1 and 1 at an image or
sequence input; a convolution or pooling with kernel k, stride s and dilation d gives
``size + (k-1)*d*stride`` and ``stride*s``; normalisation, activations, dropout, padding and
element-wise merges (of equal strides: the largest size) keep it; anything else (Flatten, Dense
on vectors, global pooling, upsampling, transposed convolutions, recurrent layers) ends it (None).
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from designer.core.cost_rules import (
    ZERO_MACS,
    ReceptiveField,
    Shape,
    elements,
    elementwise_ops,
    layer_macs,
    receptive_field,
)

if TYPE_CHECKING:
    from designer.core.graph import LayerGraph, Link, Node
    from designer.core.report import NodeInfo, Report

_CACHE_KEY = "cost"  # in LayerGraph.derived
_GROUP_KEY = "cost_of_group"  # in a group's subgraph.derived: its inner network's cost

DTYPE_BYTES = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
}
OPTIMIZER_SLOTS = {"sgd": 0, "adam": 2, "adamw": 2, "nadam": 2, "adamax": 2, "adagrad": 1}
OPAQUE = {"Lambda", "TFSMLayer"}  # types that run code nobody can count
OPAQUE_OPS = {"einsum", "dot", "tensordot", "conv", "conv_transpose", "depthwise_conv"}


@dataclass(frozen=True)
class LayerCost:
    """What one layer costs for one sample; None where a dimension or rule is unknown."""

    macs: int | None = 0
    elementwise_ops: int | None = 0
    weight_bytes: int = 0
    trainable_weight_bytes: int = 0
    activation_bytes: int | None = 0  # all its outputs, one sample
    receptive_field: ReceptiveField | None = None
    output_bytes: tuple[int, ...] = ()  # per output, for the schedule (unknown: 0)
    backprop_bytes: int = 0  # the activations kept for backprop (a group: all its layers')
    working_bytes: int = 0  # a group: what its layers hold at once beyond its inputs

    def to_dict(self) -> dict[str, Any]:
        """The keys ``analyze --json`` adds to a layer."""
        field_ = self.receptive_field
        return {
            "macs": self.macs,
            "elementwise_ops": self.elementwise_ops,
            "weight_bytes": self.weight_bytes,
            "activation_bytes": self.activation_bytes,
            "receptive_field": field_.to_dict() if field_ else None,
        }


@dataclass
class NetworkCost:
    """The cost of every layer and of the network, for ``batch_size`` samples at once."""

    layers: dict[str, LayerCost]  # by layer id
    batch_size: int = 1
    optimizer_slots: int = 0
    total_macs: int = 0
    total_elementwise_ops: int = 0
    weight_bytes: int = 0
    trainable_weight_bytes: int = 0
    peak_sample_bytes: int = 0  # the peak for one sample
    backprop_bytes: int = 0  # activations kept for backprop, one sample
    uncounted: list[str] = field(default_factory=list)  # layers whose MACs or memory is unknown
    # What an update after an edit starts from (see network_cost's ``previous``).
    serial: int | None = field(default=None, repr=False)  # of the report it was made from
    source: list[str] = field(default_factory=list, repr=False)  # the report's order
    order: list[str] = field(default_factory=list, repr=False)  # the layers, in that order
    place: dict[str, int] = field(default_factory=dict, repr=False)
    links_of: dict[str, list[Link]] = field(default_factory=dict, repr=False)
    ends: list[dict[int, int]] = field(default_factory=list, repr=False)  # see _ends
    first_ends: Any = field(default=None, repr=False)  # see _first_ends
    kept: set[str] = field(default_factory=set, repr=False)  # the network outputs
    # The layers an update evaluated again (None: all of them); the others kept their cost.
    touched: frozenset[str] | None = field(default=None, repr=False)

    @property
    def peak_activation_bytes(self) -> int:
        """The most activation memory alive at once, for the batch size."""
        return self.peak_sample_bytes * self.batch_size

    @property
    def training_memory_bytes(self) -> int:
        """Weights + gradients + optimizer state + activations kept for backprop x batch."""
        trainable = self.trainable_weight_bytes
        return (
            self.weight_bytes
            + (1 + self.optimizer_slots) * trainable
            + self.batch_size * self.backprop_bytes
        )

    def with_batch(self, batch_size: int, slots: int) -> NetworkCost:
        """The same cost for another batch size or optimizer."""
        return dataclasses.replace(self, batch_size=batch_size, optimizer_slots=slots)

    def to_dict(self) -> dict[str, Any]:
        """The top-level keys ``analyze --json`` adds."""
        return {
            "total_macs": self.total_macs,
            "total_elementwise_ops": self.total_elementwise_ops,
            "weight_bytes": self.weight_bytes,
            "peak_activation_bytes": self.peak_activation_bytes,
            "training_memory_bytes": self.training_memory_bytes,
            "batch_size": self.batch_size,
            "optimizer_slots": self.optimizer_slots,
        }


def optimizer_slots(solver: str, momentum: float = 0.0) -> int:
    """Values an optimizer keeps per weight: "sgdm" 1 (0 without momentum), "rmsprop" 1
    (2 with momentum), "adam"/"adamw"/"nadam" 2."""
    if solver == "sgdm":
        return 1 if momentum else 0
    if solver == "rmsprop":
        return 2 if momentum else 1
    return OPTIMIZER_SLOTS.get(solver, 2)


def network_cost(
    graph: LayerGraph,
    report: Report,
    batch_size: int = 1,
    slots: int = 0,
    previous: NetworkCost | None = None,
    edited: Iterable[str] = (),
) -> NetworkCost:
    """The cost of ``graph`` as analysed in ``report``; ``slots``: see :func:`optimizer_slots`.

    With ``previous``, the cost made from the report that ``report`` follows (``report.since``),
    and ``edited``, every layer whose parameters, state or input links changed since, only what
    those changes reach is looked at again (the result is the same as without)."""
    infos = report.nodes
    source = report.order or list(infos)
    follows = previous is not None and report.changed is not None
    if previous is None or not follows or report.since != previous.serial:
        order = [nid for nid in source if nid in infos and nid in graph]
        layers: dict[str, LayerCost] = {}
        links_of: dict[str, list[Link]] = {}
        for nid in order:
            layers[nid] = _evaluate(graph, report, nid, layers, links_of)
        total = NetworkCost(layers, batch_size, slots, links_of=links_of, touched=None)
        _sum_up(total, order, layers)
        relinked = resized = True
    else:
        same = source is previous.source or source == previous.source
        order = previous.order if same else [n for n in source if n in infos and n in graph]
        total, relinked, resized = _update(
            graph, report, order, previous, edited, batch_size, slots
        )
        relinked = relinked or not same
    total.serial, total.source, total.order = report.serial, source, order
    keep = set(report.outputs)
    if relinked or previous is None or keep != previous.kept:
        total.place = {nid: i for i, nid in enumerate(order)}
        total.ends = _ends(order, total.place, total.links_of, keep)
        total.first_ends = _first_ends(total.ends)
    else:
        total.place, total.ends, total.first_ends = (
            previous.place,
            previous.ends,
            previous.first_ends,
        )
        if not resized:  # the same tensors, freed at the same steps: the same peak
            total.kept = keep
            return _trimmed(graph, total)
    total.kept = keep
    total.peak_sample_bytes = _sweep(order, total.layers, total.ends, total.first_ends)
    return _trimmed(graph, total)


def _trimmed(graph: LayerGraph, total: NetworkCost) -> NetworkCost:
    """``total``, after bounding the cache of layer costs kept with ``graph``."""
    cache = graph.derived.get(_CACHE_KEY, {})
    if len(cache) > 4 * len(total.order) + 2000:
        for old in list(cache)[: len(cache) // 2]:
            del cache[old]
    return total


def _evaluate(
    graph: LayerGraph,
    report: Report,
    nid: str,
    layers: dict[str, LayerCost],
    links_of: dict[str, list[Link]],
) -> LayerCost:
    """One layer's cost (cached by parameters, shapes, counts and inputs' fields); its links
    into ``links_of``."""
    infos = report.nodes
    node, info = graph.node(nid), infos[nid]
    links = links_of[nid] = graph.inputs_of(nid)
    shapes: list[Shape | None] = []
    fields = []
    for link in links:
        src = infos.get(link.src)
        ok = src is not None and link.src_port < len(src.shapes)
        shapes.append(src.shapes[link.src_port] if src is not None and ok else None)
        up = layers.get(link.src)
        fields.append(up.receptive_field if up is not None else None)
    group = graph.group_network(node.id) if node.type == "Model" else None
    if group is not None:  # a group, or a second call of a shared one
        return layer_cost(node, info, shapes, fields, group)
    key = (
        node.params_key(),
        tuple(shapes),
        tuple(info.shapes),
        tuple(info.dtypes),
        info.trainable,
        info.non_trainable,
        tuple(fields),
        tuple(node.port_args) if node.port_args else None,
        repr(node.call_args),
    )
    cache: dict[tuple, LayerCost] = graph.derived.setdefault(_CACHE_KEY, {})
    cost = cache.get(key)
    if cost is None:
        cost = cache[key] = layer_cost(node, info, shapes, fields)
    return cost


def _update(
    graph: LayerGraph,
    report: Report,
    order: list[str],
    previous: NetworkCost,
    edited: Iterable[str],
    batch_size: int,
    slots: int,
) -> tuple[NetworkCost, bool, bool]:
    """The cost after the changes ``report`` names and the ``edited`` layers: those layers, the
    users of changed outputs, and downstream while a receptive field changes; whether links
    changed (the schedule must be made again) and whether outputs changed size."""
    infos = report.nodes
    changed = report.changed or frozenset()
    layers = dict(previous.layers)
    links_of = dict(previous.links_of)
    total = dataclasses.replace(previous, layers=layers, links_of=links_of)
    total.batch_size, total.optimizer_slots = batch_size, slots
    uncounted = set(previous.uncounted)
    relinked = resized = False
    for nid in changed:
        if nid not in infos and nid in layers:  # gone
            _count(total, layers.pop(nid), -1)
            uncounted.discard(nid)
            links_of.pop(nid, None)
            relinked = True
    seeds = {nid for nid in (*changed, *edited) if nid in infos and nid in graph}
    for nid in list(seeds):
        if nid in changed:
            seeds.update(graph.successors(nid))
    place = previous.place if order is previous.order else {n: i for i, n in enumerate(order)}
    heap = [(place[nid], nid) for nid in seeds if nid in place]
    heapq.heapify(heap)
    done: set[str] = set()
    while heap:
        _, nid = heapq.heappop(heap)
        if nid in done:
            continue
        done.add(nid)
        before, links = layers.get(nid), links_of.get(nid)
        cost = _evaluate(graph, report, nid, layers, links_of)
        relinked = relinked or links != links_of[nid]
        resized = resized or (
            before is None
            or before.output_bytes != cost.output_bytes
            or before.working_bytes != cost.working_bytes
        )
        if before is not None:
            _count(total, before, -1)
        _count(total, cost, 1)
        layers[nid] = cost
        if cost.macs is None or cost.activation_bytes is None:
            uncounted.add(nid)
        else:
            uncounted.discard(nid)
        if before is None or cost.receptive_field != before.receptive_field:
            for succ in graph.successors(nid):
                if succ not in done and succ in place:
                    heapq.heappush(heap, (place[succ], succ))
    total.uncounted = [nid for nid in order if nid in uncounted] if uncounted else []
    total.touched = frozenset(done)
    return total, relinked, resized


def _count(total: NetworkCost, cost: LayerCost, sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) one layer's part of the totals."""
    total.total_macs += sign * (cost.macs or 0)
    total.total_elementwise_ops += sign * (cost.elementwise_ops or 0)
    total.weight_bytes += sign * cost.weight_bytes
    total.trainable_weight_bytes += sign * cost.trainable_weight_bytes
    total.backprop_bytes += sign * cost.backprop_bytes


def _sum_up(total: NetworkCost, order: list[str], layers: dict[str, LayerCost]) -> None:
    macs = ops = weights = trainable = backprop = 0
    for nid in order:
        cost = layers[nid]
        if cost.macs is None or cost.activation_bytes is None:
            total.uncounted.append(nid)
        macs += cost.macs or 0
        ops += cost.elementwise_ops or 0
        weights += cost.weight_bytes
        trainable += cost.trainable_weight_bytes
        backprop += cost.backprop_bytes
    total.total_macs, total.total_elementwise_ops = macs, ops
    total.weight_bytes, total.trainable_weight_bytes = weights, trainable
    total.backprop_bytes = backprop


def _ends(
    order: list[str], place: dict[str, int], links_of: dict[str, list[Link]], keep: set[str]
) -> list[dict[int, int]]:
    """For each step of ``order``, the step after which each of its outputs is freed: that of
    its last user; its own for an output nobody uses, or none (past the end) for a network
    output. Outputs not named are freed at their own step."""
    n = len(order)
    ends: list[dict[int, int]] = [{} for _ in order]
    for i, nid in enumerate(order):
        for link in links_of[nid]:
            at = place.get(link.src)
            if at is not None:
                ends[at][link.src_port] = i
    for nid in keep:
        at = place.get(nid)
        if at is not None:
            ends[at] = {-1: n}  # all its outputs stay
    return ends


def _first_ends(ends: list[dict[int, int]]) -> np.ndarray:
    """The step after which each step's first output (all its outputs, for a network output)
    is freed, as an array."""
    n = len(ends)
    first = np.arange(n, dtype=np.int64)
    for i, step in enumerate(ends):
        if step:
            first[i] = n if -1 in step else step.get(0, i)
    return first


def _sweep(
    order: list[str],
    layers: dict[str, LayerCost],
    ends: list[dict[int, int]],
    first: np.ndarray | None = None,
) -> int:
    """The largest sum of tensors alive during one step (one sample), given when each is
    freed (:func:`_ends`, :func:`_first_ends`)."""
    n = len(order)
    if not n:
        return 0
    if first is None:
        first = _first_ends(ends)
    costs = [layers[nid] for nid in order]
    made = np.fromiter((sum(c.output_bytes) for c in costs), dtype=np.int64, count=n)
    working = np.fromiter((c.working_bytes for c in costs), dtype=np.int64, count=n)
    freed = np.zeros(n + 1, dtype=np.int64)
    alone = made.copy()  # what leaves with the first output: all, but for several outputs
    for i in [i for i, c in enumerate(costs) if len(c.output_bytes) > 1]:
        step = ends[i]
        if -1 not in step:
            alone[i] = 0
            for port, size in enumerate(costs[i].output_bytes):
                freed[step.get(port, i)] += size
    np.add.at(freed, first, alone)
    change = made - freed[:n]
    before = np.cumsum(change) - change  # alive when each step starts
    return int(np.max(before + np.maximum(made, working)))


def peak_bytes(
    order: list[str], layers: dict[str, LayerCost], links_of: dict[str, list[Link]], keep: set[str]
) -> int:
    """The largest sum of tensors alive during one step of ``order`` (one sample): a tensor
    lives from its layer's step until its last user's step; those of ``keep`` to the end."""
    place = {nid: i for i, nid in enumerate(order)}
    return _sweep(order, layers, _ends(order, place, links_of, keep))


def layer_cost(
    node: Node,
    info: NodeInfo,
    inputs: list[Shape | None],
    fields: list[ReceptiveField | None],
    group: LayerGraph | None = None,
) -> LayerCost:
    """The cost of one layer from its analysis and its inputs' shapes and receptive fields
    (``group``: the network of a group node, when not its own, shared)."""
    outputs = info.shapes
    sizes = [_dtype_bytes(d) for d in info.dtypes]
    per_output = [elements(s) for s in outputs]
    known = [n * b for n, b in zip(per_output, sizes, strict=False) if n is not None]
    activation = sum(known) if len(known) == len(outputs) and outputs else None
    output_bytes = tuple((n or 0) * b for n, b in zip(per_output, sizes, strict=False))
    group = group or node.subgraph
    if node.type == "Model" and group is not None:
        return _group_cost(group, node, info, activation, output_bytes)
    kind = node.type
    given = [s for s in inputs if s is not None]
    if len(given) < len(inputs):
        macs: int | None = None
        counted = True
    else:
        macs, counted = layer_macs(kind, node.params, given, outputs)
    if (
        not counted
        and kind not in ZERO_MACS
        and (info.params or kind in OPAQUE or _opaque_op(kind))
    ):
        macs = None  # weights (or code) and no rule: unknown
    ops = elementwise_ops(kind, node.params, given, outputs, counted)
    weight = _dtype_bytes(_variable_dtype(node.params.get("dtype")))
    field_ = receptive_field(kind, node.params, inputs, outputs, fields)
    return LayerCost(
        macs,
        ops,
        info.params * weight,
        info.trainable * weight,
        activation,
        field_,
        output_bytes,
        sum(output_bytes),
    )


def _group_cost(
    sub: LayerGraph,
    node: Node,
    info: NodeInfo,
    activation: int | None,
    output_bytes: tuple[int, ...],
) -> LayerCost:
    """A nested network: the sums of its layers (kept with the subgraph: only the weights of a
    group are edited in place, and they do not change its cost)."""
    inner: NetworkCost | None = sub.derived.get(_GROUP_KEY)
    if inner is None:
        from designer.core.analysis import analyze

        inner = network_cost(sub, analyze(sub))
        sub.derived[_GROUP_KEY] = inner
    inputs = sum(sum(inner.layers[nid].output_bytes) for nid in sub.input_nodes())
    shared = node.shared_with is not None
    return LayerCost(
        None if inner.uncounted else inner.total_macs,
        inner.total_elementwise_ops,
        0 if shared else inner.weight_bytes,
        0 if shared or not info.trainable else inner.trainable_weight_bytes,
        activation,
        None,
        output_bytes,
        inner.backprop_bytes - inputs,
        max(0, inner.peak_sample_bytes - inputs),
    )


def _opaque_op(kind: str) -> bool:
    module, _, name = kind.rpartition(":")
    return module.startswith("keras.ops") and name in OPAQUE_OPS


def _variable_dtype(dtype: Any) -> str:
    """The dtype of a layer's variables from its ``dtype`` parameter (a name or a policy)."""
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name")
    name = str(dtype or "float32")
    return "float32" if name.startswith("mixed_") else name


def _dtype_bytes(dtype: str) -> int:
    return DTYPE_BYTES.get(dtype, 4)


def changed_layers(before: NetworkCost | None, after: NetworkCost) -> set[str]:
    """The layers whose cost differs between two costs of one graph (all, without ``before``)."""
    if before is None:
        return set(after.layers)
    old = before.layers
    return {nid for nid, cost in after.layers.items() if old.get(nid) != cost}


_PREFIXES = ("", " k", " M", " G", " T", " P")


def format_count(value: int | None) -> str:
    """``1234567`` -> ``"1.23 M"`` (three significant figures); None -> ``"?"``."""
    if value is None:
        return "?"
    number, step = float(value), 0
    while abs(number) >= 999.5 and step < len(_PREFIXES) - 1:
        number, step = number / 1000, step + 1
    return f"{value}" if step == 0 else f"{number:.3g}{_PREFIXES[step]}"


def format_bytes(value: int | None) -> str:
    """``1536`` -> ``"1.5 KiB"`` (binary prefixes, three significant figures)."""
    if value is None:
        return "?"
    number, step = float(value), 0
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    while abs(number) >= 1023.5 and step < len(units) - 1:
        number, step = number / 1024, step + 1
    return f"{value} B" if step == 0 else f"{number:.3g} {units[step]}"
