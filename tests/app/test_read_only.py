"""Models the designer cannot represent open read-only instead of being refused: custom classes
whose code is not loaded (the network from the file's configuration), subclassed models and
subclassed parts (one block each). Such a network is analysed with the true totals, refused for
editing, saving and building with a message naming the part, and exported from the original.

Models are saved in a fresh process, so their classes are known here only when a test loads
their code (and forgotten after each test)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.app.custom_code import (
    UnknownClassesError,
    load_custom_code,
)
from designer.app.export_job import network_to_export
from designer.app.files import open_path
from designer.app.project import ProjectError, save_project
from designer.cli.main import main as cli_main
from designer.core.analysis import analyze
from designer.core.build import BuildError, ImportModelError, build_model, graph_from_model
from designer.core.unrepresented import UNREPRESENTED, unrepresented_nodes
from designer.export.report import ExportError

CODE = '''"""Custom classes, as a user writes them."""
import keras


@keras.saving.register_keras_serializable(package="{package}")
class Mix(keras.layers.Layer):
    """A learned linear map, doubled."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, shape):
        self.kernel = self.add_weight(shape=(shape[-1], self.units))

    def call(self, x):
        return 2.0 * (x @ self.kernel)

    def get_config(self):
        return {{**super().get_config(), "units": self.units}}


@keras.saving.register_keras_serializable(package="{package}")
class Penalty(keras.regularizers.Regularizer):
    """A custom regulariser: a custom object inside a Keras layer's settings."""

    def __call__(self, weights):
        return 0.01 * keras.ops.sum(keras.ops.abs(weights))

    def get_config(self):
        return {{}}


@keras.saving.register_keras_serializable(package="{package}")
class Tower(keras.Model):
    """A subclassed model: its graph is Python code, not data."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(6, activation="relu")
        self.head = keras.layers.Dense(2)

    def call(self, x):
        return self.head(self.hidden(x))
'''

SAVE = """
import importlib.util, json, sys
import numpy as np
import keras
spec = importlib.util.spec_from_file_location("user_code", sys.argv[1])
code = importlib.util.module_from_spec(spec)
spec.loader.exec_module(code)
folder = sys.argv[2]
x = keras.Input((4,), name="x")
h = keras.layers.Dense(5, name="d1", kernel_regularizer=code.Penalty())(x)
mix = code.Mix(3, name="mix")
a, b = mix(h), mix(keras.layers.Dense(5, name="d2")(h))  # shared: one set of weights
sub_in = keras.Input((3,))
inner = keras.layers.Dense(3, name="inner")(sub_in)
sub = keras.Model(sub_in, code.Mix(3, name="inner_mix")(inner), name="sub")  # a nested block
wide = code.Mix(4, name="mix4")(h)  # the same class on the same input: another output
joined = keras.layers.Concatenate(name="join")([sub(a), b, wide])
custom = keras.Model(x, keras.layers.Dense(2, name="out")(joined), name="custom")
custom.save(f"{folder}/custom.keras")
tower = code.Tower(name="tower")
tower(np.zeros((1, 4), "float32"))
tower.save(f"{folder}/tower.keras")
json.dump({"custom": custom.count_params(), "tower": tower.count_params()},
          open(f"{folder}/counts.json", "w"))
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("read-only")
    package = f"ndro{uuid.uuid4().hex[:10]}"
    code = folder / "user_code.py"
    code.write_text(CODE.format(package=package))
    subprocess.run(
        [sys.executable, "-c", SAVE, str(code), str(folder)],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    counts = json.loads((folder / "counts.json").read_text())
    return {"folder": folder, "code": code, "package": package, "counts": counts}


pytestmark = pytest.mark.usefixtures("forget_loaded_code")


# ----------------------------------------------------------------- custom classes not loaded
def test_a_model_without_its_code_opens_read_only_from_its_configuration(made) -> None:
    path = made["folder"] / "custom.keras"
    with pytest.raises(UnknownClassesError):
        open_path(path)  # strict callers (train) still refuse
    project = open_path(path, read_only_ok=True)
    name = f"{made['package']}>Mix"
    assert project.read_only and f"'mix' ({name})" in project.read_only
    assert "its class is not loaded" in project.read_only
    assert "--custom-objects FILE.py" in project.read_only
    graph = project.graph
    blocks = [node for node in graph.nodes if node.type == UNREPRESENTED]
    assert sorted(b.name for b in blocks) == ["d1", "mix", "mix4", "mix_call"]  # shared too
    assert f"'d1' (Dense): its settings use {made['package']}>Penalty" in project.read_only
    assert "'sub/inner_mix'" in project.read_only  # blocks inside groups are listed too
    blocks = [graph.find("mix"), graph.find("mix_call")]
    assert blocks[1].shared_with == blocks[0].id and blocks[0].label == "Mix"
    assert graph.find("sub").type == "Model"  # the nested functional model is a group
    nested = graph.find("sub").subgraph
    assert nested is not None and nested.find("inner_mix").type == UNREPRESENTED
    report = analyze(graph)
    assert report.ok, [i.message for i in report.errors]
    assert report.total_params == made["counts"]["custom"]  # Mix's weights read from the file
    assert report.nodes[graph.find("mix").id].shapes == [(None, 3)]
    assert report.nodes[graph.find("mix4").id].shapes == [(None, 4)]  # not mix's result
    assert report.nodes[graph.find("out").id].shapes == [(None, 2)]


def test_a_read_only_network_is_not_saved_built_or_exported_without_its_code(
    made, tmp_path
) -> None:
    project = open_path(made["folder"] / "custom.keras", read_only_ok=True)
    with pytest.raises(ProjectError, match="cannot be saved as a project"):
        save_project(project, tmp_path / "x.ndproj")
    assert not (tmp_path / "x.ndproj").exists()
    with pytest.raises(BuildError, match="cannot be rebuilt: 'mix'"):
        build_model(project.graph)
    with pytest.raises(ExportError, match="custom classes that are not loaded"):
        network_to_export(project.graph, project.source_model)


def test_with_its_code_the_same_file_opens_editable_with_equal_totals(made) -> None:
    load_custom_code(made["code"])
    project = open_path(made["folder"] / "custom.keras", read_only_ok=True)
    assert project.read_only is None
    assert analyze(project.graph).total_params == made["counts"]["custom"]


def test_the_cli_analyses_a_model_without_its_code_and_says_it_is_read_only(made, capsys) -> None:
    path = made["folder"] / "custom.keras"
    assert cli_main(["analyze", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == made["counts"]["custom"]
    assert "its class is not loaded" in data["read_only"]
    assert cli_main(["export", str(path), "--format", "onnx", "--out", "/nonexistent/x"]) != 0
    assert "custom classes that are not loaded" in capsys.readouterr().err


# ----------------------------------------------------------------- subclassed models
def test_a_subclassed_model_opens_as_one_block_with_its_inputs_and_totals(made) -> None:
    load_custom_code(made["code"])
    project = open_path(made["folder"] / "tower.keras", read_only_ok=True)
    assert "is a subclassed Tower" in project.read_only
    assert "write it as a functional model" in project.read_only
    graph = project.graph
    assert [node.type for node in graph.nodes] == ["Input", UNREPRESENTED]
    report = analyze(graph)
    assert report.ok and report.total_params == made["counts"]["tower"]
    assert report.nodes[graph.nodes[1].id].shapes == [(None, 2)]
    with pytest.raises(ProjectError, match="subclassed"):
        open_path(made["folder"] / "tower.keras")  # strict: refused as before


def test_a_subclassed_model_is_exported_from_its_file_and_checked(made, tmp_path) -> None:
    load_custom_code(made["code"])
    project = open_path(made["folder"] / "tower.keras", read_only_ok=True)
    model, note = network_to_export(project.graph, project.source_model)
    assert "itself: the network is read-only" in note
    sample = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    original = keras.saving.load_model(made["folder"] / "tower.keras")
    np.testing.assert_allclose(
        model.predict(sample, verbose=0), original.predict(sample, verbose=0)
    )
    out = tmp_path / "tower.onnx"
    code = str(made["code"])
    argv = ["export", str(made["folder"] / "tower.keras"), "--custom-objects", code]
    assert cli_main([*argv, "--format", "onnx", "--out", str(out)]) == 0
    assert out.stat().st_size > 0


@keras.saving.register_keras_serializable(package="ndtest_read_only")
class _Branch(keras.Model):
    """A subclassed part inside a functional model."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(4)

    def call(self, x):
        return self.dense(x) * 0.5


def test_a_subclassed_part_of_a_functional_model_is_one_block_in_an_otherwise_full_graph():
    x = keras.Input((6,), name="x")
    branch = _Branch(name="branch")
    y = keras.layers.Dense(3, name="head")(branch(keras.layers.Dense(5, name="stem")(x)))
    model = keras.Model(x, y)
    with pytest.raises(ImportModelError, match="subclassed _Branch"):
        graph_from_model(model)
    graph = graph_from_model(model, allow_unrepresented=True)
    assert [n.type for n in graph.nodes] == ["Input", "Dense", UNREPRESENTED, "Dense"]
    assert [path for path, _node in unrepresented_nodes(graph)] == ["branch"]
    report = analyze(graph)
    assert report.ok and report.total_params == model.count_params()
    assert graph.find("branch").input_range == (1, 1)  # exactly the ports its call had
    with pytest.raises(BuildError, match="cannot be rebuilt: 'branch'"):
        build_model(graph)


# ----------------------------------------------------------------- damaged configurations
def _mutate(value, path: list[int], replacement):
    """``value`` with the item reached by ``path`` (indexes into dict values / list items,
    taken modulo their length) replaced."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
    key, item = items[path[0] % len(items)]
    changed = _mutate(item, path[1:], replacement)
    if isinstance(value, dict):
        return {**value, key: changed}
    return [changed if i == key else v for i, v in enumerate(value)]


JUNK = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.text(max_size=4),
    st.lists(st.integers(0, 2), max_size=3),
    st.dictionaries(st.sampled_from(["class_name", "config", "name"]), st.text(max_size=3)),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.lists(st.integers(0, 40), min_size=1, max_size=7), junk=JUNK)
def test_a_damaged_configuration_opens_read_only_or_is_refused_cleanly(
    made, tmp_path_factory, path, junk
) -> None:
    source = made["folder"] / "custom.keras"
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = _mutate(json.loads(members["config.json"]), path, junk)
    members["config.json"] = json.dumps(config).encode()
    target = tmp_path_factory.mktemp("damaged") / "custom.keras"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    try:
        project = open_path(target, read_only_ok=True)
    except ProjectError as exc:
        assert str(exc)  # refused with a message, never another exception
        return
    analyze(project.graph)  # what opened can be analysed
    assert project.read_only or not unrepresented_nodes(project.graph)


def test_the_export_job_of_a_read_only_network_writes_the_original(made, tmp_path) -> None:
    from designer.app.export_job import ExportRequest, run_export
    from designer.core.progress import ProgressReporter
    from designer.training.options import TrainingOptions

    load_custom_code(made["code"])
    project = open_path(made["folder"] / "tower.keras", read_only_ok=True)
    request = ExportRequest("keras", str(tmp_path / "again.keras"))
    outcome = run_export(
        request, project.graph, TrainingOptions(), ProgressReporter(), source=project.source_model
    )
    assert not outcome.failure and outcome.report.passed
    assert any("read-only" in warning for warning in outcome.report.warnings)
    again = keras.saving.load_model(tmp_path / "again.keras")
    assert again.count_params() == made["counts"]["tower"]


# ----------------------------------------------------------------- project files
def test_a_project_whose_code_is_missing_opens_read_only_and_the_file_is_untouched(
    tmp_path,
) -> None:
    from tests.app.test_custom_code import write_custom_project

    made = write_custom_project(tmp_path)
    made["code"].unlink()  # the listed file moved away: its class cannot be loaded
    before = made["project"].read_bytes()
    with pytest.raises(UnknownClassesError):
        open_path(made["project"], trust_code=False)
    project = open_path(made["project"], trust_code=False, read_only_ok=True)
    assert project.read_only and f"'scale' ({made['name']})" in project.read_only
    block = project.graph.find("scale")
    assert block.type == UNREPRESENTED and block.input_range == (1, 1)
    assert [link.src for link in project.graph.inputs_of(block.id)] == ["n1"]
    assert project.path is None  # Save never writes over the project it came from
    with pytest.raises(ProjectError, match="cannot be saved"):
        save_project(project, made["project"])
    assert made["project"].read_bytes() == before


PLAIN = st.recursive(
    st.none() | st.integers(-2, 5) | st.text(max_size=3) | st.sampled_from(["n1", "x>Y"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(
    nodes=st.lists(
        st.fixed_dictionaries(
            {"id": st.sampled_from(["n1", "n2"]), "type": st.sampled_from(["Dense", "x>Y"])},
            optional={"params": PLAIN, "name": PLAIN, "pos": PLAIN, "subgraph": PLAIN},
        )
        | PLAIN,
        max_size=4,
    ),
    links=PLAIN,
)
def test_stand_ins_take_any_network_data_and_replace_only_unknown_layers(nodes, links) -> None:
    from designer.core.unrepresented import stand_in_graph

    data = {"nodes": nodes, "links": links}
    changed = stand_in_graph(data, {"x>Y"}, "not loaded")
    assert len(changed["nodes"]) == len(nodes)
    for old, new in zip(nodes, changed["nodes"], strict=True):
        if not isinstance(old, dict):
            assert new == old  # not a layer: left for the reader to refuse
        elif old.get("type") == "x>Y":
            assert new["type"] == UNREPRESENTED and new["id"] == old["id"]
        elif '"x>Y"' not in json.dumps(old.get("params"), default=str):
            assert new.get("type") == old.get("type")  # a layer Keras knows stays itself


@keras.saving.register_keras_serializable(package="ndtest_read_only")
class _Scaled(keras.layers.Layer):
    """Called with an argument no template keeps (a Fraction)."""

    def call(self, x, factor=None):
        return x * float(factor)


def test_a_call_no_template_keeps_is_one_block_naming_the_construct() -> None:
    from fractions import Fraction

    x = keras.Input((3,), name="x")
    y = keras.layers.Dense(2, name="head")(_Scaled(name="scaled")(x, factor=Fraction(1, 2)))
    model = keras.Model(x, y)
    with pytest.raises(ImportModelError, match="'scaled' cannot be kept as it is called"):
        graph_from_model(model)
    graph = graph_from_model(model, allow_unrepresented=True)
    block = graph.find("scaled")
    assert block.type == UNREPRESENTED and "pass it tensors, lists" in block.params["reason"]
    report = analyze(graph)
    assert report.ok and report.nodes[graph.find("head").id].shapes == [(None, 2)]
    assert report.total_params == model.count_params()
