"""The one module that touches Keras' private ``keras.src`` package.

Keras 3 promises nothing about ``keras.src``: modules move and helpers change between minor
releases. Everything the designer needs from there is reached through this module, so that a
Keras upgrade that breaks one of them breaks here, in one place, with the reason written next
to it. A ruff rule (``TID251`` in pyproject.toml) forbids ``keras.src`` in every other module
and ``tests/core/test_keras_compat.py`` also refuses the text ``keras.src`` anywhere else in
``designer/``, strings included.

What is used, why, and what to do when Keras changes it:

``to_snake_case``
    Keras' own rule for turning a class name into a default layer name (``Conv2D`` ->
    ``conv2d``). The designer names new layers the way Keras would. If it moves or goes, copy
    its three regular expressions here.
``StatelessScope``
    Public (``keras.StatelessScope``); re-exported here so that the analysis and the start
    page's figures build layers without allocating weights through one name.
``uninitialized_variables``
    Keras queues variables created in a ``StatelessScope`` on the global attribute
    ``"uninitialized_variables"`` (``keras.src.backend.common.global_state``) and initialises
    them later; the shape-only analysis takes them off that queue again. If the attribute is
    renamed, find it in ``keras/src/backend/common/variables.py``.
``make_node_key``
    The key under which a functional model records its call events (``model._nodes``), used
    to walk a model's graph. If it changes, see ``keras/src/ops/function.py``.
``SafeModeScope``
    Keras' safe mode, set explicitly around every layer the designer makes: on for all of
    them, off only for a layer whose code or external graph the user consented to
    (:mod:`designer.core.layers`). If it goes, pass ``safe_mode`` to ``from_config``.
``tensorflow_trainer_module``
    Keras' TensorFlow trainer (``keras.src.backend.tensorflow.trainer``), whose
    ``reduce_per_replica`` and ``TensorFlowTrainer._maybe_symbolic_build`` fail under
    MultiWorkerMirroredStrategy (keras-team/keras#20585); :mod:`designer.training.multi_worker`
    replaces the two. If the module or the names it checks move, see whether the upstream
    issue is fixed and drop the fix, else find them in ``keras/src/backend/tensorflow/``.
Operation classes (``keras.src.ops.*``)
    A functional model holds raw ``keras.ops`` calls as operation objects (``Add``,
    ``GetItem``, ``Cast`` ...) whose classes exist only under ``keras.src``. Their public name
    is the ``keras.ops`` function that makes them; the table between the two is built here from
    the public ``keras.ops`` namespaces and the private modules those functions live in.

Type names of imported layers (see :func:`public_type_name`), as stored in project files:

* a ``keras.layers`` class: its plain name, ``"Dense"`` (decided by the catalog);
* a ``keras.ops`` operation: ``"<public module>:<function>"`` for the first public namespace
  that exports its function, ``keras.ops`` before its submodules: ``"keras.ops:add"``,
  ``"keras.ops:get_item"``, ``"keras.ops:cast"``, ``"keras.ops.image:resize"``. Any other public
  alias of the same function (``"keras.ops.numpy:add"``) is accepted when read;
* another class that Keras exports publicly: ``"<public module>:<Name>"``;
* a class registered with ``keras.saving.register_keras_serializable``: its registered name,
  ``"package>Name"``;
* any class outside Keras: ``"module:QualName"``; it is read back only when that class is
  registered with Keras or lives in ``keras_hub`` (:func:`designer.core.catalog.resolve_class_path`):
  a file never makes the designer import a module of its choosing.

Only a Keras-private class with none of these names (``LayerScale`` of ConvNeXt, which
``keras.applications`` does not export) keeps its private ``module:QualName`` path. Files
written before this scheme hold private paths such as ``keras.src.ops.numpy:Add``; they are
read through :func:`class_for_type_name` and stored again under the public name.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keras import StatelessScope
    from keras.src.saving.serialization_lib import SafeModeScope

PRIVATE_PACKAGE = "keras.src"

# Keras is imported by the functions that need it, not with this module: the window draws a
# project before Keras has been imported (``StatelessScope``, a re-exported public scope whose
# variables are never given values, and ``SafeModeScope``, whose ``SafeModeScope(False)``
# allows deserializing objects Keras deems unsafe, are resolved on first use, PEP 562).


def __getattr__(name: str) -> Any:
    if name == "StatelessScope":
        import keras

        return keras.StatelessScope
    if name == "SafeModeScope":
        from keras.src.saving.serialization_lib import SafeModeScope

        return SafeModeScope
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Operation classes whose names do not follow their function's (``BatchNorm`` is made by
# keras.ops.batch_normalization); the others match ignoring case and underscores.
_OP_FUNCTION_ALIASES = {
    "BatchNorm": "batch_normalization",
    "LayerNorm": "layer_normalization",
    "RMSNorm": "rms_normalization",
}


TRAINER_NAMES = (
    "reduce_per_replica",
    "_collective_all_reduce_multi_worker",
    "_is_per_replica_instance",
)


def tensorflow_trainer_module() -> Any:
    """Keras' TensorFlow trainer module (see the module docstring); RuntimeError naming what
    is missing when this Keras has not the names the multi-worker fix replaces."""
    import keras

    try:
        module = importlib.import_module(PRIVATE_PACKAGE + ".backend.tensorflow.trainer")
    except ImportError:
        module = None
    missing = [n for n in TRAINER_NAMES if module is None or not hasattr(module, n)]
    if missing or not hasattr(module, "TensorFlowTrainer"):
        raise RuntimeError(
            f"Multi-worker training expects Keras' TensorFlow trainer with "
            f"{', '.join(TRAINER_NAMES)} (Keras 3.x on the TensorFlow backend), but Keras "
            f"{keras.__version__} with the {keras.backend.backend()!r} backend has not"
        )
    return module


def to_snake_case(name: str) -> str:
    """Keras' snake_case of a class name (``"Conv2D"`` -> ``"conv2d"``)."""
    from keras.src.utils.naming import to_snake_case as keras_snake_case

    return str(keras_snake_case(name))


def make_node_key(operation: Any, node_index: int) -> str:
    """The key of call ``node_index`` of ``operation`` in a functional model's ``_nodes``."""
    from keras.src.ops.function import make_node_key as keras_node_key

    return str(keras_node_key(operation, node_index))


def uninitialized_variables() -> list[Any]:
    """Keras' live queue of variables waiting for their values (made if missing)."""
    from keras.src.backend.common import global_state

    queue: list[Any] = global_state.get_global_attribute(
        "uninitialized_variables", [], set_to_default=True
    )
    return queue


def is_private_path(path: str) -> bool:
    """True for a module (or ``module:Class``) inside ``keras.src``."""
    module = path.partition(":")[0]
    return module == PRIVATE_PACKAGE or module.startswith(PRIVATE_PACKAGE + ".")


# ------------------------------------------------------------------ operations
def _key(name: str) -> str:
    return name.replace("_", "").lower()


def _public_op_namespaces() -> list[Any]:
    """``keras.ops`` first, then its public submodules (``image``, ``linalg`` ...)."""
    import keras

    spaces = [keras.ops]
    spaces += [
        getattr(keras.ops, n)
        for n in sorted(dir(keras.ops))
        if not n.startswith("_") and inspect.ismodule(getattr(keras.ops, n))
    ]
    return spaces


def _op_classes_of(module_name: str) -> dict[str, type]:
    """Operation classes defined in a module, by name without case and underscores."""
    import keras

    module = sys.modules.get(module_name)
    if module is None:
        return {}
    classes = {}
    for name, obj in vars(module).items():
        if (
            inspect.isclass(obj)
            and issubclass(obj, keras.Operation)
            and obj.__module__ == module_name
        ):
            classes[_key(_OP_FUNCTION_ALIASES.get(name, name))] = obj
    return classes


@cache
def _op_tables() -> tuple[dict[type, str], dict[Callable[..., Any], type]]:
    """({op class: public type name}, {public keras.ops function: op class})."""
    names: dict[type, str] = {}
    classes: dict[Callable[..., Any], type] = {}
    per_module: dict[str, dict[str, type]] = {}
    for space in _public_op_namespaces():
        for attr in sorted(dir(space)):
            func = getattr(space, attr)
            if attr.startswith("_") or not inspect.isfunction(func):
                continue
            module_name = func.__module__ or ""
            if module_name not in per_module:
                per_module[module_name] = _op_classes_of(module_name)
            cls = per_module[module_name].get(_key(func.__name__))
            if cls is None:
                continue
            classes[func] = cls
            names.setdefault(cls, f"{space.__name__}:{attr}")
    return names, classes


def op_function_name(cls: type) -> str | None:
    """``"keras.ops:add"`` for the class of ``keras.ops.add``; None when it has no function."""
    return _op_tables()[0].get(cls)


def op_class(function: Callable[..., Any]) -> type | None:
    """The operation class a public ``keras.ops`` function creates, or None."""
    try:
        return _op_tables()[1].get(function)
    except TypeError:  # unhashable
        return None


# ------------------------------------------------------------------ type names
def public_type_name(cls: type) -> str | None:
    """The public type name of a Keras-private class, or None (public class, or none exists).

    Operation classes get their ``keras.ops`` function (``"keras.ops:add"``); classes Keras
    exports elsewhere their public path; registered classes their registered name. Classes
    outside ``keras.src`` are named by their own module and get None here.
    """
    if not is_private_path(cls.__module__):
        return None
    import keras
    from keras.src.api_export import get_name_from_symbol

    name = op_function_name(cls)
    if name is not None:
        return name
    exported = get_name_from_symbol(cls)
    if exported:
        module, _, attr = str(exported).rpartition(".")
        if _public_attr(module, attr) is cls:
            return f"{module}:{attr}"
    registered = keras.saving.get_registered_name(cls)
    if registered and ">" in registered and keras.saving.get_registered_object(registered) is cls:
        return str(registered)
    return None


def _public_attr(module_name: str, attr: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except (ImportError, ValueError, TypeError):  # no such module, or no module name at all
        return None
    return getattr(module, attr, None)


def class_for_type_name(type_name: str) -> type | None:
    """The class of a stored type name that needs Keras' help to resolve, or None.

    Handles ``keras.ops`` function names (``"keras.ops:add"``, ``"keras.ops.numpy:add"``),
    registered names (``"package>Name"``) and old private paths (``"keras.src.ops.numpy:Add"``).
    Raises LookupError for such a name that names nothing. None means an ordinary
    ``module:QualName`` path, which the caller imports itself.
    """
    import keras

    if ">" in type_name and ":" not in type_name:
        registered = keras.saving.get_registered_object(type_name)
        if not inspect.isclass(registered):
            raise LookupError(type_name)
        return registered
    module_name, _, qualname = type_name.partition(":")
    if module_name == "keras.ops" or module_name.startswith("keras.ops."):
        cls = op_class(_public_attr(module_name, qualname))
        if cls is None:
            raise LookupError(type_name)
        return cls
    if is_private_path(module_name):
        if not qualname or any(part.startswith("__") for part in qualname.split(".")):
            raise LookupError(type_name)  # no walking through dunders to other objects
        try:
            obj: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError, ValueError, TypeError) as exc:
            raise LookupError(type_name) from exc
        if not inspect.isclass(obj):
            raise LookupError(type_name)
        return obj
    return None


def encode_categorical_inputs(inputs: Any, output_mode: str, depth: int, dtype: Any) -> Any:
    """Indices encoded as the lookup layers encode them (one-hot, multi-hot, count), with
    TensorFlow operations: the function IndexLookup itself calls, so that a layer computing
    a lookup another way (designer.export.lowering) encodes it identically."""
    from keras.src.backend import tensorflow as tf_backend
    from keras.src.utils.numerical_utils import encode_categorical_inputs as encode

    return encode(
        inputs, output_mode=output_mode, depth=depth, dtype=dtype, backend_module=tf_backend
    )


__all__ = [
    "PRIVATE_PACKAGE",
    "SafeModeScope",
    "StatelessScope",
    "class_for_type_name",
    "encode_categorical_inputs",
    "is_private_path",
    "make_node_key",
    "op_class",
    "op_function_name",
    "public_type_name",
    "to_snake_case",
    "uninitialized_variables",
]
