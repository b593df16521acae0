"""Public names of a package imported on first use (PEP 562), so that importing the package
starts nothing heavy (Keras, TensorFlow) until one of them is used."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], exports: dict[str, tuple[str, ...]]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each name of ``exports`` (module -> names) from
    its module when first asked for, and keeps it in ``namespace`` (the package's globals)."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__


class LazyModule:
    """A stand-in for a module that imports it on first attribute access: ``keras =
    LazyModule("keras")`` lets builder modules say ``keras.layers.Dense`` inside functions
    while importing them starts nothing (``zoo list`` needs no Keras)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
