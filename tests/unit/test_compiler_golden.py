"""Golden prompts of the sample project: the compiler's output, byte for byte.

Regenerate after an intended compiler change with ``STUDIO_UPDATE_GOLDEN=1 pytest
tests/unit/test_compiler_golden.py`` and review the diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.cli import cameo_names
from studio.compiler import compile_shot
from studio.project import load_project
from tests.conftest import SAMPLE

GOLDEN = Path(__file__).parent / "golden"
SHOT_IDS = [s.id for s in load_project(SAMPLE).project.shots]


def compiled(shot_id: str) -> bytes:
    doc = load_project(SAMPLE)
    request = compile_shot(doc.project, doc.project.shot(shot_id), names=cameo_names(doc.root))
    return (request.prompt + "\n").encode("utf-8")


@pytest.mark.parametrize("shot_id", SHOT_IDS)
def test_prompt_matches_golden(shot_id: str) -> None:
    path = GOLDEN / f"{shot_id}.txt"
    got = compiled(shot_id)
    if os.environ.get("STUDIO_UPDATE_GOLDEN") == "1":
        path.write_bytes(got)
    assert path.is_file(), f"missing golden file {path}; run with STUDIO_UPDATE_GOLDEN=1"
    assert got == path.read_bytes()


def test_same_brief_same_bytes() -> None:
    assert [compiled(s) for s in SHOT_IDS] == [compiled(s) for s in SHOT_IDS]


def test_every_golden_file_belongs_to_a_shot() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.txt")) == sorted(SHOT_IDS)


def test_golden_prompts_follow_the_sora_structure() -> None:
    text = (GOLDEN / "s03-maya-stride.txt").read_text(encoding="utf-8")
    order = [text.index(h) for h in ("Cinematography:", "Actions:", "Dialogue:", "Background sound:")]
    assert order == sorted(order)
    assert 'Maya (voice-over, calm) [1s]: "Every morning' in text


def test_request_cameos_are_every_cameo_the_shot_shows(sample_copy: Path) -> None:
    """With the project folder, the compiled request names every cameo the consent gate
    checks for the shot (shown_cameos), and the queued job's request says the same as the
    job's recorded cameos."""
    from studio.consent import shown_cameos
    from studio.model import DialogueLine
    from studio.project import save_project
    from studio.queue.enqueue import enqueue, plan

    doc = load_project(sample_copy)
    reel = doc.project.shot("s06-city-reel")  # her character speaks; she is not listed
    reel.dialogue.append(DialogueLine(speaker="maya", line="Every morning."))
    ridge = doc.project.shot("s01-ridge-dawn")  # her face is the reference; not listed
    ridge.references = ["references/maya-okafor.png"]
    save_project(doc)
    doc = load_project(sample_copy)
    names = cameo_names(doc.root)
    for shot in doc.project.shots:
        request = compile_shot(doc.project, shot, names=names, root=doc.root)
        assert set(request.cameos) == shown_cameos(doc.root, doc.project, shot), shot.id
    reel_req = compile_shot(doc.project, doc.project.shot("s06-city-reel"), root=doc.root)
    assert reel_req.cameos == ["maya-okafor"]
    assert reel_req.speaking_cameos == ["maya-okafor"]
    ridge_req = compile_shot(doc.project, doc.project.shot("s01-ridge-dawn"), root=doc.root)
    assert ridge_req.cameos == ["maya-okafor"]
    assert ridge_req.speaking_cameos == []
    jobs = enqueue(doc.root, plan(doc.root, doc.project, ["s01-ridge-dawn", "s06-city-reel"],
                                  "previz", variants=1))
    for job in jobs:
        assert job.request["request"]["cameos"] == job.cameos == ["maya-okafor"]
