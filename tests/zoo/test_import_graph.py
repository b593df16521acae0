"""designer.zoo's modules import one another in one direction only: no cycle, lazy imports included.

The graph is read from the source with ``ast`` (every import statement, at module level or
inside a function), so a cycle hidden behind a lazy import is found without running anything.
``from designer.zoo import X`` counts as importing designer/zoo/__init__.py (and the submodule
X when X is one).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import designer.zoo

ZOO_DIR = Path(designer.zoo.__file__).resolve().parent
PACKAGE = "designer.zoo"


def module_names() -> dict[str, Path]:
    """Dotted name -> source file of every module of designer.zoo (packages as their __init__)."""
    names = {}
    for path in sorted(ZOO_DIR.rglob("*.py")):
        parts = list(path.relative_to(ZOO_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join([PACKAGE, *parts])] = path
    return names


def _resolve_from(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module name of ``from <module> import ...`` (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """designer.zoo modules that ``module`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    required: set[str] = set()  # modules named by the statement itself
    optional: set[str] = set()  # "from M import X": X counts when it is a submodule of M
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            required.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(node, module, path.name == "__init__.py")
            required.add(base)
            optional.update(f"{base}.{alias.name}" for alias in node.names)
    required = {t for t in required if t == PACKAGE or t.startswith(PACKAGE + ".")}
    unknown = required - known
    assert not unknown, f"{module} imports designer.zoo modules that do not exist: {unknown}"
    return required | (optional & known)


def zoo_import_graph() -> nx.DiGraph:
    """Directed graph: an edge a -> b when module a imports module b."""
    names = module_names()
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    for module, path in names.items():
        for target in imported_modules(module, path, set(names)):
            if target != module:
                graph.add_edge(module, target)
    return graph


def test_graph_sees_lazy_and_package_imports(tmp_path):
    # The parser itself: an import inside a function, and `from designer.zoo import X`.
    source = "def f():\n    from designer.zoo import keras_weights\n    import designer.zoo.entry\n"
    path = tmp_path / "probe.py"
    path.write_text(source)
    known = {PACKAGE, f"{PACKAGE}.keras_weights", f"{PACKAGE}.entry"}
    assert imported_modules(f"{PACKAGE}.probe", path, known) == known


def test_zoo_has_no_import_cycle():
    graph = zoo_import_graph()
    assert graph.number_of_edges() > 10  # the parse found the imports
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        pytest.fail(
            "import cycle in designer.zoo: "
            + " -> ".join(a for a, _ in cycle)
            + f" -> {cycle[-1][1]}"
        )


def test_layers_point_down():
    graph = zoo_import_graph()
    # The plain data imports nothing of the zoo.
    assert list(graph.successors(f"{PACKAGE}.entry")) == []
    # Weights resolution and building take the entry itself, never a name look-up.
    for module in ("weights", "keras_weights", "download", "build", "bundled"):
        name = f"{PACKAGE}.{module}"
        assert f"{PACKAGE}.registry" not in nx.descendants(graph, name) | {name}, name
    # Nothing inside the zoo goes through the package's __init__.
    assert list(graph.predecessors(PACKAGE)) == []


def test_no_dynamic_imports():
    # The graph above is complete only if no module imports by string.
    for module, path in module_names().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert name not in ("import_module", "__import__"), (module, node.lineno)
