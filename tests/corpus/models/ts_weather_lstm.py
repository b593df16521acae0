"""Weather forecasting LSTM, after keras-io examples/timeseries/timeseries_weather_forecasting.py
("Timeseries forecasting for weather prediction"): an LSTM over (steps, features) and a Dense
regression output. Small: 24 steps, 7 features, 16 units."""

from __future__ import annotations

import keras

from tests.corpus.models._util import seed

SOURCE = "examples/timeseries/timeseries_weather_forecasting.py"
TITLE = "Timeseries forecasting for weather prediction"


def build() -> keras.Model:
    seed(22)
    inputs = keras.layers.Input(shape=(24, 7))
    lstm_out = keras.layers.LSTM(16)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    return keras.Model(inputs=inputs, outputs=outputs, name="weather_lstm")
