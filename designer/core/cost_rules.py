"""What one layer costs to run on one sample (multiply-accumulates, element-wise operations) and
the receptive field of its output, from its type, its parameters (Keras ``get_config()`` keys)
and the shapes of its inputs and outputs. The rules are those of :mod:`designer.core.cost`.
No Qt, no Keras."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Shape = tuple[int | None, ...]

CONV = {"Conv1D", "Conv2D", "Conv3D"}
CONV_TRANSPOSE = {"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"}
DEPTHWISE = {"DepthwiseConv1D", "DepthwiseConv2D"}
SEPARABLE = {"SeparableConv1D", "SeparableConv2D"}
POOL = {f"{kind}Pooling{d}D" for kind in ("Max", "Average") for d in (1, 2, 3)}
GLOBAL_POOL = {f"Global{kind}Pooling{d}D" for kind in ("Max", "Average") for d in (1, 2, 3)}
RECURRENT_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
CONV_RECURRENT = {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
MERGE = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}
# Families the tables below share.
DROPOUTS = {
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
}
PADDING = {f"{kind}{d}D" for kind in ("ZeroPadding", "Cropping") for d in (1, 2, 3)}
NORM_AND_ACTIVATION = {
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
}
# Layers that only move, copy or pass values on (at inference): no operation at all.
NO_OPS = {
    "Input",
    "InputLayer",
    "Flatten",
    "Reshape",
    "Permute",
    "RepeatVector",
    "Concatenate",
    "Embedding",
    "Identity",
    *DROPOUTS,
    *PADDING,
}


# Layers of no multiply-accumulates whatever their weights: element-wise work only.
ELEMENTWISE = {
    *NORM_AND_ACTIVATION,
    "RMSNormalization",
    "Normalization",
    "Rescaling",
    "Masking",
    *(f"UpSampling{d}D" for d in (1, 2, 3)),
    "Resizing",
    "CenterCrop",
}
ZERO_MACS = NO_OPS | POOL | GLOBAL_POOL | MERGE | ELEMENTWISE


def elements(shape: Shape | None) -> int | None:
    """Values in one sample of a tensor of ``shape`` (batch axis left out); None when a
    dimension is unknown."""
    if shape is None:
        return None
    total = 1
    for dim in shape[1:]:
        if dim is None:
            return None
        total *= dim
    return total


def ints(value: Any, rank: int, default: int = 1) -> tuple[int, ...]:
    """A kernel size, stride or dilation as ``rank`` integers (Keras takes an int or a list)."""
    if value is None:
        return (default,) * rank
    if isinstance(value, int | float):
        return (int(value),) * rank
    items = [int(v) for v in value]
    return tuple(items) if len(items) == rank else (items[0],) * rank


def _split(shape: Shape, params: dict[str, Any]) -> tuple[Shape, int | None]:
    """(spatial dimensions, channels) of a convolution's input or output."""
    if params.get("data_format") == "channels_first":
        return shape[2:], shape[1]
    return shape[1:-1], shape[-1]


def _prod(dims: Sequence[int | None]) -> int | None:
    if any(d is None for d in dims):
        return None
    return math.prod(d for d in dims if d is not None)


def _mul(*factors: int | None) -> int | None:
    if any(f is None for f in factors):
        return None
    return math.prod(f for f in factors if f is not None)


def layer_macs(
    kind: str, params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> tuple[int | None, bool]:
    """(multiply-accumulates for one sample or None when a dimension is unknown, whether the
    type is one with a rule); (0, False) for a type without one."""
    rule = _RULES.get(kind)
    if rule is None:
        return 0, False
    if not inputs or not outputs:
        return None, True
    try:
        return rule(params, inputs, outputs), True
    except (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError):
        return None, True  # a parameter of an unexpected form: the cost is unknown


def _conv(params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int | None:
    _, c_in = _split(inputs[0], params)
    space, c_out = _split(outputs[0], params)
    kernel = ints(params.get("kernel_size"), len(space))
    groups = int(params.get("groups") or 1)
    if c_in is None:
        return None
    return _mul(math.prod(kernel), c_in // groups, c_out, _prod(space))


def _conv_transpose(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    # Every input position is multiplied by the whole kernel: k * c_in * c_out * positions in.
    space, c_in = _split(inputs[0], params)
    _, c_out = _split(outputs[0], params)
    kernel = ints(params.get("kernel_size"), len(space))
    groups = int(params.get("groups") or 1)
    if c_in is None:
        return None
    return _mul(math.prod(kernel), c_in // groups, c_out, _prod(space))


def _depthwise_part(params: dict[str, Any], inputs: Sequence[Shape], space: Shape) -> int | None:
    _, c_in = _split(inputs[0], params)
    kernel = ints(params.get("kernel_size"), len(space))
    multiplier = int(params.get("depth_multiplier") or 1)
    return _mul(math.prod(kernel), c_in, multiplier, _prod(space))


def _depthwise(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    space, _ = _split(outputs[0], params)
    return _depthwise_part(params, inputs, space)


def _separable(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    space, c_out = _split(outputs[0], params)
    _, c_in = _split(inputs[0], params)
    multiplier = int(params.get("depth_multiplier") or 1)
    depthwise = _depthwise_part(params, inputs, space)
    pointwise = _mul(c_in, multiplier, c_out, _prod(space))
    return None if depthwise is None or pointwise is None else depthwise + pointwise


def _dense(params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int | None:
    shape = inputs[0]
    units = int(params.get("units") or outputs[0][-1] or 0)
    return _mul(shape[-1], units, _prod(shape[1:-1]))


def _einsum_dense(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    """One multiply-add for every combination of the equation's indices (batch left out)."""
    equation = str(params["equation"]).replace(" ", "")
    left, out_letters = equation.split("->")
    in_letters, kernel_letters = left.split(",")
    sizes, middle = _axes(in_letters, inputs[0])
    batch = in_letters[0] if in_letters[:1].isalpha() else None
    if batch is None:
        middle = middle[1:]  # the ellipsis starts with the batch axis
    out_sizes, _ = _axes(out_letters, outputs[0])
    for letter, size in out_sizes.items():
        sizes.setdefault(letter, size)
    total = _prod(middle)
    for letter in set(in_letters + kernel_letters + out_letters) - {".", batch}:
        total = _mul(total, sizes.get(letter))
    return total


def _axes(letters: str, shape: Shape) -> tuple[dict[str, int | None], Shape]:
    """The size of each index of one side of an equation, and the axes under its ``...``."""
    if "..." not in letters:
        return dict(zip(letters, shape, strict=True)), ()
    head, tail = letters.split("...")
    rest = len(shape) - len(tail)
    dims = (*shape[: len(head)], *shape[rest:])
    return dict(zip(head + tail, dims, strict=True)), shape[len(head) : rest]


def _recurrent(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape], kind: str
) -> int | None:
    """Per time step: gates * (inputs + units) * units; times the time steps."""
    shape = inputs[0]
    units = int(params["units"])
    gates = RECURRENT_GATES[kind]
    return _mul(gates * units, None if shape[-1] is None else shape[-1] + units, shape[1])


def _conv_recurrent(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    """Four gates, each a convolution of the input and one of the state, every time step."""
    steps = inputs[0][1]
    frame = (inputs[0][0], *inputs[0][2:])
    out = outputs[0]
    out_frame = (out[0], *out[2:]) if len(out) == len(inputs[0]) else out
    space, c_in = _split(frame, params)
    out_space, filters = _split(out_frame, params)
    kernel = math.prod(ints(params.get("kernel_size"), len(space)))
    if c_in is None or filters is None:
        return None
    return _mul(4, kernel, c_in + filters, filters, _prod(out_space), steps)


def _wrapped(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape], twice: bool
) -> int | None:
    """Bidirectional (both directions) or TimeDistributed (the inner layer on every step)."""
    inner = params["layer"]
    kind, config = str(inner["class_name"]), dict(inner.get("config") or {})
    if twice:
        forward, _ = layer_macs(kind, config, inputs, outputs)
        back = params.get("backward_layer") or inner
        backward, _ = layer_macs(
            str(back["class_name"]), dict(back.get("config") or {}), inputs, outputs
        )
        return None if forward is None or backward is None else forward + backward
    steps = inputs[0][1]
    frame = [(s[0], *s[2:]) for s in inputs]
    out_frame = [(s[0], *s[2:]) for s in outputs]
    macs, _ = layer_macs(kind, config, frame, out_frame)
    return _mul(macs, steps)


def _positions(shape: Shape) -> int | None:
    """The positions of a sequence (every axis between batch and features)."""
    return _prod(shape[1:-1])


def _attention_inputs(params: dict[str, Any], inputs: Sequence[Shape]) -> tuple[Shape, ...]:
    query = inputs[0]
    value = inputs[1] if len(inputs) > 1 else query
    key = inputs[2] if len(inputs) > 2 else value
    return query, value, key


def _multi_head(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    """Projections of query, key and value, Q K^T, the weighted sum A V and the output."""
    query, value, key = _attention_inputs(params, inputs)
    heads = int(params["num_heads"])
    key_dim = int(params["key_dim"])
    value_dim = int(params.get("value_dim") or key_dim)
    t_q, t_k, t_v = _positions(query), _positions(key), _positions(value)
    d_out = outputs[0][-1]
    parts = (
        _mul(t_q, query[-1], heads, key_dim),
        _mul(t_k, key[-1], heads, key_dim),
        _mul(t_v, value[-1], heads, value_dim),
        _mul(heads, t_q, t_k, key_dim),
        _mul(heads, t_q, t_k, value_dim),
        _mul(t_q, heads, value_dim, d_out),
    )
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


def _dot_attention(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    """Attention / AdditiveAttention: scores (query with key) and the weighted sum of values."""
    query, value, key = _attention_inputs(params, inputs)
    t_q, t_v = _positions(query), _positions(value)
    scores, weighted = _mul(t_q, t_v, key[-1]), _mul(t_q, t_v, value[-1])
    return None if scores is None or weighted is None else scores + weighted


def _matmul(
    params: dict[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]
) -> int | None:
    if len(inputs) < 2:
        return None
    return _mul(elements(outputs[0]), inputs[0][-1])


_RULES: dict[str, Any] = {
    **dict.fromkeys(CONV, _conv),
    **dict.fromkeys(CONV_TRANSPOSE, _conv_transpose),
    **dict.fromkeys(DEPTHWISE, _depthwise),
    **dict.fromkeys(SEPARABLE, _separable),
    **{k: (lambda p, i, o, k=k: _recurrent(p, i, o, k)) for k in RECURRENT_GATES},
    **dict.fromkeys(CONV_RECURRENT, _conv_recurrent),
    "Dense": _dense,
    "EinsumDense": _einsum_dense,
    "Bidirectional": lambda p, i, o: _wrapped(p, i, o, twice=True),
    "TimeDistributed": lambda p, i, o: _wrapped(p, i, o, twice=False),
    "MultiHeadAttention": _multi_head,
    "Attention": _dot_attention,
    "AdditiveAttention": _dot_attention,
    "keras.ops:matmul": _matmul,
}


def elementwise_ops(
    kind: str,
    params: dict[str, Any],
    inputs: Sequence[Shape],
    outputs: Sequence[Shape],
    has_macs: bool,
) -> int | None:
    """Operations on single values for one sample: pooling windows, merges, normalisation and
    activations, and the bias add and activation of a layer that has multiply-accumulates."""
    if kind in NO_OPS:
        return 0
    out = elements(outputs[0]) if outputs else None
    if out is None:
        return None
    if has_macs:
        activation = params.get("activation")
        extra = int(activation not in (None, "linear"))
        return out * (int(bool(params.get("use_bias", False))) + extra)
    if kind in POOL:
        space = len(outputs[0]) - 2
        window = params.get("pool_size")
        return out * math.prod(ints(window, space, 2))
    if kind in GLOBAL_POOL:
        return elements(inputs[0]) if inputs else None
    if kind in MERGE:
        return out * max(len(inputs) - 1, 1)
    return out


# Layers that keep a receptive field as it is (element-wise or padding).
KEEPS_FIELD = {
    *NORM_AND_ACTIVATION,
    *DROPOUTS,
    *PADDING,
    *MERGE,
    "Rescaling",
    "Normalization",
    "Identity",
    "Concatenate",
}


@dataclass(frozen=True)
class ReceptiveField:
    """The input pixels one output value sees (size) and the step between neighbours (stride),
    per spatial axis."""

    size: tuple[int, ...]
    stride: tuple[int, ...]

    def to_dict(self) -> dict[str, list[int]]:
        """Plain data: ``{"size": [...], "stride": [...]}``."""
        return {"size": list(self.size), "stride": list(self.stride)}


def receptive_field(
    kind: str,
    params: dict[str, Any],
    inputs: list[Shape | None],
    outputs: list[Shape],
    fields: list[ReceptiveField | None],
) -> ReceptiveField | None:
    """The receptive field of a layer's output, or None where it does not apply."""
    if kind == "Input":
        shape = outputs[0] if outputs else ()
        axes = len(shape) - 2
        return ReceptiveField((1,) * axes, (1,) * axes) if 1 <= axes <= 3 else None
    if not fields or any(f is None for f in fields):
        return None
    if kind in CONV or kind in DEPTHWISE or kind in SEPARABLE or kind in POOL:
        before = fields[0]
        assert before is not None
        axes = len(before.size)
        if kind in POOL:
            kernel = ints(params.get("pool_size"), axes, 2)
            strides, dilation = ints(params.get("strides") or kernel, axes), (1,) * axes
        else:
            kernel = ints(params.get("kernel_size"), axes)
            strides = ints(params.get("strides"), axes)
            dilation = ints(params.get("dilation_rate"), axes)
        size = tuple(
            n + (k - 1) * d * s
            for n, k, d, s in zip(before.size, kernel, dilation, before.stride, strict=True)
        )
        stride = tuple(a * b for a, b in zip(before.stride, strides, strict=True))
        return ReceptiveField(size, stride)
    keeps = kind in KEEPS_FIELD or (kind == "Dense" and all(s and len(s) > 2 for s in inputs))
    if not keeps:
        return None
    known = [f for f in fields if f is not None]
    if len({f.stride for f in known}) != 1:
        return None  # branches of different strides: no single field
    size = tuple(max(sizes) for sizes in zip(*(f.size for f in known), strict=True))
    return known[0] if len(known) == 1 else ReceptiveField(size, known[0].stride)
