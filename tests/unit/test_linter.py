from __future__ import annotations

from pathlib import Path

from studio.linter import lint_project, lint_shot
from studio.model import Beat, DialogueLine, Direction, Project, Shot
from studio.project import load_project


def codes(lints: list) -> list[str]:
    return [lint.code for lint in lints]


def project_with(shot: Shot, **kw: object) -> Project:
    return Project(name="t", shots=[shot], **kw)  # type: ignore[arg-type]


def test_sample_has_no_errors(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    errors = [lint for lint in lint_project(doc.project, doc.root) if lint.severity == "error"]
    assert errors == []


def test_static_with_dolly_conflicts() -> None:
    shot = Shot(id="a", prose="x", direction=Direction(movement="static"),
                beats=[Beat(at=0, action="go", camera="dolly-in")])
    lints = lint_shot(project_with(shot), shot)
    assert "conflicting-direction" in codes(lints)
    assert any("static" in lint.message and "dolly-in" in lint.message for lint in lints)


def test_two_moves_in_one_beat() -> None:
    shot = Shot(id="a", prose="x", beats=[Beat(at=0, action="go", camera="pan + dolly-in")])
    assert "multiple-moves" in codes(lint_shot(project_with(shot), shot))
    shot = Shot(id="b", prose="x", beats=[Beat(at=1, action="a", camera="pan"),
                                          Beat(at=1, action="b", camera="tilt")])
    assert "multiple-moves" in codes(lint_shot(project_with(shot), shot))


def test_empty_prose_and_unknown_vocabulary() -> None:
    shot = Shot(id="a", direction=Direction(shot_size="XXL", movement="teleport"))
    lints = lint_shot(project_with(shot), shot)
    assert "empty-prose" in codes(lints)
    unknown = [lint for lint in lints if lint.code == "unknown-vocabulary"]
    assert len(unknown) == 2 and all(lint.severity == "error" for lint in unknown)
    assert unknown[0].loc == ("shots", 0, "direction", "shot_size")


def test_guardrail_term_found_case_insensitively() -> None:
    shot = Shot(id="a", prose="A man Smoking by the window")
    project = project_with(shot)
    project.guardrails.avoid_terms = ["smoking"]
    assert "guardrail" in codes(lint_shot(project, shot))
    shot2 = Shot(id="b", prose="A quiet window")
    project2 = project_with(shot2)
    project2.guardrails.avoid_terms = ["smoking"]
    assert "guardrail" not in codes(lint_shot(project2, shot2))


def test_dialogue_too_long_and_duration_over_max() -> None:
    shot = Shot(id="a", prose="x", duration=2,
                dialogue=[DialogueLine(speaker="NARRATOR", line="word " * 30)])
    lints = lint_shot(project_with(shot), shot, max_duration=1.5)
    assert {"dialogue-too-long", "duration-over-max"} <= set(codes(lints))


def test_missing_files_and_unknown_cameo(tmp_path: Path) -> None:
    shot = Shot(id="a", prose="x", references=["references/nope.png"], cameos=["ghost"])
    lints = lint_project(project_with(shot), tmp_path)
    assert {"missing-file", "unknown-cameo"} <= set(codes(lints))
