"""StringLookup vocabularies in ONNX: the frozen graph's table placeholders made into tables.

Freezing turns variables into constants but leaves a lookup table's resource as an unfed
placeholder. tf2onnx writes a string -> int64 table lookup as the ONNX-ML ``CategoryMapper``
when it is told the table's contents and finds a ``HashTableV2`` node with a shared name, so
each placeholder that belongs to a layer holding such a table (StringLookup) becomes that node,
and the layer's keys and values are handed to the converter.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import graph_pb2

from designer.export.constructs import all_layers, layer_of, string_table

Tables = dict[bytes, tuple[np.ndarray, np.ndarray]]


def attach_tables(
    graph_def: graph_pb2.GraphDef, placeholders: list[str], model: keras.Model
) -> Tables:
    """Make each of ``placeholders`` that stands for a layer's string table a ``HashTableV2``
    node; return the tables' contents by shared name (the others stay placeholders)."""
    layers = {layer.name: layer for layer in all_layers(model)}
    tables: Tables = {}
    for node in graph_def.node:
        table = (
            string_table(layers.get(layer_of(node.name, model)), "onnx")
            if node.name in placeholders
            else None
        )
        if table is None:
            continue
        keys, values = (t.numpy() for t in table.export())
        shared = node.name.encode()
        node.op = "HashTableV2"
        node.ClearField("attr")
        node.attr["key_dtype"].type = tf.string.as_datatype_enum
        node.attr["value_dtype"].type = tf.int64.as_datatype_enum
        node.attr["shared_name"].s = shared
        tables[shared] = (keys, values)
    return tables
