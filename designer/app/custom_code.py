"""Custom layer code: a user's Python file that defines (and registers) Keras classes.

A model that uses classes registered with ``@keras.saving.register_keras_serializable`` opens
only once their code has run. :func:`load_custom_code` runs such a file as a module of its own
(a private name per file): that registers its classes with Keras, and what it registered is
recorded, so loading the same file again is a no-op. Running a file runs code with the user's
permissions: callers ask first (the GUI's trust prompt; on the command line, passing
``--custom-objects FILE.py`` or ``--trust-custom-code`` is the consent).

:func:`unknown_classes` lists the custom classes a model configuration names that nothing has
registered, so that opening it can say which instead of a raw Keras error. Projects remember
their code files by path (the ``custom_code`` settings section); :func:`settle_project_code`
decides, when one is opened, whether its listed code runs (see :data:`code_consent`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import inspect
import re
import sys
import traceback
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.core.errors import ProjectError
from designer.core.file_checks import ZIP_ERRORS, check_archive, parse_json, read_member

# libraries' own classes, never a user's custom code (Keras itself says when it lacks one)
KERAS_PACKAGES = frozenset(
    {"keras", "keras_hub", "keras_cv", "keras_nlp", "tf_keras", "tensorflow"}
)
OPTION_HINT = (
    "Load the Python file that defines them: File > Load Custom Layer Code... in the window, "
    "or --custom-objects FILE.py on the command line"
)
# class names in legacy (.h5) configurations that are Keras' own but in no public namespace
_LEGACY_NAMES = frozenset(
    {"Functional", "Sequential", "Model", "TFOpLambda", "SlicingOpLambda", "TensorFlowOpLayer"}
)


class CustomCodeError(ProjectError):
    """A custom code file that cannot be run (missing, not Python, or failing); the message
    names the file, the line and the error."""


class UnknownClassesError(ProjectError):
    """A model or project names custom classes that no loaded code defines."""

    def __init__(self, message: str, classes: list[str], config: Any = None) -> None:
        super().__init__(message)
        self.classes = classes
        self.config = config  # the model file's configuration, when it was read


class CustomCodeConsentError(ProjectError):
    """A project lists custom code that has not run, and nobody consented to running it."""

    def __init__(self, message: str, files: list[Path]) -> None:
        super().__init__(message)
        self.files = files


@dataclass(frozen=True, eq=False)
class CustomCode:
    """One loaded file: the names it registered with Keras and the Keras classes it defines."""

    path: Path
    module_name: str
    registered: tuple[str, ...]
    classes: tuple[str, ...]
    objects: dict[str, Any] = field(repr=False)  # name -> object: load_model's custom_objects

    @property
    def names(self) -> list[str]:
        """The registered names, then the classes defined but not registered."""
        registered = {getattr(self.objects[k], "__name__", "") for k in self.registered}
        extra = [c for c in self.classes if c not in registered]
        return list(self.registered) + extra


_LOADED: dict[Path, CustomCode] = {}  # resolved path -> what running it registered


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def is_loaded(path: str | Path) -> bool:
    """True when the file at ``path`` has run in this process."""
    return _resolved(path) in _LOADED


def loaded_code() -> list[CustomCode]:
    """Every file loaded so far, in order."""
    return list(_LOADED.values())


def custom_objects() -> dict[str, Any]:
    """What the loaded files define, by name, for ``keras.saving.load_model(custom_objects=)``."""
    objects: dict[str, Any] = {}
    for code in _LOADED.values():
        objects.update(code.objects)
    return objects


# ----------------------------------------------------------------------------- loading
def load_custom_code(path: str | Path) -> CustomCode:
    """Run the Python file at ``path`` as a module (once per file) and record what it
    registered; CustomCodeError names the file, line and error, and leaves nothing registered."""
    path = _resolved(path)
    if path in _LOADED:
        return _LOADED[path]
    _check_file(path)
    import keras

    registry = keras.saving.get_custom_objects()
    before = dict(registry)
    name = _module_name(path)
    module = _run_module(path, name, registry, before)
    new = [k for k, v in registry.items() if before.get(k) is not v]
    classes = _keras_classes(module, name)
    objects = {**{c.__name__: c for c in classes}, **{k: registry[k] for k in new}}
    code = CustomCode(path, name, tuple(new), tuple(c.__name__ for c in classes), objects)
    _LOADED[path] = code
    return code


def _check_file(path: Path) -> None:
    if not path.exists():
        raise CustomCodeError(f"cannot load custom layer code: {path} does not exist")
    if not path.is_file():
        raise CustomCodeError(f"cannot load custom layer code: {path} is not a file")
    if path.suffix.lower() != ".py":
        raise CustomCodeError(
            f"cannot load custom layer code from {path.name}: expected a Python file (.py)"
        )


def _module_name(path: Path) -> str:
    """A private module name of its own for each file."""
    stem = re.sub(r"\W", "_", path.stem)[:40]
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    return f"_nd_custom_{stem}_{digest}"


def _run_module(path: Path, name: str, registry: dict[str, Any], before: dict[str, Any]) -> Any:
    """Execute the file as module ``name`` (its folder first on sys.path meanwhile, so that it
    can import its neighbours); on failure, undo its registrations and raise CustomCodeError."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CustomCodeError(f"cannot load custom layer code from {path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses, pickling and Keras look classes up here
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # the user's code may raise anything
        sys.modules.pop(name, None)
        _restore(registry, before)
        raise CustomCodeError(describe_failure(path, exc)) from exc
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
    return module


def _restore(registry: dict[str, Any], before: dict[str, Any]) -> None:
    """Put Keras' registry of custom objects back as it was."""
    registry.clear()
    registry.update(before)


def describe_failure(path: Path, exc: BaseException) -> str:
    """'cannot run the custom layer code FILE, line N: Error: message'."""
    line: int | None = None
    if isinstance(exc, SyntaxError) and exc.filename == str(path):
        line, text = exc.lineno, f"{type(exc).__name__}: {exc.msg}"
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
        line = frames[-1].lineno if frames else None
        text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    where = f", line {line}" if line else ""
    return f"cannot run the custom layer code {path}{where}: {text}"[:600]


@functools.cache
def _keras_bases() -> tuple[type, ...]:
    import keras

    return (
        keras.Layer,
        keras.regularizers.Regularizer,
        keras.initializers.Initializer,
        keras.constraints.Constraint,
        keras.losses.Loss,
        keras.metrics.Metric,
    )


def _keras_classes(module: Any, name: str) -> list[type]:
    """The Keras classes (layers, models, regularisers, ...) that the module defines."""
    bases = _keras_bases()
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and obj.__module__ == name and issubclass(obj, bases)
    ]


def unload_custom_code(path: str | Path) -> bool:
    """Forget a loaded file: its registrations and its module (its classes stay alive where
    they are used). False when it was not loaded."""
    code = _LOADED.pop(_resolved(path), None)
    if code is None:
        return False
    import keras

    registry = keras.saving.get_custom_objects()
    for key in code.registered:
        if registry.get(key) is code.objects.get(key):
            registry.pop(key, None)
    sys.modules.pop(code.module_name, None)
    return True


# ----------------------------------------------------------------------------- unknown classes
def unknown_classes(config: Any) -> list[str]:
    """The custom classes (registered names, else module.class) a model configuration uses
    that are neither Keras' own nor registered now; legacy .h5 names (no module) too: a plain
    one (no '>' nor '.') is only probably custom, as Keras' legacy loader knows a few more."""
    found = [name for entry in _class_entries(config) if (name := _unknown_name(entry))]
    return list(dict.fromkeys(found))


def _class_entries(config: Any) -> Iterator[dict[str, Any]]:
    """Every serialized object (a dict with a class_name) inside ``config``, except the
    compile configuration (not read: models are opened with compile=False)."""
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("class_name"), str):
                yield item
            stack.extend(v for k, v in item.items() if k != "compile_config")
        elif isinstance(item, list):
            stack.extend(item)


def _unknown_name(entry: dict[str, Any]) -> str | None:
    """The name of the custom class ``entry`` serializes when nothing defines it, else None."""
    kind: str = entry["class_name"]
    module, registered = entry.get("module"), entry.get("registered_name")
    if kind.startswith("__"):
        return None  # Keras' own markers: tensors, tuples, Lambda functions
    if kind == "function":
        name = entry.get("config")
        return name if isinstance(name, str) and ">" in name and not _known(name) else None
    if isinstance(module, str) and module:
        if module.split(".")[0] in KERAS_PACKAGES:
            return None
        key = registered if isinstance(registered, str) and registered else kind
        if _known(key) or _known(kind):
            return None
        return key if ">" in key else f"{module}.{kind}"
    if isinstance(registered, str) and registered and _known(registered):
        return None  # a class registered by a script's __main__ (no module recorded)
    if _known(kind) or (">" not in kind and kind in _keras_names()):
        return None
    return kind


def is_certain(name: str) -> bool:
    """Whether an :func:`unknown_classes` name is surely a custom class (not a plain legacy
    name that Keras' own legacy loader might still know)."""
    return ">" in name or "." in name


def _known(name: str) -> bool:
    """Registered with Keras, or defined by a loaded file."""
    import keras

    if name.startswith("designer>"):  # the designer's own classes register on import
        import designer.training.detector
        import designer.training.optim  # noqa: F401
    return keras.saving.get_registered_object(name) is not None or name in custom_objects()


@functools.cache
def _keras_names() -> frozenset[str]:
    """Every public class name of Keras' serializable namespaces (legacy configs' names)."""
    import keras

    names = set(_LEGACY_NAMES)
    modules = (
        "layers",
        "models",
        "initializers",
        "regularizers",
        "constraints",
        "losses",
        "metrics",
        "optimizers",
        "activations",
        "dtype_policies",
        "mixed_precision",
    )
    for attr in modules:
        names.update(n for n in dir(getattr(keras, attr, None)) if not n.startswith("_"))
    return frozenset(names)


def code_files_for(config: Any) -> list[Path]:
    """The loaded files that define a class ``config`` uses (to remember with a project)."""
    used: set[str] = set()
    for entry in _class_entries(config):
        used.update(v for k, v in entry.items() if k in _NAME_KEYS and isinstance(v, str))
        if entry.get("class_name") == "function" and isinstance(entry.get("config"), str):
            used.add(entry["config"])
    return [code.path for code in _LOADED.values() if used & set(code.names)]


_NAME_KEYS = ("class_name", "registered_name")


# ----------------------------------------------------------------------------- projects
_consent: list[bool | None] = [None]  # the command line's answer for projects' listed code


def code_consent() -> bool | None:
    """Whether a project's listed code may run when nobody is asked: True (run it), False
    (do not, open without it if possible), None (refuse with CustomCodeConsentError)."""
    return _consent[0]


@contextlib.contextmanager
def consent_to_code(value: bool | None) -> Iterator[None]:
    """:func:`code_consent` is ``value`` inside (the command line, for one command)."""
    previous, _consent[0] = _consent[0], value
    try:
        yield
    finally:
        _consent[0] = previous


def peek_project(path: Path) -> dict[str, Any] | None:
    """A project file's plain data (its project.json), read with the usual limits; None when
    it cannot be read (the real reader then says why)."""
    try:
        with path.open("rb") as handle:
            zipped = handle.read(2) == b"PK"
        if zipped:
            with zipfile.ZipFile(path) as archive:
                check_archive(archive, path.name, path.stat().st_size)
                raw = read_member(archive, "project.json", path.name)
        else:
            raw = path.read_bytes()
        payload = parse_json(raw, path.name)
    except (ProjectError, OSError, *ZIP_ERRORS):
        return None
    return payload if isinstance(payload, dict) else None


def listed_files(payload: dict[str, Any], project_path: Path) -> list[Path]:
    """The custom code files a project file's data lists, relative ones against its folder."""
    section = payload.get("custom_code")
    files = section.get("files") if isinstance(section, dict) else None
    folder = _resolved(project_path).parent
    if not isinstance(files, list):
        return []
    return [_resolved(folder / f) for f in files if isinstance(f, str) and f and "\0" not in f]


def unknown_in_graph(graph_data: Any) -> list[str]:
    """Custom layer types (and custom objects in their settings) of a project's network
    that nothing loaded defines."""
    from designer.core.catalog import spec_for_type

    found: list[str] = []
    stack = [graph_data]
    while stack:
        graph = stack.pop()
        nodes = graph.get("nodes") if isinstance(graph, dict) else None
        for node in nodes if isinstance(nodes, list) else []:
            if not isinstance(node, dict):
                continue
            kind = node.get("type")
            if isinstance(kind, str) and (">" in kind or ":" in kind):
                try:
                    spec_for_type(kind)
                except Exception:  # UnknownLayerType, or a class that is not a layer
                    found.append(kind)
            found += unknown_classes(node.get("params"))
            stack.append(node.get("subgraph"))
    return list(dict.fromkeys(found))


def settle_project_code(
    path: Path, files: list[Path], trust: bool | None, graph_data: Any = None
) -> list[str]:
    """Run a project's listed code that has not run yet if ``trust`` (None: raise
    CustomCodeConsentError naming it); with ``graph_data``, then refuse with
    UnknownClassesError what its network still needs. Returns notes for the user."""
    missing = [f for f in files if not f.is_file()]
    pending = [f for f in files if f.is_file() and not is_loaded(f)]
    if pending and trust is None:
        raise CustomCodeConsentError(_consent_message(path, pending), pending)
    if pending and trust:
        for file in pending:
            load_custom_code(file)
        pending = []
    if graph_data is not None:
        unknown = unknown_in_graph(graph_data)
        if unknown:
            raise UnknownClassesError(unknown_message(path.name, unknown, files), unknown)
    notes = [f"the custom layer code {f} listed by the project is missing" for f in missing]
    notes += [f"the custom layer code {f} listed by the project was not run" for f in pending]
    return notes


def _consent_message(path: Path, files: list[Path]) -> str:
    names = ", ".join(str(f) for f in files)
    return (
        f"{path.name} uses custom layer code from {names}, which has not been run. Running it "
        f"executes Python code with your permissions: pass --trust-custom-code to run it (or "
        f"--custom-objects FILE.py for each file you trust)"
    )


def unknown_message(source: str, classes: list[str], files: Sequence[Path] = ()) -> str:
    """'X uses custom classes that are not loaded: A, B. Load the Python file ...'."""
    shown = ", ".join(classes[:8]) + (f" and {len(classes) - 8} more" if len(classes) > 8 else "")
    listed = f" (the project lists {', '.join(str(f) for f in files)})" if files else ""
    return f"{source} uses custom classes that are not loaded: {shown}. {OPTION_HINT}{listed}"
