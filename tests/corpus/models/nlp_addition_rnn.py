"""Sequence-to-sequence addition, after keras-io examples/nlp/addition_rnn.py ("Sequence to
sequence learning for performing number addition"): a Sequential of an LSTM encoder,
RepeatVector, an LSTM decoder returning sequences and a Dense softmax on every step."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/nlp/addition_rnn.py"
TITLE = "Sequence to sequence learning for performing number addition"

DIGITS, CHARS = 3, 12
MAXLEN = DIGITS + 1 + DIGITS


def build() -> keras.Model:
    seed(34)
    model = keras.Sequential(name="addition_rnn")
    model.add(layers.Input((MAXLEN, CHARS)))
    model.add(layers.LSTM(32))
    model.add(layers.RepeatVector(DIGITS + 1))
    model.add(layers.LSTM(32, return_sequences=True))
    model.add(layers.Dense(CHARS, activation="softmax"))
    return model
