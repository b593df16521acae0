"""Siamese network with a triplet loss, after keras-io examples/vision/siamese_network.py
("Image similarity estimation using a Siamese Network with a triplet loss"): an embedding model
(a small CNN instead of ResNet50, its first layers frozen, then Dense/BatchNormalization) called
on anchor, positive and negative inputs, and a registered ``DistanceLayer`` taking three tensors
and returning a tuple of two distances."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/vision/siamese_network.py"
TITLE = "Image similarity estimation using a Siamese Network with a triplet loss"

TARGET_SHAPE = (24, 24)


@keras.saving.register_keras_serializable(package="corpus")
class DistanceLayer(layers.Layer):
    """Computes the distance between the anchor embedding and the positive and negative ones."""

    def call(self, anchor, positive, negative):
        ap_distance = ops.sum(ops.square(anchor - positive), -1)
        an_distance = ops.sum(ops.square(anchor - negative), -1)
        return (ap_distance, an_distance)


def build() -> keras.Model:
    seed(9)
    base_in = keras.Input(shape=(*TARGET_SHAPE, 3))
    b = layers.Conv2D(8, 3, strides=2, activation="relu", name="conv1")(base_in)
    b = layers.BatchNormalization(name="bn1")(b)
    b = layers.Conv2D(16, 3, strides=2, activation="relu", name="conv5_block1_out")(b)
    base_cnn = keras.Model(base_in, b, name="base_cnn")
    trainable = False
    for layer in base_cnn.layers:
        if layer.name == "conv5_block1_out":
            trainable = True
        layer.trainable = trainable

    flatten = layers.Flatten()(base_cnn.output)
    dense1 = layers.Dense(32, activation="relu")(flatten)
    dense1 = layers.BatchNormalization()(dense1)
    dense2 = layers.Dense(16, activation="relu")(dense1)
    dense2 = layers.BatchNormalization()(dense2)
    output = layers.Dense(8)(dense2)
    embedding = keras.Model(base_cnn.input, output, name="Embedding")

    anchor_input = layers.Input(name="anchor", shape=(*TARGET_SHAPE, 3))
    positive_input = layers.Input(name="positive", shape=(*TARGET_SHAPE, 3))
    negative_input = layers.Input(name="negative", shape=(*TARGET_SHAPE, 3))
    distances = DistanceLayer()(
        embedding(layers.Rescaling(1 / 127.5, offset=-1)(anchor_input)),
        embedding(layers.Rescaling(1 / 127.5, offset=-1)(positive_input)),
        embedding(layers.Rescaling(1 / 127.5, offset=-1)(negative_input)),
    )
    return keras.Model(
        inputs=[anchor_input, positive_input, negative_input],
        outputs=distances,
        name="siamese_triplet",
    )
