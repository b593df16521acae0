"""Live analysis: output shapes with dimension labels, parameter counts and issues per layer.

:func:`analyze` never raises on any graph: an exception inside Keras becomes an error on the
node. Results are cached per (type, parameters, input shapes, state), so after an edit only the
layers whose inputs or settings changed are computed again; :class:`~designer.core.live_analysis.LiveAnalysis` goes further:
told the graph's events, it looks at only the layers an edit reaches and gives the same report
(an edit of a 10,000-layer chain in milliseconds). Variables are created inside a Keras
``StatelessScope``, where they are never initialised, so analysing VGG costs no memory;
their initialisers are then run the way building the model runs them (for real when the
variable is small, traced without memory when it is large), so that what Keras refuses at
build time (an orthogonal bias, an identity kernel of rank 3) is an error of the analysis too.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from designer.core import diagnostics, keras_compat
from designer.core.graph import LayerGraph, Link, Node
from designer.core.layers import call_layer, flatten_outputs, make_layer
from designer.core.report import Issue, LayerResult, NodeInfo, Report, Shape
from designer.core.unrepresented import ERROR_CODE as UNREPRESENTED_CODE
from designer.core.unrepresented import is_unrepresented, unrepresented_message

_CACHE_KEY = "analysis"  # in LayerGraph.derived
_EAGER_LIMIT = 1 << 22  # elements (16 MB of float32): simply initialised, as build does
_INIT_CHECKS: dict[tuple, str | None] = {}  # (initializer, shape, dtype) -> problem or None


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
        json.dumps(node.call_args, sort_keys=True) if node.call_args is not None else None,
    )


def layer_cache(graph: LayerGraph) -> dict[tuple, LayerResult]:
    """The result cache kept with ``graph`` (import code seeds it with what Keras knows)."""
    return graph.derived.setdefault(_CACHE_KEY, {})


def analyze(graph: LayerGraph) -> Report:
    """Analyse ``graph``: shapes, labels, parameter counts, errors and warnings."""
    return _analyse_all(graph).report


@dataclass
class _Parts:
    """A report with what it was made of, for :class:`LiveAnalysis` to bring up to date."""

    report: Report
    own: dict[str, NodeInfo]  # each layer's own analysis, before the network's issues
    warnings: dict[str, list[Issue]]  # diagnostics.node_warnings, where there are some
    network: list[Issue]  # diagnostics.network_issues
    nodes: list[str]  # the graph's node order
    sinks: set[str]  # nodes whose output no layer uses
    cyclic: bool = False
    place: dict[str, int] = field(default_factory=dict)  # rising along the node order
    next_place: int = 0
    holders: set[str] = field(default_factory=set)  # layers with issues of their own


def _analyse_all(graph: LayerGraph) -> _Parts:
    """The whole analysis, layer by layer in network order."""
    nodes = [n.id for n in graph.nodes]
    try:
        order = graph.topological_order()
    except nx.NetworkXUnfeasible:
        issues = []
        for src, _dst, *_ in nx.find_cycle(graph.view()):
            issues.append(
                Issue(
                    "error",
                    src,
                    "cycle",
                    f"'{graph.node(src).name}' is part of a cycle; a network must "
                    f"flow one way from its inputs to its outputs",
                )
            )
        empty = {nid: NodeInfo() for nid in nodes}
        report = Report(empty, issues, graph.input_nodes(), graph.output_nodes(), order=nodes)
        return _Parts(report, empty, {}, [], nodes, set(), cyclic=True)
    cache = layer_cache(graph)
    own: dict[str, NodeInfo] = {}
    feeding: set[str] = set()
    recomputed = 0
    for nid in order:
        info, missed, links = _evaluate(graph, graph.node(nid), own, cache)
        own[nid] = info
        recomputed += missed
        feeding.update(link.src for link in links)
    _trim(cache, len(graph))
    sinks = set(nodes) - feeding
    inputs, outputs = graph.input_nodes(), _outputs(graph, nodes, sinks)
    network = diagnostics.network_issues(graph, own, inputs, outputs)
    warnings = {}
    for node in graph.nodes:
        found = diagnostics.node_warnings(graph, node, own)
        if found:
            warnings[node.id] = found
    about = _by_node(network)
    infos = {nid: _combined(own[nid], about.get(nid), warnings.get(nid)) for nid in nodes}
    issues = _all_issues(nodes, own, network, warnings)
    report = Report(infos, issues, inputs, outputs, recomputed, order)
    place = {nid: i for i, nid in enumerate(nodes)}
    holders = {nid for nid, info in own.items() if info.issues}
    return _Parts(report, own, warnings, network, nodes, sinks, False, place, len(nodes), holders)


def _evaluate(
    graph: LayerGraph, node: Node, infos: dict[str, NodeInfo], cache: dict[tuple, LayerResult]
) -> tuple[NodeInfo, bool, list[Link]]:
    """One layer's own analysis from its inputs' (in ``infos``): the info, whether Keras was
    asked (the cache did not know), and the links into the layer."""
    nid, info = node.id, NodeInfo()
    if node.type == "Input":
        shape = (None, *node.params.get("shape", []))
        info.shapes, info.dtypes = [shape], [str(node.params.get("dtype", "float32"))]
        info.labels = [diagnostics.input_labels(shape)]
        return info, False, []
    links = graph.inputs_of(nid)
    if not links and is_unrepresented(node):  # a part whose inputs the file did not say
        info.issues.append(Issue("error", nid, UNREPRESENTED_CODE, unrepresented_message(node)))
        return info, False, links
    inputs = _gather_inputs(graph, node, infos, info, links)
    if inputs is None:
        return info, False, links
    shapes, dtypes, labels = inputs
    missed = False
    if node.type == "Model":
        result = _analyze_group(graph.group_network(nid), shapes)
    else:
        key = cache_key(node, shapes, dtypes)
        cached = cache.get(key)
        if cached is None:
            cached = compute_layer(node, shapes, dtypes)
            cache[key] = cached
            missed = True
        result = cached
    if result.error:
        code, message = result.error
        info.issues.append(
            Issue("error", nid, code, diagnostics.explain(node, code, message, shapes))
        )
        return info, missed, links
    info.shapes, info.dtypes = list(result.shapes), list(result.dtypes)
    info.labels = [diagnostics.output_labels(labels, shape) for shape in result.shapes]
    frozen = not node.trainable
    shared = node.shared_with is not None
    info.trainable = 0 if frozen or shared else result.trainable
    info.non_trainable = 0 if shared else result.non_trainable + (result.trainable if frozen else 0)
    return info, missed, links


def _outputs(graph: LayerGraph, nodes: list[str], sinks: set[str]) -> list[str]:
    """What :meth:`LayerGraph.output_nodes` gives, from the node order and the sinks."""
    ordered = [nid for nid in graph.output_order if nid in graph]
    first = set(ordered)
    return ordered + [nid for nid in nodes if nid in sinks and nid not in first]


def _by_node(issues: list[Issue]) -> dict[str, list[Issue]]:
    found: dict[str, list[Issue]] = {}
    for issue in issues:
        if issue.node is not None:
            found.setdefault(issue.node, []).append(issue)
    return found


def _combined(own: NodeInfo, *extra: list[Issue] | None) -> NodeInfo:
    """A layer's info with the network's issues about it added (once each)."""
    issues = own.issues
    for found in extra:
        for issue in found or ():
            if issue not in issues:
                if issues is own.issues:
                    issues = list(issues)
                issues.append(issue)
    return own if issues is own.issues else dataclasses.replace(own, issues=issues)


def _all_issues(
    nodes: list[str],
    own: dict[str, NodeInfo],
    network: list[Issue],
    warnings: dict[str, list[Issue]],
) -> list[Issue]:
    """The report's issues: the layers' own in node order, the network's, the warnings."""
    issues = [issue for nid in nodes for issue in own[nid].issues]
    issues.extend(network)
    for nid in nodes:
        found = warnings.get(nid)
        if found:
            issues.extend(found)
    return issues


def _tail_order(graph: LayerGraph, tail: list[str]) -> list[str] | None:
    """The network order of layers added last (in ``tail``'s order) that feed no older layer,
    or None when one does (or they make a cycle): they come after all the others then."""
    place = {nid: i for i, nid in enumerate(tail)}
    waiting = dict.fromkeys(tail, 0)
    for nid in tail:
        for succ in graph.successors(nid):
            if succ not in place:
                return None
            waiting[succ] += 1
    heap = [(place[nid], nid) for nid in tail if not waiting[nid]]
    order: list[str] = []
    while heap:
        _, nid = heapq.heappop(heap)
        order.append(nid)
        for succ in graph.successors(nid):
            waiting[succ] -= 1
            if not waiting[succ]:
                heapq.heappush(heap, (place[succ], succ))
    return order if len(order) == len(tail) else None


def _network_order(graph: LayerGraph, nodes: list[str]) -> list[str]:
    """What :meth:`LayerGraph.topological_order` gives (ties in node order), a few times
    faster than networkx's sort; raises NetworkXUnfeasible when there is a cycle."""
    place = {nid: i for i, nid in enumerate(nodes)}
    feeds = {nid: graph.successors(nid) for nid in nodes}
    waiting = dict.fromkeys(nodes, 0)
    for succs in feeds.values():
        for succ in succs:
            waiting[succ] += 1
    heap = [(place[nid], nid) for nid in nodes if not waiting[nid]]  # sorted: a heap already
    order: list[str] = []
    while heap:
        _, nid = heapq.heappop(heap)
        order.append(nid)
        for succ in feeds[nid]:
            waiting[succ] -= 1
            if not waiting[succ]:
                heapq.heappush(heap, (place[succ], succ))
    if len(order) != len(nodes):
        raise nx.NetworkXUnfeasible("the graph has a cycle")
    return order


def _gather_inputs(
    graph: LayerGraph,
    node: Node,
    infos: dict[str, NodeInfo],
    info: NodeInfo,
    links: list[Link] | None = None,
) -> tuple[list[Shape], list[str], list[str]] | None:
    """Input shapes of ``node`` by port, or None (with an issue) when they are not usable;
    ``links`` are the links into it when the caller has them already."""
    links = graph.inputs_of(node.id) if links is None else links
    ports = [link.port for link in links]
    lo, hi = node.input_range
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
                f"input {missing + 1} ({node.input_label(missing)}) of "
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
    if is_unrepresented(node):  # what it computes is known only from the opened model
        return LayerResult((), (), 0, 0, (UNREPRESENTED_CODE, unrepresented_message(node)))
    try:
        layer = make_layer(node)
    except Exception as exc:
        return LayerResult((), (), 0, 0, ("invalid_param", diagnostics.refusal(exc, node.params)))
    try:
        with shape_only_scope() as made:
            import keras

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
    queue = keras_compat.uninitialized_variables()
    before = len(queue)
    made: list[Any] = []
    try:
        with keras_compat.StatelessScope(initialize_variables=False):
            yield made
    finally:
        queue = keras_compat.uninitialized_variables()
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


def _tracer() -> Any:
    """An operation that runs a function symbolically: the shapes it would give, no memory
    and no values (made on first use: Keras is imported when analysis first runs)."""
    if not _TRACER:
        import keras

        class Traced(keras.Operation):
            def call(self, fn: Callable[[], Any]) -> Any:
                return fn()

        _TRACER.append(Traced(name="initializer_check"))
    return _TRACER[0]


_TRACER: list[Any] = []


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
            value = _tracer().compute_output_spec(attempt)
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


def _analyze_group(sub: LayerGraph | None, shapes: list[Shape]) -> LayerResult:
    """A nested network: its own analysis, checked against the shapes it receives."""
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
    for nid, port in sub.output_tensors():
        info = report.nodes[nid]
        chosen = range(len(info.shapes)) if port is None else [port]
        if not info.shapes or max(chosen, default=0) >= len(info.shapes):
            message = f"its output layer '{sub.node(nid).name}' gives no output"
            return LayerResult((), (), 0, 0, ("group_error", message))
        out_shapes += [info.shapes[i] for i in chosen]
        out_dtypes += [info.dtypes[i] for i in chosen]
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
