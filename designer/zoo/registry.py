"""The zoo's registry: look networks up, list them by task or text, build them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from designer.zoo.entry import ZooEntry

_ENTRIES: dict[str, ZooEntry] = {}
_loaded = False

PRETRAINED_ALIASES = ("imagenet", "pretrained", "bundled")


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from designer.zoo.applications import application_entries
    from designer.zoo.classic.entries import classic_entries

    for entry in classic_entries() + application_entries():
        register(entry)


def register(entry: ZooEntry, replace: bool = False) -> None:
    """Add an entry; its name must be new unless ``replace``."""
    if entry.name in _ENTRIES and not replace and _loaded:
        raise ValueError(f"expected a new zoo entry name; {entry.name!r} is already registered")
    _ENTRIES[entry.name] = entry


def unregister(name: str) -> None:
    """Remove an entry (used by tests and plug-ins)."""
    _ENTRIES.pop(name, None)


def list_entries(task: str | None = None, search: str | None = None) -> list[ZooEntry]:
    """Entries in registry order, optionally of one task and/or matching words of ``search``."""
    _ensure_loaded()
    entries = list(_ENTRIES.values())
    if task:
        entries = [e for e in entries if e.task == task]
    if search:
        words = search.lower().split()

        def text(e: ZooEntry) -> str:
            return " ".join([e.name, e.display_name, e.family, e.task, e.description,
                             str(e.citation), str(e.year), " ".join(e.tags)]).lower()

        entries = [e for e in entries if all(w in text(e) for w in words)]
    return entries


def get_entry(name: str) -> ZooEntry:
    """The entry called ``name`` (case-insensitive; display names work too)."""
    _ensure_loaded()
    if name in _ENTRIES:
        return _ENTRIES[name]
    key = name.lower().replace("-", "_")
    for entry in _ENTRIES.values():
        if key in (entry.name, entry.display_name.lower()):
            return entry
    close = [e.name for e in _ENTRIES.values() if key[:4] in e.name][:8]
    hint = f"; similar names: {', '.join(close)}" if close else ""
    raise KeyError(f"no zoo entry named {name!r}; expected one of `zoo list`{hint}")


def build_entry(
    entry: ZooEntry,
    input_shape: tuple[int | None, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    weights: Any = None,
    progress: Any = None,
    cancel: Any = None,
    **options: Any,
) -> Any:
    """Build ``entry`` as a keras.Model; ``weights``: None, 'imagenet'/'pretrained' or a path."""
    shape = tuple(input_shape) if input_shape else None
    classes = num_classes or entry.num_classes
    if isinstance(weights, str) and weights in PRETRAINED_ALIASES:
        if entry.bundled_weights:
            from designer.zoo.bundled import load_digits_cnn

            return load_digits_cnn(include_top, num_classes)
        if include_top and classes != entry.num_classes:
            raise ValueError(
                f"pretrained {entry.display_name} has a {entry.num_classes}-class head; "
                f"received num_classes={classes}. Use include_top=False and add a new head "
                "(transfer learning), or weights=None"
            )
        from designer.zoo.weights import resolve_weights

        path: Path | None = resolve_weights(
            entry.name, include_top, progress, cancel, input_shape=shape, **options
        )
    elif weights is None:
        path = None
    else:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"expected weights=None, 'imagenet' or an existing weights file; "
                f"received {weights!r} (no such file)"
            )
    model = entry.builder(input_shape=shape, num_classes=classes, include_top=include_top,
                          **options)
    if path is not None:
        model.load_weights(path)
    return model


def build_model(name: str, **options: Any) -> Any:
    """Build the zoo network ``name``: input_shape, num_classes, include_top, weights, ...

    ``weights`` is None (random), "imagenet"/"pretrained" (resolved from cache, mirror or
    download; raises WeightsUnavailable offline) or the path of a weights file.
    """
    return build_entry(get_entry(name), **options)
