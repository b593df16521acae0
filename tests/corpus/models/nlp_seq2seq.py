"""Character-level sequence-to-sequence LSTMs, after keras-io examples/nlp/lstm_seq2seq.py
("Character-level recurrent sequence-to-sequence model"): the training model (an encoder LSTM
with return_state, a decoder LSTM called with ``initial_state=[state_h, state_c]``), and the two
inference models of the example: the encoder giving only the states of its LSTM (two of its
three outputs) and the decoder taking states as inputs and giving them back. Small: 16 units."""

from __future__ import annotations

import keras

from tests.corpus.models._util import seed

SOURCE = "examples/nlp/lstm_seq2seq.py"
TITLE = "Character-level recurrent sequence-to-sequence model"

NUM_ENCODER_TOKENS, NUM_DECODER_TOKENS, LATENT_DIM = 12, 14, 16


def _layers():
    encoder_inputs = keras.Input(shape=(None, NUM_ENCODER_TOKENS), name="encoder_inputs")
    encoder = keras.layers.LSTM(LATENT_DIM, return_state=True, name="encoder_lstm")
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, NUM_DECODER_TOKENS), name="decoder_inputs")
    decoder_lstm = keras.layers.LSTM(
        LATENT_DIM, return_sequences=True, return_state=True, name="decoder_lstm"
    )
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(NUM_DECODER_TOKENS, activation="softmax", name="decoder")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="seq2seq")
    return model, encoder_inputs, encoder_states, decoder_inputs, decoder_lstm, decoder_dense


def build() -> keras.Model:
    """The training model."""
    seed(31)
    return _layers()[0]


def build_inference_encoder() -> keras.Model:
    """``encoder_model = keras.Model(encoder_inputs, encoder_states)``: the LSTM's states only."""
    seed(31)
    _, encoder_inputs, encoder_states, *_ = _layers()
    return keras.Model(encoder_inputs, encoder_states, name="seq2seq_encoder")


def build_inference_decoder() -> keras.Model:
    """The inference decoder: inputs, h and c in; probabilities, h and c out."""
    seed(31)
    _, _, _, decoder_inputs, decoder_lstm, decoder_dense = _layers()
    decoder_state_input_h = keras.Input(shape=(LATENT_DIM,), name="state_h")
    decoder_state_input_c = keras.Input(shape=(LATENT_DIM,), name="state_c")
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(
        decoder_inputs, initial_state=decoder_states_inputs
    )
    decoder_states = [state_h_dec, state_c_dec]
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model(
        [decoder_inputs] + decoder_states_inputs,
        [decoder_outputs] + decoder_states,
        name="seq2seq_decoder",
    )
