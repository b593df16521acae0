"""Query-value attention, after the keras.layers.Attention and AdditiveAttention API examples
(keras.io/api/layers/attention_layers/attention, .../additive_attention; keras-io examples use the
same pattern): a shared Embedding and a shared Conv1D applied to query and value token ids, an
Attention (dot-product, also returning its scores as a second model output) or AdditiveAttention
layer, GlobalAveragePooling1D and Concatenate."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "keras.io/api/layers/attention_layers/attention"
TITLE = "Attention / AdditiveAttention layer examples"


def _encoder(vocab=50):
    query_input = keras.Input(shape=(None,), dtype="int32", name="query")
    value_input = keras.Input(shape=(None,), dtype="int32", name="value")
    token_embedding = layers.Embedding(input_dim=vocab, output_dim=16)
    query_embeddings = token_embedding(query_input)
    value_embeddings = token_embedding(value_input)
    cnn_layer = layers.Conv1D(filters=16, kernel_size=4, padding="same")
    query_seq_encoding = cnn_layer(query_embeddings)
    value_seq_encoding = cnn_layer(value_embeddings)
    return query_input, value_input, query_seq_encoding, value_seq_encoding


def build() -> keras.Model:
    """Dot-product Attention returning its scores as well."""
    seed(37)
    query_input, value_input, q, v = _encoder()
    attention_seq, scores = layers.Attention(use_scale=True)([q, v], return_attention_scores=True)
    query_encoding = layers.GlobalAveragePooling1D()(q)
    query_value_attention = layers.GlobalAveragePooling1D()(attention_seq)
    input_layer = layers.Concatenate()([query_encoding, query_value_attention])
    output = layers.Dense(1, activation="sigmoid")(input_layer)
    return keras.Model([query_input, value_input], [output, scores], name="attention")


def build_additive() -> keras.Model:
    """AdditiveAttention (Bahdanau-style)."""
    seed(38)
    query_input, value_input, q, v = _encoder()
    attention_seq = layers.AdditiveAttention()([q, v])
    query_encoding = layers.GlobalAveragePooling1D()(q)
    query_value_attention = layers.GlobalAveragePooling1D()(attention_seq)
    input_layer = layers.Concatenate()([query_encoding, query_value_attention])
    output = layers.Dense(1, activation="sigmoid")(input_layer)
    return keras.Model([query_input, value_input], output, name="additive_attention")
