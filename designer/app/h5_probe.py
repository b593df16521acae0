"""A damaged HDF5 file can hang inside the HDF5 library (found by fuzzing: a mutated attribute
makes h5py loop forever, holding its lock). Before anything reads such a file in this process,
a forked child reads its attributes and dataset headers; a child that does not finish in time
is killed and the file refused, so a bad file never freezes the window or the command line."""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
from pathlib import Path
from typing import Any

from designer.core.errors import ProjectError

PROBE_SECONDS = 15.0


KERAS_ATTRS = ("model_config", "training_config", "keras_version", "backend", "layer_names")


def _read_headers(source: str, member: str | None, conn: Any) -> None:
    """In the child: touch every attribute and dataset header (each on its own: damage that
    raises is the normal reader's to report in words), then report back."""
    import io
    import zipfile

    import h5py

    def attempt(read: Any) -> None:
        with contextlib.suppress(Exception):
            read()

    def touch(obj: Any) -> None:
        for key in KERAS_ATTRS:
            attempt(lambda key=key: obj.attrs.get(key))
        attempt(lambda: [obj.attrs[key] for key in obj.attrs])
        if isinstance(obj, h5py.Dataset):
            attempt(lambda: (obj.shape, obj.dtype))

    try:
        handle: Any = source
        if member is not None:
            with zipfile.ZipFile(source) as archive:
                handle = io.BytesIO(archive.read(member))
        with h5py.File(handle, "r") as h5:
            touch(h5)
            attempt(lambda: h5.visititems(lambda _name, obj: touch(obj)))
    except Exception:
        pass
    conn.send("done")


def refuse_if_hdf5_hangs(path: str | Path, member: str | None = None) -> None:
    """Raise ProjectError when reading the HDF5 file ``path`` (or the zip ``member`` of it)
    does not finish within PROBE_SECONDS. Linux only (it needs fork); elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    context = multiprocessing.get_context("fork")
    parent, child_end = context.Pipe(duplex=False)
    child = context.Process(target=_read_headers, args=(str(path), member, child_end))
    child.daemon = True
    child.start()
    finished = parent.poll(PROBE_SECONDS)
    if not finished:
        child.kill()
    child.join()
    parent.close()
    if not finished:
        name = Path(path).name + (f" ({member})" if member else "")
        raise ProjectError(
            f"{name} is damaged: reading its HDF5 structure did not finish in "
            f"{PROBE_SECONDS:.0f} s (expected a complete HDF5 file)"
        )
