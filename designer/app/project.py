"""Project = the network + its typed settings; reading and writing project files.

The file format (versions, migrations, weights, atomic save) is :mod:`designer.core.project_file`;
the settings' types and checks are :mod:`designer.app.settings`. Both the GUI and the CLI open
and save projects through :func:`load_project` and :func:`save_project`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.app.settings import ProjectSettings, SettingsError
from designer.core.graph import LayerGraph
from designer.core.project_file import (
    EXTENSION,
    ProjectError,
    ProjectFile,
    project_file_bytes,
    read_project_file,
    write_project_file,
    writer_info,
)

__all__ = ["EXTENSION", "Project", "ProjectError", "load_project", "project_bytes", "save_project"]

UNTITLED = "untitled"  # the name of a project nobody has named yet


@dataclass(slots=True)
class Project:
    """Everything a user works on: the network and the settings around it."""

    graph: LayerGraph = field(default_factory=LayerGraph)
    name: str = UNTITLED
    settings: ProjectSettings = field(default_factory=ProjectSettings)
    path: Path | None = None  # the file it was read from or last saved to
    import_notes: list[str] = field(default_factory=list)  # shown after opening; not saved

    @classmethod
    def from_sections(
        cls, graph: LayerGraph | None = None, name: str = UNTITLED, **sections: Any
    ) -> Project:
        """A project whose settings are given as plain-data sections (the file's layout),
        checked like a file's: ``Project.from_sections(g, data={"source": {...}})``."""
        return cls(
            graph if graph is not None else LayerGraph(), name, ProjectSettings.from_dict(sections)
        )

    def file_contents(self) -> ProjectFile:
        """What :func:`save_project` writes."""
        return ProjectFile(self.graph, self.name, self.settings.to_dict(), writer_info())


def project_bytes(project: Project) -> bytes:
    """The exact bytes of the ``.ndproj`` file (deterministic for equal projects)."""
    return project_file_bytes(project.file_contents())


def save_project(project: Project, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically (a .json path: plain JSON, no weights); the
    project's own ``path`` is left as it is (the caller decides whether it moved)."""
    return write_project_file(project.file_contents(), path)


def load_project(path: str | Path, allow_unsafe: bool = False) -> Project:
    """Read a project file; ProjectError for a missing, damaged, invalid or future file, and
    UnsafeModelError for layers that run code or an outside graph (unless ``allow_unsafe``).
    What the reader had to leave out (weights that do not fit) is in ``import_notes``."""
    contents = read_project_file(path, allow_unsafe)
    try:
        settings = ProjectSettings.from_dict(contents.sections)
    except SettingsError as exc:
        raise ProjectError(f"{Path(path).name}: the {exc}") from exc
    project = Project(contents.graph, contents.name, settings, Path(path))
    project.import_notes = list(contents.notes)
    return project
