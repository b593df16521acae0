"""A corpus of real-world Keras models, written after the public Keras examples (keras-io), to
measure the designer's fidelity on networks it did not build itself (issue 17).

Each module in ``tests.corpus.models`` names its source in its docstring and ``SOURCE``, and
has one or more builders returning a ``keras.Model`` with seeded random weights and small input
sizes; custom classes are registered with ``@keras.saving.register_keras_serializable(
package="corpus")`` in the module that defines them, so importing the module is what makes a
saved file loadable. ``tests.corpus.legacy_h5`` holds five tf.keras-style models saved as legacy
HDF5. :data:`ENTRIES` lists every model; benchmarks/corpus.py runs them all through the stages
of :mod:`tests.corpus.stages`, tests/corpus/test_corpus_fast.py runs the ``fast`` subset.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

CATEGORIES = (
    "vision",
    "timeseries",
    "nlp",
    "generative",
    "structured",
    "audio",
    "constructs",
    "legacy-h5",
)


@dataclass(frozen=True)
class Entry:
    """One corpus model: ``module.builder()`` builds it."""

    name: str
    module: str  # "tests.corpus.models.vision_vit"
    category: str
    builder: str = "build"
    fast: bool = False  # part of the subset in the test suite
    custom_objects: bool = False  # its module registers custom classes that the file needs
    legacy_h5: bool = False  # saved as legacy HDF5 (.h5) instead of .keras

    def load_module(self) -> ModuleType:
        return importlib.import_module(self.module)

    def build(self) -> Any:
        return getattr(self.load_module(), self.builder)()

    @property
    def file(self) -> Path:
        """The module's source file (what ``--custom-objects`` would be given)."""
        return (
            Path(__file__).resolve().parent.joinpath(*self.module.split(".")[2:]).with_suffix(".py")
        )

    @property
    def source(self) -> str:
        module = self.load_module()
        sources = getattr(module, "SOURCES", None)
        if isinstance(sources, dict) and self.builder in sources:
            return sources[self.builder]
        return getattr(module, "SOURCE", "?")

    @property
    def suffix(self) -> str:
        return ".h5" if self.legacy_h5 else ".keras"


def _e(name: str, module: str, category: str, **kw: Any) -> Entry:
    prefix = "tests.corpus." if module == "legacy_h5" else "tests.corpus.models."
    return Entry(name, prefix + module, category, **kw)


# The stages of tests/corpus/stages.py, in order (here, so that the harness's parent process
# lists them without importing Keras).
STAGES = (
    "keras",
    "rebuild",
    "analyze",
    "onnx",
    "tflite",
    "python",
    "python-run",
    "screenshot",
    "no-code",
)

C = {"custom_objects": True}

ENTRIES: list[Entry] = [
    # vision
    _e("mnist_convnet", "vision_mnist_convnet", "vision", fast=True),
    _e("xception_mini", "vision_xception_mini", "vision"),
    _e("vit", "vision_vit", "vision", fast=True, **C),
    _e("vit_ops", "vision_vit_ops", "vision", **C),
    _e("mobilevit", "vision_mobilevit", "vision"),
    _e("convmixer", "vision_convmixer", "vision"),
    _e("cct", "vision_cct", "vision", **C),
    _e("siamese_contrastive", "vision_siamese_contrastive", "vision", fast=True),
    _e("siamese_triplet", "vision_siamese_triplet", "vision", **C),
    _e("unet", "vision_unet", "vision"),
    _e("autoencoder", "vision_autoencoder", "vision"),
    _e("super_resolution", "vision_super_resolution", "vision", **C),
    _e("deeplabv3_plus", "vision_deeplabv3", "vision"),
    _e("conv_lstm", "vision_conv_lstm", "vision"),
    _e("ct_3d", "vision_3d_classification", "vision"),
    _e("pointnet", "vision_pointnet", "vision", **C),
    # timeseries
    _e("ts_fcn", "ts_fcn", "timeseries"),
    _e("ts_transformer", "ts_transformer", "timeseries"),
    _e("weather_lstm", "ts_weather_lstm", "timeseries"),
    _e("ts_anomaly", "ts_anomaly", "timeseries"),
    # nlp
    _e("text_transformer", "nlp_text_transformer", "nlp", fast=True, **C),
    _e("seq2seq", "nlp_seq2seq", "nlp", fast=True),
    _e("seq2seq_encoder", "nlp_seq2seq", "nlp", builder="build_inference_encoder"),
    _e("seq2seq_decoder", "nlp_seq2seq", "nlp", builder="build_inference_decoder"),
    _e("bidirectional_lstm", "nlp_bidirectional_lstm", "nlp"),
    _e("pretrained_embeddings", "nlp_pretrained_embeddings", "nlp"),
    _e("addition_rnn", "nlp_addition_rnn", "nlp"),
    _e("string_lookup", "nlp_string_lookup", "nlp"),
    _e("text_vectorization", "nlp_text_vectorization", "nlp"),
    _e("attention", "nlp_attention", "nlp"),
    _e("additive_attention", "nlp_attention", "nlp", builder="build_additive"),
    _e("nmt_transformer", "nlp_nmt_transformer", "nlp", **C),
    # generative
    _e("vae_encoder", "gen_vae", "generative", fast=True, **C),
    _e("vae_decoder", "gen_vae", "generative", builder="build_decoder"),
    _e("dcgan_discriminator", "gen_dcgan", "generative", builder="build_discriminator"),
    _e("dcgan_generator", "gen_dcgan", "generative", builder="build_generator"),
    _e("pixelcnn", "gen_pixelcnn", "generative", **C),
    _e("wgan_critic", "gen_wgan_gp", "generative", builder="build_critic"),
    _e("wgan_generator", "gen_wgan_gp", "generative", builder="build_generator"),
    # structured data
    _e("feature_space", "struct_feature_space", "structured"),
    _e("preprocessing_inputs", "struct_preprocessing", "structured"),
    _e("wide_deep", "struct_wide_deep_cross", "structured"),
    _e("deep_cross", "struct_wide_deep_cross", "structured", builder="build_deep_cross"),
    _e("dcn", "struct_dcn", "structured", **C),
    _e("dcn_toy", "struct_dcn", "structured", builder="build_toy", **C),
    _e("tabtransformer", "struct_tabtransformer", "structured"),
    _e("grn_vsn", "struct_grn", "structured", **C),
    _e("imbalanced_mlp", "struct_imbalanced", "structured"),
    # audio
    _e("speaker_recognition", "audio_speaker_recognition", "audio"),
    _e("transformer_asr", "audio_transformer_asr", "audio", **C),
    _e("ctc_asr", "audio_ctc_asr", "audio"),
    # constructs
    _e("ops_slicing", "misc_ops_slicing", "constructs", fast=True),
    _e("custom_regularizer", "misc_custom_regularizer", "constructs", **C),
    _e("dict_io", "misc_dict_io", "constructs"),
    _e("multi_io", "misc_multi_io", "constructs"),
    _e("normalization", "misc_normalization", "constructs", fast=True),
    _e("transfer_nested", "misc_transfer_nested", "constructs"),
    # legacy HDF5 (tf.keras style)
    _e("h5_lenet", "legacy_h5", "legacy-h5", builder="build_lenet", legacy_h5=True, fast=True),
    _e("h5_cifar_cnn", "legacy_h5", "legacy-h5", builder="build_cifar_cnn", legacy_h5=True),
    _e("h5_imdb_lstm", "legacy_h5", "legacy-h5", builder="build_imdb_lstm", legacy_h5=True),
    _e("h5_multi_io", "legacy_h5", "legacy-h5", builder="build_multi_io", legacy_h5=True),
    _e(
        "h5_regularized_mlp",
        "legacy_h5",
        "legacy-h5",
        builder="build_regularized_mlp",
        legacy_h5=True,
    ),
]

BY_NAME: dict[str, Entry] = {entry.name: entry for entry in ENTRIES}


_LOOKUP = (
    "TextVectorization splits and standardises text with TensorFlow string operations and "
    "keeps its vocabulary in a table: {fmt}. The export is refused naming the "
    "layer; export to SavedModel or .keras, or do the lookup before the model"
)
_ONNX_TABLE = "ONNX has no operators tf2onnx converts them to"
_TFLITE_TABLE = "TFLite needs Flex (SELECT_TF_OPS) ops for it, which no TFLite runtime here has"
_SEED = (
    "the Sampling layer draws from a SeedGenerator, a variable that call() advances; a "
    "converted graph would freeze the random stream ({fmt}). Refused naming the layer and the "
    "variable; export to SavedModel or .keras"
)
_ASSIGN = (
    "the masked convolution assigns its kernel in call(); a converted graph would compute "
    "with the kernel assigned once ({fmt}). Refused naming the layer and the variable; mask "
    "the kernel with an op instead of an assignment, or export to SavedModel or .keras"
)

# (model, stage) -> why that stage cannot pass: a construct the format cannot hold, refused
# with a message naming the layer. The harness shows these as EXCEPTION, not as failures, and
# calls an exception that passes stale (remove it then).
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("text_vectorization", "onnx"): _LOOKUP.format(fmt=_ONNX_TABLE),
    ("text_vectorization", "tflite"): _LOOKUP.format(fmt=_TFLITE_TABLE),
    **{
        ("feature_space", fmt): (
            "the feature cross (HashedCrossing) hashes pairs with TensorFlow's SparseCross "
            f"(FarmHash), {why}; TFLite also lacks a builtin for the multi-hot CategoryEncoding "
            "(DenseBincount). Refused naming the layers; export to SavedModel or .keras"
        )
        for fmt, why in (
            ("onnx", "which has no ONNX operator"),
            ("tflite", "which TFLite runs only as a Flex operation"),
        )
    },
    ("vae_encoder", "onnx"): _SEED.format(fmt="ONNX"),
    ("vae_encoder", "tflite"): _SEED.format(fmt="TFLite"),
    ("pixelcnn", "onnx"): _ASSIGN.format(fmt="ONNX"),
    ("pixelcnn", "tflite"): _ASSIGN.format(fmt="TFLite"),
    ("ct_3d", "tflite"): (
        "TFLite has no built-in 3-D pooling (MaxPool3D); it would need a Flex op, which no "
        "TFLite runtime here has to verify the artefact. Export to ONNX (it passes) or SavedModel"
    ),
}


def select(names: list[str] | None = None, fast: bool = False) -> list[Entry]:
    """The entries named (all when ``names`` is empty), only the fast ones with ``fast``."""
    if names:
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            raise KeyError(f"unknown corpus models: {', '.join(unknown)}")
        chosen = [BY_NAME[n] for n in names]
    else:
        chosen = list(ENTRIES)
    return [e for e in chosen if e.fast] if fast else chosen
