"""``--custom-objects FILE.py`` and ``--trust-custom-code`` on the command line, in fresh
processes (the code one test runs never helps another)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from designer.cli.main import make_parser
from tests.app.test_custom_code import make_custom_model, write_custom_project

ROOT = Path(__file__).resolve().parents[2]
# every command that reads a model or a project
READERS = (
    "analyze",
    "build",
    "export",
    "train",
    "transfer",
    "explain",
    "robustness",
    "compress",
    "experiment",
    "detect",
)


def _main(*argv: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def custom(tmp_path_factory) -> dict:
    return make_custom_model(tmp_path_factory.mktemp("cli-custom"))


def test_every_command_that_reads_a_file_takes_the_options() -> None:
    (sub,) = [a for a in make_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    for command in READERS:
        options = sub.choices[command]._option_string_actions
        assert "--custom-objects" in options and "--trust-custom-code" in options, command
        assert "consent" in options["--custom-objects"].help


def test_analyze_needs_the_code_and_runs_with_it(custom) -> None:
    model = custom["models"][0]
    read_only = _main("analyze", model, "--json")  # shown from its configuration
    assert read_only.returncode == 1 and "Traceback" not in read_only.stderr
    partial = json.loads(read_only.stdout)
    assert (
        custom["name"] in partial["read_only"]
        and "--custom-objects FILE.py" in partial["read_only"]
    )
    (error,) = partial["errors"]  # the custom layer ends the network: its output is not known
    assert "its class is not loaded" in error["message"]
    result = _main("analyze", model, "--custom-objects", custom["code"], "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert custom["name"] in [layer["type"] for layer in report["layers"]]
    assert f"registered {custom['name']}" in result.stderr


def test_a_project_with_listed_code_needs_consent(tmp_path) -> None:
    made = write_custom_project(tmp_path)
    refused = _main("analyze", made["project"], "--json")
    assert refused.returncode == 2 and not refused.stdout
    assert str(made["code"]) in refused.stderr and "--trust-custom-code" in refused.stderr
    trusted = _main("analyze", made["project"], "--trust-custom-code", "--json")
    assert trusted.returncode == 0, trusted.stderr
    supplied = _main("analyze", made["project"], "--custom-objects", made["code"], "--json")
    assert supplied.returncode == 0, supplied.stderr
    assert json.loads(trusted.stdout) == json.loads(supplied.stdout)


def test_an_error_in_the_code_file_is_one_message(tmp_path, custom) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import keras\nx = (\n")
    result = _main("analyze", custom["models"][0], "--custom-objects", broken, "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(broken) in result.stderr and "line 2" in result.stderr


def test_the_window_screenshot_takes_the_code_too(tmp_path, custom) -> None:
    model = custom["models"][0]
    read_only = _main(model, "--screenshot", tmp_path / "read_only.png")  # read-only view
    assert read_only.returncode == 0, read_only.stderr
    assert (tmp_path / "read_only.png").stat().st_size > 1000
    shot = tmp_path / "shot.png"
    result = _main(model, "--custom-objects", custom["code"], "--screenshot", shot)
    assert result.returncode == 0, result.stderr
    assert shot.stat().st_size > 1000
