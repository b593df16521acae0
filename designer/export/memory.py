"""Memory the converters need, checked before a conversion starts: a conversion the system
kills for lack of memory takes the whole application (and unsaved work) with it.

Measured with ``benchmarks/export.py``-style runs of ConvNeXtBase (0.33 GiB of weights,
TensorFlow 2.21, tf2onnx 1.17): the ONNX conversion peaked at 29x the weights' size above the
process's resident memory, the TFLite conversion at 21x (tf2onnx, grappler and the MLIR
converter each hold copies of every constant). The factors below round those up.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from designer.export.report import ExportError, human_size

#: Peak extra memory of a conversion, in multiples of the weights' size.
FACTORS = {"onnx": 30.0, "tflite": 22.0}
#: Below this estimate no check is made (every machine that runs the app has it).
CHECK_ABOVE = 1 << 30
#: Set to 1 to skip the check (for machines with swap, or when the estimate is wrong).
OVERRIDE_ENV = "ND_EXPORT_IGNORE_MEMORY"


def weights_bytes(model: keras.Model) -> int:
    """Bytes of all the model's weights (from shapes and dtypes; nothing is read)."""
    return sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in model.weights)


def available_bytes() -> int | None:
    """Memory available to new allocations (Linux ``MemAvailable``); None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(model: keras.Model, fmt: str, available: int | None = None) -> None:
    """Raise ExportError when converting ``model`` to ``fmt`` would likely run out of memory.

    ``available`` defaults to :func:`available_bytes`; no check where it is unknown, for the
    formats that need little (.keras, SavedModel, Python), or when OVERRIDE_ENV is set.
    """
    factor = FACTORS.get(fmt)
    if factor is None or os.environ.get(OVERRIDE_ENV) == "1":
        return
    weights = weights_bytes(model)
    need = int(factor * weights)
    if need < CHECK_ABOVE:
        return
    available = available_bytes() if available is None else available
    if available is None or need <= available:
        return
    raise ExportError(
        f"Expected about {human_size(need)} of free memory to convert {model.name!r} "
        f"({human_size(weights)} of weights) to {fmt}: the converter holds about {factor:.0f} "
        f"copies of the weights. Only {human_size(available)} is available, so nothing was "
        f"started. Close other programs, export on a machine with more memory, or use .keras or "
        f"SavedModel, which need little. (Set {OVERRIDE_ENV}=1 to try anyway.)"
    )
