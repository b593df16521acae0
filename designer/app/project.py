"""Project = the network + its typed settings; reading and writing project files.

The file format (versions, migrations, weights, atomic save) is :mod:`designer.core.project_file`;
the settings' types and checks are :mod:`designer.app.settings`. Both the GUI and the CLI open
and save projects through :func:`load_project` and :func:`save_project`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.app import custom_code
from designer.app.settings import ProjectSettings, SettingsError
from designer.core.graph import LayerGraph
from designer.core.layers import UnsafeModelError
from designer.core.project_file import (
    EXTENSION,
    ProjectError,
    ProjectFile,
    project_file_bytes,
    read_project_file,
    write_project_file,
    writer_info,
)

__all__ = [
    "EXTENSION",
    "Project",
    "ProjectError",
    "load_project",
    "project_bytes",
    "save_project",
    "save_refusal",
]

UNTITLED = "untitled"  # the name of a project nobody has named yet


@dataclass(slots=True)
class Project:
    """Everything a user works on: the network and the settings around it."""

    graph: LayerGraph = field(default_factory=LayerGraph)
    name: str = UNTITLED
    settings: ProjectSettings = field(default_factory=ProjectSettings)
    path: Path | None = None  # the file it was read from or last saved to
    import_notes: list[str] = field(default_factory=list)  # shown after opening; not saved
    source_model: Path | None = None  # the model file it was imported from; not saved
    read_only: str | None = None  # why it cannot be edited or saved (designer.app.read_only)

    @classmethod
    def from_sections(
        cls, graph: LayerGraph | None = None, name: str = UNTITLED, **sections: Any
    ) -> Project:
        """A project whose settings are given as plain-data sections (the file's layout),
        checked like a file's: ``Project.from_sections(g, data={"source": {...}})``."""
        return cls(
            graph if graph is not None else LayerGraph(), name, ProjectSettings.from_dict(sections)
        )

    def file_contents(self, path: str | Path | None = None) -> ProjectFile:
        """What :func:`save_project` writes to ``path`` (default: the project's own): custom
        code files inside its folder are stored relative to it."""
        sections = self.settings.to_dict()
        target = path or self.path
        if "custom_code" in sections and target is not None:
            folder = Path(target).resolve().parent
            files = [_stored_path(f, folder) for f in sections["custom_code"]["files"]]
            sections["custom_code"] = {"files": files}
        return ProjectFile(self.graph, self.name, sections, writer_info())


def _stored_path(file: str, folder: Path) -> str:
    """``file`` relative to ``folder`` when it lies inside it (as '/'-separated), else as it is."""
    path = Path(file)
    if path.is_absolute() and path.is_relative_to(folder):
        return path.relative_to(folder).as_posix()
    return file


def _absolute_paths(sections: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The sections with custom code paths made absolute against the project's ``folder``."""
    code = sections.get("custom_code")
    if not isinstance(code, dict) or not isinstance(code.get("files"), list):
        return sections
    files = code["files"]
    absolute = [
        os.path.normpath(folder / f) if isinstance(f, str) and f and "\0" not in f else f
        for f in files
    ]
    return {**sections, "custom_code": {**code, "files": absolute}}


def project_bytes(project: Project) -> bytes:
    """The exact bytes of the ``.ndproj`` file (deterministic for equal projects)."""
    return project_file_bytes(project.file_contents())


def save_project(project: Project, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically (a .json path: plain JSON, no weights); the
    project's own ``path`` is left as it is (the caller decides whether it moved); a
    read-only project is refused (it holds parts a project file cannot)."""
    refusal = save_refusal(project)
    if refusal:
        raise ProjectError(refusal)
    return write_project_file(project.file_contents(path), path)


def save_refusal(project: Project) -> str | None:
    """Why ``project`` cannot be saved as a project file (it is read-only), or None."""
    if not project.read_only:
        return None
    return f"{project.name} cannot be saved as a project: it was {project.read_only}"


def load_project(
    path: str | Path,
    allow_unsafe: bool = False,
    trust_code: bool | None = None,
    graph_filter: Callable[[Any], Any] | None = None,
) -> Project:
    """Read a project file; ProjectError for a missing, damaged, invalid or future file, and
    UnsafeModelError for layers that run code or an outside graph (unless ``allow_unsafe``).
    What the reader had to leave out (weights that do not fit) is in ``import_notes``.

    Custom layer code the project lists runs only with ``trust_code`` (None: the command
    line's :func:`~designer.app.custom_code.code_consent`; still None: CustomCodeConsentError
    names the files); a network whose custom classes are missing is refused, naming them.
    ``graph_filter`` changes the network's data before it is read (the read-only view of
    :mod:`designer.app.read_only` puts stand-ins for those classes)."""
    path = Path(path)
    trust = custom_code.code_consent() if trust_code is None else trust_code
    try:
        contents = read_project_file(path, allow_unsafe, graph_filter)
    except UnsafeModelError:
        raise
    except ProjectError:
        if not _code_ran(path, trust):
            raise
        contents = read_project_file(path, allow_unsafe, graph_filter)
    sections = _absolute_paths(contents.sections, path.resolve().parent)
    try:
        settings = ProjectSettings.from_dict(sections)
    except SettingsError as exc:
        raise ProjectError(f"{path.name}: the {exc}") from exc
    files = [Path(f) for f in settings.custom_code.files]
    notes = custom_code.settle_project_code(path, files, trust)
    project = Project(contents.graph, contents.name, settings, path)
    project.import_notes = list(contents.notes) + notes
    return project


def _code_ran(path: Path, trust: bool | None) -> bool:
    """After a project failed to read: run its listed code if allowed (True: read it again);
    CustomCodeConsentError or UnknownClassesError when custom code is what it lacks."""
    payload = custom_code.peek_project(path)
    if payload is None:
        return False
    files = custom_code.listed_files(payload, path)
    pending = [f for f in files if f.is_file() and not custom_code.is_loaded(f)]
    custom_code.settle_project_code(path, files, trust, payload.get("graph"))
    return bool(pending) and bool(trust)
