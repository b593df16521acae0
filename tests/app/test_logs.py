"""Logging: the rotating log file, and native start-up noise kept off the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], log_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["ND_LOG_DIR"] = str(log_dir)
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_tensorflow_noise_goes_to_the_log_folder_not_the_terminal(tmp_path: Path) -> None:
    sample = ROOT / "designer" / "resources" / "samples" / "lenet5.json"
    result = _run(["analyze", str(sample)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Total parameters" in result.stdout
    for noise in ("absl", "cuda", "oneDNN", "I0000"):
        assert noise not in result.stderr, result.stderr
    native = (tmp_path / "native.log").read_text()
    assert "cuda" in native or "absl" in native  # TensorFlow did say it, into the log
    assert (tmp_path / "network-designer.log").exists()


def test_verbose_keeps_the_native_messages_on_the_terminal(tmp_path: Path) -> None:
    result = _run(["--verbose", "--help"], tmp_path)
    assert result.returncode == 0
    assert "analyze" in result.stdout
    assert not (tmp_path / "native.log").exists()


def test_errors_still_reach_the_terminal(tmp_path: Path) -> None:
    result = _run(["analyze", str(tmp_path / "missing.json")], tmp_path)
    assert result.returncode == 2
    assert "missing.json" in result.stderr and "no such file" in result.stderr


def test_help_prints_no_native_noise(tmp_path: Path) -> None:
    result = _run(["--help"], tmp_path)
    assert result.returncode == 0 and "analyze" in result.stdout
    assert result.stderr == ""
