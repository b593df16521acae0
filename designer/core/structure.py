"""Nested structures of tensors and constants as plain data (*templates*).

A layer may be called with nested lists, tuples and dicts of tensors and constants: ``x[:, 0]``
is Keras' GetItem called with ``(x, (slice(None), 0))``, a decoder LSTM takes
``initial_state=[h, c]``, a model may take or give a dict of tensors. Such a structure is kept
as JSON data in which each tensor is a placeholder ``{"port": i}`` (input port i of the layer,
or tensor i of a model's flat inputs or outputs), and the values JSON has no form for are
small tagged objects:

- ``{"tuple": [...]}`` a tuple (a list stays a list);
- ``{"dict": {...}}`` a dictionary with text keys, kept in sorted order (Keras' flattening
  order, so that ports follow ``keras.tree.flatten``);
- ``{"slice": [start, stop, step]}`` a slice;
- ``{"ellipsis": true}`` the ``...`` of an index;
- ``{"array": [...], "dtype": "float32"}`` a small numpy array.

Every dictionary in a template is one of these tags, so a user's dictionary can never be taken
for a placeholder. Pure Python: no Keras here (callers say what a tensor is).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from designer.core.params import json_problem, short_repr

MAX_ARRAY = 4096  # elements of a numpy constant kept in a template
_TAGS = ("port", "tuple", "dict", "slice", "ellipsis", "array")


class StructureError(ValueError):
    """A value a template cannot hold, or data that is not a valid template."""


def encode(value: Any, port_of: Callable[[Any], int | None], place: str = "") -> Any:
    """The template of ``value``: ``port_of(leaf)`` gives the port of a tensor (None for a
    constant); StructureError names the place of a value that has no plain form."""
    port = port_of(value)
    if port is not None:
        return {"port": port}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StructureError(f"{place or 'the value'} is {value}, which a file cannot hold")
        return value
    if isinstance(value, np.generic):
        return encode(value.item(), port_of, place)
    if isinstance(value, list):
        return [encode(v, port_of, f"{place}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"tuple": [encode(v, port_of, f"{place}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise StructureError(f"{place or 'the value'} is a dictionary with non-text keys")
        return {"dict": {k: encode(value[k], port_of, f"{place}[{k!r}]") for k in sorted(value)}}
    if isinstance(value, slice):
        parts = (value.start, value.stop, value.step)
        return {"slice": [encode(v, port_of, f"{place}.slice") for v in parts]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, np.ndarray) and value.size <= MAX_ARRAY and value.dtype.kind in "biuf":
        return {"array": value.tolist(), "dtype": str(value.dtype)}
    if (
        hasattr(value, "__array__")
        and hasattr(value, "shape")
        and not isinstance(value, np.ndarray)
    ):
        return encode(np.asarray(value), port_of, place)  # a constant backend tensor
    what = type(value).__name__
    if isinstance(value, np.ndarray):
        what = f"array of {value.size} {value.dtype} values (at most {MAX_ARRAY} numbers are kept)"
    raise StructureError(
        f"{place or 'the value'} is a {what}; the designer keeps tensors, numbers, text, "
        f"slices, small arrays and lists, tuples or dictionaries of them"
    )


def decode(template: Any, tensors: Sequence[Any]) -> Any:
    """The structure ``template`` stands for, with ``tensors[i]`` for each ``{"port": i}``."""
    if isinstance(template, list):
        return [decode(t, tensors) for t in template]
    if not isinstance(template, dict):
        return template
    if "port" in template:
        return tensors[template["port"]]
    if "tuple" in template:
        return tuple(decode(t, tensors) for t in template["tuple"])
    if "dict" in template:
        return {k: decode(v, tensors) for k, v in template["dict"].items()}
    if "slice" in template:
        return slice(*(decode(t, tensors) for t in template["slice"]))
    if "ellipsis" in template:
        return Ellipsis
    return np.asarray(template["array"], dtype=template["dtype"])


def placeholders(template: Any, path: str = "") -> Iterator[tuple[int, str]]:
    """(port, path) of each placeholder in ``template``, in order (``path`` as Python
    indexes it: ``[0]``, ``['a']``)."""
    if isinstance(template, list):
        for i, item in enumerate(template):
            yield from placeholders(item, f"{path}[{i}]")
    elif isinstance(template, dict):
        if "port" in template:
            yield template["port"], path
        elif "tuple" in template:
            yield from placeholders(template["tuple"], path)
        elif "dict" in template:
            for key, item in template["dict"].items():
                yield from placeholders(item, f"{path}[{key!r}]")
        elif "slice" in template:
            yield from placeholders(template["slice"], f"{path}.slice")


def port_count(template: Any) -> int:
    """How many placeholders ``template`` holds."""
    return sum(1 for _ in placeholders(template))


def check_template(template: Any, where: str) -> Any:
    """``template`` if it is a valid template whose ports are 0..n-1, once each; else
    StructureError naming ``where`` (templates come from files)."""
    problem = json_problem(template)
    if problem is not None:
        raise StructureError(f"{where} expects plain data; received {short_repr(problem[1])}")
    _check_tags(template, where)
    ports = sorted(port for port, _ in placeholders(template))
    if ports != list(range(len(ports))):
        raise StructureError(f"{where} expects ports 0 to {len(ports) - 1}, once each")
    return template


def _check_tags(template: Any, where: str) -> None:
    items: list[Any] = []
    if isinstance(template, list):
        items = template
    elif isinstance(template, dict):
        tag = next((t for t in _TAGS if t in template), None)
        value = template.get(tag) if tag else None
        shapes = {
            "port": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
            "tuple": isinstance(value, list),
            "dict": isinstance(value, dict),
            "slice": isinstance(value, list) and len(value) == 3,
            "ellipsis": value is True,
            "array": isinstance(value, list) and isinstance(template.get("dtype"), str),
        }
        if tag is None or not shapes[tag]:
            raise StructureError(f"{where} holds an unknown entry {short_repr(template)}")
        if tag == "array":
            try:
                np.asarray(value, dtype=template["dtype"])
            except (TypeError, ValueError):
                raise StructureError(f"{where} holds an invalid array") from None
        if isinstance(value, dict):
            items = list(value.values())
        elif tag in ("tuple", "slice") and isinstance(value, list):
            items = value
    for item in items:
        _check_tags(item, where)


# ----------------------------------------------------------------------------- calls
def call_template(args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The plain form of a call's arguments: ``{"args": [...], "kwargs": {...}}``."""
    return {"args": list(args), "kwargs": dict(kwargs)}


def check_call(value: Any, where: str) -> dict[str, Any]:
    """A stored call template (``{"args": [...], "kwargs": {...}}``), checked."""
    if not (
        isinstance(value, dict)
        and set(value) == {"args", "kwargs"}
        and isinstance(value["args"], list)
        and isinstance(value["kwargs"], dict)
    ):
        raise StructureError(f"{where} expects {{'args': [...], 'kwargs': {{...}}}}")
    check_template(_call_parts(value), where)
    return value


def _call_parts(call: dict[str, Any]) -> list[Any]:
    return [call["args"], list(call["kwargs"].values())]


def call_ports(call: dict[str, Any]) -> int:
    """How many tensors (input ports) a call template takes."""
    return port_count(_call_parts(call))


def decode_call(call: dict[str, Any], tensors: Sequence[Any]) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments of a call template, with these tensors."""
    return decode(call["args"], tensors), {k: decode(v, tensors) for k, v in call["kwargs"].items()}


def call_labels(call: dict[str, Any], names: Sequence[str] = ()) -> list[str]:
    """A readable name per port of a call template, by port: ``names[i]`` (or ``input``,
    ``args[i]``) for positional argument i, the keyword for a keyword argument, with the
    place inside a structure (``initial_state[0]``)."""
    labels: dict[int, str] = {}
    for i, arg in enumerate(call["args"]):
        base = names[i] if i < len(names) else ("input" if i == 0 else f"args[{i}]")
        for port, path in placeholders(arg):
            labels[port] = base + path
    for key, arg in call["kwargs"].items():
        for port, path in placeholders(arg):
            labels[port] = key + path
    return [labels[p] for p in sorted(labels)]
