"""Pretrained word embeddings, after keras-io examples/nlp/pretrained_word_embeddings.py ("Using
pre-trained word embeddings"): a frozen Embedding (trainable=False, its matrix set with
set_weights: non-trainable parameters), Conv1D/MaxPooling1D blocks, GlobalMaxPooling1D. The
sequence length is fixed (64) so that the pooling stays valid; random vectors stand for GloVe."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/nlp/pretrained_word_embeddings.py"
TITLE = "Using pre-trained word embeddings"


def build(num_tokens=100, embedding_dim=16, num_classes=5) -> keras.Model:
    rng = seed(33)
    embedding_matrix = rng.normal(size=(num_tokens, embedding_dim)).astype(np.float32)
    embedding_layer = layers.Embedding(num_tokens, embedding_dim, trainable=False)
    embedding_layer.build((1,))
    embedding_layer.set_weights([embedding_matrix])
    int_sequences_input = keras.Input(shape=(64,), dtype="int64")
    embedded_sequences = embedding_layer(int_sequences_input)
    x = layers.Conv1D(16, 5, activation="relu")(embedded_sequences)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(16, 5, activation="relu")(x)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(16, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    preds = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(int_sequences_input, preds, name="pretrained_embeddings")
