"""Words for the analysis: dimension labels, student-readable errors, and network warnings."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from designer.core.unrepresented import ERROR_CODE as UNREPRESENTED_CODE

if TYPE_CHECKING:
    from designer.core.analysis import NodeInfo
    from designer.core.graph import LayerGraph, Node

Shape = tuple[int | None, ...]

# What a layer family expects, for messages: (rank including batch, description).
_EXPECTS = {
    "1D": "3-D input (batch, steps, channels)",
    "2D": "4-D input (batch, height, width, channels)",
    "3D": "5-D input (batch, depth, height, width, channels)",
    "RNN": "3-D input (batch, time steps, features)",
    "Dense": "input of at least 2 dimensions (batch, features)",
}
_RECURRENT = {"SimpleRNN", "LSTM", "GRU", "Bidirectional"}
_DANGLING_OK = {
    "Dense",
    "Softmax",
    "Activation",
    "Conv2D",
    "Conv1D",
    "Conv3D",
    "Conv2DTranspose",
    "Model",
    "Reshape",
    "LSTM",
    "GRU",
    "SimpleRNN",
}


def input_labels(shape: Shape) -> str:
    """Dimension labels of an Input of this shape: B batch, S spatial, C channel, T time."""
    rank = len(shape) - 1
    return "B" + {0: "", 1: "C", 2: "TC", 3: "SSC", 4: "SSSC"}.get(rank, "U" * rank)


def output_labels(input_label: list[str] | str, shape: Shape) -> str:
    """Labels of an output: kept from the first input when the rank is unchanged."""
    first = input_label[0] if isinstance(input_label, list) else input_label
    if first and len(first) == len(shape):
        return first
    rank = len(shape) - 1
    if rank == 2 and "T" in (first or ""):
        return "BTC"
    return "B" + {0: "", 1: "C", 2: "TC", 3: "SSC", 4: "SSSC"}.get(rank, "U" * rank)


def format_shape(shape: Shape | None, labels: str = "") -> str:
    """'28×28×6 (SSC)' style text, batch left out."""
    if shape is None:
        return "?"
    dims = "×".join("?" if d is None else str(d) for d in shape[1:]) or "scalar"
    tags = labels[1:] if labels.startswith("B") else labels
    return f"{dims} ({tags})" if tags else dims


_DESERIALIZING = re.compile(r"Error when deserializing class .*?Exception encountered:\s*", re.S)


def refusal(exc: BaseException, params: dict[str, Any]) -> str:
    """Keras' refusal to make a layer from ``params``, as one sentence naming the parameter
    it objects to (Keras wraps the reason in a dump of the whole configuration)."""
    reason = clean(exc)
    named = [
        name
        for name in params
        if re.search(rf"`{re.escape(name)}`|\b{re.escape(name)}=", reason) or f"'{name}'" in reason
    ]
    if not named:
        return f"Keras refuses these parameters: {reason}"
    name = named[0]
    value = params[name]
    shown = repr(value) if not isinstance(value, dict | list) else "this value"
    return f"Keras refuses {name}={shown}: {reason}"


def clean(exc: BaseException) -> str:
    """The useful part of a Keras exception message, on one line."""
    text = str(exc).strip() or type(exc).__name__
    text = _DESERIALIZING.sub("", text)  # "Error when deserializing class 'X' using config=..."
    text = re.sub(r"\s*Arguments received by .*", "", text, flags=re.S)
    text = re.sub(r"Exception encountered when calling [^\n]*\n*", "", text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("•")]
    return " ".join(lines)[:400]


def _family(node: Node) -> str | None:
    name = node.type
    if name in _RECURRENT:
        return "RNN"
    if name == "Dense":
        return "Dense"
    match = re.search(r"([123]D)", name)
    return match.group(1) if match else None


def explain(node: Node, code: str, message: str, in_shapes: list[Shape]) -> str:
    """A sentence a student understands for an error Keras raised on ``node``."""
    who = f"{node.label} '{node.name}'"
    got = ", ".join(str(s) for s in in_shapes)
    ndim = re.search(r"expected (?:min_|max_)?ndim=(\d+), found ndim=(\d+)", message)
    if ndim:
        family = _family(node)
        want = _EXPECTS.get(family or "", f"{ndim.group(1)}-D input")
        return f"{who} expects {want} but receives {got}"
    if "negative" in message.lower() or "would be 0" in message or "too small" in message:
        return (
            f"{who}: the input {got} is too small for this layer (kernel or pool larger "
            f"than the input); use padding='same', a smaller kernel, or fewer poolings"
        )
    if code == "layer_error" and node.spec.call_style == "list" and len(in_shapes) > 1:
        return f"{who} cannot combine inputs of shapes {got}: {message}"
    if code == "invalid_param":
        return f"{who} has an invalid parameter value: {message}"
    if code in ("incompatible_shapes", "input_count", "group_error", UNREPRESENTED_CODE):
        return f"{who}: {message}"
    return f"{who} cannot process input {got}: {message}"


def shapes_compatible(want: Shape | None, got: Shape | None) -> bool:
    """True when ``got`` fits ``want`` (None matches any size)."""
    if want is None or got is None or len(want) != len(got):
        return False
    return all(a is None or b is None or a == b for a, b in zip(want, got, strict=True))


def graph_issues(graph: LayerGraph, infos: dict[str, NodeInfo]) -> list[Any]:
    """Whole-network errors (no input, no output) and warnings about common mistakes."""
    issues = network_issues(graph, infos, graph.input_nodes(), graph.output_nodes())
    for node in graph.nodes:
        issues.extend(node_warnings(graph, node, infos))
    return issues


def network_issues(
    graph: LayerGraph, infos: dict[str, NodeInfo], inputs: list[str], outputs: list[str]
) -> list[Any]:
    """The issues of :func:`graph_issues` about the network as a whole and its inputs and
    outputs (given, as :meth:`LayerGraph.input_nodes` and ``output_nodes`` list them); the
    rest are each layer's :func:`node_warnings`."""
    from designer.core.analysis import Issue

    issues: list[Issue] = []
    if not len(graph):
        return [Issue("error", None, "empty", "the network is empty: add an Input layer")]
    if not inputs:
        issues.append(
            Issue(
                "error",
                None,
                "no_input",
                "the network has no Input layer: every network starts with one",
            )
        )
    real_outputs = [o for o in outputs if graph.node(o).type != "Input"]
    if not real_outputs:
        issues.append(
            Issue(
                "error",
                None,
                "no_output",
                "the network has no output: connect layers after the Input",
            )
        )
    for nid in inputs:
        if not graph.successors(nid) and len(graph) > 1:
            issues.append(
                Issue(
                    "warning", nid, "unused_input", f"Input '{graph.node(nid).name}' feeds no layer"
                )
            )
    if len(real_outputs) > 1:
        for nid in real_outputs:
            node = graph.node(nid)
            if node.type not in _DANGLING_OK and nid not in graph.output_order:
                issues.append(
                    Issue(
                        "warning",
                        nid,
                        "unused_output",
                        f"the output of {node.label} '{node.name}' is not used; it "
                        f"becomes an extra network output",
                    )
                )
    for nid in real_outputs:
        issues.extend(_softmax_warnings(graph, graph.node(nid), infos))
    issues.extend(_missing_outputs(graph, infos))
    return issues


def _missing_outputs(graph: LayerGraph, infos: dict[str, NodeInfo]) -> list[Any]:
    """Errors for recorded network outputs (output i of a layer) that the layer no longer has."""
    from designer.core.analysis import Issue

    issues = []
    for nid, port in graph.output_tensors():
        shapes = infos[nid].shapes if nid in infos else []
        if port is not None and shapes and port >= len(shapes):
            node = graph.node(nid)
            issues.append(
                Issue(
                    "error",
                    nid,
                    "bad_output",
                    f"output {port + 1} of {node.label} '{node.name}' is a network output, "
                    f"but the layer has {len(shapes)} output(s) now",
                )
            )
    return issues


def _activation(node: Node) -> str | None:
    if node.type in ("Dense", "Conv2D", "Conv1D", "Activation"):
        value = node.params.get("activation")
        return value if isinstance(value, str) else None
    if node.type == "Softmax":
        return "softmax"
    return None


def _softmax_warnings(graph: LayerGraph, node: Node, infos: dict[str, NodeInfo]) -> list[Any]:
    from designer.core.analysis import Issue

    shape = infos[node.id].shape
    if node.type != "Dense" or not shape or (shape[-1] or 0) < 2:
        return []
    if _activation(node) in ("linear", None):
        return [
            Issue(
                "warning",
                node.id,
                "missing_softmax",
                f"the network ends with Dense '{node.name}' without softmax: for "
                f"classification add a Softmax layer (or activation='softmax'), or train "
                f"with a from_logits loss; ignore this for regression",
            )
        ]
    return []


def node_warnings(graph: LayerGraph, node: Node, infos: dict[str, NodeInfo]) -> list[Any]:
    """Warnings about one layer: they depend on its type, parameters, name and parameter
    count, on the types of the layers feeding it and on those it feeds."""
    from designer.core.analysis import Issue

    found = []
    succ = [graph.node(s) for s in graph.successors(node.id)]
    if node.type in ("Dropout", "SpatialDropout1D", "SpatialDropout2D") and any(
        s.type == "BatchNormalization" for s in succ
    ):
        found.append(
            Issue(
                "warning",
                node.id,
                "dropout_before_norm",
                f"Dropout '{node.name}' feeds BatchNormalization directly: the "
                f"statistics then differ between training and inference; put "
                f"dropout after the normalisation",
            )
        )
    if _activation(node) == "softmax" and any(_activation(s) == "softmax" for s in succ):
        found.append(
            Issue(
                "warning",
                node.id,
                "double_softmax",
                f"'{node.name}' applies softmax and so does the next layer: remove one of them",
            )
        )
    info = infos[node.id]
    if node.type == "Dense" and info.params > 20_000_000:
        preds = graph.predecessors(node.id)
        after_flatten = any(graph.node(p).type == "Flatten" for p in preds)
        hint = (
            " after a large Flatten; pool the features first (GlobalAveragePooling)"
            if after_flatten
            else ""
        )
        found.append(
            Issue(
                "warning",
                node.id,
                "huge_dense",
                f"Dense '{node.name}' has {info.params:,} parameters{hint}",
            )
        )
    return found
