"""A project folder on disk: project.yaml, cameos/, references/, studio.db, media/.

:func:`load_project` never writes. :func:`save_project` writes atomically and refuses to
overwrite a project.yaml that changed on disk since it was loaded (someone edited it by
hand, or another window saved): that raises :class:`SaveConflictError`.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.errors import Problem, ProjectError, ProjectFileError, SaveConflictError
from studio.model import SCHEMA_VERSION, Project, Shot, new_id
from studio.store import Store
from studio.yamlio import SourceMap, atomic_write, load_model, model_to_yaml, with_header_of

PROJECT_FILE = "project.yaml"
CAMEOS_DIR = "cameos"
REFERENCES_DIR = "references"
MEDIA_DIR = "media"


def _migrate_v0(data: dict[str, Any]) -> dict[str, Any]:
    """v0 (prototype files): shots[].camera {lens: "35mm anamorphic", move: ...}."""
    for shot in data.get("shots") or []:
        if not isinstance(shot, dict) or "camera" not in shot:
            continue
        camera = shot.pop("camera") or {}
        direction = shot.setdefault("direction", {})
        lens = str(camera.get("lens", ""))
        match = re.match(r"\s*(\d+)\s*mm\s*(.*)", lens)
        if match:
            direction["lens_mm"] = int(match.group(1))
            if match.group(2).strip():
                direction["lens_type"] = match.group(2).strip().lower()
        if camera.get("move"):
            direction["movement"] = camera["move"]
        for key in ("shot_size", "angle"):
            if camera.get(key):
                direction[key] = camera[key]
    return data


MIGRATIONS = {0: _migrate_v0}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ProjectDocument:
    """A loaded project and where it came from."""

    root: Path
    project: Project
    source_map: SourceMap = field(default_factory=dict)
    disk_sha256: str | None = None  # of project.yaml as last loaded or saved

    @property
    def path(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def store(self) -> Store:
        return Store.for_project(self.root)

    def cameo_path(self, cameo_id: str) -> Path:
        return self.root / CAMEOS_DIR / f"{cameo_id}.yaml"

    def resolve(self, relative: str) -> Path:
        return self.root / relative


def find_root(path: Path) -> Path:
    """Accept a project folder or its project.yaml."""
    path = Path(path)
    if path.name == PROJECT_FILE:
        return path.parent
    return path


def load_project(path: Path) -> ProjectDocument:
    root = find_root(path)
    file = root / PROJECT_FILE
    try:
        if not root.exists():
            raise ProjectFileError([Problem(str(root), 0, 0, "no such project folder")])
        if not root.is_dir():
            raise ProjectFileError([Problem(str(root), 0, 0, "not a folder")])
        if not file.exists():
            os.listdir(root)  # an unreadable folder says so here, not as "no project.yaml"
            raise ProjectFileError(
                [Problem(str(file), 0, 0, "no project.yaml here; create one with `studio new`")]
            )
    except PermissionError:
        raise ProjectFileError(
            [Problem(str(root), 0, 0, "permission denied: this folder cannot be read")]
        ) from None
    except OSError as exc:
        raise ProjectFileError([Problem(str(root), 0, 0, exc.strerror or str(exc))]) from None
    raw = _read_bytes(file)
    project, smap = load_model(
        file, Project, current_version=SCHEMA_VERSION, migrations=MIGRATIONS, kind="project"
    )
    return ProjectDocument(root, project, smap, sha256_bytes(raw))


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ProjectFileError([Problem(str(file), 0, 0, exc.strerror or str(exc))]) from None


def save_project(doc: ProjectDocument, *, force: bool = False) -> None:
    """Write project.yaml atomically. Refuses if the file changed on disk since loading."""
    file = doc.path
    if not force and doc.disk_sha256 is not None and file.exists():
        current = sha256_bytes(_read_bytes(file))
        if current != doc.disk_sha256:
            raise SaveConflictError(
                f"{file} changed on disk since it was opened (edited elsewhere?). "
                "Reload it, or save anyway to overwrite those changes."
            )
    text = with_header_of(file, model_to_yaml(doc.project))
    try:
        atomic_write(file, text)
    except OSError as exc:
        raise ProjectError(f"{file}: could not save ({exc.strerror or exc})") from None
    doc.disk_sha256 = sha256_bytes(text.encode("utf-8"))


def create_project(path: Path, name: str | None = None, template: Project | None = None) -> ProjectDocument:
    root = Path(path)
    if root.exists() and any(root.iterdir()):
        raise ProjectError(f"{root}: folder exists and is not empty; choose a new folder")
    try:
        for sub in ("", CAMEOS_DIR, REFERENCES_DIR, MEDIA_DIR):
            (root / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"{root}: could not create the project ({exc.strerror or exc})") from None
    if template is not None:
        project = template.model_copy(deep=True)
        project.id = new_id("pr")
        if name:
            project.name = name
    else:
        project = Project(
            name=name or root.name,
            shots=[Shot(id=new_id("sh"), title="Opening", duration=4.0)],
        )
    doc = ProjectDocument(root, project)
    save_project(doc)
    doc.store.connect().close()
    return doc
