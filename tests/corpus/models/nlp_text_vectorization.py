"""End-to-end text classifier, after keras-io examples/nlp/text_classification_from_scratch.py
("Text classification from scratch"): raw strings in, a TextVectorization layer adapted on a
small random corpus inside the model, Embedding, Conv1D, GlobalMaxPooling1D, sigmoid."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/nlp/text_classification_from_scratch.py"
TITLE = "Text classification from scratch (end-to-end model with TextVectorization)"

WORDS = [f"w{i}" for i in range(40)]


def build(max_features=60, sequence_length=16) -> keras.Model:
    rng = seed(36)
    corpus = [" ".join(rng.choice(WORDS, size=8)) for _ in range(64)]
    vectorize_layer = layers.TextVectorization(
        max_tokens=max_features, output_mode="int", output_sequence_length=sequence_length
    )
    vectorize_layer.adapt(corpus)
    text_input = keras.Input(shape=(1,), dtype="string", name="text")
    x = vectorize_layer(text_input)
    x = layers.Embedding(max_features, 16)(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(16, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(text_input, predictions, name="text_vectorization")
