"""The ``zoo`` sub-command: ``zoo list [--json]``, ``zoo show NAME``, ``zoo fetch NAME``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from designer.core.progress import ProgressEvent


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``zoo`` command (with list/show/fetch) to an argparse subparsers object."""
    zoo = subparsers.add_parser("zoo", help="list, describe and download zoo networks")
    sub = zoo.add_subparsers(dest="zoo_command", required=True)
    p_list = sub.add_parser("list", help="list the networks of the zoo")
    p_list.add_argument("--json", action="store_true", help="print JSON")
    p_list.add_argument("--task", help="only this task, e.g. 'segmentation'")
    p_list.add_argument("--search", help="words to look for")
    p_list.set_defaults(handler=cmd_list)
    p_show = sub.add_parser("show", help="describe one network")
    p_show.add_argument("name")
    p_show.add_argument("--json", action="store_true", help="print JSON")
    p_show.set_defaults(handler=cmd_show)
    p_fetch = sub.add_parser("fetch", help="download a network's pretrained weights")
    p_fetch.add_argument("name")
    p_fetch.add_argument("--no-top", action="store_true", help="weights without the classifier")
    p_fetch.set_defaults(handler=cmd_fetch)
    return zoo


def _human(count: int) -> str:
    return f"{count / 1e6:.1f}M" if count >= 1e6 else f"{count / 1e3:.1f}k"


def _row(entry: Any) -> dict[str, Any]:
    from designer.zoo import is_cached
    from designer.zoo.stats import entry_stats

    stats = entry_stats(entry.name)
    return {
        "name": entry.name,
        "task": entry.task,
        "params": stats.params,
        "input_size": list(stats.input_shape),
        "weights": entry.weights_source,
        "weights_cached": entry.has_pretrained and is_cached(entry.name),
    }


def cmd_list(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Print name, task, parameters, input size and weights availability of every entry."""
    from designer.zoo.registry import list_entries

    rows = [_row(e) for e in list_entries(task=args.task, search=args.search)]
    if getattr(args, "json", False):
        out.write(json.dumps(rows, indent=1) + "\n")
        return 0
    out.write(f"{'name':24} {'task':22} {'params':>8}  {'input':14} weights\n")
    for r in rows:
        size = "x".join("?" if d is None else str(d) for d in r["input_size"])
        weights = r["weights"] + (" (cached)" if r["weights_cached"] else "")
        out.write(f"{r['name']:24} {r['task']:22} {_human(r['params']):>8}  {size:14} {weights}\n")
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Print everything the zoo knows about one entry."""
    from designer.zoo.registry import get_entry
    from designer.zoo.stats import entry_stats

    try:
        entry = get_entry(args.name)
    except KeyError as exc:
        sys.stderr.write(f"error: {exc.args[0]}\n")
        return 2
    info = entry.summary()
    stats = entry_stats(entry.name)
    info.update(params=stats.params, layers=stats.layers, weighted_layers=stats.weighted_layers)
    if getattr(args, "json", False):
        out.write(json.dumps(info, indent=1) + "\n")
        return 0
    for key, value in info.items():
        if value not in (None, "", []):
            out.write(f"{key:26} {value}\n")
    return 0


def progress_bar(stream: TextIO | None = None, width: int = 30):
    """A ProgressEvent callback drawing a one-line terminal progress bar."""

    def show(event: ProgressEvent) -> None:
        out = stream or sys.stderr
        frac = event.fraction
        mb = event.done / 1e6
        if frac is None:
            out.write(f"\r{event.message}: {mb:.1f} MB")
        else:
            filled = int(width * frac)
            eta = f" ETA {event.eta:.0f}s" if event.eta else ""
            out.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {frac:6.1%} "
                f"{mb:.1f}/{event.total / 1e6:.1f} MB{eta}"
            )
        out.flush()

    return show


def cmd_fetch(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Download (or find in cache / mirror) the weights of one entry, with a progress bar."""
    from designer.core.progress import Cancelled
    from designer.zoo import WeightsError, resolve_weights
    from designer.zoo.registry import get_entry

    try:
        entry = get_entry(args.name)
        path = resolve_weights(entry.name, not args.no_top, progress=progress_bar())
    except KeyError as exc:
        sys.stderr.write(f"error: {exc.args[0]}\n")
        return 2
    except WeightsError as exc:
        sys.stderr.write(f"\nerror: {exc}\n")
        return 1
    except (Cancelled, KeyboardInterrupt):
        sys.stderr.write("\ncancelled\n")
        return 130
    sys.stderr.write("\n")
    out.write(f"{path}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the zoo command alone (``python -m designer.cli.zoo list``)."""
    parser = argparse.ArgumentParser(prog="zoo")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["zoo", *(sys.argv[1:] if argv is None else argv)])
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
