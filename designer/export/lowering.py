"""Layers rewritten for the ONNX and TFLite converters as operations they hold.

An IntegerLookup keeps its vocabulary in a TensorFlow hash table of integers, which neither
tf2onnx nor TFLite's builtins convert, and a Discretization buckets with TensorFlow's
Bucketize, which ONNX lacks. Vocabulary and boundaries are fixed at export, so the indices are
the same as comparing the input with them: :class:`DenseIntegerLookup` and
:class:`DenseDiscretization` do that with plain operations and then encode the indices
exactly as the layer does (the same Keras function). :func:`lower_for_conversion` puts them in
place of every such layer of a functional model (the other layers are shared, weights and
all); the artefact is then checked against the original model, never against this rewrite.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from designer.core.keras_compat import encode_categorical_inputs
from designer.export.constructs import TABLE_MODES


def lowerable(layer: Any, fmt: str) -> bool:
    """Whether ``layer`` is one this module computes exactly in an output mode ``fmt`` holds
    (:data:`~designer.export.constructs.TABLE_MODES`: TFLite has no builtin for the
    multi-hot, count and tf-idf encodings): an IntegerLookup with a fixed vocabulary, no mask
    token, indices not inverted, dense output and at most one OOV index; a Discretization
    with its boundaries, dense output."""
    kind = type(layer).__name__
    if getattr(layer, "output_mode", "int") not in TABLE_MODES[fmt]:
        return False
    if getattr(layer, "sparse", False):
        return False
    if kind == "Discretization":
        return getattr(layer, "bin_boundaries", None) is not None
    return (
        kind == "IntegerLookup"
        and getattr(layer, "mask_token", None) is None
        and not getattr(layer, "invert", False)
        and getattr(layer, "num_oov_indices", 1) in (0, 1)
        and hasattr(getattr(layer, "lookup_table", None), "export")
    )


class _DenseIndex(keras.layers.Layer):
    """A layer's indices computed with plain operations (:meth:`index`), then encoded as the
    original encodes them (the same Keras function), with its output shapes and dtypes."""

    def __init__(self, original: Any, depth: int, dtype: str, **kwargs: Any) -> None:
        super().__init__(name=f"{original.name}_dense", **kwargs)
        self.mode = original.output_mode
        self.depth = depth
        self.out_dtype = dtype
        weights = getattr(original, "idf_weights_const", None) if self.mode == "tf_idf" else None
        self.idf = None if weights is None else tf.constant(np.asarray(weights))
        self.output_spec = original.compute_output_spec  # the original's shapes and dtypes

    def index(self, x: Any) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any) -> Any:
        indices = self.index(inputs)
        if self.mode == "int":
            return tf.cast(indices, self.out_dtype)
        output = encode_categorical_inputs(
            indices,
            output_mode="count" if self.mode == "tf_idf" else self.mode,
            depth=self.depth,
            dtype=self.out_dtype,
        )
        if self.idf is not None:
            output = tf.cast(output, self.idf.dtype) * self.idf
        return output

    def compute_output_spec(self, inputs: Any) -> Any:
        return self.output_spec(inputs)


class DenseIntegerLookup(_DenseIndex):
    """An IntegerLookup's lookup as comparisons with its vocabulary's keys."""

    def __init__(self, lookup: Any, **kwargs: Any) -> None:
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup.vocabulary_size()
        dtype = "int64" if lookup.output_mode == "int" else lookup.compute_dtype
        super().__init__(lookup, depth, dtype, **kwargs)
        keys, values = (t.numpy() for t in lookup.lookup_table.export())
        self.keys = tf.constant(np.asarray(keys, dtype="int64"))
        self.values = tf.constant(np.asarray(values, dtype="int64"))
        self.default = 0 if lookup.num_oov_indices == 1 else -1  # the OOV index, or none

    def index(self, x: Any) -> Any:
        x = tf.cast(x, "int64")
        found = tf.equal(tf.expand_dims(x, -1), self.keys)
        index = tf.reduce_sum(tf.where(found, self.values, tf.zeros_like(self.values)), -1)
        missing = tf.fill(tf.shape(x), tf.constant(self.default, "int64"))
        return tf.where(tf.reduce_any(found, -1), index, missing)


class DenseDiscretization(_DenseIndex):
    """A Discretization's buckets as comparisons with its boundaries (numpy's digitize: the
    number of boundaries at or below the value), instead of TensorFlow's Bucketize."""

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        boundaries = np.asarray(layer.bin_boundaries, dtype="float32")
        super().__init__(layer, len(boundaries) + 1, layer.output_dtype, **kwargs)
        self.boundaries = tf.constant(boundaries)

    def index(self, x: Any) -> Any:
        above = tf.greater_equal(tf.expand_dims(tf.cast(x, "float32"), -1), self.boundaries)
        return tf.reduce_sum(tf.cast(above, "int64"), -1)


_LOWERED = {"IntegerLookup": DenseIntegerLookup, "Discretization": DenseDiscretization}


def lower_for_conversion(model: keras.Model, fmt: str) -> tuple[keras.Model, list[str]]:
    """``model`` with each IntegerLookup and Discretization (top level) ``fmt`` can hold
    computed by comparisons, and a note; ``model`` itself when it has none (or is not
    functional)."""
    targets = [layer for layer in model.layers if lowerable(layer, fmt)]
    if not targets or not hasattr(model, "_nodes_by_depth"):
        return model, []

    def replace(layer: Any) -> Any:
        if layer in targets:
            return _LOWERED[type(layer).__name__](layer)
        return layer  # shared: the same weights

    lowered = keras.models.clone_model(model, clone_function=replace)
    names = ", ".join(f"{layer.name!r} ({type(layer).__name__})" for layer in targets)
    return lowered, [
        f"{names} written as comparisons with their vocabulary or boundaries (the converter "
        "holds no integer table and no Bucketize)"
    ]
