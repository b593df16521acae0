"""``data inspect``: table and JSON output, exit codes, argparse registration."""

from __future__ import annotations

import argparse
import io
import json

from designer.cli.data import register


def _run(argv: list[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="main.py")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = args.func(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_inspect_table_lists_classes_and_corrupt_files(mixed_folder) -> None:
    code, out, _ = _run(["data", "inspect", str(mixed_folder)])
    assert code == 0
    assert "image-folder" in out and "cat" in out and "broken.png" in out


def test_inspect_json(mixed_folder) -> None:
    code, out, _ = _run(["data", "inspect", str(mixed_folder), "--json"])
    result = json.loads(out)
    assert code == 0 and result["kind"] == "image-folder" and result["num_samples"] == 11
    assert result["class_counts"] == {"cat": 6, "dog": 5}
    assert result["corrupt_files"][0].endswith("broken.png")
    assert result["config"]["kind"] == "image-folder"


def test_unusable_input_exits_2_with_one_line(tmp_path) -> None:
    code, _, err = _run(["data", "inspect", str(tmp_path / "nothing")])
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: ")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"junk")
    code, _, err = _run(["data", "inspect", str(tmp_path)])
    assert code == 2 and "expected readable images" in err and "x.png" in err
