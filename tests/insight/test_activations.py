"""Feature maps of a layer for one input, their grid picture, and the project's inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image

from designer.app.insight_runs import ActivationSession
from designer.app.project import Project
from designer.core.graph import LayerGraph
from designer.insight.activations import (
    ActivationError,
    ActivationProbe,
    channel_image,
    channel_range,
    feature_maps,
    grid_image,
    grid_layout,
    probe_for,
)


@pytest.fixture(scope="module")
def tiny_cnn():
    """Input 10x10x1 -> Conv2D(6, 3) 'conv' -> pool -> Flatten -> Dense(4) 'head'."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((10, 10, 1), name="image")
    h = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(inp)
    h = keras.layers.MaxPooling2D(name="pool")(h)
    out = keras.layers.Dense(4, name="head")(keras.layers.Flatten(name="flat")(h))
    return keras.Model(inp, out)


def test_conv_maps_have_the_layers_output_shape(tiny_cnn) -> None:
    x = np.random.default_rng(0).random((10, 10, 1), dtype=np.float32)
    maps = feature_maps(tiny_cnn, "conv", x)
    assert maps.shape == tuple(tiny_cnn.get_layer("conv").output.shape[1:]) == (8, 8, 6)
    expected = keras.Model(tiny_cnn.input, tiny_cnn.get_layer("conv").output)(x[None])
    np.testing.assert_allclose(maps, np.asarray(expected)[0], rtol=1e-5, atol=1e-6)
    # a batch of one is accepted too, and the sub-model is built once per layer
    probe = probe_for(tiny_cnn)
    sub = probe.submodel("conv")
    assert feature_maps(tiny_cnn, "conv", x[None]).shape == (8, 8, 6)
    assert probe.submodel("conv") is sub and probe_for(tiny_cnn) is probe


def test_grid_has_one_tile_per_channel(tiny_cnn) -> None:
    maps = feature_maps(tiny_cnn, "conv", np.ones((10, 10, 1), np.float32))
    layout = grid_layout(maps)
    assert (layout.kind, layout.rows, layout.columns) == ("maps", 2, 3)  # ceil(sqrt(6)) = 3
    picture = grid_image(maps)
    assert picture.dtype == np.uint8
    assert picture.shape == layout.shape == (2 * 8 + 1, 3 * 8 + 2)
    assert grid_image(maps, columns=6).shape == (8, 6 * 8 + 5)
    # each tile is its channel scaled to 0..255; padding is white
    for k in range(6):
        y, x = layout.tile_origin(k)
        tile = picture[y : y + 8, x : x + 8]
        channel = maps[..., k]
        if np.ptp(channel) > 0:
            assert tile.min() == 0 and tile.max() == 255
            assert np.argmax(tile) == np.argmax(channel)
        else:
            assert not tile.any()
    assert (picture[8, :] == 255).all()  # the row between the two rows of tiles


def test_tile_at_maps_a_pixel_back_to_its_channel() -> None:
    layout = grid_layout(np.zeros((4, 5, 7)), columns=3)
    assert layout.shape == (3 * 4 + 2, 3 * 5 + 2)
    assert layout.tile_at(0, 0) == 0
    assert layout.tile_at(6, 0) == 1  # x 6 = first pixel of the second column
    assert layout.tile_at(5, 0) is None  # padding
    assert layout.tile_at(0, 5) == 3
    assert layout.tile_at(4, 13) == 6  # third row, first column: channel 6
    assert layout.tile_at(6, 10) is None  # third row, second column: no channel 7
    assert layout.tile_at(-1, 0) is None


def test_vectors_are_bars_and_sequences_lines(tiny_cnn) -> None:
    vec = feature_maps(tiny_cnn, "head", np.ones((10, 10, 1), np.float32))
    assert vec.shape == (4,)
    layout = grid_layout(vec)
    assert (layout.kind, layout.rows, layout.columns) == ("bars", 1, 4)
    bars = grid_image(np.array([1.0, -1.0, 0.5, 0.0]))
    assert bars.shape == layout.shape
    # the first bar rises from the zero line to the top, the second goes down to the bottom
    assert bars[0, :12].all() and not bars[-1, :12].any()
    assert bars[-1, 13:25].all()
    seq = np.stack([np.linspace(0, 1, 20), np.sin(np.linspace(0, 6, 20)), np.zeros(20)], axis=1)
    layout = grid_layout(seq)
    assert (layout.kind, layout.channels, layout.columns) == ("lines", 3, 2)
    lines = grid_image(seq)
    assert lines.shape == layout.shape
    ramp = lines[: layout.tile_height, : layout.tile_width]
    assert ramp[-1, 0] == 255 and ramp[0, -1] == 255  # a ramp: bottom left to top right


def test_enlarged_channel_and_its_range() -> None:
    maps = np.zeros((4, 4, 2), np.float32)
    maps[1, 2, 1] = 3.0
    maps[0, 0, 1] = -1.0
    big = channel_image(maps, 1)
    assert big.shape == (4, 4) and big[1, 2] == 255 and big[0, 0] == 0
    assert channel_range(maps, 1) == (-1.0, 3.0)
    assert channel_image(np.zeros((30, 2)), 0).shape[1] == 256
    with pytest.raises(ActivationError, match="channel"):
        channel_image(maps, 2)


def test_unknown_nested_and_wrong_inputs(tiny_cnn) -> None:
    with pytest.raises(ActivationError, match="'nope'"):
        feature_maps(tiny_cnn, "nope", np.zeros((10, 10, 1)))
    with pytest.raises(ActivationError, match=r"\(10, 10, 1\)"):
        feature_maps(tiny_cnn, "conv", np.zeros((9, 10, 1)))
    inner_in = keras.Input((6, 6, 1))
    inner = keras.Model(
        inner_in, keras.layers.Conv2D(3, 3, name="inner_conv")(inner_in), name="grp"
    )
    outer_in = keras.Input((6, 6, 1))
    outer = keras.Model(outer_in, keras.layers.Dense(2)(keras.layers.Flatten()(inner(outer_in))))
    probe = ActivationProbe(outer)
    with pytest.raises(ActivationError, match="nested network 'grp'"):
        probe.maps("inner_conv", np.zeros((6, 6, 1)))
    # the nested network itself is one layer of the outer one: its output there
    assert probe.maps("grp", np.zeros((6, 6, 1))).shape == (4, 4, 3)


def _digits_graph() -> LayerGraph:
    g = LayerGraph()
    ids = [
        g.add("Input", shape=[16, 16, 1]),
        g.add("Conv2D", filters=4, kernel_size=3, name="c1"),
        g.add("Flatten"),
        g.add("Dense", units=10, activation="softmax", name="out"),
    ]
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return g


def test_session_feeds_project_samples_and_files(tmp_path) -> None:
    project = Project.from_sections(
        _digits_graph(), "act", data={"source": {"kind": "sklearn-digits"}}
    )
    session = ActivationSession(project)
    assert session.layer_names()[1:] == ["c1", "flatten", "out"]
    sample = session.sample(3)
    assert sample.x.shape == (16, 16, 1) and sample.x.dtype == np.float32
    assert sample.x.min() >= 0.0 and sample.x.max() <= 1.0  # resized to the Input, scaled
    assert sample.picture is not None and sample.picture.shape == (16, 16, 1)
    assert sample.caption == "sample 3 of 1797: 3" and sample.count == 1797
    assert session.maps("c1", sample).shape == (14, 14, 4)
    path = tmp_path / "four.png"
    Image.fromarray(np.tile(np.arange(0, 256, 8, dtype=np.uint8), (32, 1)), "L").save(path)
    from_file = session.image_file(path)
    assert from_file.x.shape == (16, 16, 1) and from_file.caption == "four.png"
    # a new session keeps the opened data when the source is the same
    again = ActivationSession(project, reuse=session, keep_model=True)
    assert again.store() is session.store() and again.built
