"""The layer catalog: every layer type the designer knows, grouped like MATLAB's Layer Library.

Each :class:`LayerSpec` names its Keras class, category, input ports and a parameter schema
derived from the Keras signature and ``get_config()`` plus the curated table below. Any other
Keras layer met while importing a model gets a generic spec by introspection (:func:`get_spec`
or :func:`spec_for_class`), so that no model fails to import because its type is not curated.

Deriving a spec needs Keras; :mod:`designer.core.spec_store` keeps derived specs in a file
and reads them back without Keras, so that the window opens and draws a project while Keras
is still being imported. A stored spec finds its class on first use.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from designer.core import keras_compat
from designer.core.errors import LayerTypeError, ParamError, UnknownLayerType
from designer.core.params import (
    ParamSpec,
    first_line,
    infer_spec,
    parse_arg_help,
    plain_value,
    to_plain,
)

INPUT = "Input"
CONV = "Convolution and dense"
POOL = "Pooling and unpooling"
NORM = "Normalisation and regularisation"
ACT = "Activation"
RNN = "Recurrent and sequence"
ATTN = "Attention"
MERGE = "Combination"
RESHAPE = "Reshape and utility"
AUG = "Augmentation"
MODEL = "Networks"
OTHER = "Other"
CATEGORIES = (INPUT, CONV, POOL, NORM, ACT, RNN, ATTN, MERGE, RESHAPE, AUG, MODEL, OTHER)

# Keys of get_config() that are not user parameters (held elsewhere on the node).
HIDDEN_KEYS = frozenset({"name", "trainable"})

MANY = None  # max_inputs for merge layers: any number of inputs

# The layers that take padding="causal" (1-D convolutions); Keras refuses it elsewhere.
CAUSAL_PADDING = frozenset({"Conv1D", "SeparableConv1D", "DepthwiseConv1D"})


@dataclass(frozen=True)
class Curated:
    """Hand-written facts about a layer type that introspection cannot know."""

    category: str
    primary: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[int, int | None] = (1, 1)
    call_style: str = "single"  # "single": f(x); "list": f([x, y]); "args": f(x, y, z)
    input_names: tuple[str, ...] = ()


_F = ("filters", "kernel_size", "strides", "padding", "activation")
_P = ("pool_size", "strides", "padding")
_R = ("units", "activation", "return_sequences", "dropout")
_QVK = ("query", "value", "key")
_M2 = (2, MANY)
_LSTM = {
    "module": "keras.layers",
    "class_name": "LSTM",
    "registered_name": None,
    "config": {"units": 32, "return_sequences": False},
}
_DENSE = {
    "module": "keras.layers",
    "class_name": "Dense",
    "registered_name": None,
    "config": {"units": 10},
}

CURATED: dict[str, Curated] = {
    "Input": Curated(INPUT, ("shape", "dtype"), {"shape": [28, 28, 1]}, inputs=(0, 0)),
    # A nested network (a model used as a layer); its layers live in the node's subgraph.
    "Model": Curated(MODEL, (), inputs=(1, MANY)),
    "Conv1D": Curated(CONV, _F, {"filters": 32, "kernel_size": 3}),
    "Conv2D": Curated(CONV, _F, {"filters": 32, "kernel_size": [3, 3]}),
    "Conv3D": Curated(CONV, _F, {"filters": 32, "kernel_size": [3, 3, 3]}),
    "SeparableConv2D": Curated(CONV, _F, {"filters": 32, "kernel_size": [3, 3]}),
    "DepthwiseConv2D": Curated(
        CONV, ("kernel_size", "strides", "depth_multiplier", "padding"), {"kernel_size": [3, 3]}
    ),
    "Conv2DTranspose": Curated(CONV, _F, {"filters": 32, "kernel_size": [3, 3], "strides": [2, 2]}),
    "Dense": Curated(CONV, ("units", "activation", "use_bias"), {"units": 10}),
    "MaxPooling1D": Curated(POOL, _P, {"pool_size": 2}),
    "MaxPooling2D": Curated(POOL, _P, {"pool_size": [2, 2]}),
    "MaxPooling3D": Curated(POOL, _P, {"pool_size": [2, 2, 2]}),
    "AveragePooling1D": Curated(POOL, _P, {"pool_size": 2}),
    "AveragePooling2D": Curated(POOL, _P, {"pool_size": [2, 2]}),
    "AveragePooling3D": Curated(POOL, _P, {"pool_size": [2, 2, 2]}),
    "GlobalMaxPooling1D": Curated(POOL, ("keepdims",)),
    "GlobalMaxPooling2D": Curated(POOL, ("keepdims",)),
    "GlobalAveragePooling1D": Curated(POOL, ("keepdims",)),
    "GlobalAveragePooling2D": Curated(POOL, ("keepdims",)),
    "UpSampling1D": Curated(POOL, ("size",)),
    "UpSampling2D": Curated(POOL, ("size", "interpolation")),
    "BatchNormalization": Curated(NORM, ("momentum", "epsilon", "center", "scale")),
    "LayerNormalization": Curated(NORM, ("axis", "epsilon")),
    "GroupNormalization": Curated(NORM, ("groups", "epsilon"), {"groups": 8}),
    "Dropout": Curated(NORM, ("rate",), {"rate": 0.5}),
    "SpatialDropout1D": Curated(NORM, ("rate",), {"rate": 0.2}),
    "SpatialDropout2D": Curated(NORM, ("rate",), {"rate": 0.2}),
    "GaussianNoise": Curated(NORM, ("stddev",), {"stddev": 0.1}),
    "ActivityRegularization": Curated(NORM, ("l1", "l2")),
    "Activation": Curated(ACT, ("activation",), {"activation": "relu"}),
    "ReLU": Curated(ACT, ("max_value", "negative_slope", "threshold")),
    "LeakyReLU": Curated(ACT, ("negative_slope",)),
    "PReLU": Curated(ACT, ("shared_axes",)),
    "ELU": Curated(ACT, ("alpha",)),
    "Softmax": Curated(ACT, ("axis",)),
    "SimpleRNN": Curated(RNN, _R, {"units": 32}),
    "LSTM": Curated(RNN, _R, {"units": 32}),
    "GRU": Curated(RNN, _R, {"units": 32}),
    "Bidirectional": Curated(RNN, ("layer", "merge_mode"), {"layer": _LSTM}),
    "TimeDistributed": Curated(RNN, ("layer",), {"layer": _DENSE}),
    "Embedding": Curated(
        RNN, ("input_dim", "output_dim", "mask_zero"), {"input_dim": 1000, "output_dim": 64}
    ),
    "ConvLSTM2D": Curated(RNN, _F + ("return_sequences",), {"filters": 16, "kernel_size": [3, 3]}),
    "MultiHeadAttention": Curated(
        ATTN,
        ("num_heads", "key_dim", "dropout"),
        {"num_heads": 4, "key_dim": 16},
        inputs=(2, 3),
        call_style="args",
        input_names=("query", "value", "key"),
    ),
    "GroupQueryAttention": Curated(
        ATTN,
        ("head_dim", "num_query_heads", "num_key_value_heads"),
        {"head_dim": 16, "num_query_heads": 4, "num_key_value_heads": 2},
        inputs=(2, 3),
        call_style="args",
        input_names=("query", "value", "key"),
    ),
    # Attention layers that take [query, value] or [query, value, key] as one list.
    "Attention": Curated(
        ATTN, ("use_scale", "score_mode"), inputs=(2, 3), call_style="list", input_names=_QVK
    ),
    "AdditiveAttention": Curated(
        ATTN, ("use_scale",), inputs=(2, 3), call_style="list", input_names=_QVK
    ),
    "Add": Curated(MERGE, (), inputs=_M2, call_style="list"),
    "Subtract": Curated(MERGE, (), inputs=(2, 2), call_style="list"),
    "Multiply": Curated(MERGE, (), inputs=_M2, call_style="list"),
    "Average": Curated(MERGE, (), inputs=_M2, call_style="list"),
    "Maximum": Curated(MERGE, (), inputs=_M2, call_style="list"),
    "Minimum": Curated(MERGE, (), inputs=_M2, call_style="list"),
    "Concatenate": Curated(MERGE, ("axis",), inputs=_M2, call_style="list"),
    "Flatten": Curated(RESHAPE),
    "Reshape": Curated(RESHAPE, ("target_shape",), {"target_shape": [-1]}),
    "Permute": Curated(RESHAPE, ("dims",), {"dims": [2, 1]}),
    "RepeatVector": Curated(RESHAPE, ("n",), {"n": 4}),
    "Cropping1D": Curated(RESHAPE, ("cropping",)),
    "Cropping2D": Curated(RESHAPE, ("cropping",)),
    "ZeroPadding1D": Curated(RESHAPE, ("padding",)),
    "ZeroPadding2D": Curated(RESHAPE, ("padding",)),
    "Resizing": Curated(
        RESHAPE, ("height", "width", "interpolation"), {"height": 224, "width": 224}
    ),
    "Rescaling": Curated(RESHAPE, ("scale", "offset"), {"scale": 1 / 255}),
    "RandomFlip": Curated(AUG, ("mode",)),
    "RandomRotation": Curated(AUG, ("factor", "fill_mode"), {"factor": 0.1}),
    "RandomTranslation": Curated(
        AUG,
        ("height_factor", "width_factor", "fill_mode"),
        {"height_factor": 0.1, "width_factor": 0.1},
    ),
    "RandomZoom": Curated(AUG, ("height_factor", "width_factor"), {"height_factor": 0.1}),
    "RandomContrast": Curated(AUG, ("factor",), {"factor": 0.2}),
    "RandomBrightness": Curated(AUG, ("factor",), {"factor": 0.2}),
    "RandomCrop": Curated(AUG, ("height", "width"), {"height": 24, "width": 24}),
    "RandomShear": Curated(AUG, ("x_factor", "y_factor"), {"x_factor": 0.1, "y_factor": 0.1}),
    "RandomHue": Curated(AUG, ("factor", "value_range"), {"factor": 0.1}),
    "RandomSaturation": Curated(AUG, ("factor", "value_range"), {"factor": 0.2}),
    "RandomGaussianBlur": Curated(AUG, ("factor", "kernel_size", "sigma")),
    "RandomErasing": Curated(AUG, ("factor", "scale", "fill_value")),
    "RandomGrayscale": Curated(AUG, ("factor",)),
    "RandomColorJitter": Curated(AUG, ("brightness_factor", "contrast_factor")),
    "RandomSharpness": Curated(AUG, ("factor",), {"factor": 0.2}),
    "RandomPerspective": Curated(AUG, ("factor", "scale")),
    "RandomInvert": Curated(AUG, ("factor",)),
    "RandomPosterization": Curated(AUG, ("factor",), {"factor": [4, 8]}),
    "RandomColorDegeneration": Curated(AUG, ("factor",), {"factor": 0.2}),
    "RandomElasticTransform": Curated(AUG, ("factor", "scale")),
}

# Library entries beyond one-per-type: (category, label, type, preset parameters, help).
LIBRARY_PRESETS = (
    (INPUT, "Image input", "Input", {"shape": [28, 28, 1]}, "Images: height x width x channels."),
    (INPUT, "Feature input", "Input", {"shape": [10]}, "A vector of numeric features."),
    (
        INPUT,
        "Sequence input",
        "Input",
        {"shape": [None, 12]},
        "Time series: any number of steps x features.",
    ),
)


@dataclass(frozen=True)
class LayerSpec:
    """Everything the designer knows about one layer type."""

    type_name: str
    resolved_class: type[Any] | None  # the Keras class; None until first use for a stored spec
    category: str
    params: dict[str, ParamSpec]
    primary: tuple[str, ...]
    help: str
    min_inputs: int = 1
    max_inputs: int | None = 1
    call_style: str = "single"
    input_names: tuple[str, ...] = ()
    curated: bool = True
    class_path: str = ""  # the stored name of types outside keras.layers ("module:QualName")

    @property
    def keras_class(self) -> type[Any]:
        """The Keras class (Keras ships no type information); importing Keras if need be."""
        if self.resolved_class is None:
            object.__setattr__(self, "resolved_class", _keras_class(self.type_name))
        assert self.resolved_class is not None
        return self.resolved_class

    def defaults(self) -> dict[str, Any]:
        """A fresh (shallow) dict of every parameter's default value."""
        return dict(self._defaults)

    @cached_property
    def _defaults(self) -> dict[str, Any]:
        return {name: to_plain(p.default) for name, p in self.params.items()}

    def check_params(self, params: dict[str, Any], node_name: str = "") -> dict[str, Any]:
        """Validate values for this type; return them as plain data or raise ParamError."""
        owner = f"{self.type_name} '{node_name}'" if node_name else self.type_name
        checked = {}
        for key, value in params.items():
            if not isinstance(key, str):
                raise ParamError(f"{owner} expects parameter names as text; received {key!r}")
            if key in HIDDEN_KEYS:
                raise ParamError(f"{owner} has no parameter '{key}': it is set on its own")
            spec = self.params.get(key)
            if spec is None:
                if self.curated:
                    known = ", ".join(self.params)
                    raise ParamError(f"{owner} has no parameter '{key}'; known: {known}")
                checked[key] = plain_value(value, f"{owner} parameter '{key}'")
                continue
            checked[key] = spec.check(value, owner)
        return checked

    def input_label(self, port: int) -> str:
        """The name of input port ``port`` ("in 1", or "query" for attention)."""
        if port < len(self.input_names):
            return self.input_names[port]
        return f"in {port + 1}"


_lock = threading.RLock()
_SPECS: dict[str, LayerSpec] = {}


def _keras_class(type_name: str) -> type[Any]:
    import keras

    if type_name == "Input":
        return keras.layers.InputLayer
    if type_name == "Model":
        return keras.Model
    cls = getattr(keras.layers, type_name, None)
    if not (inspect.isclass(cls) and issubclass(cls, keras.Operation)):
        raise UnknownLayerType(type_name)  # absent, or a helper function such as add()
    return cls


def _derive(
    type_name: str,
    cls: type[Any],
    curated: Curated | None,
    sample_config: dict | None,
    class_path: str = "",
) -> LayerSpec:
    """Build a LayerSpec from a Keras class, its docstring and a default configuration."""
    helps = parse_arg_help(cls.__init__.__doc__ or cls.__doc__)
    cur = curated or Curated(OTHER)
    if type_name == "Input":
        config = {"shape": list(cur.defaults["shape"]), "dtype": "float32"}
    elif type_name == "Model":
        config = {}
    elif sample_config is not None:
        config = {k: v for k, v in sample_config.items() if k not in HIDDEN_KEYS}
    else:
        config = _default_config(cls, cur.defaults)
    params = {}
    for key, value in config.items():
        value = cur.defaults.get(key, value)
        params[key] = infer_spec(key, value, helps.get(key, ""))
    padding = params.get("padding")
    if padding is not None and padding.choices and type_name not in CAUSAL_PADDING:
        choices = tuple(c for c in padding.choices if c != "causal")  # Keras refuses it
        params["padding"] = replace(padding, choices=choices)
    if type_name == "Input":
        params["dtype"] = ParamSpec(
            "dtype",
            "choice",
            "float32",
            "Element type of the input.",
            choices=("float32", "float16", "int32", "int64", "bool"),
        )
        params["shape"] = ParamSpec(
            "shape",
            "shape",
            cur.defaults["shape"],
            "Size of one sample, without the batch; None = any length.",
        )
    lo, hi = cur.inputs
    primary = tuple(p for p in cur.primary if p in params)
    return LayerSpec(
        type_name=type_name,
        resolved_class=cls,
        category=cur.category,
        params=params,
        primary=primary,
        help=first_line(cls.__doc__),
        min_inputs=lo,
        max_inputs=hi,
        call_style=cur.call_style,
        input_names=cur.input_names,
        curated=curated is not None,
        class_path=class_path,
    )


def _default_config(cls: type, overrides: dict[str, Any]) -> dict[str, Any]:
    """get_config() of an instance made with the curated defaults, for required arguments."""
    import keras

    kwargs = dict(overrides)
    if "layer" in kwargs:
        kwargs["layer"] = keras.saving.deserialize_keras_object(kwargs["layer"])
    try:
        instance = cls(**kwargs)
        config = instance.get_config()
    except Exception as exc:  # Keras refuses its own defaults: it needs arguments
        raise LayerTypeError(
            f"layer type '{cls.__name__}' cannot be made from default values: expected the "
            f"arguments Keras requires; received none ({str(exc).strip().splitlines()[0]})"
        ) from exc
    for key in list(config):
        if key in HIDDEN_KEYS:
            config.pop(key)
    if "layer" in config:
        config["layer"] = _strip_nested(config["layer"])
        config.pop("backward_layer", None)
    return config


def _strip_nested(serialized: dict) -> dict:
    """A nested layer's serialization without its name and build data (stable defaults)."""
    inner = dict(serialized)
    inner["config"] = {k: v for k, v in inner.get("config", {}).items() if k != "name"}
    inner.pop("build_config", None)
    return inner


def get_spec(type_name: str, sample_config: dict | None = None) -> LayerSpec:
    """The spec of a curated type or of any keras.layers class; raises UnknownLayerType.

    A keras.layers class that cannot be made without arguments (TFSMLayer needs a path) gets
    its schema from ``sample_config``, the configuration of a layer met while importing.
    """
    with _lock:
        spec = _SPECS.get(type_name)
        if spec is None:
            cls = _keras_class(type_name)
            try:
                spec = _derive(type_name, cls, CURATED.get(type_name), None)
            except LayerTypeError:
                if sample_config is None or type_name in CURATED:
                    raise
                spec = _with_ports_from_call(_derive(type_name, cls, None, sample_config), cls)
            _SPECS[type_name] = spec
        return spec


def class_path_of(cls: type) -> str:
    """'module:QualName' for importing a class back."""
    return f"{cls.__module__}:{cls.__qualname__}"


def type_name_for_class(cls: type) -> str:
    """The catalog name under which layers of ``cls`` are stored: the plain name of a
    keras.layers class, the public name of a Keras-private class (``"keras.ops:add"``, see
    :mod:`designer.core.keras_compat`), the registered name of a class registered with
    ``keras.saving.register_keras_serializable`` (``"package>Name"``), else 'module:QualName'."""
    import keras

    if cls is keras.layers.InputLayer:
        return "Input"
    if getattr(keras.layers, cls.__name__, None) is cls:
        return cls.__name__
    public = keras_compat.public_type_name(cls)
    if public is not None:
        return public
    registered = keras.saving.get_registered_name(cls)
    if ">" in registered and keras.saving.get_registered_object(registered) is cls:
        return str(registered)
    return class_path_of(cls)


def _is_plain_name(type_name: str) -> bool:
    """A curated or keras.layers name, as opposed to a class path or a registered name."""
    return ":" not in type_name and ">" not in type_name


def spec_for_class(cls: type, sample_config: dict | None = None) -> LayerSpec:
    """The spec for any layer class; a generic one (introspected) when it is not curated."""
    name = type_name_for_class(cls)
    if _is_plain_name(name):
        return get_spec(name, sample_config)
    with _lock:
        spec = _SPECS.get(name)
        if spec is None:
            spec = _derive(name, cls, None, sample_config or {}, class_path=name)
            spec = _with_ports_from_call(spec, cls)
            _SPECS[name] = spec
        return spec


def _with_ports_from_call(spec: LayerSpec, cls: type[Any]) -> LayerSpec:
    """Guess input arity of an uncurated class from its call() signature."""
    try:
        sig = inspect.signature(cls.call)
    except (TypeError, ValueError, AttributeError):
        return spec
    positional = [
        p
        for p in list(sig.parameters.values())[1:]
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.name not in ("training", "mask")
        and p.default is p.empty
    ]
    n = max(1, len(positional))
    style = "args" if n > 1 else "single"
    return replace(
        spec,
        min_inputs=n,
        max_inputs=n if n > 1 else MANY,
        call_style=style,
        input_names=tuple(p.name for p in positional) if n > 1 else (),
    )


def resolve_class_path(path: str) -> type:
    """The class named by a stored type name that is not plain: a ``keras.ops`` function
    (``"keras.ops:add"``), a registered name, an old private Keras path (resolved by
    :mod:`designer.core.keras_compat`), or 'module:QualName' of a class in ``keras`` or
    ``keras_hub`` or registered with Keras; only Keras operations are accepted.

    Names come from files, so they are resolved against that allow-list only: a file never
    makes the designer import a module of its choosing (which would run its code)."""
    import keras

    try:
        obj: Any = keras_compat.class_for_type_name(path)
    except LookupError as exc:
        raise UnknownLayerType(path) from exc
    if obj is None:
        module_name, _, qualname = path.partition(":")
        registered = [
            o
            for o in keras.saving.get_custom_objects().values()
            if inspect.isclass(o) and class_path_of(o) == path
        ]
        package = module_name.split(".")[0]
        parts = qualname.split(".")
        if registered:
            obj = registered[0]
        elif package in ("keras", "keras_hub") and all(
            p.isidentifier() and not p.startswith("__") for p in parts
        ):
            try:
                obj = importlib.import_module(module_name)
                for part in parts:
                    obj = getattr(obj, part)
            except (ImportError, AttributeError, ValueError, TypeError) as exc:
                raise UnknownLayerType(path) from exc  # keras_hub not installed, no such class
        else:
            raise UnknownLayerType(path)
    if not (inspect.isclass(obj) and issubclass(obj, keras.Operation)):
        raise UnknownLayerType(path)
    return obj


def spec_for_type(type_name: str, sample_config: dict | None = None) -> LayerSpec:
    """The spec for a stored type name: curated, keras.layers, or a class's name (see
    :func:`type_name_for_class`). Its ``type_name`` is the name to store: the private module
    path of an operation in an old file gives the public ``keras.ops:add``."""
    if not _is_plain_name(type_name):
        with _lock:  # a class met in this process (an imported model's) is known already
            known = _SPECS.get(type_name)
        if known is not None:
            return known
        return spec_for_class(resolve_class_path(type_name), sample_config)
    return get_spec(type_name, sample_config)


@dataclass(frozen=True)
class LibraryEntry:
    """One item of the Layer Library: a label that adds a type with preset parameters."""

    category: str
    label: str
    type_name: str
    preset: dict[str, Any]
    help: str


def library() -> list[LibraryEntry]:
    """Every entry of the Layer Library, in category order."""
    entries = [LibraryEntry(c, label, t, dict(p), h) for c, label, t, p, h in LIBRARY_PRESETS]
    for type_name in CURATED:
        if type_name in ("Input", "Model"):
            continue
        spec = get_spec(type_name)
        entries.append(LibraryEntry(spec.category, type_name, type_name, {}, spec.help))
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(entries, key=lambda e: order[e.category])


def known_specs() -> list[LayerSpec]:
    """The specs of plain type names (curated or keras.layers) derived or stored so far."""
    with _lock:
        return [spec for name, spec in _SPECS.items() if _is_plain_name(name)]


def register_spec(spec: LayerSpec) -> LayerSpec:
    """Make ``spec`` the spec of its type name (a designer-made type such as
    :data:`designer.core.unrepresented.UNREPRESENTED`)."""
    with _lock:
        _SPECS[spec.type_name] = spec
    return spec


def add_known_specs(specs: list[LayerSpec]) -> None:
    """Take specs read from a store (each unless one of its type is known already)."""
    with _lock:
        for spec in specs:
            if _is_plain_name(spec.type_name):
                _SPECS.setdefault(spec.type_name, spec)


def derive_curated() -> None:
    """Derive the spec of every curated type (imports Keras), for the spec store to keep."""
    for type_name in CURATED:
        get_spec(type_name)


def curated_types() -> list[str]:
    """Names of all curated layer types."""
    return list(CURATED)


__all__ = [
    "CATEGORIES",
    "CURATED",
    "LayerSpec",
    "LibraryEntry",
    "ParamError",
    "ParamSpec",
    "UnknownLayerType",
    "class_path_of",
    "curated_types",
    "add_known_specs",
    "derive_curated",
    "get_spec",
    "known_specs",
    "library",
    "resolve_class_path",
    "spec_for_class",
    "spec_for_type",
    "type_name_for_class",
]
