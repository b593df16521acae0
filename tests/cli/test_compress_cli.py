"""``compress PROJECT [--sparsities ...] [--fine-tune-epochs N] [--samples N] [--json]``."""

from __future__ import annotations

import json

import pytest

from designer.cli.main import main
from tests.insight.digits import trained_digits_model


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    """A project of a trained digits network on scikit-learn's digits (20 % validation)."""
    from designer.app.files import project_from_model
    from designer.app.project import save_project
    from designer.app.settings import DataSection
    from designer.data.builtin import SklearnDigitsConfig

    folder = tmp_path_factory.mktemp("compress")
    project = project_from_model(trained_digits_model(), "digits")
    project.settings = project.settings.replace(data=DataSection(source=SklearnDigitsConfig()))
    return save_project(project, folder / "digits.ndproj")


def test_json_report_of_int8_and_pruning(project_file, capsys) -> None:
    code = main(
        ["compress", str(project_file), "--sparsities", "0.5", "--samples", "200", "--json"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads(out)
    text = json.dumps(report)
    assert "int8" in text and "0.5" in text  # the quantised and the pruned variants
    assert report  # a report, not an error object
    assert "error" not in report


def test_table_and_refusals(project_file, capsys) -> None:
    assert main(["compress", str(project_file), "--sparsities", "", "--samples", "100"]) == 0
    assert "int8" in capsys.readouterr().out
    assert main(["compress", str(project_file), "--sparsities", "1.5"]) == 2
    assert capsys.readouterr().err.startswith("error: --sparsities")
    missing = project_file.with_name("none.ndproj")
    assert main(["compress", str(missing)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
