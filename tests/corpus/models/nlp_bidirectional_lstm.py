"""Bidirectional LSTM on IMDB, after keras-io examples/nlp/bidirectional_lstm_imdb.py
("Bidirectional LSTM on IMDB"): int token ids of any length, Embedding, two Bidirectional LSTMs
(the first returning sequences), a sigmoid. Small: vocabulary 100, 16 units."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/nlp/bidirectional_lstm_imdb.py"
TITLE = "Bidirectional LSTM on IMDB"


def build(max_features=100) -> keras.Model:
    seed(32)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 16)(inputs)
    x = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(16))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="bidirectional_lstm")
