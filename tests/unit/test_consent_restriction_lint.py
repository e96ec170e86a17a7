"""cameo-restriction warnings: stems, a topic lexicon, phrases; few false positives."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.consent.lint import restrictions_of, stems, topics, touches
from studio.consent.model import Restrictions
from studio.consent.records import load_entry
from studio.linter import lint_project
from studio.project import load_project


def _warnings(root: Path, shot_id: str, prose: str) -> list:
    doc = load_project(root)
    doc.project.shot(shot_id).prose = prose
    return [lint for lint in lint_project(doc.project, root)
            if lint.code == "cameo-restriction" and lint.shot_id == shot_id]


@pytest.mark.parametrize(("prose", "word", "topic"), [
    ("Maya, drinking a beer at the summit.", "beer", "alcohol"),
    ("Maya drinks a beer at the summit.", "beer", "alcohol"),
    ("Maya raises a glass of whisky to the sunrise.", "whisky", "alcohol"),
    ("Maya raises a glass to the sunrise.", "raises a glass", "alcohol"),
    ("Maya places a bet with a bookmaker.", "bet", "gambling"),
    ("Maya walks past  slot\n machines.", "slot\n machines", "gambling"),
    ("Maya holds an election placard.", "election", "politics"),
    ("Maya limps, bleeding from the knee.", "bleeding", "injury"),
])
def test_prompts_that_touch_a_restriction_warn(sample_copy: Path, prose: str, word: str,
                                               topic: str) -> None:
    lints = _warnings(sample_copy, "s04-summit", prose)
    assert lints, prose
    message = lints[0].message
    assert message.startswith("prose mentions"), message
    assert repr(word) in message
    assert "Maya Okafor's (maya-okafor)" in message
    assert f"avoided topic '{topic}'" in message or f"topic: {topic}" in message
    assert lints[0].loc == ("shots", 3, "prose")
    assert all(lint.severity == "warning" for lint in lints)


def test_the_warning_names_the_field_it_found_the_words_in(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    shot = doc.project.shot("s03-maya-stride")
    shot.beats[1].action = "She glances down and pockets a betting slip"
    lints = [lint for lint in lint_project(doc.project, sample_copy)
             if lint.code == "cameo-restriction"]
    assert len(lints) == 1
    assert lints[0].shot_id == "s03-maya-stride"
    assert lints[0].loc == ("shots", 2, "beats", 1, "action")
    assert lints[0].message.startswith("beat 2 action mentions 'betting'")
    assert "gambling" in lints[0].message


@pytest.mark.parametrize("prose", [
    "Maya drinks from her water bottle at the summit.",
    "A dog is barking far below; the engine of a bus hums in the valley.",
    "Light falls across the ridge and she casts a long shadow; a better view.",
    "She tears open the energy bar wrapper and smiles.",
    "The campaign's hero shot: Maya at the cairn, shot on a long lens.",
    "Her heart beats fast; she wipes her temple and races the dawn.",
])
def test_innocent_prompts_do_not_warn(sample_copy: Path, prose: str) -> None:
    assert _warnings(sample_copy, "s04-summit", prose) == []


def test_the_sample_validates_clean(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    assert [lint for lint in lint_project(doc.project, sample_copy)
            if lint.code == "cameo-restriction"] == []


def test_written_restrictions_name_topics_and_keep_other_words(sample_copy: Path) -> None:
    cameo = load_entry(sample_copy, "maya-okafor").cameo
    assert cameo is not None
    cameo = cameo.model_copy(update={"restrictions": Restrictions(
        text="No smoking. Never near Acme Sportswear products.", avoid_topics=["sexual content"])})
    found = {r.source: words for r, words in touches(
        "Maya lights a cigarette in an Acme shop; a sensual slow pan", restrictions_of(cameo))}
    assert found["written restriction 'No smoking' (topic: tobacco)"] == ["lights a cigarette"]
    assert found["written restriction 'Never near Acme Sportswear products'"] == ["acme"]
    assert found["avoided topic 'sexual content'"] == ["sensual"]
    # an unknown avoided topic still matches itself, by stem
    cameo = cameo.model_copy(update={"restrictions": Restrictions(avoid_topics=["karaoke"])})
    assert [w for _r, w in touches("two karaokes", restrictions_of(cameo))] == [["karaokes"]]


def test_the_lexicon_loads_every_topic() -> None:
    names = {t.name for t in topics()}
    assert {"alcohol", "gambling", "tobacco", "drugs", "weapons", "violence", "politics",
            "religion", "sexual content", "competitor brands", "dangerous stunts",
            "minors"} <= names
    alcohol = next(t for t in topics() if t.name == "alcohol")
    assert stems("whiskies") in alcohol.terms
