"""Five legacy HDF5 models written the tf.keras way (``import tensorflow as tf``,
``tf.keras.Sequential().add(...)``, ``model.compile``, ``model.save("model.h5")``), as users of
TensorFlow 2.x saved them before the ``.keras`` format. Nothing binary is committed: ``save``
builds one and writes it into a folder on demand (Keras 3 still writes legacy HDF5 for an
``.h5`` name). Each builder returns the in-memory model; the harness saves it as ``.h5``.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tests.corpus.models._util import seed

SOURCE = "tf.keras (TensorFlow 2.x) style, legacy HDF5 via model.save('*.h5')"
TITLE = "Legacy HDF5 models"

SOURCES = {
    "build_lenet": "examples/vision/mnist_convnet.py (tf.keras 2 era); LeNet-5",
    "build_cifar_cnn": "tensorflow.org tutorials/images/cnn (tf.keras CIFAR-10 CNN)",
    "build_imdb_lstm": "examples/nlp/bidirectional_lstm_imdb.py (tf.keras 2 era)",
    "build_multi_io": "guides/functional_api.py (tf.keras 2 era), list outputs",
    "build_regularized_mlp": "tensorflow.org tutorials/keras/overfit_and_underfit (L2, Dropout)",
}


def build_lenet() -> tf.keras.Model:
    seed(80)
    model = tf.keras.Sequential(name="lenet5_h5")
    model.add(tf.keras.Input(shape=(28, 28, 1)))
    model.add(tf.keras.layers.Conv2D(6, 5, padding="same", activation="tanh"))
    model.add(tf.keras.layers.AveragePooling2D(pool_size=(2, 2)))
    model.add(tf.keras.layers.Conv2D(16, 5, activation="tanh"))
    model.add(tf.keras.layers.AveragePooling2D(pool_size=(2, 2)))
    model.add(tf.keras.layers.Flatten())
    model.add(tf.keras.layers.Dense(120, activation="tanh"))
    model.add(tf.keras.layers.Dense(84, activation="tanh"))
    model.add(tf.keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_cifar_cnn() -> tf.keras.Model:
    seed(81)
    inputs = tf.keras.Input(shape=(32, 32, 3), name="image")
    x = tf.keras.layers.Conv2D(16, (3, 3), activation="relu")(inputs)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.MaxPooling2D((2, 2))(x)
    x = tf.keras.layers.Conv2D(32, (3, 3), activation="relu")(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.MaxPooling2D((2, 2))(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dropout(0.3)(x)
    x = tf.keras.layers.Dense(32, activation="relu")(x)
    outputs = tf.keras.layers.Dense(10)(x)
    model = tf.keras.Model(inputs, outputs, name="cifar_cnn_h5")
    model.compile(
        optimizer="adam",
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def build_imdb_lstm() -> tf.keras.Model:
    seed(82)
    model = tf.keras.Sequential(name="imdb_lstm_h5")
    model.add(tf.keras.Input(shape=(None,), dtype="int32"))
    model.add(tf.keras.layers.Embedding(100, 16))
    model.add(tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(16)))
    model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def build_multi_io() -> tf.keras.Model:
    seed(83)
    image = tf.keras.Input(shape=(16, 16, 1), name="image")
    meta = tf.keras.Input(shape=(5,), name="meta")
    x = tf.keras.layers.Conv2D(8, 3, activation="relu")(image)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    x = tf.keras.layers.concatenate([x, meta])
    x = tf.keras.layers.Dense(16, activation="relu")(x)
    score = tf.keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    kind = tf.keras.layers.Dense(3, activation="softmax", name="kind")(x)
    model = tf.keras.Model(inputs=[image, meta], outputs=[score, kind], name="multi_io_h5")
    model.compile(optimizer="rmsprop", loss=["binary_crossentropy", "categorical_crossentropy"])
    return model


def build_regularized_mlp() -> tf.keras.Model:
    seed(84)
    l2 = tf.keras.regularizers.l2(0.001)
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(28,)),
            tf.keras.layers.Dense(32, activation="elu", kernel_regularizer=l2),
            tf.keras.layers.BatchNormalization(),
            tf.keras.layers.Dropout(0.5),
            tf.keras.layers.Dense(32, activation="elu", kernel_regularizer=l2),
            tf.keras.layers.Dropout(0.5),
            tf.keras.layers.Dense(1),
        ],
        name="regularized_mlp_h5",
    )
    model.compile(
        optimizer=tf.keras.optimizers.Adam(0.001),
        loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


def save(builder: str, folder: str | Path) -> Path:
    """Build one legacy model (a ``build_*`` name above) and save it as HDF5 in ``folder``."""
    model = globals()[builder]()
    path = Path(folder) / f"{model.name}.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


def save_all(folder: str | Path) -> list[Path]:
    """Write all five legacy ``.h5`` files into ``folder``."""
    return [save(builder, folder) for builder in SOURCES]
