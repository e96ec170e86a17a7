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
