"""`python main.py transfer`: new head for the data, freeze, train one or two phases, save."""

from __future__ import annotations

import json

import numpy as np
import pytest

from designer.app.project import load_project
from designer.cli import main
from designer.core.weights import weight_arrays
from tests.fixtures import edit_sections


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from designer.zoo import build_model

    path = tmp_path_factory.mktemp("m") / "digits.keras"
    build_model("digits_cnn", weights="pretrained").save(path)
    return path


def weights(project, name):
    return weight_arrays(project.graph.find(name).weights)


def test_two_phase_transfer_to_letters(model_file, tmp_path, capsys):
    from designer.app.files import open_path

    original = open_path(model_file)
    out = tmp_path / "letters.ndproj"
    code = main(
        [
            "transfer",
            str(model_file),
            "--data",
            "synthetic:letters",
            "--samples",
            "160",
            "--freeze-until",
            "conv3",
            "--two-phase",
            "--unfreeze-last",
            "1",
            "--epochs",
            "1",
            "--out",
            str(out),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, summary
    assert summary["classes"] == 26 and summary["head"] == ["new_fc"]
    assert [p["phase"] for p in summary["phases"]] == ["frozen", "fine-tune"]
    saved = load_project(out)
    assert saved.graph.find("new_fc").params["units"] == 26
    assert [n.name for n in saved.graph.nodes if not n.trainable][-1] == "conv3"
    for name in ("conv1", "conv2"):  # frozen in both phases
        for a, b in zip(weights(saved, name), weights(original, name), strict=True):
            np.testing.assert_array_equal(a, b)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(  # fine-tuned in phase 2
            weights(saved, "conv3"), weights(original, "conv3"), strict=True
        )
    )
    assert saved.settings.results.confusion["accuracy"] == summary["validation_accuracy"]


def test_unusable_input_exits_2(model_file, tmp_path, capsys):
    out = str(tmp_path / "x.ndproj")
    assert (
        main(
            [
                "transfer",
                str(model_file),
                "--data",
                "synthetic:letters",
                "--samples",
                "60",
                "--freeze-until",
                "nope",
                "--epochs",
                "1",
                "--out",
                out,
            ]
        )
        == 2
    )
    assert "no layer named 'nope'" in capsys.readouterr().err
    assert (
        main(
            [
                "transfer",
                str(tmp_path / "missing.keras"),
                "--data",
                "synthetic:letters",
                "--out",
                out,
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "transfer",
                str(model_file),
                "--data",
                "synthetic:letters",
                "--out",
                str(tmp_path / "x.keras"),
            ]
        )
        == 2
    )


def test_phase_one_keeps_frozen_weights_bit_identical_and_trains_the_head(model_file):
    from designer.app.files import open_path
    from designer.app.project_run import prepare_run
    from designer.app.transfer_run import finish_transfer, train_phases
    from designer.core.transfer import freeze_until, replace_head
    from designer.data.builtin import SyntheticConfig

    project = open_path(model_file)
    replace_head(project.graph, 26)
    freeze_until(project.graph, project.graph.find("conv3").id)
    edit_sections(
        project,
        data={
            "source": SyntheticConfig(charset="letters", num_samples=120).to_dict(),
            "split": {"validation_percent": 25},
        },
    )
    run = prepare_run(project, 1)
    before = {la.name: [np.array(w) for w in la.get_weights()] for la in run.model.layers}
    phases = train_phases(project, run, False, 1)
    assert [name for name, _ in phases] == ["single"]
    summary = finish_transfer(project, run, phases)
    assert summary["status"] == "finished"
    for name in ("conv1", "conv2", "conv3"):
        for a, b in zip(weights(project, name), before[name], strict=True):
            np.testing.assert_array_equal(a, b)
    for name in ("features", "new_fc"):
        assert any(
            not np.array_equal(a, b)
            for a, b in zip(weights(project, name), before[name], strict=True)
        )


def test_feature_extraction_trains_only_the_head(model_file, tmp_path, capsys):
    from designer.app.files import open_path

    original = open_path(model_file)
    out = tmp_path / "features.ndproj"
    code = main(
        [
            "transfer",
            str(model_file),
            "--data",
            "synthetic:letters",
            "--samples",
            "160",
            "--freeze-until",
            "features",
            "--feature-extraction",
            "--epochs",
            "2",
            "--out",
            str(out),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, summary
    assert [p["phase"] for p in summary["phases"]] == ["features"]
    saved = load_project(out)
    for name in ("conv1", "conv2", "conv3", "features"):  # the backbone ran once, unchanged
        for a, b in zip(weights(saved, name), weights(original, name), strict=True):
            np.testing.assert_array_equal(a, b)
    assert saved.graph.find("new_fc").weights is not None  # the head trained and was stored
    assert (
        main(
            [
                "transfer",
                str(model_file),
                "--data",
                "synthetic:letters",
                "--samples",
                "60",
                "--feature-extraction",
                "--two-phase",
                "--out",
                str(tmp_path / "x.ndproj"),
            ]
        )
        == 2
    )
