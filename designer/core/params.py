"""Parameter schemas: what a layer parameter is, how it is edited and how a value is checked.

A :class:`ParamSpec` is derived from a Keras layer's ``get_config()`` value and its docstring,
refined by small curated tables (ranges, choices). Values are kept as plain JSON data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from designer.core.errors import ParamError

ACTIVATIONS = (
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "sigmoid",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "log_sigmoid",
    "tanh",
    "hard_tanh",
    "tanh_shrink",
    "softmax",
    "log_softmax",
    "sparsemax",
    "softplus",
    "softsign",
    "squareplus",
    "sparse_plus",
    "sparse_sigmoid",
    "exponential",
    "glu",
    "hard_shrink",
    "soft_shrink",
    "threshold",
)

INITIALIZERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "random_uniform",
    "random_normal",
    "truncated_normal",
    "variance_scaling",
    "zeros",
    "ones",
    "identity",
)

REGULARIZERS = ("none", "l1", "l2", "l1_l2", "orthogonal_regularizer")

# Choices for string parameters, by parameter name.
NAMED_CHOICES: dict[str, tuple[str, ...]] = {
    "padding": ("valid", "same", "causal"),
    "data_format": ("channels_last", "channels_first"),
    "interpolation": ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"),
    "fill_mode": ("reflect", "wrap", "constant", "nearest", "crop"),
    "merge_mode": ("concat", "sum", "mul", "ave"),
    "mode": ("horizontal_and_vertical", "horizontal", "vertical"),
    "activation": ACTIVATIONS,
    "recurrent_activation": ACTIVATIONS,
    "output_mode": ("int", "multi_hot", "one_hot", "count", "tf_idf"),
}

# Allowed numeric ranges by parameter name: (minimum, maximum); None means unbounded.
NAMED_RANGES: dict[str, tuple[float | None, float | None]] = {
    "filters": (1, None),
    "units": (1, None),
    "kernel_size": (1, None),
    "strides": (1, None),
    "pool_size": (1, None),
    "dilation_rate": (1, None),
    "depth_multiplier": (1, None),
    "num_heads": (1, None),
    "key_dim": (1, None),
    "value_dim": (1, None),
    "groups": (1, None),
    "size": (1, None),
    "n": (1, None),
    "input_dim": (1, None),
    "output_dim": (1, None),
    "height": (1, None),
    "width": (1, None),
    "rate": (0.0, 1.0),
    "dropout": (0.0, 1.0),
    "recurrent_dropout": (0.0, 1.0),
    "momentum": (0.0, 1.0),
    "epsilon": (0.0, None),
    "stddev": (0.0, None),
    "factor": (None, None),
    "negative_slope": (0.0, None),
    "alpha": (None, None),
    "max_value": (0.0, None),
}

# Tuple parameters whose length is fixed by the layer (kernel_size of Conv2D has 2 entries).
FIXED_LENGTH = frozenset(
    {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "padding", "cropping"}
)

KINDS = (
    "int",
    "float",
    "bool",
    "str",
    "choice",
    "ints",
    "shape",
    "initializer",
    "regularizer",
    "layer",
    "json",
)


@dataclass(frozen=True)
class ParamSpec:
    """One editable parameter of a layer type."""

    name: str
    kind: str
    default: Any
    help: str = ""
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    length: int | None = None  # for "ints": the tuple length (a single int is also accepted)
    optional: bool = False  # None is a valid value

    def check(self, value: Any, owner: str = "layer") -> Any:
        """Return ``value`` as plain data if it suits this parameter, else raise ParamError."""
        where = f"{owner} parameter '{self.name}'"
        if value is None:
            if self.optional or self.default is None:
                return None
            raise ParamError(f"{where} needs a value; received None")
        checker = _CHECKERS.get(self.kind)
        value = plain_value(value, where)
        return checker(self, value, where) if checker else value


# The integers Keras and TensorFlow can hold (int64): a size or count beyond is refused here.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _check_number(spec: ParamSpec, value: Any, where: str, integer: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "an integer" if integer else "a number"
        raise ParamError(f"{where} expects {kind}; received {short_repr(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamError(f"{where} expects a finite number; received {short_repr(value)}")
    if integer and isinstance(value, float) and not value.is_integer():
        raise ParamError(f"{where} expects an integer; received {short_repr(value)}")
    number: int | float = int(value) if integer else finite_float(value, where)
    if integer and not INT_MIN <= number <= INT_MAX:
        raise ParamError(
            f"{where} expects an integer between {INT_MIN} and {INT_MAX}; "
            f"received {short_repr(value)}"
        )
    if spec.minimum is not None and number < spec.minimum:
        raise ParamError(f"{where} must be at least {spec.minimum}; received {short_repr(value)}")
    if spec.maximum is not None and number > spec.maximum:
        raise ParamError(f"{where} must be at most {spec.maximum}; received {short_repr(value)}")
    return number


def finite_float(value: Any, where: str) -> float:
    """``value`` as a finite float (an int too large for a float is refused), else ParamError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParamError(f"{where} expects a number; received {short_repr(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ParamError(f"{where} expects a finite number; received {short_repr(value)}")
    return number


def short_repr(value: Any) -> str:
    """The repr of a received value, cut to a readable length (an int of 400 digits)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def _check_int(spec: ParamSpec, value: Any, where: str) -> int:
    return int(_check_number(spec, value, where, integer=True))


def _check_float(spec: ParamSpec, value: Any, where: str) -> float:
    return float(_check_number(spec, value, where, integer=False))


def _check_bool(spec: ParamSpec, value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"{where} expects true or false; received {short_repr(value)}")
    return value


def _check_str(spec: ParamSpec, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ParamError(f"{where} expects text; received {short_repr(value)}")
    return value


def _check_choice(spec: ParamSpec, value: Any, where: str) -> str:
    if not isinstance(value, str) or (spec.choices and value not in spec.choices):
        options = ", ".join(spec.choices or ())
        raise ParamError(f"{where} expects one of {options}; received {short_repr(value)}")
    return value


def _check_ints(spec: ParamSpec, value: Any, where: str) -> int | list:
    if isinstance(value, int | float) and not isinstance(value, bool):
        single = _check_int(spec, value, where)
        return [single] * spec.length if spec.length else single
    if not isinstance(value, list) or (spec.length and len(value) != spec.length):
        size = f"{spec.length} integers" if spec.length else "a list of integers"
        raise ParamError(f"{where} expects an integer or {size}; received {short_repr(value)}")
    return [
        _check_ints(ParamSpec(spec.name, "ints", None, minimum=spec.minimum), v, where)
        if isinstance(v, list)
        else _check_int(spec, v, where)
        for v in value
    ]


def _check_shape(spec: ParamSpec, value: Any, where: str) -> list:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ParamError(
            f"{where} expects a shape such as (28, 28, 1); received {short_repr(value)}"
        )
    for dim in value:
        if dim is not None and (
            isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= INT_MAX
        ):
            raise ParamError(
                f"{where} expects positive sizes or None (any length); received {short_repr(value)}"
            )
    return list(value)


def _check_initializer(spec: ParamSpec, value: Any, where: str) -> Any:
    if isinstance(value, str) and value not in INITIALIZERS:
        raise ParamError(
            f"{where} expects one of {', '.join(INITIALIZERS)}; received {short_repr(value)}"
        )
    if not isinstance(value, str | dict):
        raise ParamError(f"{where} expects an initializer name; received {short_repr(value)}")
    return value


def _check_regularizer(spec: ParamSpec, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ParamError(
            f"{where} expects a regularizer such as L2(0.001); received {short_repr(value)}"
        )
    return value


def _check_layer(spec: ParamSpec, value: Any, where: str) -> dict:
    if not isinstance(value, dict) or "class_name" not in value:
        raise ParamError(f"{where} expects a serialized Keras layer; received {short_repr(value)}")
    return value


_CHECKERS = {
    "int": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "str": _check_str,
    "choice": _check_choice,
    "ints": _check_ints,
    "shape": _check_shape,
    "initializer": _check_initializer,
    "regularizer": _check_regularizer,
    "layer": _check_layer,
}


def to_plain(value: Any) -> Any:
    """Convert tuples, numpy values and nested structures to JSON-compatible plain data."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def plain_value(value: Any, where: str) -> Any:
    """``value`` as plain data that a project file can hold (JSON without NaN or infinity),
    else ParamError naming the place inside ``value`` that cannot be stored."""
    value = to_plain(value)
    problem = json_problem(value)
    if problem is not None:
        place, item = problem
        inside = f" at {place}" if place else ""
        raise ParamError(
            f"{where} expects plain data (finite numbers, text, true/false, lists, "
            f"dictionaries); received {short_repr(item)}{inside}"
        )
    return value


def json_problem(value: Any, place: str = "") -> tuple[str, Any] | None:
    """The first (place, item) in plain data that strict JSON cannot hold, or None."""
    if value is None or isinstance(value, bool | str):
        return None
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (place, value)
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = json_problem(item, f"{place}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return (place, key)
            found = json_problem(item, f"{place}[{key!r}]")
            if found is not None:
                return found
        return None
    return (place, value)


def make_regularizer(kind: str, factor: float = 0.01) -> dict | None:
    """A serialized Keras regularizer for the property form ("none", "l1", "l2", "l1_l2")."""
    if kind == "none":
        return None
    configs = {
        "l1": ("L1", {"l1": factor}),
        "l2": ("L2", {"l2": factor}),
        "l1_l2": ("L1L2", {"l1": factor, "l2": factor}),
    }
    if kind not in configs:
        raise ParamError(f"regularizer expects one of none, l1, l2, l1_l2; received {kind!r}")
    name, config = configs[kind]
    return {
        "module": "keras.regularizers",
        "class_name": name,
        "config": config,
        "registered_name": None,
    }


def infer_spec(
    name: str, value: Any, help_text: str = "", curated_default: Any = None
) -> ParamSpec:
    """Guess a ParamSpec from a config key and its default value."""
    value = to_plain(value)
    lo, hi = NAMED_RANGES.get(name, (None, None))
    choices = NAMED_CHOICES.get(name)
    if name == "shape":
        return ParamSpec(name, "shape", value, help_text)
    if name.endswith("_initializer"):
        return ParamSpec(name, "initializer", value, help_text, choices=INITIALIZERS)
    if name.endswith("_regularizer"):
        return ParamSpec(name, "regularizer", value, help_text, optional=True)
    if name in ("layer", "backward_layer"):
        return ParamSpec(name, "layer", value, help_text, optional=name == "backward_layer")
    if isinstance(value, bool):
        return ParamSpec(name, "bool", value, help_text)
    if isinstance(value, int):
        return ParamSpec(name, "int", value, help_text, minimum=lo, maximum=hi)
    if isinstance(value, float):
        return ParamSpec(name, "float", value, help_text, minimum=lo, maximum=hi)
    if isinstance(value, str):
        if choices and value in choices:
            return ParamSpec(name, "choice", value, help_text, choices=choices)
        return ParamSpec(name, "str", value, help_text)
    if isinstance(value, list) and value and all(_is_int_tree(v) for v in value):
        length = len(value) if name in FIXED_LENGTH else None
        return ParamSpec(name, "ints", value, help_text, minimum=lo, length=length)
    if value is None and name in NAMED_RANGES:
        kind = "float" if isinstance(lo, float) else "int"
        return ParamSpec(name, kind, None, help_text, minimum=lo, maximum=hi, optional=True)
    return ParamSpec(name, "json", value, help_text, optional=True)


def _is_int_tree(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_int_tree(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool)


_ARG_LINE = re.compile(r"^\s{4,12}(\w+):\s*(.*)$")


def parse_arg_help(doc: str | None) -> dict[str, str]:
    """One-line help for each argument of a Keras docstring's ``Args:`` section."""
    if not doc:
        return {}
    helps: dict[str, str] = {}
    in_args, current, indent = False, None, None
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped in ("Args:", "Arguments:"):
            in_args, current = True, None
            continue
        if not in_args:
            continue
        if stripped and not line.startswith(" ") or stripped.endswith(":") and " " not in stripped:
            in_args = stripped in ("Args:", "Arguments:")
            continue
        match = _ARG_LINE.match(line)
        this_indent = len(line) - len(line.lstrip())
        if match and (indent is None or this_indent == indent):
            indent = this_indent
            current = match.group(1)
            helps[current] = match.group(2).strip()
        elif current and stripped:
            helps[current] += " " + stripped
    return {k: _first_sentence(v) for k, v in helps.items()}


def _first_sentence(text: str) -> str:
    text = text.replace("`", "")
    end = re.search(r"\.(\s|$)", text)
    return (text[: end.start() + 1] if end else text).strip()


def first_line(doc: str | None) -> str:
    """The first line of a docstring, or an empty string."""
    return (doc or "").strip().splitlines()[0].strip() if (doc or "").strip() else ""
