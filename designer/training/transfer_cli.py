"""``transfer MODEL_OR_PROJECT --data PATH [--freeze-until LAYER] [--two-phase] [--epochs N]
--out PROJECT``: replace the head for the data's classes, freeze, train, save the project.

Exit codes: 0 trained, 1 the run failed, 2 unusable input (file, data, layer name, options).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any, TextIO

import keras

from designer.training.cli import _fail

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def unfreeze_count(model: keras.Model, frozen: list[str], n: int) -> int:
    """How many of ``model.layers`` (from the end) hold the last ``n`` frozen layers with
    weights: the ``unfreeze_last`` that makes TwoPhaseTrainer fine-tune exactly those."""
    frozen_set, found = set(frozen), 0
    for k, layer in enumerate(reversed(model.layers), 1):
        if layer.name in frozen_set and layer.weights:
            found += 1
            if found == n:
                return k
    return len(model.layers)


def frozen_names(graph: Any) -> list[str]:
    """Names of the frozen layers; when none is frozen, all layers before the head."""
    from designer.core.transfer import find_head

    names = [n.name for n in graph.nodes if not n.trainable]
    if names:
        return names
    order = graph.topological_order()
    anchor = find_head(graph).anchor
    return [graph.node(nid).name for nid in order[: order.index(anchor) + 1]]


def make_two_phase(project: Any, run: Any, epochs: int, unfreeze: int = 2,
                   fine_tune_factor: float = 0.1, sink: Any = None, cancel: Any = None) -> Any:
    """The TwoPhaseTrainer of :func:`train_phases` (not started): the graph's frozen layers
    in phase 1, the last ``unfreeze`` of them fine-tuned in phase 2."""
    from designer.training.transfer import TwoPhaseTrainer

    frozen = frozen_names(project.graph)
    return TwoPhaseTrainer(
        run.model, run.data.train, run.data.validation, run.options.replace(max_epochs=epochs),
        frozen=frozen, unfreeze_last=unfreeze_count(run.model, frozen, unfreeze),
        fine_tune_factor=fine_tune_factor, sink=sink, cancel=cancel)


def frozen_backbone_end(project: Any) -> str:
    """Name of the last layer of the frozen backbone (the frozen layers in network order)."""
    graph = project.graph
    order = graph.topological_order()
    frozen = [nid for nid in order if not graph.node(nid).trainable]
    if not frozen:
        raise ValueError("feature extraction needs a frozen backbone: freeze the layers before "
                         "the head first (--freeze-until LAYER)")  # fmt: skip
    return graph.node(frozen[-1]).name


def is_augmented(project: Any) -> bool:
    """Whether the project's training data is augmented (some augmentation switched on)."""
    from designer.data.augment import AugmentConfig

    return bool(project.augmentation) and AugmentConfig.from_dict(dict(project.augmentation)).enabled


def feature_mode_problem(project: Any) -> str:
    """Why the head cannot train on features computed once ("" when it can)."""
    if not any(not n.trainable for n in project.graph.nodes):
        return ("Feature extraction needs a frozen backbone: select the last layer before the "
                "head and choose Network > Freeze Everything Up To Here (CLI: --freeze-until).")
    if is_augmented(project):
        return ("Feature extraction computes the features once, so the data must not be "
                "augmented: turn augmentation off, or train in two phases.")
    return ""


def train_phases(project: Any, run: Any, two_phase: bool, epochs: int, unfreeze: int = 2,
                 fine_tune_factor: float = 0.1, sink: Any = None,
                 trainers: list | None = None,
                 feature_extraction: bool = False) -> list[tuple[str, Any]]:  # fmt: skip
    """Train ``run`` (a PreparedRun of ``project``): one phase with the graph's frozen layers,
    or two (head on the frozen layers, then the last ``unfreeze`` of them fine-tuned at
    ``fine_tune_factor`` times the rate); returns (phase name, TrainingResult) pairs.
    ``trainers`` receives the trainer, so that a GUI can stop it."""
    from designer.training.trainer import Trainer

    options = run.options.replace(max_epochs=epochs)
    if two_phase:
        trainer: Any = make_two_phase(project, run, epochs, unfreeze, fine_tune_factor, sink)
        if trainers is not None:
            trainers.append(trainer)
        return trainer.run().named()
    if feature_extraction:
        # The frozen backbone runs once over the data; only the head trains (no augmentation).
        from designer.training.features import train_head_on_features

        result = train_head_on_features(run.model, frozen_backbone_end(project), run.data.train,
                                        run.data.validation, options, sink,
                                        augmented=is_augmented(project))  # fmt: skip
        return [("features", result)]
    trainer = Trainer(run.model, run.data.train, run.data.validation, options, sink)
    if trainers is not None:
        trainers.append(trainer)
    return [("single", trainer.run())]


def finish_transfer(project: Any, run: Any, phases: list[tuple[str, Any]],
                    evaluation: Any = None) -> dict[str, Any]:
    """Store the trained weights and results in the project (with ``evaluation``, else one
    made here); returns a JSON-able summary."""
    from designer.training.project_run import evaluate_run, store_results

    last = phases[-1][1]
    if evaluation is None and last.status != "failed":
        evaluation = evaluate_run(run)
    stored = store_results(project, run, last, evaluation)
    return {"status": last.status, "layers_stored": stored,
            "frozen": [n.name for n in project.graph.nodes if not n.trainable],
            "phases": [{"phase": name, **r.summary()} for name, r in phases],
            "validation_accuracy": project.results.get("confusion", {}).get("accuracy")}


def run_transfer(project: Any, run: Any, two_phase: bool, epochs: int, unfreeze: int = 2,
                 fine_tune_factor: float = 0.1,
                 feature_extraction: bool = False) -> dict[str, Any]:  # fmt: skip
    """:func:`train_phases` then :func:`finish_transfer`."""
    phases = train_phases(project, run, two_phase, epochs, unfreeze, fine_tune_factor,
                          feature_extraction=feature_extraction)  # fmt: skip
    return finish_transfer(project, run, phases)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``transfer`` sub-command."""
    p = subparsers.add_parser(
        "transfer", help="transfer learning: new head for the data's classes, freeze, train")
    p.add_argument("path", metavar="MODEL_OR_PROJECT", help=".keras/.h5 model or project file")
    p.add_argument("--data", required=True, help="data folder/file or synthetic:letters etc.")
    p.add_argument("--freeze-until", default=None, metavar="LAYER",
                   help="freeze every layer up to this one (default: all but the new head)")
    p.add_argument("--two-phase", action="store_true",
                   help="train the head first, then fine-tune the last layers at 1/10 the rate")
    p.add_argument("--unfreeze-last", type=int, default=2, metavar="N",
                   help="layers with weights that phase 2 fine-tunes (default 2)")
    p.add_argument("--epochs", type=int, default=3, help="epochs per phase (default 3)")
    p.add_argument("--samples", type=int, default=None,
                   help="number of samples of synthetic data (default: the data's own)")
    p.add_argument("--extra-dense", type=int, default=None, metavar="UNITS")
    p.add_argument("--dropout", type=float, default=None, metavar="RATE")
    p.add_argument("--out", required=True, metavar="PROJECT", help="project file to write (.ndproj)")
    p.add_argument("--feature-extraction", action="store_true",
                   help="head-only run: compute the frozen backbone's features once and train "
                   "only the head (faster; needs data without augmentation)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=handle)
    return p


def handle(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``transfer``; returns the exit code."""
    from designer.core.errors import GraphError
    from designer.core.modelfile import open_path
    from designer.core.project import ProjectError, save_project
    from designer.core.transfer import find_head, freeze_until, replace_head
    from designer.data.registry import detect, open_datastore
    from designer.data.summary import DataError
    from designer.training.project_run import ProjectRunError, prepare_run

    out, err = out or sys.stdout, err or sys.stderr
    as_json = bool(args.json)
    if args.epochs < 1 or args.unfreeze_last < 1:
        return _fail("--epochs and --unfreeze-last expect integers >= 1", as_json, out, err,
                     EXIT_UNUSABLE)
    if not str(args.out).endswith(".ndproj"):
        return _fail(f"--out must end in .ndproj; received {args.out}", as_json, out, err,
                     EXIT_UNUSABLE)
    try:
        project = open_path(args.path)
        config = detect(args.data)
        if args.samples and hasattr(config, "num_samples"):
            config = dataclasses.replace(config, num_samples=args.samples)
        store = open_datastore(config)
        graph = project.graph
        regression = store.task == "regression"
        replace_head(graph, len(store.class_names) if not regression else 1, regression,
                     args.extra_dense, args.dropout)
        if args.freeze_until:
            node = graph.find(args.freeze_until)
            if node is None:
                raise GraphError(f"--freeze-until: no layer named '{args.freeze_until}'; layers: "
                                 f"{[n.name for n in graph.nodes]}")
            freeze_until(graph, node.id)
        else:
            freeze_until(graph, find_head(graph).anchor)
        project.data = {"source": config.to_dict(), "split": {"validation_percent": 20}}
        run = prepare_run(project, args.epochs)
    except (ProjectError, DataError, GraphError, ProjectRunError, ValueError) as exc:
        return _fail(str(exc), as_json, out, err, EXIT_UNUSABLE)
    if args.feature_extraction and args.two_phase:
        return _fail("--feature-extraction trains the head only; leave out --two-phase",
                     args.json, out, err, EXIT_UNUSABLE)  # fmt: skip
    try:
        summary = run_transfer(project, run, args.two_phase, args.epochs, args.unfreeze_last,
                               feature_extraction=args.feature_extraction)  # fmt: skip
    except ValueError as exc:  # e.g. no frozen backbone, or augmented data, for features
        return _fail(str(exc), args.json, out, err, EXIT_UNUSABLE)
    project.path = None
    try:
        saved = save_project(project, args.out)
    except (ProjectError, OSError) as exc:
        return _fail(f"cannot write {args.out}: {exc}", as_json, out, err, EXIT_UNUSABLE)
    summary = {"out": str(saved), "data": args.data, "classes": len(store.class_names),
               "head": [n.name for n in graph.nodes if n.name.startswith("new_")], **summary}
    if as_json:
        print(json.dumps(summary), file=out)
    else:
        _print(summary, out)
    return EXIT_FAILED if summary["status"] == "failed" else EXIT_OK


def _print(summary: dict[str, Any], out: TextIO) -> None:
    print(f"Transfer learning on {summary['data']} ({summary['classes']} classes): "
          f"new head {', '.join(summary['head'])}; frozen {len(summary['frozen'])} layers",
          file=out)
    for phase in summary["phases"]:
        final = phase.get("final", {})
        shown = ", ".join(f"{k} {v:.4f}" for k, v in final.items() if isinstance(v, float))
        print(f"  phase {phase['phase']}: {phase.get('epochs')} epochs, {shown}", file=out)
    acc = summary.get("validation_accuracy")
    if acc is not None:
        print(f"Validation accuracy: {acc:.4f}", file=out)
    print(f"Saved {summary['out']} ({summary['status']})", file=out)
