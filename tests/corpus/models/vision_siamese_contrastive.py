"""Siamese network with a contrastive loss, after keras-io examples/vision/siamese_contrastive.py
("Image similarity estimation using a Siamese Network with a contrastive loss"): one functional
embedding tower called on two inputs (shared weights), the Euclidean distance between the two
embeddings, BatchNormalization and a sigmoid. The example wraps the distance in a Lambda layer;
here it is written with keras.ops between the layers (a Lambda would need --unsafe)."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/vision/siamese_contrastive.py"
TITLE = "Image similarity estimation using a Siamese Network with a contrastive loss"


def build() -> keras.Model:
    seed(8)
    input = layers.Input((28, 28, 1))
    x = layers.BatchNormalization()(input)
    x = layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(input, x, name="embedding_network")

    input_1 = layers.Input((28, 28, 1), name="left")
    input_2 = layers.Input((28, 28, 1), name="right")
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)
    sum_square = ops.sum(ops.square(tower_1 - tower_2), axis=1, keepdims=True)
    merge_layer = ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))
    normal_layer = layers.BatchNormalization()(merge_layer)
    output_layer = layers.Dense(1, activation="sigmoid")(normal_layer)
    return keras.Model(inputs=[input_1, input_2], outputs=output_layer, name="siamese_contrastive")
