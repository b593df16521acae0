"""Live analysis: output shapes with dimension labels, parameter counts and issues per layer.

:func:`analyze` never raises on any graph: an exception inside Keras becomes an error on the
node. Results are cached per (type, parameters, input shapes, state), so after an edit only the
layers whose inputs or settings changed are computed again. Variables are created inside a
Keras ``StatelessScope``, where they are never initialised, so analysing VGG costs no memory;
their initialisers are then run the way building the model runs them (for real when the
variable is small, traced without memory when it is large), so that what Keras refuses at
build time (an orthogonal bias, an identity kernel of rank 3) is an error of the analysis too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import keras
import networkx as nx

from designer.core import diagnostics
from designer.core.graph import LayerGraph, Node
from designer.core.keras_compat import StatelessScope, uninitialized_variables
from designer.core.layers import call_layer, flatten_outputs, make_layer

Shape = tuple[int | None, ...]
_CACHE_KEY = "analysis"  # in LayerGraph.derived
_EAGER_LIMIT = 1 << 22  # elements (16 MB of float32): simply initialised, as build does
_INIT_CHECKS: dict[tuple, str | None] = {}  # (initializer, shape, dtype) -> problem or None


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


@dataclass
class Report:
    """The result of :func:`analyze`."""

    nodes: dict[str, NodeInfo]
    issues: list[Issue]
    inputs: list[str]
    outputs: list[str]
    recomputed: int = 0  # layers computed afresh (not taken from the cache)

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

    @property
    def trainable_params(self) -> int:
        """Trainable parameters of the whole network."""
        return sum(info.trainable for info in self.nodes.values())

    @property
    def non_trainable_params(self) -> int:
        """Non-trainable (frozen or statistics) parameters of the whole network."""
        return sum(info.non_trainable for info in self.nodes.values())

    @property
    def total_params(self) -> int:
        """All parameters of the network."""
        return self.trainable_params + self.non_trainable_params

    def issues_of(self, node_id: str) -> list[Issue]:
        """Issues about one node."""
        return [i for i in self.issues if i.node == node_id]


def cache_key(node: Node, input_shapes: list[Shape], input_dtypes: list[str]) -> tuple:
    """The key under which a layer's result is cached."""
    return (
        node.params_key(),
        tuple(input_shapes),
        tuple(input_dtypes),
        node.trainable,
        node.style,
        repr(node.port_args),
        repr(sorted(node.call_kwargs.items())),
        repr(sorted(node.const_args.items())),
    )


def layer_cache(graph: LayerGraph) -> dict[tuple, LayerResult]:
    """The result cache kept with ``graph`` (import code seeds it with what Keras knows)."""
    return graph.derived.setdefault(_CACHE_KEY, {})


def analyze(graph: LayerGraph) -> Report:
    """Analyse ``graph``: shapes, labels, parameter counts, errors and warnings."""
    cache = layer_cache(graph)
    infos: dict[str, NodeInfo] = {nid: NodeInfo() for nid in (n.id for n in graph.nodes)}
    issues: list[Issue] = []
    try:
        order = graph.topological_order()
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(graph.view())
        for src, _dst, *_ in cycle:
            issues.append(
                Issue(
                    "error",
                    src,
                    "cycle",
                    f"'{graph.node(src).name}' is part of a cycle; a network must "
                    f"flow one way from its inputs to its outputs",
                )
            )
        return Report(infos, issues, graph.input_nodes(), graph.output_nodes())
    recomputed = 0
    for nid in order:
        node = graph.node(nid)
        info = infos[nid]
        if node.type == "Input":
            shape = (None, *node.params.get("shape", []))
            info.shapes, info.dtypes = [shape], [str(node.params.get("dtype", "float32"))]
            info.labels = [diagnostics.input_labels(shape)]
            continue
        inputs = _gather_inputs(graph, node, infos, info)
        if inputs is None:
            continue
        shapes, dtypes, labels = inputs
        if node.type == "Model":
            result = _analyze_group(node, shapes)
        else:
            key = cache_key(node, shapes, dtypes)
            cached = cache.get(key)
            if cached is None:
                cached = compute_layer(node, shapes, dtypes)
                cache[key] = cached
                recomputed += 1
            result = cached
        if result.error:
            code, message = result.error
            info.issues.append(
                Issue("error", nid, code, diagnostics.explain(node, code, message, shapes))
            )
            continue
        info.shapes, info.dtypes = list(result.shapes), list(result.dtypes)
        info.labels = [diagnostics.output_labels(labels, shape) for shape in result.shapes]
        frozen = not node.trainable
        shared = node.shared_with is not None
        info.trainable = 0 if frozen or shared else result.trainable
        info.non_trainable = (
            0 if shared else result.non_trainable + (result.trainable if frozen else 0)
        )
    _trim(cache, len(graph))
    for info in infos.values():
        issues.extend(info.issues)
    issues.extend(diagnostics.graph_issues(graph, infos))
    report = Report(infos, issues, graph.input_nodes(), graph.output_nodes(), recomputed)
    for issue in report.issues:
        if issue.node is not None and issue not in infos[issue.node].issues:
            infos[issue.node].issues.append(issue)
    return report


def _gather_inputs(
    graph: LayerGraph, node: Node, infos: dict[str, NodeInfo], info: NodeInfo
) -> tuple[list[Shape], list[str], list[str]] | None:
    """Input shapes of ``node`` by port, or None (with an issue) when they are not usable."""
    spec = node.spec
    links = graph.inputs_of(node.id)
    ports = [link.port for link in links]
    lo, hi = spec.min_inputs, spec.max_inputs
    if not links:
        info.issues.append(
            Issue(
                "error",
                node.id,
                "unconnected_input",
                f"{node.label} '{node.name}' has no input: connect a layer to it",
            )
        )
        return None
    if ports != list(range(len(ports))):
        missing = next(p for p in range(max(ports) + 1) if p not in ports)
        info.issues.append(
            Issue(
                "error",
                node.id,
                "unconnected_input",
                f"input {missing + 1} ({spec.input_label(missing)}) of "
                f"{node.label} '{node.name}' is not connected",
            )
        )
        return None
    given = len(links) + len(node.const_args)
    if given < lo or (hi is not None and given > hi):
        want = f"{lo}" if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
        info.issues.append(
            Issue(
                "error",
                node.id,
                "input_count",
                f"{node.label} '{node.name}' needs {want} inputs; it has {given}",
            )
        )
        return None
    shapes, dtypes, labels = [], [], []
    for link in links:
        src = infos[link.src]
        if not src.shapes:
            return None  # an error upstream; that layer carries it
        if link.src_port >= len(src.shapes):
            info.issues.append(
                Issue(
                    "error",
                    node.id,
                    "bad_output",
                    f"'{graph.node(link.src).name}' has {len(src.shapes)} "
                    f"output(s); received a link from output "
                    f"{link.src_port + 1}",
                )
            )
            return None
        shapes.append(src.shapes[link.src_port])
        dtypes.append(src.dtypes[link.src_port])
        labels.append(src.labels[link.src_port])
    return shapes, dtypes, labels


def compute_layer(node: Node, shapes: list[Shape], dtypes: list[str]) -> LayerResult:
    """Ask Keras for the output shapes and weight counts of ``node`` on these inputs."""
    try:
        layer = make_layer(node)
    except Exception as exc:
        return LayerResult((), (), 0, 0, ("invalid_param", diagnostics.clean(exc)))
    try:
        with shape_only_scope() as made:
            tensors = [keras.KerasTensor(s, dtype=d) for s, d in zip(shapes, dtypes, strict=True)]
            outputs = flatten_outputs(call_layer(layer, node, tensors))
    except Exception as exc:
        return LayerResult((), (), 0, 0, ("layer_error", diagnostics.clean(exc)))
    problem = initializer_problem(made)
    if problem is not None:
        return LayerResult((), (), 0, 0, ("invalid_param", problem))
    trainable = count(getattr(layer, "trainable_weights", []))
    non_trainable = count(getattr(layer, "non_trainable_weights", []))
    if not getattr(layer, "trainable", True):
        trainable, non_trainable = 0, count(getattr(layer, "weights", []))
    return LayerResult(
        tuple(tuple(o.shape) for o in outputs),
        tuple(str(o.dtype) for o in outputs),
        trainable,
        non_trainable,
    )


@contextmanager
def shape_only_scope() -> Iterator[list[Any]]:
    """Create layers' variables without ever initialising them (no memory, no time); the list
    it gives holds, once the block is left, the variables made inside.

    Keras queues variables made in a StatelessScope for later initialisation; they are taken
    off that queue again here, so they can never be initialised by accident.
    """
    queue = uninitialized_variables()
    before = len(queue)
    made: list[Any] = []
    try:
        with StatelessScope(initialize_variables=False):
            yield made
    finally:
        queue = uninitialized_variables()
        made.extend(queue[before:])
        del queue[before:]


def initializer_problem(variables: list[Any]) -> str | None:
    """What Keras would refuse when giving these (uninitialised) variables their values at
    build time, or None: each initializer runs on its variable's shape and dtype."""
    for variable in variables:
        # A keras.Variable made in a StatelessScope keeps its initializer until it is given
        # a value; there is no public name for it.
        initializer = getattr(variable, "_initializer", None)
        if not callable(initializer):
            continue
        shape, dtype = tuple(variable.shape), str(variable.dtype)
        key = _initializer_key(initializer, shape, dtype)
        if key is not None and key in _INIT_CHECKS:
            problem = _INIT_CHECKS[key]
        else:
            problem = _run_initializer(initializer, shape, dtype)
            if key is not None:
                if len(_INIT_CHECKS) > 8192:
                    _INIT_CHECKS.clear()
                _INIT_CHECKS[key] = problem
        if problem is not None:
            return f"its weight '{variable.name}' cannot be initialised: {problem}"
    return None


def _initializer_key(initializer: Any, shape: Shape, dtype: str) -> tuple | None:
    """The memo key of an initializer on a shape, or None when it has no configuration."""
    try:
        config = json.dumps(initializer.get_config(), sort_keys=True, default=repr)
    except Exception:  # a plain function (a seed generator's): no key, run it each time
        return None
    return (type(initializer), config, shape, dtype)


class _Traced(keras.Operation):
    """Runs a function symbolically: the shapes it would give, no memory and no values."""

    def call(self, fn: Callable[[], Any]) -> Any:
        return fn()


_TRACER: list[_Traced] = []


def _run_initializer(initializer: Any, shape: Shape, dtype: str) -> str | None:
    """Run ``initializer(shape, dtype)`` as build would (traced when the variable is large);
    the problem in a sentence, or None."""
    errors: list[Exception] = []

    def attempt() -> Any:
        try:
            return initializer(shape, dtype=dtype)
        except Exception as exc:
            errors.append(exc)
            return None

    try:
        if math.prod(d or 0 for d in shape) <= _EAGER_LIMIT:
            value = attempt()
        else:
            if not _TRACER:
                _TRACER.append(_Traced(name="initializer_check"))
            value = _TRACER[0].compute_output_spec(attempt)
    except Exception as exc:  # the tracing itself failed: build would fail as well
        errors.append(exc)
    if errors:
        return diagnostics.clean(errors[0])
    got = tuple(getattr(value, "shape", ()))
    if got != shape:
        return f"it gives values of shape {got}; expected {shape}"
    return None


def count(weights: list[Any]) -> int:
    """Number of scalars in a list of variables."""
    return sum(math.prod(w.shape) for w in weights)


def _analyze_group(node: Node, shapes: list[Shape]) -> LayerResult:
    """A nested network: its own analysis, checked against the shapes it receives."""
    sub = node.subgraph
    if sub is None:
        return LayerResult((), (), 0, 0, ("invalid_param", "the group has no layers"))
    report = analyze(sub)
    if not report.ok:
        first = report.errors[0]
        return LayerResult((), (), 0, 0, ("group_error", first.message))
    expected = [report.nodes[i].shape for i in report.inputs]
    if len(expected) != len(shapes):
        return LayerResult(
            (),
            (),
            0,
            0,
            ("input_count", f"it takes {len(expected)} inputs; received {len(shapes)}"),
        )
    for want, got in zip(expected, shapes, strict=True):
        if not diagnostics.shapes_compatible(want, got):
            return LayerResult(
                (), (), 0, 0, ("incompatible_shapes", f"it expects {want}; received {got}")
            )
    out_shapes: list[Shape] = []
    out_dtypes: list[str] = []
    for nid in report.outputs:
        info = report.nodes[nid]
        if info.shape is None:
            message = f"its output layer '{sub.node(nid).name}' gives no output"
            return LayerResult((), (), 0, 0, ("group_error", message))
        out_shapes.append(info.shape)
        out_dtypes.append(info.dtypes[0])
    return LayerResult(
        tuple(out_shapes),
        tuple(out_dtypes),
        report.trainable_params,
        report.non_trainable_params,
    )


def _trim(cache: dict, size: int) -> None:
    """Bound the cache: drop the oldest half when it outgrows the graph by far."""
    limit = 4 * size + 2000
    if len(cache) > limit:
        for key in list(cache)[: len(cache) // 2]:
            del cache[key]
