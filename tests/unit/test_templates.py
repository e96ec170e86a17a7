"""The project templates in resources/templates: valid, well directed, usable by `studio new`."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.cli import main as cli_main
from studio.linter import lint_project
from studio.model import SCHEMA_VERSION
from studio.project import load_project
from studio.templates import list_templates, load_template
from studio.vocab import FIELD_CATEGORY, default_vocabulary

EXPECTED = {"social-ad": "9:16", "product-demo": "16:9", "brand-film": None,
            "training-module": None}


def test_the_four_templates_exist() -> None:
    assert {t.id for t in list_templates()} == set(EXPECTED)


@pytest.mark.parametrize("template_id", sorted(EXPECTED))
def test_template_is_a_well_directed_brief(template_id: str) -> None:
    project = load_template(template_id)
    assert project.schema_version == SCHEMA_VERSION
    assert 3 <= len(project.shots) <= 5
    if EXPECTED[template_id]:
        assert project.style.aspect == EXPECTED[template_id]
    vocab = default_vocabulary()
    for shot in project.shots:
        assert shot.prose.strip()
        assert shot.title
        assert shot.beats, shot.id
        d = shot.direction
        for field in ("shot_size", "angle", "movement", "emotion", "lighting", "lens_type"):
            value = getattr(d, field)
            assert value, (shot.id, field)
            assert vocab.knows(FIELD_CATEGORY[field], value), (shot.id, field, value)
        assert d.lens_mm
        assert d.aperture
        assert not shot.cameos  # templates never name a real person
    assert any(s.dialogue for s in project.shots)
    errors = [lint for lint in lint_project(project) if lint.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("template_id", sorted(EXPECTED))
def test_studio_new_with_template(tmp_path: Path, template_id: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / template_id
    assert cli_main(["new", str(dest), "--template", template_id, "--name", "Client job"]) == 0
    doc = load_project(dest)
    template = load_template(template_id)
    assert doc.project.name == "Client job"
    assert doc.project.id != template.id
    assert [s.id for s in doc.project.shots] == [s.id for s in template.shots]
    assert cli_main(["validate", str(dest)]) == 0
    assert "ok:" in capsys.readouterr().out


def test_unknown_template_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["new", str(tmp_path / "x"), "--template", "nope"]) == 1
    err = capsys.readouterr().err
    assert "unknown template 'nope'" in err
    assert "social-ad" in err
