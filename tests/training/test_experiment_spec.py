"""The experiment definition: validation, grid values, plain-data round trips, and the
project section it lives in (refused values leave no trace; accepted ones reload equal)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.app.project import Project, load_project, save_project
from designer.app.settings import ProjectSettings, SettingsError
from designer.training.experiment_spec import ExperimentError, ExperimentSpec, Parameter


def test_grid_values_of_each_kind():
    assert Parameter("training.x", "log", low=1e-3, high=1e-1).grid_values() == [
        0.001,
        0.01,
        0.1,
    ]
    assert Parameter("training.x", "range", low=0, high=1, step=0.25).grid_values() == [
        0.0,
        0.25,
        0.5,
        0.75,
        1.0,
    ]
    assert Parameter(
        "training.x", "range", low=16, high=64, integer=True, points=3
    ).grid_values() == [
        16,
        40,
        64,
    ]
    assert Parameter("augmentation.flip_x", "choice", values=(True, False)).grid_values() == [
        True,
        False,
    ]
    spec = ExperimentSpec(
        (
            Parameter("training.a", values=(1, 2, 3)),
            Parameter("layer.d.rate", "range", low=0.0, high=0.5),
        ),
        strategy="grid",
    )
    assert spec.grid_size() == 9


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"parameters": [{"target": "nonsense", "values": [1]}]}, "expected a target"),
        ({"parameters": [{"target": "layer.rate", "values": [1]}]}, "expected a target"),
        ({"parameters": [{"target": "training.a", "values": []}]}, "at least one value"),
        ({"parameters": [{"target": "training.a", "values": [1, 1]}]}, "listed twice"),
        (
            {"parameters": [{"target": "training.a", "kind": "log", "low": 0, "high": 1}]},
            "low > 0",
        ),
        (
            {"parameters": [{"target": "training.a", "kind": "range", "low": 2, "high": 1}]},
            "low < high",
        ),
        ({"parameters": [{"target": "training.a", "values": [1]}], "strategy": "x"}, "strategy"),
        ({"parameters": [{"target": "training.a", "values": [1]}], "trials": 0}, "trials >= 1"),
        ({"parameters": [{"target": "training.a", "values": [[1]]}]}, "list of numbers"),
        ({"parameters": [{"target": "training.a", "wat": 1}]}, "unknown keys"),
        ({"speed": 3}, "unknown experiment keys"),
        ("text", "expected the experiment as an object"),
    ],
)
def test_invalid_definitions_say_why(data, words):
    with pytest.raises(ExperimentError, match=words):
        ExperimentSpec.from_dict(data)


def test_direction_follows_the_objective():
    assert ExperimentSpec(objective="val_loss").resolved_direction == "minimize"
    assert ExperimentSpec(objective="val_accuracy").resolved_direction == "maximize"
    assert ExperimentSpec(objective="val_mae").resolved_direction == "minimize"
    assert ExperimentSpec(objective="val_loss", direction="maximize").resolved_direction == (
        "maximize"
    )


numbers = st.floats(min_value=1e-3, max_value=10, allow_nan=False)
values = st.lists(
    st.one_of(st.integers(-5, 500), numbers, st.sampled_from(["adam", "sgdm", True])),
    min_size=1,
    max_size=4,
    unique_by=repr,
)
parameters = st.one_of(
    st.builds(
        lambda t, v, k: Parameter(t, k, tuple(v)),
        st.sampled_from(["training.initial_learn_rate", "layer.drop.rate", "augmentation.zoom"]),
        values,
        st.sampled_from(["list", "choice"]),
    ),
    st.builds(
        lambda t, lo, width, kind, points: Parameter(
            t, kind, low=lo, high=lo + width, points=points
        ),
        st.sampled_from(["training.momentum", "layer.f5.units"]),
        numbers,
        numbers,
        st.sampled_from(["range", "log"]),
        st.integers(2, 6),
    ),
)
specs = st.builds(
    lambda params, strategy, trials, pruner: ExperimentSpec(
        tuple({p.target: p for p in params}.values()), strategy, trials=trials, pruner=pruner
    ),
    st.lists(parameters, max_size=3),
    st.sampled_from(["grid", "random", "tpe"]),
    st.integers(1, 50),
    st.sampled_from(["none", "median", "hyperband"]),
)


@settings(max_examples=40, deadline=None)
@given(specs)
def test_specs_round_trip_through_json(spec):
    again = ExperimentSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert ProjectSettings.from_dict({"experiment": spec.to_dict()}).experiment == spec


def test_project_keeps_its_experiment_and_refuses_a_bad_one(tmp_path):
    spec = ExperimentSpec((Parameter("training.initial_learn_rate", "log", low=1e-3, high=1e-1),))
    project = Project(settings=ProjectSettings().replace(experiment=spec))
    path = save_project(project, tmp_path / "p.json")
    assert load_project(path).settings.experiment == spec
    plain_default = ProjectSettings().to_dict()
    assert "experiment" not in plain_default  # files without one are unchanged
    data = json.loads(path.read_text())
    data["experiment"] = {"parameters": [{"target": "training.a", "kind": "log", "low": -1}]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(Exception, match="experiment"):
        load_project(bad)
    with pytest.raises(SettingsError, match="experiment"):
        ProjectSettings.from_dict({"experiment": {"trials": -1}})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    ["parameters", "strategy", "objective", "trials", "epochs", "pruner", "timeout_s", "x"]
)
param_keys = st.sampled_from(["target", "kind", "values", "low", "high", "step", "points"])
hostile = st.one_of(
    json_values,
    st.dictionaries(keys, json_values, max_size=5),
    st.builds(
        lambda extra, params: {**extra, "parameters": params},
        st.dictionaries(keys, json_values, max_size=3),
        st.lists(st.dictionaries(param_keys, json_values, max_size=6), max_size=3),
    ),
)


@settings(max_examples=150, deadline=None)
@given(hostile)
def test_any_space_file_is_read_or_refused_in_words(data):
    try:
        spec = ExperimentSpec.from_dict(data)
    except ExperimentError as exc:
        assert str(exc)
        if data:  # (an empty value is an empty section to the project reader)
            with pytest.raises(SettingsError):
                ProjectSettings.from_dict({"experiment": data})
        return
    assert spec.validate() == []
    assert ExperimentSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
