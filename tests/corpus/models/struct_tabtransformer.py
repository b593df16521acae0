"""TabTransformer, after keras-io examples/structured_data/tabtransformer.py ("Structured data
learning with TabTransformer"): categorical Embeddings stacked with keras.ops.stack, a column
embedding added from an Embedding called on a constant ``ops.arange`` (a tensor that is not
computed from the inputs), MultiHeadAttention blocks with named Add/LayerNormalization layers,
feed-forward networks as nested (unbuilt) Sequential models, LayerNormalization of the numeric
features. Categorical features are integer ids (the example looks strings up)."""

from __future__ import annotations

from functools import partial

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/structured_data/tabtransformer.py"
TITLE = "Structured data learning with TabTransformer"

NUMERIC = ["age", "education_num", "capital_gain", "hours_per_week"]
CATEGORICAL = {"workclass": 8, "education": 16, "marital_status": 7, "occupation": 14}


def create_model_inputs():
    inputs = {}
    for name in NUMERIC:
        inputs[name] = layers.Input(name=name, shape=(), dtype="float32")
    for name in CATEGORICAL:
        inputs[name] = layers.Input(name=name, shape=(), dtype="int32")
    return inputs


def encode_inputs(inputs, embedding_dims):
    encoded_categorical_feature_list = []
    numerical_feature_list = []
    for feature_name in inputs:
        if feature_name in CATEGORICAL:
            embedding = layers.Embedding(
                input_dim=CATEGORICAL[feature_name], output_dim=embedding_dims
            )
            encoded_categorical_feature_list.append(embedding(inputs[feature_name]))
        else:
            numerical_feature_list.append(ops.expand_dims(inputs[feature_name], -1))
    return encoded_categorical_feature_list, numerical_feature_list


def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
    mlp_layers = []
    for units in hidden_units:
        mlp_layers.append(normalization_layer())
        mlp_layers.append(layers.Dense(units, activation=activation))
        mlp_layers.append(layers.Dropout(dropout_rate))
    return keras.Sequential(mlp_layers, name=name)


def build(
    num_transformer_blocks=2,
    num_heads=2,
    embedding_dims=8,
    mlp_hidden_units_factors=(2, 1),
    dropout_rate=0.2,
    use_column_embedding=True,
) -> keras.Model:
    seed(56)
    inputs = create_model_inputs()
    encoded_categorical_feature_list, numerical_feature_list = encode_inputs(inputs, embedding_dims)
    encoded_categorical_features = ops.stack(encoded_categorical_feature_list, axis=1)
    numerical_features = layers.concatenate(numerical_feature_list)
    if use_column_embedding:
        num_columns = encoded_categorical_features.shape[1]
        column_embedding = layers.Embedding(input_dim=num_columns, output_dim=embedding_dims)
        column_indices = ops.arange(start=0, stop=num_columns, step=1)
        encoded_categorical_features = encoded_categorical_features + column_embedding(
            column_indices
        )
    for block_idx in range(num_transformer_blocks):
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads,
            key_dim=embedding_dims,
            dropout=dropout_rate,
            name=f"multihead_attention_{block_idx}",
        )(encoded_categorical_features, encoded_categorical_features)
        x = layers.Add(name=f"skip_connection1_{block_idx}")(
            [attention_output, encoded_categorical_features]
        )
        x = layers.LayerNormalization(name=f"layer_norm1_{block_idx}", epsilon=1e-6)(x)
        feedforward_output = create_mlp(
            hidden_units=[embedding_dims],
            dropout_rate=dropout_rate,
            activation=keras.activations.gelu,
            normalization_layer=partial(layers.LayerNormalization, epsilon=1e-6),
            name=f"feedforward_{block_idx}",
        )(x)
        x = layers.Add(name=f"skip_connection2_{block_idx}")([feedforward_output, x])
        encoded_categorical_features = layers.LayerNormalization(
            name=f"layer_norm2_{block_idx}", epsilon=1e-6
        )(x)
    categorical_features = layers.Flatten()(encoded_categorical_features)
    numerical_features = layers.LayerNormalization(epsilon=1e-6)(numerical_features)
    features = layers.concatenate([categorical_features, numerical_features])
    mlp_hidden_units = [factor * features.shape[-1] for factor in mlp_hidden_units_factors]
    features = create_mlp(
        hidden_units=mlp_hidden_units,
        dropout_rate=dropout_rate,
        activation=keras.activations.selu,
        normalization_layer=layers.BatchNormalization,
        name="MLP",
    )(features)
    outputs = layers.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs, name="tabtransformer")
