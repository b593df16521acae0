"""Custom objects in generated code: imported from their module, or re-created from source.

A class (a custom layer, a regulariser) from an installed package is imported as it is. One
from the user's own code (a module loaded from a file, a script, a notebook) is re-created
in the script from its source, with what that source refers to: the modules it uses, its
helper functions and classes, its constants. Each object gets a note saying which it was.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import sys
import sysconfig
import textwrap
import types
from pathlib import Path
from typing import Any

import keras
import numpy as np

from designer.export.pyrender import render
from designer.export.report import ExportError

#: Names the generated script binds itself, and to what.
SCRIPT_NAMES: dict[str, Any] = {"keras": keras, "layers": keras.layers, "np": np}
#: Module-level names of the generated script that a custom object must not take.
TAKEN = {*SCRIPT_NAMES, "Path", "HERE", "WEIGHTS", "build_model", "main", "train", "load_data"}
#: Public Keras namespaces searched for a public name of a Keras object.
KERAS_NAMESPACES = (
    "layers",
    "ops",
    "models",
    "regularizers",
    "initializers",
    "constraints",
    "activations",
    "saving",
    "random",
    "losses",
    "metrics",
)
_CONSTANTS = (int, float, str, bool, type(None))


class CodegenError(ExportError):
    """The model holds something that cannot be written as Keras code."""


def installed(module_name: str) -> bool:
    """True for a module of the standard library or of an installed package."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if module is None or path is None:
        return module_name in sys.builtin_module_names
    roots = {sysconfig.get_paths()[key] for key in ("purelib", "platlib", "stdlib")}
    return any(Path(path).resolve().is_relative_to(Path(root).resolve()) for root in roots)


def importable(obj: Any) -> bool:
    """True when ``from <obj.__module__> import <obj.__name__>`` gives back ``obj``."""
    module_name = getattr(obj, "__module__", None)
    if module_name in (None, "__main__", "builtins") or "<locals>" in obj.__qualname__:
        return False
    try:
        module = importlib.import_module(module_name)
    except Exception:  # any import failure means the generated code could not import it
        return False
    return getattr(module, obj.__name__, None) is obj


def keras_path(obj: Any) -> str | None:
    """``keras.layers.Layer``-style public path of a Keras object, or None."""
    for space in KERAS_NAMESPACES:
        if getattr(getattr(keras, space), getattr(obj, "__name__", ""), None) is obj:
            return f"keras.{space}.{obj.__name__}"
    return None


def source_of(obj: Any) -> str | None:
    """The dedented source of a class or function, or None when it is not available."""
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return None


class CustomCode:
    """What a generated script needs for the custom objects it names: import lines, source
    blocks (dependencies first) and one note per object on how the script gets it."""

    def __init__(self) -> None:
        self.imports: set[str] = set()  # "from m import N" lines (merged per module later)
        self.other_imports: set[str] = set()  # "import m", "import m as n", "... as n"
        self.blocks: list[str] = []
        self.notes: list[str] = []
        self._names: dict[int, str] = {}

    def name_for(self, obj: Any, what: str) -> str:
        """The name the script uses for the class or function ``obj`` (used by ``what``, e.g.
        "layer 'mask'"): imported, or re-created from its source, on first use."""
        if id(obj) in self._names:
            return self._names[id(obj)]
        name = obj.__name__
        if name in TAKEN or name in self._names.values():
            raise CodegenError(
                f"Expected custom objects with names of their own, but {what} uses "
                f"{obj.__module__}.{obj.__qualname__}, and the generated script already has a "
                f"{name!r}; rename the class or function."
            )
        self._names[id(obj)] = name
        label = f"{obj.__module__}.{obj.__qualname__}"
        if installed(obj.__module__) and importable(obj):
            self.imports.add(f"from {obj.__module__} import {name}")
            if obj.__module__.split(".")[0] != "keras":
                self.notes.append(f"{what}: {name} imported from its module {obj.__module__}")
            return name
        source = source_of(obj)
        if source is not None:
            self._recreate(obj, source, what)
        elif importable(obj):
            self.imports.add(f"from {obj.__module__} import {name}")
            self.notes.append(
                f"{what}: {name} imported from its module {obj.__module__} (no source found to "
                "copy, so that module must be importable where the script runs)"
            )
        else:
            del self._names[id(obj)]
            raise CodegenError(
                f"Expected a class the generated code can import or re-create, but {what} is "
                f"{label}, whose module cannot be imported and whose source is not available; "
                "move it to an importable module."
            )
        return name

    def _recreate(self, obj: Any, source: str, what: str) -> None:
        """Copy ``obj``'s source into the script, after what it refers to."""
        module = sys.modules.get(obj.__module__)
        where = getattr(module, "__file__", None) or obj.__module__
        scope = vars(module) if module is not None else {}
        for name in free_names(source):
            if name != obj.__name__ and name in scope:
                self._global(name, scope[name], obj, what)
        comment = (
            f"# {obj.__name__}: re-created from the source of {obj.__module__}.{obj.__qualname__}"
            f"\n# ({where})."
        )
        self.blocks.append(f"{comment}\n{source.rstrip()}")
        self.notes.append(
            f"{what}: {obj.__name__} re-created in the script from its source ({where})"
        )

    def _global(self, name: str, value: Any, owner: Any, what: str) -> None:
        """Make the module-level ``name`` that ``owner``'s source uses exist in the script."""
        if SCRIPT_NAMES.get(name) is value:
            return
        if isinstance(value, types.ModuleType):
            self.add_import(module_import(name, value))
        elif isinstance(value, type | types.FunctionType) and not installed(value.__module__):
            real = self.name_for(value, f"helper of {owner.__name__}")
            if real != name:
                self.blocks.append(f"{name} = {real}")
        elif isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
            self._import_object(name, value, owner)
        elif isinstance(value, _CONSTANTS) or _is_constant(value):
            self.blocks.append(f"{name} = {render(value)}")
        else:
            raise CodegenError(
                f"Expected the source of {owner.__name__} to use modules, classes, functions and "
                f"constants, but its global {name!r} is a {type(value).__name__}; define it "
                "inside the class or make it a constant."
            )

    def _import_object(self, name: str, value: Any, owner: Any) -> None:
        """``from m import N [as name]`` for a class or function defined elsewhere."""
        public = keras_path(value)
        module, attr = (public.rsplit(".", 1)) if public else (value.__module__, value.__name__)
        if public is None and not importable(value):
            raise CodegenError(
                f"Expected the source of {owner.__name__} to use importable names, but "
                f"{name!r} is {value.__module__}.{value.__qualname__}; define it beside the class."
            )
        self.add_import(f"from {module} import {attr}" + ("" if attr == name else f" as {name}"))

    def add_import(self, line: str) -> None:
        """Keep an import line: ``from m import N`` lines are merged per module later."""
        plain_from = line.startswith("from ") and len(line.split()) == 4
        (self.imports if plain_from else self.other_imports).add(line)


def module_import(name: str, module: types.ModuleType) -> str:
    """The import statement that binds ``name`` to ``module``."""
    full = module.__name__
    leaf = full.rsplit(".", 1)[-1]
    if getattr(keras, name, None) is module:
        return f"from keras import {name}"
    if full == name:
        return f"import {name}"
    if "." in full and leaf == name:
        return f"from {full.rsplit('.', 1)[0]} import {name}"
    return f"import {full} as {name}"


def free_names(source: str) -> list[str]:
    """Names that ``source`` reads without binding them itself (builtins left out), in order."""
    tree = ast.parse(source)
    bound = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
    }
    bound |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    used = [
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    ]
    return [n for n in dict.fromkeys(used) if n not in bound and not hasattr(builtins, n)]


def _is_constant(value: Any) -> bool:
    """True for tuples, lists and dicts of plain constants."""
    if isinstance(value, tuple | list):
        return all(isinstance(v, _CONSTANTS) or _is_constant(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_constant([v]) for k, v in value.items())
    return False
