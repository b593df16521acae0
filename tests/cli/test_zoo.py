"""The zoo sub-command's handlers: list, show and fetch."""

from __future__ import annotations

import argparse
import io
import json

from designer.cli import zoo as cli
from designer.zoo import set_mirror


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["zoo", *argv])


def test_list_json_has_the_tile_columns():
    out = io.StringIO()
    args = parse("list", "--json")
    assert args.handler(args, out) == 0
    rows = json.loads(out.getvalue())
    vgg = next(r for r in rows if r["name"] == "vgg16")
    assert vgg == {
        "name": "vgg16",
        "task": "image classification",
        "params": 138_357_544,
        "input_size": [224, 224, 3],
        "weights": "imagenet",
        "weights_cached": vgg["weights_cached"],
    }


def test_list_table_and_show():
    out = io.StringIO()
    assert cli.cmd_list(parse("list", "--task", "regression"), out) == 0
    assert "digit_tilt_regressor" in out.getvalue() and "vgg16" not in out.getvalue()
    out = io.StringIO()
    assert cli.cmd_show(parse("show", "googlenet"), out) == 0
    assert "Going Deeper with Convolutions" in out.getvalue()
    assert cli.cmd_show(parse("show", "nope"), io.StringIO()) == 2


def test_fetch_downloads_from_mirror_and_fails_clearly_offline(keras_home, file_server, capsys):
    args = parse("fetch", "mobilenet", "--no-top")
    assert args.handler(args, io.StringIO()) == 1
    assert "mobilenet_1_0_224_tf_no_top.h5" in capsys.readouterr().err
    file_server.files["/w/mobilenet_1_0_224_tf_no_top.h5"] = b"\x89HDF\r\n\x1a\n" + b"0" * 5000
    set_mirror(file_server.url + "/w")
    out = io.StringIO()
    assert args.handler(args, out) == 0
    assert out.getvalue().strip().endswith("mobilenet_1_0_224_tf_no_top.h5")
    assert "100.0%" in capsys.readouterr().err
