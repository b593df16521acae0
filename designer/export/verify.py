"""Compare an artefact's outputs with Keras' outputs and decide whether they agree."""

from __future__ import annotations

import numpy as np

from designer.export.report import ExportError, Verification

#: Tolerance factor for float32 artefacts, scaled by max(1, largest |reference value|).
FLOAT_TOLERANCE = 1e-4
#: Tolerance factor for dynamic-range int8 artefacts (weights quantised, so a looser check).
INT8_TOLERANCE = 5e-2


def output_scale(reference: list[np.ndarray]) -> float:
    """The largest absolute reference value (0.0 for empty outputs)."""
    return max([0.0] + [float(np.max(np.abs(r))) for r in reference if r.size])


def tolerance_for(scale: float, int8: bool = False) -> float:
    """Absolute tolerance: the factor times max(1, ``scale``, the largest |reference value|)."""
    return (INT8_TOLERANCE if int8 else FLOAT_TOLERANCE) * max(1.0, scale)


def compare(
    reference: list[np.ndarray],
    actual: list[np.ndarray],
    runtime: str,
    int8: bool = False,
    note: str = "",
) -> Verification:
    """Largest absolute difference between matching outputs, checked against the tolerance."""
    if len(reference) != len(actual):
        raise ExportError(
            f"Expected {len(reference)} output(s) from the {runtime} artefact, "
            f"but it returned {len(actual)}."
        )
    worst = 0.0
    for i, (ref, got) in enumerate(zip(reference, actual, strict=True)):
        got = np.asarray(got)
        if got.shape != ref.shape:
            raise ExportError(
                f"Expected output {i} of the {runtime} artefact to have shape {ref.shape}, "
                f"but it has shape {got.shape}."
            )
        if ref.size:
            diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
            worst = max(worst, float(np.nan_to_num(diff, nan=np.inf).max()))
    scale = output_scale(reference)
    tol = tolerance_for(scale, int8)
    batch = int(reference[0].shape[0]) if reference and reference[0].ndim else 0
    if worst <= tol and scale <= tol:
        weak = (
            f"weak check: every Keras output is within the tolerance of 0 (largest "
            f"{scale:.2g}, as in some untrained deep networks), so agreement says little; "
            f"relative difference {worst / scale if scale else 0.0:.2g}"
        )
        note = f"{note}; {weak}" if note else weak
    return Verification(
        max_abs_diff=worst,
        tolerance=tol,
        passed=bool(worst <= tol),
        runtime=runtime,
        batch_size=batch,
        note=note,
        output_scale=scale,
    )
