"""A read-only preview of project.yaml's storyboard, read without the pydantic models.

The window paints its first frame of a project from this (docs/performance.md
"startup_ratio"): importing pydantic and building the brief's schemas costs ≈ 85 ms, more
than half of what the window adds to a bare Qt window. :func:`read_preview` parses the file
with the same YAML reader as :func:`studio.yamlio.load_model` and returns what the
storyboard's cards show — or ``None`` whenever it cannot be sure the validated model would
show the same: another schema version (a migration would run first), a value of a type the
model would coerce (``duration: "4"``), a value out of the model's range, an unknown key.
The caller then takes the normal path (load and validate, then paint).

A preview is never a substitute for validation: the window validates right after the first
frame, shows the file's errors exactly as before if that fails, and allows no edit until
the validated model has replaced the preview. Nothing here writes.

This module must stay light: no pydantic, no Qt (only the standard library, PyYAML via
studio.yamlio, and studio.versions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.versions import SCHEMA_VERSION

PROJECT_FILE = "project.yaml"  # as studio.project.PROJECT_FILE
MEDIA_DIR = "media"  # as studio.project.MEDIA_DIR (a take's thumbnail is media/ID/thumb.jpg)

# The keys studio.model's classes accept (extra="forbid"); tests/unit/test_preview.py checks
# they match the models' fields, so a file the model would refuse for an unknown key is not
# previewed.
PROJECT_KEYS = frozenset({"schema_version", "id", "name", "client", "usage", "territories",
                          "budget_usd", "style", "characters", "guardrails", "shots"})
SHOT_KEYS = frozenset({"id", "title", "duration", "aspect", "size", "prose", "direction",
                       "beats", "dialogue", "sound", "cameos", "references", "avoid",
                       "variants", "selected_take", "notes"})
DIRECTION_KEYS = frozenset({"shot_size", "angle", "lens_mm", "lens_type", "aperture",
                            "depth_of_field", "movement", "movement_speed", "emotion",
                            "lighting", "palette"})
DEFAULT_DURATION = 4.0  # studio.model.Shot.duration's default
MAX_DURATION = 120.0  # Shot.duration: gt=0, le=120
LENS_MM_RANGE = (4, 1200)  # Direction.lens_mm: ge=4, le=1200


@dataclass(frozen=True, slots=True)
class DirectionPreview:
    shot_size: str | None = None
    movement: str | None = None
    lens_mm: int | None = None


@dataclass(frozen=True, slots=True)
class ShotPreview:
    """The fields of :class:`studio.model.Shot` a storyboard card shows (same names)."""

    id: str
    title: str = ""
    duration: float = DEFAULT_DURATION
    direction: DirectionPreview = field(default_factory=DirectionPreview)
    cameos: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    selected_take: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectPreview:
    root: Path
    name: str
    client: str
    shots: tuple[ShotPreview, ...]


class _NotPreviewable(Exception):
    """The raw data is not in the shape the preview can vouch for."""


def _mapping(value: Any, keys: frozenset[str]) -> dict[str, Any]:  # noqa: ANN401
    if not isinstance(value, dict) or not set(value) <= keys:
        raise _NotPreviewable
    return value


def _text(value: Any, *, optional: bool = False) -> Any:  # noqa: ANN401
    if isinstance(value, str) or (optional and value is None):
        return value
    raise _NotPreviewable


def _texts(value: Any) -> tuple[str, ...]:  # noqa: ANN401
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _NotPreviewable
    return tuple(value)


def _shot(raw: Any) -> ShotPreview:  # noqa: ANN401
    data = _mapping(raw, SHOT_KEYS)
    duration = data.get("duration", DEFAULT_DURATION)
    # int or float only (the model would turn a numeric string into a number), in range
    if isinstance(duration, bool) or not isinstance(duration, int | float) \
            or not math.isfinite(duration) or not 0 < duration <= MAX_DURATION:
        raise _NotPreviewable
    direction = _mapping(data.get("direction", {}), DIRECTION_KEYS)
    lens = direction.get("lens_mm")
    if lens is not None and (isinstance(lens, bool) or not isinstance(lens, int)
                             or not LENS_MM_RANGE[0] <= lens <= LENS_MM_RANGE[1]):
        raise _NotPreviewable
    return ShotPreview(
        id=_text(data.get("id")),
        title=_text(data.get("title", "")),
        duration=float(duration),
        direction=DirectionPreview(
            shot_size=_text(direction.get("shot_size"), optional=True),
            movement=_text(direction.get("movement"), optional=True),
            lens_mm=lens,
        ),
        cameos=_texts(data.get("cameos", [])),
        references=_texts(data.get("references", [])),
        selected_take=_text(data.get("selected_take"), optional=True),
    )


def preview_from_data(root: Path, data: Any) -> ProjectPreview | None:  # noqa: ANN401
    """The preview of already-parsed project.yaml data, or None (see the module's doc)."""
    try:
        project = _mapping(data, PROJECT_KEYS)
        version = project.get("schema_version", 0)
        if isinstance(version, bool) or version != SCHEMA_VERSION:
            return None
        shots = project.get("shots", [])
        if not isinstance(shots, list):
            return None
        return ProjectPreview(root=root, name=_text(project.get("name")),
                              client=_text(project.get("client", "")),
                              shots=tuple(_shot(s) for s in shots))
    except _NotPreviewable:
        return None


def project_file(path: Path) -> Path:
    """project.yaml of a project folder, or ``path`` itself if it names that file (as
    studio.project.find_root)."""
    path = Path(path)
    return path if path.name == PROJECT_FILE else path / PROJECT_FILE


def read_preview(path: Path) -> ProjectPreview | None:
    """Preview of the project at ``path`` (a folder or its project.yaml), or None when it
    cannot be read, does not parse, or is not in the current schema's plain shape."""
    from studio.errors import StudioError
    from studio.yamlio import parse_yaml, read_text

    file = project_file(path)
    try:
        data, _smap = parse_yaml(read_text(file), str(file))
    except (StudioError, OSError):
        return None  # the normal load reports it
    return preview_from_data(file.parent, data)
