"""The round-trip check: a model rebuilt from its graph computes what the original computes.

:func:`compare_round_trip` runs both models on the same inputs (inference mode). When an
output differs by more than :data:`TOLERANCE` relative to that output's scale, it runs every
layer of both (one model per network whose outputs are all the layers' outputs, layers matched
by name and call, in network order) and names the first layer whose output differs, so that a
silent wrong answer becomes a sentence about one layer. :func:`check_import` is what opening a
model file runs: build the graph, compare; models too large to check cheaply, and those with
code or an outside graph (a Lambda, a SavedModel), which opening must not run, are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

TOLERANCE = 1e-5  # largest difference relative to the output's scale (its largest value)
MAX_PARAMS = 50_000_000  # larger models are not checked when opened (time, memory)
FREE_SIZE = 4  # the size given to a dimension the model leaves open (None)


@dataclass(frozen=True)
class RoundTripReport:
    """What the comparison found: ``ok``, the largest relative difference of the outputs,
    the first layer whose output differs (or None) and a sentence for the user."""

    ok: bool
    error: float = 0.0
    first_layer: str | None = None
    message: str = ""
    skipped: bool = False


def sample_inputs(model: Any, batch: int = 2, seed: int = 0) -> Any:
    """A small batch of random inputs nested as ``model`` takes them (strings, integers
    0 or 1, booleans or normal floats; open dimensions of size :data:`FREE_SIZE`)."""
    rng = np.random.default_rng(seed)
    flat = [_sample(tensor, batch, rng) for tensor in model.inputs]
    import keras

    nested = getattr(model, "_inputs_struct", None)
    if nested is None:
        return flat[0] if len(flat) == 1 else flat
    return keras.tree.pack_sequence_as(nested, flat)


def _sample(tensor: Any, batch: int, rng: np.random.Generator) -> np.ndarray:
    shape = (batch, *(FREE_SIZE if d is None else int(d) for d in tensor.shape[1:]))
    dtype = str(tensor.dtype)
    if dtype == "string":
        return np.array(["a b"] * int(np.prod(shape)), dtype=object).reshape(shape)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if "int" in dtype:
        return rng.integers(0, 2, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def compare_round_trip(
    original: Any, rebuilt: Any, inputs: Any = None, tolerance: float = TOLERANCE
) -> RoundTripReport:
    """Compare ``rebuilt`` with ``original`` on ``inputs`` (random ones when None): outputs,
    their nesting and names; on a difference, the first layer whose output differs."""
    inputs = sample_inputs(original) if inputs is None else inputs
    expected, got = _run(original, inputs), _run(rebuilt, inputs)
    problem = _structure_problem(original, rebuilt, expected, got)
    if problem is not None:
        return RoundTripReport(False, float("inf"), None, problem)
    error = _largest_error(expected, got)
    if error <= tolerance:
        return RoundTripReport(True, error)
    if _largest_error(expected, _run(original, inputs)) > tolerance:
        message = (
            "the model gives different outputs for the same input (random layers at "
            "inference), so the rebuilt network could not be compared with it"
        )
        return RoundTripReport(True, error, message=message, skipped=True)
    layer = first_difference(original, rebuilt, inputs, tolerance)
    where = f"; the first layer whose output differs is '{layer}'" if layer else ""
    where += _activation_hint(original, layer) if layer else ""
    message = (
        f"the rebuilt network's outputs differ from the original's by {error:.3g} (relative){where}"
    )
    return RoundTripReport(False, error, layer, message)


def _activation_hint(model: Any, name: str) -> str:
    """Why a layer may compute otherwise once rebuilt: an activation function that Keras saves
    under the name of another (``keras.ops.gelu`` approximates, ``"gelu"`` does not)."""
    import keras

    try:
        layer = model.get_layer(name)
        function, saved = layer.activation, layer.get_config().get("activation")
        if not callable(function) or keras.activations.get(saved) is function:
            return ""
    except Exception:  # no such layer, no activation, a config Keras cannot read back
        return ""
    return (
        f" (its activation {getattr(function, '__name__', 'function')} is saved by Keras as "
        f"{saved!r}, which is another function: give the layer a keras.activations function)"
    )


def _largest_error(expected: Any, got: Any) -> float:
    pairs = zip(_flat(expected), _flat(got), strict=True)
    return max((relative_error(a, b) for a, b in pairs), default=0.0)


def _run(model: Any, inputs: Any) -> Any:
    return model(inputs, training=False)


def _flat(outputs: Any) -> list[np.ndarray]:
    import keras

    return [np.asarray(keras.ops.convert_to_numpy(t)) for t in keras.tree.flatten(outputs)]


def _structure_problem(original: Any, rebuilt: Any, expected: Any, got: Any) -> str | None:
    """A sentence when the outputs' count, nesting or names differ, else None."""
    a, b = _flat(expected), _flat(got)
    if len(a) != len(b):
        return f"the rebuilt network has {len(b)} output(s); the original has {len(a)}"
    if _shape_of(expected) != _shape_of(got):
        return (
            f"the rebuilt network nests its outputs as {_shape_of(got)}; the original as "
            f"{_shape_of(expected)}"
        )
    names = getattr(original, "output_names", None), getattr(rebuilt, "output_names", None)
    if None not in names and names[0] != names[1]:  # a Sequential model has no names
        return f"the rebuilt network's outputs are named {names[1]}; the original's {names[0]}"
    shapes = [x.shape for x in a], [y.shape for y in b]
    if shapes[0] != shapes[1]:
        return f"the rebuilt network's outputs have shapes {shapes[1]}; the original's {shapes[0]}"
    return None


def _shape_of(value: Any) -> Any:
    """The nesting of a structure, tensors left out (a dict's keys, a list's length)."""
    if isinstance(value, dict):
        return {k: _shape_of(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return type(value)(_shape_of(v) for v in value)
    return "tensor"


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference of ``b`` from ``a`` relative to ``a``'s largest magnitude
    (absolute where ``a`` is all zeros); infinite for other shapes or different non-numbers."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return float("inf")
    if a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
        return 0.0 if np.array_equal(a, b) else float("inf")
    a, b = a.astype(np.float64), b.astype(np.float64)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf")
    a, b = np.nan_to_num(a), np.nan_to_num(b)
    if not a.size:
        return 0.0
    scale = float(np.max(np.abs(a)))
    return float(np.max(np.abs(a - b))) / (scale if scale > 0 else 1.0)


def first_difference(
    original: Any, rebuilt: Any, inputs: Any, tolerance: float = TOLERANCE
) -> str | None:
    """The name of the first layer (network order) whose output differs between the two
    models beyond ``tolerance``; None when none does or the layers cannot be matched."""
    try:
        expected, got = _layer_outputs(original, inputs), _layer_outputs(rebuilt, inputs)
    except Exception:  # a network Keras will not cut into per-layer models
        return None
    for label, values in expected.items():
        other = got.get(label)
        if other is None:
            continue
        if len(other) != len(values) or any(
            relative_error(a, b) > tolerance for a, b in zip(values, other, strict=False)
        ):
            return label.split("#", 1)[0]
    return None


def _layer_outputs(model: Any, inputs: Any) -> dict[str, list[np.ndarray]]:
    """Every layer call's outputs on ``inputs``, by layer name (``name#2`` for its second
    call), in network order."""
    import keras

    from designer.core.build import as_functional, call_events

    functional = as_functional(model)
    events: list[tuple[str, list[Any]]] = []
    calls: dict[str, int] = {}
    for knode in call_events(functional):
        layer = knode.operation
        if isinstance(layer, keras.layers.InputLayer):
            continue
        calls[layer.name] = calls.get(layer.name, 0) + 1
        label = layer.name if calls[layer.name] == 1 else f"{layer.name}#{calls[layer.name]}"
        events.append((label, list(knode.outputs)))
    tensors = [t for _, outs in events for t in outs]
    probe = keras.Model(list(functional.inputs), tensors)
    values = iter(_flat(probe(keras.tree.flatten(inputs), training=False)))
    return {label: [next(values) for _ in outs] for label, outs in events}


def check_import(model: Any, graph: Any) -> RoundTripReport:
    """Build ``graph`` (imported from ``model``) and compare it with ``model`` on a batch of
    two random samples; skipped, with a message, for models over :data:`MAX_PARAMS`."""
    from designer.core.build import BuildError, build_model
    from designer.core.layers import unsafe_layers

    params = model.count_params()
    if params > MAX_PARAMS:
        return _skipped(f"the model has {params:,} parameters, too many to compare it when opened")
    unsafe = unsafe_layers(graph)
    if unsafe:
        return _skipped(
            f"'{unsafe[0]}' holds code or an outside graph, which is not run just to check it"
        )
    try:
        rebuilt = build_model(graph)
    except Exception as exc:  # BuildError, or Keras refusing a layer
        text = str(exc) if isinstance(exc, BuildError) else f"{type(exc).__name__}: {exc}"
        return RoundTripReport(False, float("inf"), message=f"the network does not build: {text}")
    try:
        return compare_round_trip(model, rebuilt, sample_inputs(model, batch=2))
    except Exception as exc:  # a model that Keras cannot run on random inputs
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _skipped(f"the models could not be run on random inputs ({text})")


def _skipped(message: str) -> RoundTripReport:
    return RoundTripReport(True, message=message, skipped=True)
