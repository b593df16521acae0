"""``robustness MODEL_OR_PROJECT [--data PATH] [--epsilons ...] [--method fgsm|pgd] --json``."""

from __future__ import annotations

import argparse
import io
import json

import numpy as np
import pytest

from designer.cli import robustness
from tests.insight.digits import digits_split, trained_digits_model


def run(*argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``robustness ARGV`` through the command's parser."""
    parser = argparse.ArgumentParser(prog="main.py")
    robustness.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["robustness", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = args.func(args, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A trained digits model (.keras), its held-out digits (.npz of 0..255 grey images) and
    a project of the same network on scikit-learn's digits."""
    from designer.app.files import project_from_model
    from designer.app.project import save_project
    from designer.app.settings import DataSection
    from designer.data.builtin import SklearnDigitsConfig

    folder = tmp_path_factory.mktemp("robustness")
    model = trained_digits_model()
    model.save(folder / "digits.keras")
    _, _, x, y = digits_split()
    np.savez(folder / "test.npz", x=np.round(x[..., 0] * 255).astype(np.uint8), y=y)
    project = project_from_model(model, "digits")
    project.settings = project.settings.replace(data=DataSection(source=SklearnDigitsConfig()))
    save_project(project, folder / "digits.ndproj")
    clean = float(np.mean(model.predict(x, verbose=0).argmax(1) == y))
    return folder, clean


def test_json_of_a_model_attacked_on_an_npz(files):
    folder, clean = files
    code, out, _ = run(str(folder / "digits.keras"), "--data", str(folder / "test.npz"), "--json")
    assert code == 0
    result = json.loads(out)
    assert {"method", "epsilons", "accuracy", "clean_accuracy"} <= set(result)
    assert result["method"] == "fgsm"
    assert result["epsilons"] == [0.0, 0.01, 0.03, 0.1]
    assert result["clean_accuracy"] == pytest.approx(clean, abs=1e-6)
    assert result["accuracy"][0] == result["clean_accuracy"]
    assert result["accuracy"][-1] < result["clean_accuracy"] - 0.2
    assert result["samples"] == 397 and result["value_range"] == [0.0, 1.0]


def test_pgd_table_on_a_sample_of_the_data(files):
    folder, _ = files
    code, out, _ = run(
        str(folder / "digits.keras"),
        *("--data", str(folder / "test.npz"), "--method", "pgd", "--samples", "100"),
        *("--epsilons", "0,0.1", "--steps", "5"),
    )
    assert code == 0
    assert out.startswith("PGD (5 steps) on 100 samples, value range 0..1")
    assert "Clean accuracy:" in out and "     0.1" in out


def test_a_project_is_attacked_on_its_validation_data(files):
    folder, _ = files
    code, out, _ = run(str(folder / "digits.ndproj"), "--epsilons", "0,0.1", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["samples"] == 359  # 20 % of the 1,797 digits
    assert result["clean_accuracy"] > 0.9
    assert result["accuracy"][1] < result["clean_accuracy"] - 0.2


def test_unusable_input_exits_2_with_one_line(files, tmp_path):
    folder, _ = files
    np.savez(tmp_path / "targets.npz", x=np.zeros((20, 8, 8), np.float32), y=np.linspace(0, 1, 20))
    cases = [
        ((str(folder / "digits.keras"),), "--data"),
        (
            (str(folder / "digits.keras"), "--data", str(folder / "test.npz"), "--epsilons", "0,x"),
            "epsilons",
        ),
        ((str(folder / "digits.keras"), "--data", str(tmp_path / "nothing.npz")), "nothing"),
        ((str(folder / "digits.keras"), "--data", str(tmp_path / "targets.npz")), "regression"),
        (
            (str(folder / "digits.keras"), "--data", str(folder / "test.npz"), "--samples", "0"),
            "--samples",
        ),
    ]
    for argv, words in cases:
        code, out, err = run(*argv, "--json")
        assert code == 2, (argv, err)
        message = json.loads(out)["error"]
        assert words in message and "\n" not in message, message
        assert err.startswith("error: ")
