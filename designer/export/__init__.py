"""Export a keras.Model to .keras, SavedModel, ONNX, TFLite or Python code, verified. No Qt.

The public names are imported on first use, so that the plain constants of
:mod:`designer.export.formats` can be read without starting Keras.
"""

from __future__ import annotations

from designer.core.lazy import lazy_exports

_EXPORTS = {
    "designer.export.codegen": ("generate_code",),
    "designer.export.exporter": ("export_model", "verify_artefact"),
    "designer.export.formats": ("FORMATS",),
    "designer.export.report": ("ExportError", "ExportReport", "Verification", "VerificationError"),
}
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
__getattr__ = lazy_exports(globals(), _EXPORTS)
