"""Feature maps of one layer for one input, and their pictures. No Qt.

:func:`feature_maps` runs the network up to a layer (a sub-model built once per layer and
kept) and returns that layer's output for one sample. :func:`grid_image` draws the channels
as one uint8 picture whose form follows the output's rank:

- ``(H, W, C)`` (convolutions, pooling): one tile per channel, each scaled to its own range;
- ``(T, C)`` (sequences, 1-D convolutions): one tile per channel with its values over time as
  a line;
- ``(C,)`` (Dense, global pooling): one bar per unit, on a shared scale with a zero line.

:class:`GridLayout` says where each channel's tile lies, so that a click on the picture can
be turned back into a channel (:meth:`GridLayout.tile_at`); :func:`channel_image` draws one
channel large.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Height of the bar chart of a 1-D output, and of a line tile of a sequence channel.
BAR_HEIGHT = 64
LINE_HEIGHT = 32
#: Grey of the zero line in bar charts and of the background of line tiles.
ZERO_GREY = 96


class ActivationError(ValueError):
    """A layer whose output cannot be shown (unknown, nested, shared, or an odd shape)."""


# ----------------------------------------------------------------------------- feature maps
class ActivationProbe:
    """Runs ``model`` up to any of its layers; one sub-model per layer, built on first use."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._submodels: dict[str, Any] = {}

    def layer_names(self) -> list[str]:
        """Names of the model's own layers, in order (nested networks count as one layer)."""
        return [layer.name for layer in self.model.layers]

    def submodel(self, layer_name: str) -> Any:
        """``keras.Model(model.inputs, layer.output)`` for ``layer_name`` (kept)."""
        cached = self._submodels.get(layer_name)
        if cached is not None:
            return cached
        import keras

        layer = self._layer(layer_name)
        inputs = self.model.inputs
        inputs = inputs[0] if len(inputs) == 1 else inputs
        sub = None
        for output in _outputs_of(layer):
            if isinstance(output, list | tuple | dict):  # e.g. an LSTM returning its states
                output = keras.tree.flatten(output)[0]
            try:
                sub = keras.Model(inputs, output, name=f"activations_{layer_name}")
                break
            except ValueError:  # a tensor of a nested network's own graph: try the next
                continue
        if sub is None:
            raise ActivationError(
                f"Expected a layer whose output the network's inputs reach, but layer "
                f"{layer_name!r} has none (a layer shared by several calls, or inside a "
                "nested network); choose one of the layers it feeds"
            )
        self._submodels[layer_name] = sub
        return sub

    def _layer(self, name: str) -> Any:
        for layer in self.model.layers:
            if layer.name == name:
                return layer
        for outer in self.model.layers:
            inner = getattr(outer, "layers", None)
            if inner and any(getattr(x, "name", None) == name for x in _walk(outer)):
                raise ActivationError(
                    f"Expected a layer of the network itself, but layer {name!r} lies inside "
                    f"the nested network {outer.name!r}; choose {outer.name!r} or a layer "
                    "outside it"
                )
        raise ActivationError(
            f"Expected one of the network's layers ({_some(self.layer_names())}), received {name!r}"
        )

    def maps(self, layer_name: str, sample: Any) -> np.ndarray:
        """The output of ``layer_name`` for one sample (without the batch dimension)."""
        sub = self.submodel(layer_name)
        batch = _as_batch(self.model, sample)
        out = sub(batch, training=False)
        return np.asarray(out)[0].astype(np.float32, copy=False)


def _outputs_of(layer: Any) -> list[Any]:
    """The layer's output, then the outputs of each of its calls (a nested network's
    ``output`` is the one inside its own graph; the calls give the outer one)."""
    found = []
    with contextlib.suppress(AttributeError, ValueError):  # several calls: no single output
        found.append(layer.output)
    for node in getattr(layer, "_inbound_nodes", None) or []:
        tensors = getattr(node, "output_tensors", None) or []
        if tensors:
            found.append(tensors[0] if len(tensors) == 1 else list(tensors))
    return found


def _walk(layer: Any) -> list[Any]:
    """Every layer inside ``layer``, at any depth."""
    found = []
    for inner in getattr(layer, "layers", None) or []:
        found.append(inner)
        found.extend(_walk(inner))
    return found


def _some(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... {len(names) - limit} more" if len(names) > limit else "")


def _as_batch(model: Any, sample: Any) -> Any:
    """A batch of one from ``sample`` (one array, or one per input); checks the shapes."""
    inputs = model.inputs
    samples = list(sample) if isinstance(sample, list | tuple) else [sample]
    if len(samples) != len(inputs):
        raise ActivationError(
            f"Expected {len(inputs)} input array(s) for the network, received {len(samples)}"
        )
    batch = []
    for tensor, x in zip(inputs, samples, strict=True):
        want = tuple(tensor.shape[1:])
        arr = np.asarray(x)
        if arr.ndim == len(want) + 1 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != len(want) or any(
            w is not None and w != g for w, g in zip(want, arr.shape, strict=True)
        ):
            raise ActivationError(
                f"Expected a sample shaped {want} for input {tensor.name!r}, received "
                f"{tuple(arr.shape)}"
            )
        batch.append(arr[None].astype(tensor.dtype or "float32", copy=False))
    return batch[0] if len(batch) == 1 else batch


_PROBES: weakref.WeakKeyDictionary[Any, ActivationProbe] = weakref.WeakKeyDictionary()


def probe_for(model: Any) -> ActivationProbe:
    """The probe of ``model`` (kept as long as the model lives)."""
    probe = _PROBES.get(model)
    if probe is None:
        probe = _PROBES[model] = ActivationProbe(model)
    return probe


def feature_maps(model: Any, layer_name: str, image: Any) -> np.ndarray:
    """The output of layer ``layer_name`` of ``model`` for one input ``image``: ``(H', W', C)``
    for a 2-D convolution, ``(T, C)`` for a sequence, ``(C,)`` for a Dense layer.

    The sub-model that ends at the layer is built once per layer and kept with the model.
    """
    return probe_for(model).maps(layer_name, image)


# ----------------------------------------------------------------------------- pictures
@dataclass(frozen=True)
class GridLayout:
    """Where each channel's tile lies in :func:`grid_image`'s picture (pixels)."""

    kind: str  # "maps" (H, W, C), "lines" (T, C) or "bars" (C,)
    channels: int
    rows: int
    columns: int
    tile_height: int
    tile_width: int
    pad: int

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the whole picture."""
        return (
            self.rows * self.tile_height + (self.rows - 1) * self.pad,
            self.columns * self.tile_width + (self.columns - 1) * self.pad,
        )

    def tile_origin(self, channel: int) -> tuple[int, int]:
        """(row, column) pixel of the top-left corner of ``channel``'s tile."""
        r, c = divmod(channel, self.columns)
        return r * (self.tile_height + self.pad), c * (self.tile_width + self.pad)

    def tile_at(self, x: float, y: float) -> int | None:
        """The channel whose tile holds pixel (x, y) of the picture, or None (padding, outside)."""
        if x < 0 or y < 0:
            return None
        c, dx = divmod(int(x), self.tile_width + self.pad)
        r, dy = divmod(int(y), self.tile_height + self.pad)
        if dx >= self.tile_width or dy >= self.tile_height or c >= self.columns:
            return None
        channel = r * self.columns + c
        return channel if channel < self.channels else None


def as_channels(maps: np.ndarray) -> np.ndarray:
    """``maps`` as rank 1, 2 or 3 with the channels last; deeper outputs (Conv3D) keep the
    largest value over their leading axes."""
    arr = np.asarray(maps, dtype=np.float32)
    if arr.ndim == 0:
        return arr.reshape(1)
    while arr.ndim > 3:
        arr = arr.max(axis=0)
    return arr


def grid_layout(maps: np.ndarray, columns: int | None = None) -> GridLayout:
    """The layout :func:`grid_image` uses for ``maps``."""
    arr = as_channels(maps)
    channels = int(arr.shape[-1])
    if arr.ndim == 1:
        width = max(1, min(12, 640 // max(1, channels)))
        pad = 1 if channels <= 256 else 0
        return GridLayout("bars", channels, 1, channels, BAR_HEIGHT, width, pad)
    if columns is None:
        columns = max(1, math.ceil(math.sqrt(channels)))
    columns = max(1, min(int(columns), channels))
    rows = math.ceil(channels / columns)
    if arr.ndim == 2:
        width = int(min(max(arr.shape[0], 16), 128))
        return GridLayout("lines", channels, rows, columns, LINE_HEIGHT, width, 1)
    return GridLayout("maps", channels, rows, columns, int(arr.shape[0]), int(arr.shape[1]), 1)


def normalise(values: np.ndarray) -> np.ndarray:
    """``values`` scaled to 0..255 (uint8) by their own minimum and maximum; a constant is 0."""
    v = np.asarray(values, dtype=np.float32)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return np.zeros(v.shape, np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        return np.zeros(v.shape, np.uint8)
    scaled = (np.nan_to_num(v, nan=lo, posinf=hi, neginf=lo) - lo) * (255.0 / (hi - lo))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def grid_image(maps: np.ndarray, columns: int | None = None) -> np.ndarray:
    """One uint8 picture (H, W) of every channel of ``maps``, laid out by :func:`grid_layout`.

    Each channel of an ``(H, W, C)`` output is scaled to its own range; a sequence ``(T, C)``
    shows each channel's values over time as a line in its tile; a vector ``(C,)`` is a bar
    chart on one scale with a grey zero line. Padding between tiles is white (255).
    """
    arr = as_channels(maps)
    layout = grid_layout(arr, columns)
    if layout.kind == "bars":
        return bar_image(arr, layout)
    picture = np.full(layout.shape, 255, np.uint8)
    h, w = layout.tile_height, layout.tile_width
    for k in range(layout.channels):
        y, x = layout.tile_origin(k)
        if layout.kind == "maps":
            picture[y : y + h, x : x + w] = normalise(arr[..., k])
        else:
            picture[y : y + h, x : x + w] = line_image(arr[:, k], h, w)
    return picture


def bar_image(values: np.ndarray, layout: GridLayout | None = None) -> np.ndarray:
    """A bar chart (uint8) of a vector: white bars from a grey zero line on black."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float32).reshape(-1))
    layout = layout or grid_layout(v)
    height, (_, width) = layout.tile_height, layout.shape
    picture = np.zeros((height, width), np.uint8)
    lo, hi = min(0.0, float(v.min())), max(0.0, float(v.max()))
    span = hi - lo or 1.0
    zero = int(round((hi / span) * (height - 1)))  # the row of the value 0
    for k, value in enumerate(v):
        _, x = layout.tile_origin(k)
        top = int(round(((hi - value) / span) * (height - 1)))
        a, b = sorted((top, zero))
        picture[a : b + 1, x : x + layout.tile_width] = 255
    picture[zero, :] = np.maximum(picture[zero, :], ZERO_GREY)
    return picture


def line_image(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """A line plot (uint8, white on dark grey) of ``values`` over ``width`` pixels."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float32).reshape(-1))
    picture = np.full((height, width), 32, np.uint8)
    if v.size == 0:
        return picture
    xs = np.linspace(0, v.size - 1, width)
    sampled = np.interp(xs, np.arange(v.size), v) if v.size > 1 else np.full(width, v[0])
    lo, hi = float(v.min()), float(v.max())
    if lo <= 0.0 <= hi and hi > lo:
        picture[int(round((hi / (hi - lo)) * (height - 1))), :] = ZERO_GREY
    rows = (
        np.full(width, height // 2)
        if hi <= lo
        else np.round((hi - sampled) / (hi - lo) * (height - 1)).astype(int)
    )
    previous = rows[0]
    for x, row in enumerate(rows):  # a vertical run joins neighbours: the line has no gaps
        a, b = sorted((int(previous), int(row)))
        picture[a : b + 1, x] = 255
        previous = row
    return picture


def channel_image(maps: np.ndarray, channel: int, size: int = 256) -> np.ndarray:
    """Channel ``channel`` drawn large (uint8): the map scaled to its range, the sequence
    channel as a line ``size`` wide, or for a vector the whole bar chart."""
    arr = as_channels(maps)
    if not 0 <= channel < arr.shape[-1]:
        raise ActivationError(f"Expected a channel in 0..{arr.shape[-1] - 1}, received {channel}")
    if arr.ndim == 3:
        return normalise(arr[..., channel])
    if arr.ndim == 2:
        return line_image(arr[:, channel], max(LINE_HEIGHT, size // 2), size)
    return bar_image(arr)


def channel_range(maps: np.ndarray, channel: int) -> tuple[float, float]:
    """(minimum, maximum) of one channel (for a vector: the unit's value twice)."""
    arr = as_channels(maps)
    values = arr[..., channel]
    return float(np.min(values)), float(np.max(values))


def describe(maps: np.ndarray) -> str:
    """One line about an output: its shape and what the picture shows."""
    arr = as_channels(maps)
    shape = "x".join(str(d) for d in np.shape(maps))
    if arr.ndim == 3:
        return f"{arr.shape[-1]} feature maps of {arr.shape[0]}x{arr.shape[1]} (output {shape})"
    if arr.ndim == 2:
        return f"{arr.shape[-1]} channels over {arr.shape[0]} steps (output {shape})"
    return f"{arr.shape[0]} units (output {shape})"
