"""Where the project's data and its network disagree, said as soon as they do.

One check, used twice: the Analysis dock lists its warning after every analysis and every
change of the data settings (:func:`data_network_issues`), and Train refuses a run with the
same sentence (:func:`designer.app.project_run.prepare_run` calls :func:`class_mismatch`).

The GUI must not read a data set after every edit, so :func:`data_classes` knows a source's
classes without reading its samples where its kind says them (synthetic characters,
scikit-learn's digits, the Keras data sets, an image folder's subfolders), and otherwise once
the data have been opened (:func:`remember_classes`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from designer.app.project import Project
from designer.core.analysis import Issue, Report
from designer.core.graph import LayerGraph
from designer.data.base import DataConfig, Datastore
from designer.data.builtin import SklearnDigitsConfig, SyntheticConfig
from designer.data.images import ImageFolderConfig
from designer.data.kerasdatasets import CLASS_NAMES, KerasDatasetConfig
from designer.data.synthetic import CHARSETS

CLASSES_CODE = "data-classes"  # the code of the Analysis dock's warning
_SHOWN_CLASSES = 10  # class names quoted in the sentence
_REMEMBERED = 64  # data sources whose opened classes are kept
_opened: dict[str, tuple[str, ...] | None] = {}  # by source; None: not a classification


def class_mismatch(output: str, units: int | None, class_names: Sequence[str]) -> str | None:
    """The sentence saying that a classifier's output ``output``, giving ``units`` values, cannot
    score the data's ``class_names``; None when it can (as many values as classes, or one
    value for two classes) or when either count is unknown."""
    n = len(class_names)
    if units is None or n == 0 or units == n or (units == 1 and n == 2):
        return None
    names = ", ".join(str(c) for c in class_names[:_SHOWN_CLASSES])
    more = ", ..." if n > _SHOWN_CLASSES else ""
    return (
        f"The data have {n} classes ({names}{more}) but the network's output '{output}' "
        f"gives {units} values; give the last layer {n} units"
    )


def network_output(graph: LayerGraph, report: Report) -> tuple[str, str, int | None] | None:
    """(node id, name, last dimension) of the network's only output, from an analysis; None
    when the network has no output or several (each would need its own data)."""
    if len(report.outputs) != 1:
        return None
    node_id = report.outputs[0]
    info = report.nodes.get(node_id)
    shape = info.shape if info is not None else None
    units = shape[-1] if shape else None
    return node_id, graph.node(node_id).name, units if isinstance(units, int) else None


def _key(source: DataConfig) -> str:
    return json.dumps(source.to_dict(), sort_keys=True, default=str)


def remember_classes(source: DataConfig, store: Datastore) -> None:
    """Note the classes of the opened ``store`` of ``source``: known to the check from now on."""
    if len(_opened) >= _REMEMBERED:
        _opened.clear()
    classes = tuple(store.class_names) if store.task == "classification" else None
    _opened[_key(source)] = classes


def data_classes(source: DataConfig | None) -> tuple[str, ...] | None:
    """The class names of a classification data source, when known without reading its
    samples (see the module docstring); None for no source, another task, or classes not
    known until the data are opened."""
    if source is None:
        return None
    key = _key(source)
    if key in _opened:
        return _opened[key]
    if isinstance(source, SyntheticConfig):
        known = source.target == "label" and source.charset in CHARSETS
        return tuple(CHARSETS[source.charset]) if known else None
    if isinstance(source, SklearnDigitsConfig):
        return tuple(str(i) for i in range(10))
    if isinstance(source, KerasDatasetConfig):
        names = CLASS_NAMES.get(source.name)
        return tuple(names) if names else None
    if isinstance(source, ImageFolderConfig):
        if source.class_names:
            return tuple(source.class_names)
        try:  # the rule of ImageFolderStore: one class per visible subfolder, sorted
            with os.scandir(source.path) as entries:
                found = sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))
        except OSError:
            return None
        return tuple(found) or None
    return None


def data_network_issues(project: Project, report: Report) -> list[Issue]:
    """Warnings where the project's data and network (as ``report`` analysed it) disagree:
    the data's classes and the values of the network's output."""
    classes = data_classes(project.settings.data.source)
    output = network_output(project.graph, report)
    if not classes or output is None:
        return []
    node_id, name, units = output
    message = class_mismatch(name, units, classes)
    return [] if message is None else [Issue("warning", node_id, CLASSES_CODE, message)]
