"""Ticket classifier with several inputs and outputs, after keras-io guides/functional_api.py
("The Functional API", "Models with multiple inputs and outputs"): title and body token ids
(float inputs fed to Embeddings, as in the guide), a tags vector, LSTMs, Concatenate, and two
named outputs returned as a dict ``{"priority": ..., "department": ...}``."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "guides/functional_api.py"
TITLE = "The Functional API: models with multiple inputs and outputs"


def build(num_tags=12, num_words=100, num_departments=4) -> keras.Model:
    seed(73)
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 16)(title_input)
    body_features = layers.Embedding(num_words, 16)(body_input)
    title_features = layers.LSTM(16)(title_features)
    body_features = layers.LSTM(8)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs={"priority": priority_pred, "department": department_pred},
        name="multi_io",
    )
