"""studio.preview: project.yaml's storyboard read without the pydantic models (the window's
first frame, docs/performance.md "startup_ratio"). It must show exactly what the validated
model would, or decline (None) so the window takes the normal path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from studio import preview as pv
from studio.model import SCHEMA_VERSION, Direction, Project, Shot
from studio.project import MEDIA_DIR, PROJECT_FILE, load_project


def test_the_preview_knows_the_models_keys_and_constants() -> None:
    assert set(Project.model_fields) == pv.PROJECT_KEYS
    assert set(Shot.model_fields) == pv.SHOT_KEYS
    assert set(Direction.model_fields) == pv.DIRECTION_KEYS
    assert pv.SCHEMA_VERSION == SCHEMA_VERSION
    assert (pv.PROJECT_FILE, pv.MEDIA_DIR) == (PROJECT_FILE, MEDIA_DIR)
    assert Shot.model_fields["duration"].default == pv.DEFAULT_DURATION


def test_the_sample_preview_matches_the_validated_project(sample_copy: Path) -> None:
    preview = pv.read_preview(sample_copy / "project.yaml")
    doc = load_project(sample_copy)
    assert preview is not None
    assert preview.root == doc.root
    assert (preview.name, preview.client) == (doc.project.name, doc.project.client)
    assert len(preview.shots) == len(doc.project.shots) == 6
    for seen, shot in zip(preview.shots, doc.project.shots, strict=True):
        assert (seen.id, seen.title, seen.duration) == (shot.id, shot.title, shot.duration)
        assert (seen.direction.shot_size, seen.direction.movement, seen.direction.lens_mm) \
            == (shot.direction.shot_size, shot.direction.movement, shot.direction.lens_mm)
        assert list(seen.cameos) == shot.cameos
        assert list(seen.references) == shot.references
        assert seen.selected_take == shot.selected_take
    assert any(s.cameos for s in preview.shots)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "project.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_are_the_models(tmp_path: Path) -> None:
    root = _write(tmp_path, "schema_version: 1\nname: X\nshots:\n  - id: s1\n")
    preview = pv.read_preview(root)
    project = load_project(root).project
    assert preview is not None
    shot, model = preview.shots[0], project.shots[0]
    assert (shot.title, shot.duration, shot.cameos, shot.references, shot.selected_take) == (
        model.title, model.duration, tuple(model.cameos), tuple(model.references),
        model.selected_take)
    assert preview.client == project.client == ""


@pytest.mark.parametrize("text", [
    "schema_version: 0\nname: X\n",  # a migration runs first: the normal path
    "name: X\n",  # no schema_version means 0
    "schema_version: 2\nname: X\n",  # too new: the normal path refuses it
    "schema_version: true\nname: X\n",
    "schema_version: 1\nname: 5\n",
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    duration: '4'\n",  # model coerces
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    duration: true\n",
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    duration: 0\n",
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    duration: 121\n",
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    direction: {lens_mm: 35.0}\n",
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    direction: {lens_mm: 2}\n",
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    titel: typo\n",  # unknown key
    "schema_version: 1\nname: X\ncolour: red\n",
    "schema_version: 1\nname: X\nshots:\n  - id: s1\n    cameos: maya\n",
    "schema_version: 1\nname: X\nshots: {}\n",
    "schema_version: 1\nname: X\nshots:\n  - s1\n",
    "- just a list\n",
    "schema_version: 1\nname: [unclosed\n",  # does not parse
    "schema_version: 1\nname: X\nname: Y\n",  # duplicate key: the reader refuses it
])
def test_anything_unusual_takes_the_normal_path(tmp_path: Path, text: str) -> None:
    assert pv.read_preview(_write(tmp_path, text)) is None


def test_missing_project_takes_the_normal_path(tmp_path: Path) -> None:
    assert pv.read_preview(tmp_path / "nothing") is None
    assert pv.read_preview(tmp_path) is None


def test_reading_a_preview_does_not_import_pydantic(sample_copy: Path) -> None:
    code = ("import sys; from studio.preview import read_preview; "
            f"assert read_preview({str(sample_copy)!r}) is not None; "
            "from studio.vocab import default_vocabulary; default_vocabulary(); "
            "assert 'pydantic' not in sys.modules, 'pydantic imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
