"""The compression report: int8 post-training quantisation (TFLite) against float32, and
magnitude pruning with a short fine-tune. No Qt.

Quantisation converts the network twice through a converter factory given by the caller
(``designer.app.insight_runs.tflite_converter`` wraps the project's TFLite exporter): float32,
and full-integer int8 calibrated on training samples (weights and activations int8, float
input and output). Both run in the TFLite interpreter on the validation data: file sizes,
accuracy, and the agreement of their predicted classes. TensorFlow's QuantizationDebugger
gives the error of every quantised tensor; the ops the converter left in float32 are named
with the layer they belong to. Recurrent layers become a TFLite WHILE loop, on which
full-integer conversion crashes the process in TensorFlow 2.21, so such networks get
dynamic-range int8 (int8 weights, float activations) instead, and the report says so.

Pruning zeroes the smallest-magnitude weights of every Dense and convolution kernel, layer by
layer, to the chosen sparsity; the masks are held during the fine-tune by a constraint on each
pruned variable (Keras applies it after every optimizer step), so the zeros stay zeros.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from designer.core.progress import Cancelled, ProgressReporter
from designer.insight.pruning import (
    CompressionError,
    FineTune,
    PruningResult,
    compressed_size,
    prune,
)
from designer.insight.scores import accuracy, agreement, keras_predict
from designer.insight.tflite_probe import (
    DEBUG_SAMPLES,
    LOOP_OPS,
    ConverterFactory,
    LayerError,
    convert_with_fallback,
    converter_sentence,
    float_ops,
    has_recurrence,
    layer_errors,
    op_names,
    representative,
    tflite_predict,
    weight_bytes,
)

__all__ = [
    "CompressionError",
    "CompressionReport",
    "LayerError",
    "PruningResult",
    "QuantisationResult",
    "ReportRow",
    "compression_report",
    "quantise",
    "summary_lines",
]


@dataclass(frozen=True)
class QuantisationResult:
    """float32 against int8 TFLite on the validation data."""

    mode: str  # "full int8" or "dynamic-range int8"
    float_bytes: int
    int8_bytes: int
    float_weight_bytes: int | None  # the constant buffers (weights) inside each file
    int8_weight_bytes: int | None
    float_accuracy: float
    int8_accuracy: float
    agreement: float  # share of samples whose predicted class is the same
    layer_errors: tuple[LayerError, ...] = ()
    float_ops: tuple[str, ...] = ()  # "NEG in layer 'ln' (LayerNormalization)"
    notes: tuple[str, ...] = ()

    @property
    def size_ratio(self) -> float:
        """int8 file size / float32 file size."""
        return self.int8_bytes / self.float_bytes if self.float_bytes else math.nan

    @property
    def weight_ratio(self) -> float | None:
        """int8 weights / float32 weights (the constant buffers only)."""
        if not self.float_weight_bytes or self.int8_weight_bytes is None:
            return None
        return self.int8_weight_bytes / self.float_weight_bytes


@dataclass(frozen=True)
class CompressionReport:
    """Everything the report shows; ``to_dict`` is its JSON form."""

    samples: int
    keras_accuracy: float
    float_compressed_bytes: int
    quantisation: QuantisationResult | None
    quantisation_error: str = ""
    pruning: tuple[PruningResult, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (numbers, strings, lists)."""
        out = asdict(self)
        if self.quantisation is not None:
            out["quantisation"]["size_ratio"] = self.quantisation.size_ratio
            out["quantisation"]["weight_ratio"] = self.quantisation.weight_ratio
        return out

    def rows(self) -> list[ReportRow]:
        """One row per variant of the network, for the report's table."""
        rows = [
            ReportRow(
                "Keras float32",
                None,
                self.keras_accuracy,
                1.0,
                None,
                f"reference; zlib size {self.float_compressed_bytes:,} B",
            ),
        ]
        q = self.quantisation
        if q is not None:
            rows.append(ReportRow("TFLite float32", q.float_bytes, q.float_accuracy, 1.0, None, ""))
            ratio = f"{q.size_ratio:.2f}x the float32 file"
            if q.weight_ratio is not None:
                ratio += f", weights {q.weight_ratio:.2f}x"
            rows.append(
                ReportRow(
                    f"TFLite {q.mode}", q.int8_bytes, q.int8_accuracy, q.agreement, None, ratio
                )
            )
        elif self.quantisation_error:
            rows.append(ReportRow("TFLite int8", None, None, None, None, self.quantisation_error))
        for p in self.pruning:
            pct = f"{p.target * 100:.0f} %"
            note = f"{len(p.layers)} kernels; zlib size {p.compressed_bytes:,} B"
            rows.append(ReportRow(f"Pruned {pct}", None, p.accuracy_pruned, None, p.achieved, note))
            if p.accuracy_fine_tuned is not None:
                epochs = f"{p.fine_tune_epochs} epoch{'s' * (p.fine_tune_epochs != 1)}"
                rows.append(
                    ReportRow(
                        f"Pruned {pct} + fine-tune {epochs}",
                        None,
                        p.accuracy_fine_tuned,
                        p.agreement,
                        p.achieved,
                        "",
                    )
                )
        return rows


@dataclass(frozen=True)
class ReportRow:
    """One line of the report's table (None: does not apply)."""

    variant: str
    size_bytes: int | None
    accuracy: float | None
    agreement: float | None
    sparsity: float | None
    note: str


# ----------------------------------------------------------------------------- quantisation
def quantise(
    model: Any,
    x_val: np.ndarray,
    y_val: np.ndarray,
    calibration: np.ndarray,
    make_converter: ConverterFactory,
    step: Callable[..., None] | None = None,
    debug: bool = True,
) -> QuantisationResult:
    """int8 against float32 TFLite for ``model`` on the validation data (see the module).

    ``step(message)`` starts each of (at most) four steps; ``step(message, fraction)`` tells
    how far the current one is; either may raise Cancelled."""

    def tick(message: str, within: float | None = None) -> None:
        if step is None:
            return
        if within is None:
            step(message)
        else:
            step(message, within=within)

    notes: list[str] = []
    tick("Converting to TFLite float32")
    float_content, batch = convert_with_fallback(make_converter, model, False, None, None)
    if batch == 1:
        notes.append("batch fixed to 1: TFLite needs static shapes for this network")
    loops = has_recurrence(model) or [
        f"{op} ops" for op in sorted(set(op_names(float_content)) & LOOP_OPS)
    ]
    tick("Converting to TFLite int8")
    rep = representative(calibration)
    mode = "full int8"
    if loops:
        mode = "dynamic-range int8"
        notes.append(
            f"not fully quantised: {', '.join(loops)} run as a TFLite WHILE loop, and "
            "full-integer conversion of such loops crashes TensorFlow 2.21's converter; "
            "weights are int8, activations stay float32"
        )
        int8_content, _ = convert_with_fallback(make_converter, model, True, None, batch)
    else:
        try:
            int8_content, _ = convert_with_fallback(make_converter, model, True, rep, batch)
        except Exception as exc:  # the converter refused: say why, try weights only
            mode = "dynamic-range int8"
            notes.append(f"full-integer conversion failed: {converter_sentence(exc)}")
            int8_content, _ = convert_with_fallback(make_converter, model, True, None, batch)
    message = "Running float32 and int8 on the validation data"
    tick(message)
    float_pred = tflite_predict(float_content, x_val, check=lambda f: tick(message, f / 2))
    int8_pred = tflite_predict(int8_content, x_val, check=lambda f: tick(message, 0.5 + f / 2))
    errors: list[LayerError] = []
    left_float: list[str] = []
    if mode == "full int8":
        left_float = float_ops(int8_content, model)
        if debug:
            tick("Measuring the error of every quantised layer")
            try:
                errors = layer_errors(
                    make_converter, model, representative(calibration, DEBUG_SAMPLES), batch
                )
            except Exception as exc:  # the debugger is experimental: report, go on
                notes.append(f"per-layer error not available: {converter_sentence(exc)}")
    else:
        notes.append("per-layer error needs full-integer quantisation; not measured")
        if len(int8_content) >= 0.95 * len(float_content):
            notes.append(
                "the converter kept the weights in float32: dynamic-range int8 leaves "
                "tensors of fewer than 1,024 values as they are"
            )
    return QuantisationResult(
        mode=mode,
        float_bytes=len(float_content),
        int8_bytes=len(int8_content),
        float_weight_bytes=weight_bytes(float_content),
        int8_weight_bytes=weight_bytes(int8_content),
        float_accuracy=accuracy(float_pred, y_val),
        int8_accuracy=accuracy(int8_pred, y_val),
        agreement=agreement(float_pred, int8_pred),
        layer_errors=tuple(errors),
        float_ops=tuple(left_float),
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- the report
def check_network(model: Any) -> None:
    """CompressionError unless ``model`` has one input and one output."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise CompressionError(
            "Expected a network with one input and one output for the compression report, "
            f"received {len(model.inputs)} inputs and {len(model.outputs)} outputs"
        )


def compression_report(
    model: Any,
    x_val: np.ndarray,
    y_val: np.ndarray,
    calibration: np.ndarray,
    make_converter: ConverterFactory | None,
    sparsities: tuple[float, ...] = (0.5, 0.8),
    fine_tune: FineTune | None = None,
    fine_tune_epochs: int = 1,
    progress: ProgressReporter | None = None,
    notes: tuple[str, ...] = (),
) -> CompressionReport:
    """Quantise (when ``make_converter`` is given) and prune ``model``; measure on the
    validation data ``x_val``, ``y_val`` (classes). ``progress`` reports and cancels."""
    check_network(model)
    if len(x_val) == 0:
        raise CompressionError("Expected validation samples to measure on, received none")
    per_sparsity = 2 + (fine_tune_epochs if fine_tune is not None else 0)
    total = (4 if make_converter is not None else 0) + 1 + per_sparsity * len(sparsities)
    done = [0.0]

    def step(message: str, amount: float = 1.0, within: float | None = None) -> None:
        """Start a step of ``amount`` (or, with ``within``, say how far the last one is)."""
        if within is not None:
            if progress is not None:
                progress(done[0] - 1.0 + within, total, message)
            return
        if progress is not None:
            progress(done[0], total, message, force=True)
        done[0] += amount

    step("Measuring the network")
    reference = keras_predict(model, x_val)
    quantisation, q_error = None, ""
    if make_converter is not None:
        try:
            quantisation = quantise(model, x_val, y_val, calibration, make_converter, step)
        except Cancelled:
            raise
        except Exception as exc:  # the converter's own errors are many: one sentence
            q_error = f"TFLite conversion failed: {converter_sentence(exc)}"
        done[0] = 5.0
    results = []
    for sparsity in sparsities:
        start = done[0]
        step(f"Pruning to {sparsity * 100:.0f} % sparsity")

        def tick(fraction: float, base: float = start + 1, pct: float = sparsity) -> None:
            if progress is not None:
                progress(
                    base + fraction * fine_tune_epochs,
                    total,
                    f"Fine-tuning the {pct * 100:.0f} % pruned network",
                )

        results.append(
            prune(model, sparsity, x_val, y_val, reference, fine_tune, fine_tune_epochs, tick)
        )
        done[0] = start + per_sparsity
    if progress is not None:
        progress(total, total, "Done", force=True)
    return CompressionReport(
        samples=len(x_val),
        keras_accuracy=accuracy(reference, y_val),
        float_compressed_bytes=compressed_size(model),
        quantisation=quantisation,
        quantisation_error=q_error,
        pruning=tuple(results),
        notes=tuple(notes),
    )


def summary_lines(report: CompressionReport) -> list[str]:
    """The report as text (the CLI prints it; the dialog shows the notes part)."""
    lines = [f"Validation samples: {report.samples}"]
    for row in report.rows():
        parts = [row.variant]
        if row.size_bytes is not None:
            parts.append(f"{row.size_bytes:,} B")
        if row.accuracy is not None:
            parts.append(f"accuracy {row.accuracy * 100:.1f} %")
        if row.agreement is not None:
            parts.append(f"agreement {row.agreement * 100:.1f} %")
        if row.sparsity is not None:
            parts.append(f"sparsity {row.sparsity * 100:.1f} %")
        if row.note:
            parts.append(row.note)
        lines.append(" | ".join(parts))
    q = report.quantisation
    if q is not None:
        lines.append(
            "Left in float32: " + ("; ".join(q.float_ops) if q.float_ops else "nothing")
            if q.mode == "full int8"
            else "Left in float32: every activation (dynamic-range quantisation)"
        )
        lines.extend(q.notes)
    lines.extend(report.notes)
    return lines
