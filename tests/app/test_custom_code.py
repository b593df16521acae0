"""Custom layer code: running a user's file, the message for unknown classes, projects that
remember their code by path. Models are saved in a subprocess, so their class is registered
in this process only when a test loads its code (and is forgotten after each test)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from designer.app.custom_code import (
    CustomCodeConsentError,
    CustomCodeError,
    UnknownClassesError,
    is_loaded,
    load_custom_code,
    unknown_classes,
)
from designer.app.files import open_path
from designer.app.project import load_project, project_bytes, save_project

LAYER_CODE = '''"""A custom layer, as a user writes one."""
import keras


@keras.saving.register_keras_serializable(package="{package}")
class Scale(keras.layers.Layer):
    """Multiplies its input by a factor."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {{**super().get_config(), "factor": self.factor}}
'''

SAVE_SCRIPT = """
import importlib.util, sys
import keras
spec = importlib.util.spec_from_file_location("user_layers", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
inputs = keras.Input((4,), name="x")
hidden = keras.layers.Dense(3, name="dense")(inputs)
model = keras.Model(inputs, module.Scale(3.0, name="scale")(hidden), name="custom")
for out in sys.argv[2:]:
    model.save(out)
"""


def make_custom_model(folder: Path, suffixes: tuple[str, ...] = (".keras",)) -> dict:
    """layers.py (a registered Layer under a package of its own) and models using it, saved
    in a fresh process: {"code", "models", "name" (the registered name), "package"}."""
    package = f"ndtest{uuid.uuid4().hex[:10]}"
    code = folder / "layers.py"
    code.write_text(LAYER_CODE.format(package=package))
    models = [folder / f"model{suffix}" for suffix in suffixes]
    subprocess.run(
        [sys.executable, "-c", SAVE_SCRIPT, str(code), *map(str, models)],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return {"code": code, "models": models, "name": f"{package}>Scale", "package": package}


def write_custom_project(folder: Path) -> dict:
    """layers.py under a package never seen in this process, and project.json (written by
    hand) whose network uses its layer and which lists the file: {"code", "project", "name"}."""
    package = f"ndtest{uuid.uuid4().hex[:10]}"
    code = folder / "layers.py"
    code.write_text(LAYER_CODE.format(package=package))
    nodes = [
        {"id": "n1", "type": "Input", "name": "x", "params": {"shape": [4]}, "pos": [0, 0]},
        {
            "id": "n2",
            "type": f"{package}>Scale",
            "name": "scale",
            "params": {"factor": 3.0},
            "pos": [0, 140],
        },
    ]
    payload = {
        "format": "network-designer-project",
        "version": 2,
        "name": "custom",
        "graph": {"name": "custom", "nodes": nodes, "links": [["n1", "n2", 0, 0]], "outputs": []},
        "custom_code": {"files": ["layers.py"]},
    }
    project = folder / "custom.json"
    project.write_text(json.dumps(payload))
    return {"code": code, "project": project, "name": f"{package}>Scale"}


@pytest.fixture(scope="module")
def custom(tmp_path_factory) -> dict:
    return make_custom_model(tmp_path_factory.mktemp("custom"), (".keras", ".h5"))


pytestmark = pytest.mark.usefixtures("forget_loaded_code")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_model_without_its_code_names_the_classes_and_the_option(custom, suffix) -> None:
    model = next(m for m in custom["models"] if m.suffix == suffix)
    with pytest.raises(UnknownClassesError) as caught:
        open_path(model)
    message = str(caught.value)
    assert custom["name"] in message and "damaged" not in message
    assert "--custom-objects FILE.py" in message
    assert "File > Load Custom Layer Code" in message
    assert caught.value.classes == [custom["name"]]


def test_loading_the_code_registers_its_classes_once(custom) -> None:
    code = load_custom_code(custom["code"])
    assert code.registered == (custom["name"],) and code.classes == ("Scale",)
    assert code.names == [custom["name"]]
    assert is_loaded(custom["code"])
    assert load_custom_code(custom["code"]) is code  # the same path again: nothing runs


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_with_its_code_the_model_opens_and_its_project_lists_the_file(custom, suffix) -> None:
    load_custom_code(custom["code"])
    model = next(m for m in custom["models"] if m.suffix == suffix)
    project = open_path(model)
    assert custom["name"] in [node.type for node in project.graph.nodes]
    assert project.settings.custom_code.files == (str(custom["code"]),)


def test_a_saved_project_lists_its_code_relative_and_reloads_equal(custom, tmp_path) -> None:
    load_custom_code(custom["code"])
    project = open_path(custom["models"][0])
    saved = save_project(project, custom["code"].parent / f"{tmp_path.name}.ndproj")
    data = json.loads(zipfile.ZipFile(saved).read("project.json"))
    assert data["custom_code"] == {"files": ["layers.py"]}  # beside the project: relative
    again = load_project(saved)
    assert again.settings == project.settings
    assert again.graph.to_dict() == project.graph.to_dict()
    elsewhere = save_project(project, tmp_path / "elsewhere.ndproj")  # outside: absolute
    data = json.loads(zipfile.ZipFile(elsewhere).read("project.json"))
    assert data["custom_code"] == {"files": [str(custom["code"])]}
    assert load_project(elsewhere).settings == project.settings


def test_a_project_without_code_is_written_as_before() -> None:
    from designer.app.project import Project

    with zipfile.ZipFile(io.BytesIO(project_bytes(Project()))) as archive:
        assert "custom_code" not in json.loads(archive.read("project.json"))


def test_a_projects_listed_code_runs_only_with_consent(tmp_path) -> None:
    made = write_custom_project(tmp_path)
    with pytest.raises(CustomCodeConsentError) as refused:
        load_project(made["project"])
    assert str(made["code"]) in str(refused.value) and "--trust-custom-code" in str(refused.value)
    assert refused.value.files == [made["code"]]
    with pytest.raises(UnknownClassesError) as unknown:
        load_project(made["project"], trust_code=False)  # not run: it needs the code
    assert f"not loaded: {made['name']}" in str(unknown.value)
    assert "--custom-objects FILE.py" in str(unknown.value)
    assert not is_loaded(made["code"])
    project = load_project(made["project"], trust_code=True)
    assert is_loaded(made["code"]) and [n.type for n in project.graph.nodes][1] == made["name"]
    assert project.settings.custom_code.files == (str(made["code"]),)


def test_a_syntax_error_names_the_file_and_line_and_registers_nothing(tmp_path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import keras\n\nclass Oops(keras.layers.Layer)\n    pass\n")
    with pytest.raises(CustomCodeError) as caught:
        load_custom_code(broken)
    assert str(broken) in str(caught.value) and "line 3" in str(caught.value)
    assert "SyntaxError" in str(caught.value)
    assert not is_loaded(broken)


def test_an_error_at_import_undoes_what_the_file_registered(tmp_path) -> None:
    import keras

    package = f"ndtest{uuid.uuid4().hex[:10]}"
    failing = tmp_path / "failing.py"
    text = LAYER_CODE.format(package=package) + "\nRATE = 1 / 0\n"
    failing.write_text(text)
    with pytest.raises(CustomCodeError) as caught:
        load_custom_code(failing)
    message = str(caught.value)
    assert (
        "ZeroDivisionError" in message
        and f"line {text.count(chr(10))}" in message
        and str(failing) in message
    )
    assert f"{package}>Scale" not in keras.saving.get_custom_objects()
    assert not is_loaded(failing)


def test_files_that_are_not_python_code_are_refused(tmp_path) -> None:
    with pytest.raises(CustomCodeError, match="does not exist"):
        load_custom_code(tmp_path / "absent.py")
    (tmp_path / "notes.txt").write_text("x = 1\n")
    with pytest.raises(CustomCodeError, match=r"expected a Python file \(\.py\)"):
        load_custom_code(tmp_path / "notes.txt")


def test_unknown_classes_ignores_keras_own_and_finds_custom_ones() -> None:
    builtin = {
        "module": "keras.layers",
        "class_name": "Dense",
        "registered_name": None,
        "config": {"kernel_initializer": {"module": "keras.initializers", "class_name": "Zeros"}},
    }
    assert unknown_classes({"class_name": "Functional", "config": {"layers": [builtin]}}) == []
    custom_layer = {
        "module": "corpus",
        "class_name": "Sampling",
        "registered_name": "corpus>Sampling",
    }
    unregistered = {"module": "__main__", "class_name": "Block", "registered_name": "Block"}
    legacy = [{"class_name": "Dense", "config": {}}, {"class_name": "corpus>Masked", "config": {}}]
    compiled = {
        "compile_config": {"loss": {"module": "x", "class_name": "L", "registered_name": "x>L"}}
    }
    config = {"layers": [custom_layer, unregistered, *legacy], **compiled}
    assert sorted(unknown_classes(config)) == ["__main__.Block", "corpus>Masked", "corpus>Sampling"]


def test_a_legacy_h5_with_a_plain_unknown_class_name_names_it(custom, tmp_path) -> None:
    import shutil

    import h5py

    legacy = tmp_path / "legacy.h5"
    shutil.copy(next(m for m in custom["models"] if m.suffix == ".h5"), legacy)
    with h5py.File(legacy, "r+") as h5:  # as tf.keras wrote an unregistered class: no package
        config = h5.attrs["model_config"]
        text = config.decode() if isinstance(config, bytes) else str(config)
        h5.attrs["model_config"] = text.replace(custom["name"], "PlainScale")
    with pytest.raises(UnknownClassesError, match="not loaded: PlainScale"):
        open_path(legacy)


def test_unregistered_keras_classes_of_the_file_are_recorded_too(tmp_path) -> None:
    plain = tmp_path / "plain.py"
    plain.write_text(
        "import keras\n\n\nclass Twice(keras.layers.Layer):\n    def call(self, x):\n"
        "        return 2 * x\n\n\nclass NotKeras:\n    pass\n"
    )
    code = load_custom_code(plain)
    assert code.registered == () and code.classes == ("Twice",) and code.names == ["Twice"]
    assert code.objects["Twice"].__name__ == "Twice"
