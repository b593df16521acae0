"""Render Python values, Keras object configs and calls as readable, ruff-clean source text."""

from __future__ import annotations

import importlib
import json
import keyword
import math
import re
from typing import Any

import numpy as np

from designer.core.keras_compat import is_private_path

#: Longest line (including indentation) before a call is split over several lines.
MAX_LINE = 99


class Names:
    """Hands out unique, valid Python identifiers derived from layer names."""

    def __init__(self, reserved: set[str] | None = None) -> None:
        self._used: set[str] = set(reserved or ())

    def take(self, wanted: str) -> str:
        """A fresh identifier that looks like ``wanted``."""
        base = re.sub(r"\W", "_", wanted).strip("_").lower() or "x"
        if base[0].isdigit():
            base = f"x_{base}"
        if keyword.iskeyword(base) or keyword.issoftkeyword(base):
            base = f"{base}_"
        name, k = base, 1
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name


class Source(str):
    """Source text that :func:`render` inserts as it is (a variable name, an expression)."""


def render(value: Any, indent: int = 0) -> str:
    """Python source for a config value (numbers, strings, containers, serialized objects)."""
    if isinstance(value, Source):
        return str(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool):
        return repr(value)
    if value is Ellipsis:  # x[..., 0] in an operation's arguments
        return "..."
    if isinstance(value, slice):
        return f"slice({render(value.start)}, {render(value.stop)}, {render(value.step)})"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = [render(v, indent) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(render(v, indent) for v in value)}]"
    if isinstance(value, dict):
        if is_serialized_object(value):
            return render_object(value, indent)
        pairs = ", ".join(f"{render(str(k))}: {render(v, indent)}" for k, v in value.items())
        return f"{{{pairs}}}"
    raise TypeError(
        f"Expected a plain config value (number, string, list, dict), "
        f"but received {type(value).__name__}: {value!r:.80}"
    )


def _scalar(value: Any, kind: str, dtype: np.dtype) -> str:
    """Source of one element of an array: floats in their dtype's shortest exact form."""
    if kind == "f" and math.isfinite(value) and dtype.itemsize <= 4:
        return str(dtype.type(value))  # float32 0.1 as 0.1, not 0.10000000149011612
    return render(value)


def _elements(value: Any, kind: str, dtype: np.dtype) -> Any:
    """``value.tolist()`` with every element as source text (nested lists kept)."""
    if isinstance(value, list):
        return [_elements(v, kind, dtype) for v in value]
    return _scalar(value, kind, dtype)


def _nested(items: Any, indent: int, room: int) -> str:
    """A nested list of element sources on one line when it fits in ``room`` characters,
    else one row per line (elements filled to the line length), indented by ``indent``."""
    if not isinstance(items, list):
        return str(items)
    one_line = f"[{', '.join(_nested(i, indent, room) for i in items)}]"
    if len(one_line) <= room or not items:
        return one_line
    pad = " " * (indent + 4)
    if isinstance(items[0], list):
        rows = [f"{pad}{_nested(i, indent + 4, MAX_LINE - indent - 5)}," for i in items]
    else:
        rows, line = [], ""
        for item in items:
            if line and len(pad) + len(line) + len(item) + 2 > MAX_LINE:
                rows.append(f"{pad}{line.rstrip()}")
                line = ""
            line += f"{item}, "
        rows.append(f"{pad}{line.rstrip()}")
    return "[\n" + "\n".join(rows) + "\n" + " " * indent + "]"


def render_array(value: Any, indent: int = 0) -> str:
    """``np.array([[1.0, 2.0]], dtype="float32")`` for a numpy array (or anything
    ``np.asarray`` takes: a backend tensor), split over lines indented by ``indent`` when
    it is too long. The dtype is kept, so ``keras.ops`` sees an array, not a Python list."""
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"Expected a numeric or boolean array, but received one of {array.dtype} values"
        )
    items = _elements(array.tolist(), kind, array.dtype)
    dtype = f"dtype={render(str(array.dtype))}"
    one_line = f"np.array({_nested(items, indent, MAX_LINE)}, {dtype})"
    if "\n" not in one_line and indent + len(one_line) <= MAX_LINE:
        return one_line
    pad = " " * (indent + 4)
    body = _nested(items, indent + 4, MAX_LINE - indent - 5)
    return f"np.array(\n{pad}{body},\n{pad}{dtype},\n{' ' * indent})"


def is_serialized_object(value: dict[str, Any]) -> bool:
    """True for a dict produced by keras.saving.serialize_keras_object for an object."""
    return "class_name" in value and "config" in value and isinstance(value["config"], dict)


def public_class(module: str | None, class_name: str) -> tuple[str, type] | None:
    """(``keras.initializers.HeNormal``-style path, class) if it resolves, else None.

    Modules private to Keras give None (generated code uses only public names).
    """
    if not module or not module.startswith("keras") or is_private_path(module):
        return None
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return None
    cls = getattr(obj, class_name, None)
    return (f"{module}.{class_name}", cls) if isinstance(cls, type) else None


def _short_config(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``config`` that differ from ``cls()``'s, if that rebuilds ``config``."""
    try:
        default = cls().get_config()
        short = {k: v for k, v in config.items() if k not in default or default[k] != v}
        if cls(**short).get_config() == config:
            return short
    except Exception:  # no default instance or odd config: keep everything
        pass
    return config


def render_object(value: dict[str, Any], indent: int = 0) -> str:
    """A constructor call for a serialized Keras object, or deserialize_keras_object(...)."""
    found = public_class(value.get("module"), value["class_name"])
    if found is None:
        pairs = ", ".join(f"{render(k)}: {render(v, indent)}" for k, v in value.items())
        return f"keras.saving.deserialize_keras_object({{{pairs}}})"
    path, cls = found
    config = _short_config(cls, value["config"])
    kwargs = ", ".join(f"{k}={render(v, indent)}" for k, v in config.items())
    return f"{path}({kwargs})"


def statement(
    prefix: str,
    func: str,
    args: list[str],
    kwargs: dict[str, Any],
    indent: int = 4,
    tail: str = "",
) -> str:
    """``prefix + func(args..., key=value...) + tail`` on one line, or split when too long.

    ``args`` are already-rendered source strings; ``kwargs`` values are rendered here.
    ``prefix`` is e.g. ``"x = "`` and ``tail`` e.g. ``"(inputs)"`` for a layer call.
    """
    pad = " " * indent
    parts = list(args) + [f"{k}={render(v, indent + 4)}" for k, v in kwargs.items()]
    one_line = f"{pad}{prefix}{func}({', '.join(parts)}){tail}"
    if len(one_line) <= MAX_LINE or not parts:
        return one_line
    body = "".join(f"{pad}    {p},\n" for p in parts)
    return f"{pad}{prefix}{func}(\n{body}{pad}){tail}"
