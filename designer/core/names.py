"""Layer names in use: lookup by name, and fresh names (``dense``, ``dense_1``, ...) in O(1)."""

from __future__ import annotations

import re
from collections.abc import Collection

_SUFFIX = re.compile(r"(.*)_(\d{1,9})")  # "dense_12": stem and number
_STEM = re.compile(r"_\d+$")


class NameBook:
    """The names of a graph's layers, each with its node id."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._hint: dict[str, int] = {}  # stem -> lowest number that may be free

    def __contains__(self, name: object) -> bool:
        return name in self._ids

    def get(self, name: object) -> str | None:
        """The id of the node named ``name``, or None."""
        return self._ids.get(name) if isinstance(name, str) else None

    def claim(self, name: str, node_id: str) -> None:
        """Record that ``node_id`` is called ``name``."""
        self._ids[name] = node_id

    def release(self, name: str) -> None:
        """Take ``name`` out of use (remove, rename): :meth:`unique` may hand it out again."""
        del self._ids[name]
        match = _SUFFIX.fullmatch(name)
        if match and match.group(1) in self._hint:
            stem, number = match.group(1), max(1, int(match.group(2)))
            self._hint[stem] = min(self._hint[stem], number)

    def unique(self, base: str, taken: Collection[str] = (), free: Collection[str] = ()) -> str:
        """``base`` if unused, else ``base_1``, ``base_2`` ...; names in ``taken`` count as
        used (ones planned but not added yet), names in ``free`` as unused (ones about to go)."""

        def used(name: str) -> bool:
            return (name in self._ids and name not in free) or name in taken

        if not used(base):
            return base
        stem = _STEM.sub("", base)
        # Every stem_j below the hint is taken (see release), so the search starts there:
        # naming n layers alike costs O(n), not O(n^2); names in ``free`` may lie below it.
        i = 1 if free else self._hint.get(stem, 1)
        while used(f"{stem}_{i}"):
            i += 1
        if not taken and not free:
            self._hint[stem] = i
        return f"{stem}_{i}"
