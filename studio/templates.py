"""Project templates (resources/templates/<id>.yaml): starting briefs for `studio new`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.errors import ProjectError
from studio.model import SCHEMA_VERSION, Project
from studio.resources import resources_dir
from studio.yamlio import load_model


@dataclass(frozen=True)
class TemplateInfo:
    id: str
    name: str
    path: Path


def templates_dir() -> Path:
    return resources_dir() / "templates"


def list_templates() -> list[TemplateInfo]:
    out = []
    for path in sorted(templates_dir().glob("*.yaml")):
        project, _ = load_model(path, Project, current_version=SCHEMA_VERSION, kind="template")
        out.append(TemplateInfo(path.stem, project.name, path))
    return out


def load_template(template_id: str) -> Project:
    path = templates_dir() / f"{template_id}.yaml"
    if not path.is_file():
        known = ", ".join(t.id for t in list_templates()) or "none"
        raise ProjectError(f"unknown template {template_id!r} (available: {known})")
    project, _ = load_model(path, Project, current_version=SCHEMA_VERSION, kind="template")
    return project
