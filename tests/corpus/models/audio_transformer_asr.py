"""Speech recognition Transformer, after keras-io examples/audio/transformer_asr.py ("Automatic
Speech Recognition with Transformer"): the example's registered layers ``TokenEmbedding``,
``SpeechFeatureEmbedding`` (strided Conv1D), ``TransformerEncoder`` and ``TransformerDecoder``
(causal mask from keras.ops, called with two tensors), joined here in a functional model with an
audio-feature input and a token input (the example subclasses keras.Model). Small."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/audio/transformer_asr.py"
TITLE = "Automatic Speech Recognition with Transformer"


@keras.saving.register_keras_serializable(package="corpus_asr")
class TokenEmbedding(layers.Layer):
    def __init__(self, num_vocab=1000, maxlen=100, num_hid=64, **kwargs):
        super().__init__(**kwargs)
        self.settings = {"num_vocab": num_vocab, "maxlen": maxlen, "num_hid": num_hid}
        self.emb = keras.layers.Embedding(num_vocab, num_hid)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=num_hid)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        x = self.emb(x)
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        return x + positions

    def get_config(self):
        config = super().get_config()
        config.update(self.settings)
        return config


@keras.saving.register_keras_serializable(package="corpus_asr")
class SpeechFeatureEmbedding(layers.Layer):
    def __init__(self, num_hid=64, maxlen=100, **kwargs):
        super().__init__(**kwargs)
        self.settings = {"num_hid": num_hid, "maxlen": maxlen}
        self.conv1 = keras.layers.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu")
        self.conv2 = keras.layers.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu")
        self.conv3 = keras.layers.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu")

    def call(self, x):
        x = self.conv1(x)
        x = self.conv2(x)
        return self.conv3(x)

    def get_config(self):
        config = super().get_config()
        config.update(self.settings)
        return config


@keras.saving.register_keras_serializable(package="corpus_asr")
class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, num_heads, feed_forward_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.settings = {
            "embed_dim": embed_dim,
            "num_heads": num_heads,
            "feed_forward_dim": feed_forward_dim,
            "rate": rate,
        }
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(feed_forward_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)

    def get_config(self):
        config = super().get_config()
        config.update(self.settings)
        return config


@keras.saving.register_keras_serializable(package="corpus_asr")
class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, num_heads, feed_forward_dim, dropout_rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.settings = {
            "embed_dim": embed_dim,
            "num_heads": num_heads,
            "feed_forward_dim": feed_forward_dim,
            "dropout_rate": dropout_rate,
        }
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm3 = layers.LayerNormalization(epsilon=1e-6)
        self.self_att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.enc_att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.self_dropout = layers.Dropout(0.5)
        self.enc_dropout = layers.Dropout(0.1)
        self.ffn_dropout = layers.Dropout(0.1)
        self.ffn = keras.Sequential(
            [layers.Dense(feed_forward_dim, activation="relu"), layers.Dense(embed_dim)]
        )

    def causal_attention_mask(self, batch_size, n_dest, n_src, dtype):
        """Masks the upper half of the dot product matrix in self attention."""
        i = ops.arange(n_dest)[:, None]
        j = ops.arange(n_src)
        m = i >= j - n_src + n_dest
        mask = ops.cast(m, dtype)
        mask = ops.reshape(mask, [1, n_dest, n_src])
        # The example tiles with a tensor of repeats; ops.tile refuses a symbolic one under the
        # TensorFlow backend in a functional model, so the mask is broadcast instead.
        return ops.broadcast_to(mask, (batch_size, n_dest, n_src))

    def call(self, enc_out, target):
        input_shape = ops.shape(target)
        batch_size = input_shape[0]
        seq_len = input_shape[1]
        causal_mask = self.causal_attention_mask(batch_size, seq_len, seq_len, "bool")
        target_att = self.self_att(target, target, attention_mask=causal_mask)
        target_norm = self.layernorm1(target + self.self_dropout(target_att))
        enc_out = self.enc_att(target_norm, enc_out)
        enc_out_norm = self.layernorm2(self.enc_dropout(enc_out) + target_norm)
        ffn_out = self.ffn(enc_out_norm)
        return self.layernorm3(enc_out_norm + self.ffn_dropout(ffn_out))

    def get_config(self):
        config = super().get_config()
        config.update(self.settings)
        return config


def build(num_hid=16, num_head=2, num_feed_forward=32, target_maxlen=8, num_classes=12):
    seed(61)
    source = keras.Input(shape=(32, 16), name="source")
    target = keras.Input(shape=(target_maxlen,), dtype="int32", name="target")
    x = SpeechFeatureEmbedding(num_hid=num_hid, maxlen=32)(source)
    x = TransformerEncoder(num_hid, num_head, num_feed_forward)(x)
    y = TokenEmbedding(num_vocab=num_classes, maxlen=target_maxlen, num_hid=num_hid)(target)
    y = TransformerDecoder(num_hid, num_head, num_feed_forward)(x, y)
    outputs = layers.Dense(num_classes)(y)
    return keras.Model([source, target], outputs, name="transformer_asr")
