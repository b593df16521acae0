"""Export a keras.Model to .keras, SavedModel, ONNX, TFLite or Python code, verified. No Qt."""

from designer.export.codegen import generate_code
from designer.export.exporter import FORMATS, export_model, verify_artefact
from designer.export.report import ExportError, ExportReport, Verification, VerificationError

__all__ = [
    "FORMATS",
    "ExportError",
    "ExportReport",
    "Verification",
    "VerificationError",
    "export_model",
    "generate_code",
    "verify_artefact",
]
