"""The fast subset of the model corpus (issue 17) in the test suite.

Nine representative models of tests/corpus (flag ``fast=True``: a Sequential CNN, the Vision
Transformer with its adapted Normalization, siamese towers, a Transformer text classifier with
custom layers, seq2seq LSTMs, the VAE encoder, keras.ops slicing, an adapted Normalization and a
legacy tf.keras ``.h5``) through the stages keras, rebuild, analyze and onnx of
tests/corpus/stages.py, and no-code for those with custom classes (the whole corpus and all
stages: ``python benchmarks/corpus.py``).

A stated exception (tests.corpus.EXCEPTIONS: a construct the format cannot hold, refused by
name) is marked ``xfail(strict=True)``, so a fix turns its mark into an XPASS failure: remove
it from EXCEPTIONS when that happens.
"""

from __future__ import annotations

import importlib

import h5py
import keras
import pytest

from tests.corpus import BY_NAME, CATEGORIES, ENTRIES, EXCEPTIONS, legacy_h5, select
from tests.corpus.stages import prepare, run_stage

FAST_STAGES = ("keras", "rebuild", "analyze", "onnx", "no-code")

#: (model, stage) -> why it does not pass (the fixes of issue 17 removed the others).
XFAIL: dict[tuple[str, str], str] = EXCEPTIONS  # the stated exceptions (docs/corpus.md)


def _params() -> list[object]:
    params = []
    for entry in select(fast=True):
        for stage in FAST_STAGES:
            if stage == "no-code" and not entry.custom_objects:
                continue  # only a model with custom classes has code to leave out
            reason = XFAIL.get((entry.name, stage))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(entry.name, stage, id=f"{entry.name}-{stage}", marks=marks))
    return params


@pytest.fixture(scope="module")
def subjects(tmp_path_factory):
    """Each fast model built, saved and run once for all its stages."""
    made = {}
    root = tmp_path_factory.mktemp("corpus")

    def get(name: str):
        if name not in made:
            made[name] = prepare(BY_NAME[name], root / name)
        return made[name]

    yield get
    keras.backend.clear_session()


@pytest.mark.parametrize(("name", "stage"), _params())
def test_fast_corpus_stage(subjects, name: str, stage: str) -> None:
    result = run_stage(stage, subjects(name))
    assert result.status == "PASS", f"{name} {stage}: {result.status}: {result.message}"


def test_registry_lists_the_corpus() -> None:
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names))
    assert len([e for e in ENTRIES if not e.legacy_h5]) >= 40
    assert len([e for e in ENTRIES if e.legacy_h5]) == 5
    assert 8 <= len(select(fast=True)) <= 10
    for entry in ENTRIES:
        module = importlib.import_module(entry.module)
        assert entry.category in CATEGORIES, entry.name
        assert callable(getattr(module, entry.builder)), entry.name
        assert module.__doc__ and entry.file.exists(), entry.name
        assert entry.source and entry.source != "?", entry.name
        if not entry.legacy_h5:
            assert module.SOURCE in " ".join(module.__doc__.split()), entry.name


def test_legacy_h5_models_are_written_on_demand(tmp_path) -> None:
    path = legacy_h5.save("build_regularized_mlp", tmp_path)
    assert path.suffix == ".h5" and h5py.is_hdf5(path)
    assert keras.saving.load_model(path, compile=False).count_params() > 0
