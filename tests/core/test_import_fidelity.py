"""Import fidelity (issue 17): models written after the Keras examples survive import, rebuild
and a project file with their parameter counts, output structure and names, and outputs within
1e-5; the round-trip check names the first layer whose output differs.

One small real model per failure class: structured call arguments (GetItem with slices, an LSTM
decoder with ``initial_state``), a shared sub-model (siamese towers), outputs per tensor (an
LSTM's states, a VAE encoder, dict inputs and outputs), adapted preprocessing layers, attention
layers and a small Vision Transformer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import layers, ops

from designer.app.files import open_path, round_trip_notes
from designer.app.project import Project, load_project, save_project
from designer.core.analysis import analyze
from designer.core.build import build_model, graph_from_model
from designer.core.errors import GraphError
from designer.core.fidelity import compare_round_trip, first_difference, sample_inputs
from designer.core.graph import LayerGraph
from designer.core.groups import expand_group


# ----------------------------------------------------------------------------- custom layers
@keras.saving.register_keras_serializable("fidelity_tests")
class Sampling(layers.Layer):
    """The VAE example's sampling layer, without noise (outputs must be comparable)."""

    def call(self, inputs: Any) -> Any:
        mean, log_var = inputs
        return mean + ops.exp(0.5 * log_var)


@keras.saving.register_keras_serializable("fidelity_tests")
class Patches(layers.Layer):
    """The ViT example's patch extraction (keras.ops.image.extract_patches)."""

    def __init__(self, patch_size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images: Any) -> Any:
        patches = ops.image.extract_patches(images, size=self.patch_size)
        size = ops.shape(patches)
        return ops.reshape(patches, (size[0], -1, size[-1]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "patch_size": self.patch_size}


@keras.saving.register_keras_serializable("fidelity_tests")
class PatchEncoder(layers.Layer):
    """The ViT example's patch encoder: a projection plus a position embedding (ops.arange)."""

    def __init__(self, num_patches: int, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_patches, self.projection_dim = num_patches, projection_dim
        self.projection = layers.Dense(projection_dim)
        self.position_embedding = layers.Embedding(num_patches, projection_dim)

    def call(self, patch: Any) -> Any:
        positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
        return self.projection(patch) + self.position_embedding(positions)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {**config, "num_patches": self.num_patches, "projection_dim": self.projection_dim}


# ----------------------------------------------------------------------------- the models
def getitem_model() -> keras.Model:
    x = keras.Input((4, 3))
    first = x[:, 0]
    middle = layers.Flatten()(x[..., 1:3])
    return keras.Model(x, layers.Concatenate()([layers.Dense(2)(first), middle]), name="slices")


def seq2seq_model() -> keras.Model:
    encoder_in, decoder_in = keras.Input((5, 3), name="enc"), keras.Input((4, 2), name="dec")
    _, h, c = layers.LSTM(6, return_state=True, name="encoder")(encoder_in)
    decoded = layers.LSTM(6, return_sequences=True, name="decoder")(
        decoder_in, initial_state=[h, c]
    )
    return keras.Model([encoder_in, decoder_in], layers.Dense(3)(decoded), name="seq2seq")


def siamese_model() -> keras.Model:
    tower_in = keras.Input((5,))
    hidden = layers.Dense(8, activation="relu")(tower_in)
    tower = keras.Model(tower_in, layers.Dense(4)(hidden), name="tower")
    left, right = keras.Input((5,), name="left"), keras.Input((5,), name="right")
    distance = layers.Subtract()([tower(left), tower(right)])
    return keras.Model([left, right], layers.Dense(1)(distance), name="siamese")


def lstm_states_model() -> keras.Model:
    x = keras.Input((5, 3))
    sequence, h, _c = layers.LSTM(4, return_sequences=True, return_state=True)(x)
    return keras.Model(x, [layers.Dense(2)(h), sequence], name="states")  # c is not an output


def vae_encoder_model() -> keras.Model:
    x = keras.Input((6,))
    hidden = layers.Dense(8, activation="relu")(x)
    mean, log_var = (
        layers.Dense(2, name="z_mean")(hidden),
        layers.Dense(2, name="z_log_var")(hidden),
    )
    return keras.Model(x, [mean, log_var, Sampling()([mean, log_var])], name="encoder")


def dict_model() -> keras.Model:
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    joined = layers.Concatenate()([a, b])
    outputs = {"score": layers.Dense(1, name="score")(joined), "code": layers.Dense(2)(joined)}
    return keras.Model({"a": a, "b": b}, outputs, name="dicts")


def preprocessing_model() -> keras.Model:
    rng = np.random.default_rng(0)
    norm = layers.Normalization()
    norm.adapt(rng.random((20, 3)) * 10 + 5)
    bins = layers.Discretization(num_bins=4, output_mode="one_hot")
    bins.adapt(rng.random((50, 1)))
    words = layers.StringLookup(output_mode="one_hot")
    words.adapt(np.array([["cat"], ["dog"], ["cat"], ["bird"]]))
    numbers, text, value = keras.Input((3,)), keras.Input((1,), dtype="string"), keras.Input((1,))
    joined = layers.Concatenate()([norm(numbers), words(text), bins(value)])
    return keras.Model([numbers, text, value], layers.Dense(2)(joined), name="preprocessing")


def attention_model() -> keras.Model:
    query, value = keras.Input((4, 8), name="query"), keras.Input((6, 8), name="value")
    cross = layers.MultiHeadAttention(2, 4)(query, value, value)
    dot, scores = layers.Attention(use_scale=True)([query, value], return_attention_scores=True)
    additive = layers.AdditiveAttention()([query, value, value])
    causal = layers.MultiHeadAttention(2, 4)(query, query, use_causal_mask=True)
    return keras.Model([query, value], [cross, dot, additive, causal, scores], name="attention")


def vit_model() -> keras.Model:
    images = keras.Input((8, 8, 3))
    norm = layers.Normalization()
    norm.adapt(np.random.default_rng(1).random((10, 8, 8, 3)) * 3 + 1)
    encoded = PatchEncoder(4, 8)(Patches(4)(norm(images)))
    for _ in range(2):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded)
        attended = layers.MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1)(x1, x1)
        x2 = layers.Add()([attended, encoded])
        x3 = layers.Dense(8, activation="gelu")(layers.LayerNormalization(epsilon=1e-6)(x2))
        encoded = layers.Add()([x3, x2])
    features = layers.Flatten()(layers.LayerNormalization(epsilon=1e-6)(encoded))
    return keras.Model(images, layers.Dense(3)(features), name="vit")


def _samples(model: keras.Model) -> Any:
    """Random inputs; text inputs get words of the vocabulary (and one unknown)."""
    inputs = sample_inputs(model, batch=2)
    if model.name == "preprocessing":
        inputs[1] = np.array([["cat"], ["fish"]], dtype=object)
    return inputs


MODELS = [
    getitem_model,
    seq2seq_model,
    siamese_model,
    lstm_states_model,
    vae_encoder_model,
    dict_model,
    preprocessing_model,
    attention_model,
    vit_model,
]


def _assert_same(original: keras.Model, rebuilt: keras.Model) -> None:
    assert rebuilt.count_params() == original.count_params()
    report = compare_round_trip(original, rebuilt, _samples(original))
    assert report.ok and not report.skipped, report.message
    assert report.error <= 1e-5
    assert len(rebuilt.outputs) == len(original.outputs)
    assert rebuilt.output_names == original.output_names


@pytest.fixture(autouse=True)
def _seed() -> None:
    keras.utils.set_random_seed(7)


@pytest.mark.parametrize("make", MODELS, ids=lambda f: f.__name__)
def test_round_trip_and_project_file(make: Any, tmp_path: Path) -> None:
    original = make()
    graph = graph_from_model(original)
    assert analyze(graph).ok
    _assert_same(original, build_model(graph))
    path = save_project(Project(graph=graph, name=original.name), tmp_path / "model.ndproj")
    loaded = load_project(path)
    assert loaded.graph == graph
    assert not [note for note in loaded.import_notes if "weights" in note]
    _assert_same(original, build_model(loaded.graph))


# ----------------------------------------------------------------------------- per class
def test_slices_are_kept_as_structures() -> None:
    graph = graph_from_model(getitem_model())
    calls = [n.call_args for n in graph.nodes if n.type == "keras.ops:get_item"]
    assert {
        "args": [{"port": 0}, {"tuple": [{"slice": [None, None, None]}, 0]}],
        "kwargs": {},
    } in calls
    assert any(c and c["args"][1]["tuple"][0] == {"ellipsis": True} for c in calls)
    assert graph == LayerGraph.from_dict(graph.to_dict())


_INDEX = st.one_of(
    st.integers(-3, 2),
    st.builds(
        slice,
        st.none() | st.integers(-3, 3),
        st.none() | st.integers(-3, 3),
        st.none() | st.sampled_from([1, 2, -1]),
    ),
    st.none(),
    st.just(Ellipsis),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.lists(_INDEX, min_size=1, max_size=3).map(tuple))
def test_random_slice_tuples_round_trip(key: tuple) -> None:
    x = keras.Input((4, 3))
    try:
        model = keras.Model(x, layers.Flatten()(x[(slice(None), *key)]))
        expected = model(np.zeros((1, 4, 3), "float32"))
    except Exception:  # an index Keras refuses (too many axes, an empty result)
        return
    graph = LayerGraph.from_dict(graph_from_model(model).to_dict())
    rebuilt = build_model(graph)
    x_value = np.random.default_rng(0).random((2, 4, 3)).astype("float32")
    np.testing.assert_array_equal(rebuilt(x_value), model(x_value))
    assert np.shape(expected)[1:] == tuple(rebuilt.outputs[0].shape[1:])


def test_initial_state_ports_are_named() -> None:
    graph = graph_from_model(seq2seq_model())
    decoder = graph.find("decoder")
    assert decoder is not None and decoder.call_args is not None
    labels = [decoder.input_label(i) for i in range(len(graph.inputs_of(decoder.id)))]
    assert labels == ["input", "initial_state[0]", "initial_state[1]"]
    assert [graph.node(lk.src).name for lk in graph.inputs_of(decoder.id)] == [
        "dec",
        "encoder",
        "encoder",
    ]
    assert analyze(graph).nodes[decoder.id].shape == (None, 4, 6)


def test_a_sub_model_called_twice_is_one_shared_group() -> None:
    graph = graph_from_model(siamese_model())
    towers = [n for n in graph.nodes if n.type == "Model"]
    assert [t.subgraph is not None for t in towers] == [True, False]
    assert towers[1].shared_with == towers[0].id
    rebuilt = build_model(graph)
    assert [layer.name for layer in rebuilt.layers].count("tower") == 1  # one object, two calls
    assert analyze(graph).nodes[towers[1].id].shape == (None, 4)
    with pytest.raises(GraphError, match="called 2 times"):
        expand_group(graph, towers[0].id)


def test_outputs_are_kept_tensor_by_tensor() -> None:
    graph = graph_from_model(lstm_states_model())
    lstm = next(n for n in graph.nodes if n.type == "LSTM")
    dense = next(n for n in graph.nodes if n.type == "Dense")
    assert graph.output_tensors() == [(dense.id, 0), (lstm.id, 0)]
    assert len(build_model(graph).outputs) == 2  # not the LSTM's three
    assert len(build_model(graph_from_model(vae_encoder_model())).outputs) == 3


def test_dict_inputs_and_outputs_keep_their_names() -> None:
    graph = graph_from_model(dict_model())
    rebuilt = build_model(graph)
    result = rebuilt({"a": np.ones((1, 3)), "b": np.ones((1, 2))})
    assert isinstance(result, dict) and sorted(result) == ["code", "score"]
    assert graph.io_structure["inputs"] == {"dict": {"a": {"port": 0}, "b": {"port": 1}}}


def test_adapted_normalization_computes_with_its_mean_and_variance() -> None:
    original = preprocessing_model()
    rebuilt = build_model(graph_from_model(original))
    norm = next(layer for layer in rebuilt.layers if isinstance(layer, layers.Normalization))
    source = next(layer for layer in original.layers if isinstance(layer, layers.Normalization))
    np.testing.assert_allclose(np.asarray(norm.mean), np.asarray(source.mean))
    assert float(np.max(np.abs(np.asarray(norm.mean)))) > 1  # adapted, not the zero default


# ----------------------------------------------------------------------------- the check itself
def test_compare_round_trip_names_the_first_layer_that_differs() -> None:
    original = vit_model()
    rebuilt = build_model(graph_from_model(original))
    target = next(layer for layer in rebuilt.layers if isinstance(layer, layers.LayerNormalization))
    target.gamma.assign(np.asarray(target.gamma) * 1.5)
    report = compare_round_trip(original, rebuilt)
    assert not report.ok and report.error > 1e-5
    assert report.first_layer == target.name
    assert target.name in report.message
    assert first_difference(original, original, sample_inputs(original)) is None


def test_opening_a_model_file_runs_the_round_trip_check(tmp_path: Path) -> None:
    original = vae_encoder_model()
    path = tmp_path / "encoder.keras"
    original.save(path)
    project = open_path(path)
    assert not [note for note in project.import_notes if "Round-trip" in note]
    graph = project.graph
    dense = graph.find("z_log_var")
    assert dense is not None
    arrays = [np.asarray(w) + 1.0 for w in original.get_layer("z_log_var").get_weights()]
    graph.set_weights(dense.id, arrays, dense.weights_sig)
    (note,) = round_trip_notes(original, graph)
    assert "FAILED" in note and "'z_log_var'" in note


def nested_model() -> keras.Model:
    """A sub-model taking a dict and giving an LSTM's states, used by an outer model."""
    sequence, flags = keras.Input((5, 3), name="sequence"), keras.Input((2,), name="flags")
    _, h, c = layers.LSTM(4, return_state=True)(sequence)
    inner = keras.Model(
        {"sequence": sequence, "flags": flags}, [c, layers.Concatenate()([h, flags])]
    )
    outer_sequence, outer_flags = keras.Input((5, 3)), keras.Input((2,))
    c_out, joined = inner({"flags": outer_flags, "sequence": outer_sequence})
    return keras.Model(
        [outer_sequence, outer_flags], layers.Add()([layers.Dense(4)(joined), c_out])
    )


def test_a_nested_model_with_dict_inputs_and_chosen_outputs_expands() -> None:
    original = nested_model()
    graph = graph_from_model(original)
    _assert_same(original, build_model(graph))
    group = next(n for n in graph.nodes if n.type == "Model")
    assert [group.input_label(i) for i in range(2)] == ["input['flags']", "input['sequence']"]
    expand_group(graph, group.id)
    assert not [n for n in graph.nodes if n.type == "Model"]
    _assert_same(original, build_model(graph))


def test_removing_and_restoring_an_output_keeps_its_tensors() -> None:
    graph = graph_from_model(lstm_states_model())
    before = graph.output_tensors()
    lstm = next(n for n in graph.nodes if n.type == "LSTM")
    dense = next(n for n in graph.nodes if n.type == "Dense")
    record = graph.remove(dense.id)
    graph.restore(record)
    assert graph.output_tensors() == before
    old = graph.set_output_order([lstm.id, dense.id])
    assert graph.output_tensors() == [(lstm.id, 0), (dense.id, 0)]
    graph.set_output_order(old)
    assert graph.output_tensors() == before


def test_a_clone_for_training_keeps_an_adapted_normalization() -> None:
    """The trainer's clone (mixed precision, strategies) sets the weights: the adapted
    Normalization must compute with them, not with mean 0 and variance 1."""
    from designer.training.environment import clone_for_training

    norm = keras.layers.Normalization()
    norm.adapt(np.random.default_rng(0).normal(5.0, 3.0, (100, 4)))
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(norm(inputs)))
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(clone_for_training(model, None)(x), model(x), atol=1e-6)
