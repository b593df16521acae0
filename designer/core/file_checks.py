"""Reading untrusted files: JSON with limits, zip archives measured before they are read,
and the plain-data layout of a network checked field by field before it is built.

Project files and Keras model files come from anywhere. What they hold is checked here before
anything trusts it, so that a bad file is refused with one sentence (what was expected, what
was received) and never becomes a traceback, a frozen process or gigabytes of memory.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

from designer.core.errors import ProjectError

# Limits on untrusted files (far above anything the designer writes).
MAX_DEPTH = 100  # nesting of JSON objects and arrays
MAX_ENTRIES = 100_000  # entries of a zip
MAX_UNPACK_RATIO = 100  # unpacked size of a zip over its size on disk ...
UNPACK_SLACK = 64 * 2**20  # ... beyond this many bytes (small, well-compressed JSON is fine)
ZIP_ERRORS = (  # what reading a damaged zip raises
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,  # an unknown compression method
    RuntimeError,  # an encrypted entry
    KeyError,
)


# ----------------------------------------------------------------------------- JSON and zips
def reason(exc: BaseException | str, limit: int = 200) -> str:
    """The first line of an exception's message, shortened (its type when it has none)."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_json(raw: bytes, what: str) -> Any:
    """JSON from untrusted bytes; ProjectError for text that is not JSON, NaN or infinite
    numbers, integers beyond 64 bits and nesting deeper than :data:`MAX_DEPTH`."""
    try:
        value = json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError:
        raise ProjectError(
            f"{what} is damaged: expected JSON nested at most {MAX_DEPTH} levels deep, "
            f"received deeper nesting"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProjectError(f"{what} is damaged or not a project file: {reason(exc)}") from exc
    depth = _depth(value)
    if depth > MAX_DEPTH:
        raise ProjectError(
            f"{what} is damaged: expected JSON nested at most {MAX_DEPTH} levels deep, "
            f"received {depth} levels"
        )
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"expected finite numbers, received {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"expected finite numbers, received {text[:40]}")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 21:  # beyond 64 bits anyway; never convert thousands of digits
        raise ValueError(f"expected integers of at most 64 bits, received {len(text)} digits")
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"expected integers of at most 64 bits, received {text}")
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend(
                    (v, level + 1) for v in (item.values() if isinstance(item, dict) else item)
                )
    return deepest


def check_archive(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """Refuse a zip before reading it: too many entries, or an unpacked size far beyond the
    file's own ``size`` (a zip bomb); the message gives the figures."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ProjectError(
            f"{name} is not a usable archive: expected at most {MAX_ENTRIES:,} entries, "
            f"received {len(infos):,}"
        )
    unpacked = sum(i.file_size for i in infos)
    limit = MAX_UNPACK_RATIO * size + UNPACK_SLACK
    if unpacked > limit:
        raise ProjectError(
            f"{name} is refused: its entries would unpack to {unpacked:,} bytes from a file of "
            f"{size:,} bytes ({unpacked / max(size, 1):,.0f} times its size); expected at most "
            f"{MAX_UNPACK_RATIO} times"
        )


def read_member(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    """One entry of a zip (its checksum checked); ProjectError when it is missing or damaged."""
    try:
        return archive.read(member)
    except KeyError:
        raise ProjectError(f"{name} is damaged: the entry {member} is missing") from None
    except ZIP_ERRORS as exc:
        raise ProjectError(
            f"{name} is damaged: the entry {member} cannot be read: {reason(exc)}"
        ) from exc


# ----------------------------------------------------------------------------- the network's layout
_STYLES = (None, "single", "list", "args")


def check_graph_data(data: Any, where: str = "the network") -> None:
    """Check the plain-data layout of a graph (the fields :meth:`LayerGraph.to_dict` writes)
    before it is built; ValueError names the field, what was expected and what was received."""
    _expect(isinstance(data, dict), where, "an object", data)
    _expect(isinstance(data.get("name", ""), str), f"{where} name", "a text", data.get("name"))
    nodes, links = data.get("nodes", []), data.get("links", [])
    outputs = data.get("outputs", [])
    _expect(isinstance(nodes, list), f"{where} nodes", "a list", nodes)
    _expect(isinstance(links, list), f"{where} links", "a list", links)
    _expect(
        isinstance(outputs, list) and all(isinstance(o, str) for o in outputs),
        f"{where} outputs",
        "a list of layer ids",
        outputs,
    )
    for i, node in enumerate(nodes):
        _check_node(node, f"{where}, layer {i + 1}")
    for link in links:
        _expect(
            isinstance(link, list)
            and len(link) == 4
            and all(isinstance(x, str) for x in link[:2])
            and all(_is_index(x) for x in link[2:]),
            f"{where} link",
            "[source id, target id, input port, output port] with ports as integers >= 0",
            link,
        )


def _check_node(node: Any, where: str) -> None:
    _expect(isinstance(node, dict), where, "an object", node)
    name = node.get("name")
    where = f"{where} ('{name}')" if isinstance(name, str) else where
    for key in ("id", "type", "name"):
        _expect(isinstance(node.get(key), str), f"{where} {key}", "a text", node.get(key))
    checks: dict[str, tuple[Callable[[Any], bool], str]] = {
        "params": (_is_object, "an object"),
        "call_kwargs": (_is_object, "an object"),
        "const_args": (
            lambda v: _is_object(v) and all(k.isdigit() for k in v),
            "an object keyed by argument positions",
        ),
        "pos": (lambda v: _is_numbers(v, 2), "two numbers"),
        "lr_factors": (lambda v: _is_numbers(v, 2) and min(v) >= 0, "two numbers >= 0"),
        "trainable": (lambda v: isinstance(v, bool), "true or false"),
        "call_style": (lambda v: v in _STYLES, f"one of {_STYLES}"),
        "port_args": (
            lambda v: v is None or (isinstance(v, list) and all(isinstance(a, str) for a in v)),
            "a list of argument names",
        ),
        "shared_with": (lambda v: v is None or isinstance(v, str), "a layer id"),
        "group": (lambda v: v is None or isinstance(v, str), "a group name"),
    }
    for key, (ok, expected) in checks.items():
        if key in node:
            _expect(ok(node[key]), f"{where} {key}", expected, node[key])
    if "subgraph" in node:
        check_graph_data(node["subgraph"], f"{where} subgraph")


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def _is_numbers(value: Any, count: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == count
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and all(abs(v) < 1e300 for v in value)
    )


def _expect(ok: bool, what: str, expected: str, received: Any) -> None:
    if not ok:
        shown = repr(received)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise ValueError(f"expected {what} to be {expected}, received {shown}")
