"""The zoo's registry: register entries, look them up by name, list them by task or text.

The built-in entries come from the registration modules (designer.zoo.classic.entries and
designer.zoo.applications), loaded on first use so that importing the zoo stays cheap.
Building an entry is designer.zoo.build's job; the registry only hands entries out.
"""

from __future__ import annotations

from designer.zoo.entry import ZooEntry

_ENTRIES: dict[str, ZooEntry] = {}
_loaded = False


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    # Lazy: these modules import keras and the builders (they import only entry.py of the zoo).
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
            return " ".join(
                [
                    e.name,
                    e.display_name,
                    e.family,
                    e.task,
                    e.description,
                    str(e.citation),
                    str(e.year),
                    " ".join(e.tags),
                ]
            ).lower()

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


def as_entry(entry: ZooEntry | str) -> ZooEntry:
    """``entry`` itself when it is a ZooEntry (registered or not), else get_entry(entry)."""
    return entry if isinstance(entry, ZooEntry) else get_entry(entry)
