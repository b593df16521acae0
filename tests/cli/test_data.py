"""``data inspect``: table and JSON output, exit codes, argparse registration, the bad inputs
of issue #12 (one line and exit 2, or exit 0 with the problem listed), and ``train`` holding
the data to the same rule."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from designer.cli.data import register
from tests.data import named_cases
from tests.fixtures import edit_sections

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


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


NAMED = {  # issue #12's cases: (writer, exit code, what the error line or the table says)
    "huge image": (named_cases.huge_image_folder, 0, "is 20000x20000 (400,000,000 pixels)"),
    "latin-1 csv": (named_cases.latin1_csv, 0, "read as cp1252 text (not UTF-8)"),
    "field over 128 kB": (named_cases.big_field_csv, 2, "has a field over 131,072 characters"),
    "truncated npz": (named_cases.truncated_npz, 2, "is not a readable .npz file"),
    "random npz": (named_cases.random_npz, 2, "is not a readable .npz file"),
    "idx with 200 dims": (named_cases.idx_200_dims, 2, "declares 200 dimensions"),
    "npy of 4 TB": (named_cases.npy_4tb, 2, "(4.0 TB), but the file holds only 64 bytes"),
    "cut jpeg": (named_cases.truncated_jpeg_folder, 0, "skipped unreadable image"),
    "empty class": (named_cases.empty_class_folder, 2, "class 'c' of"),
    "one class": (named_cases.one_class_folder, 2, "a classifier needs at least two classes"),
    "negative lengths": (named_cases.negative_lengths_npz, 2, "received -2 for sequence 1"),
}


@pytest.mark.parametrize("case", list(NAMED))
def test_named_bad_inputs_give_one_line_or_a_listed_problem(tmp_path, case) -> None:
    make, code, says = NAMED[case]
    path = make(tmp_path)
    got, out, err = _run(["data", "inspect", str(path)])
    assert got == code, err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("error: ") and says in err
    else:
        assert err == "" and says in out  # a problem (a file skipped) or a note


def test_a_non_utf8_name_prints(tmp_path) -> None:
    root = named_cases.non_utf8_name_folder(tmp_path)
    if root is None:
        pytest.skip("this file system refuses names that are not UTF-8")
    (root / "a" / "zero.png").write_bytes(b"")
    code, out, err = _run(["data", "inspect", str(root)])
    assert code == 0 and "a  4" in out and "zero.png" in out
    out.encode("utf-8")  # what a terminal receives: no lone surrogates
    code, out, _ = _run(["data", "inspect", str(root), "--json"])
    assert code == 0 and json.loads(out)["num_samples"] == 7


@pytest.mark.parametrize("make", [named_cases.empty_class_folder, named_cases.one_class_folder])
def test_train_refuses_what_inspect_refuses_with_the_same_sentence(tmp_path, make, capsys):
    from designer.app.project import load_project, save_project
    from designer.cli import main

    root = make(tmp_path / "data")
    _, _, inspected = _run(["data", "inspect", str(root)])
    project = load_project(SAMPLE)
    edit_sections(project, data={"source": {"kind": "image-folder", "path": str(root)}})
    path = save_project(project, tmp_path / "p.json")
    assert main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "o")]) == 2
    sentence = inspected.removeprefix("error: ").strip()
    assert sentence in capsys.readouterr().err
    assert not (tmp_path / "o" / "model.keras").exists()
