"""Property: any valid brief survives save -> load unchanged (and saves to the same bytes)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.model import (
    Beat,
    Character,
    DialogueLine,
    Direction,
    Guardrails,
    Project,
    Shot,
    Sound,
    StyleGuide,
    Usage,
)
from studio.project import ProjectDocument, load_project, save_project
from studio.yamlio import model_to_yaml

ident = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
# any printable text incl. YAML-hostile characters, quotes, colons, newlines and emoji
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
    | st.sampled_from(["\n", ":", " ", "#", "-", "'", '"', "{", "}", "&", "*", "!", "%", "@", "`"]),
    max_size=40,
)
short = st.lists(text, max_size=3)
aspect = st.sampled_from(["16:9", "9:16", "1:1", "4:5", "2.39:1"])
seconds = st.floats(min_value=0, max_value=120, allow_nan=False).map(lambda x: round(x, 3))

direction = st.builds(
    Direction,
    shot_size=st.none() | st.sampled_from(["ECU", "CU", "MS", "WS", "ELS", "made-up"]),
    angle=st.none() | text,
    lens_mm=st.none() | st.integers(4, 1200),
    lens_type=st.none() | st.sampled_from(["spherical", "anamorphic"]),
    aperture=st.none() | st.floats(0.7, 64, allow_nan=False),
    depth_of_field=st.none() | text,
    movement=st.none() | st.sampled_from(["static", "dolly-in", "orbit", "crane"]),
    movement_speed=st.none() | st.sampled_from(["slow", "fast"]),
    emotion=st.none() | text,
    lighting=st.none() | text,
    palette=short,
)


@st.composite
def shots(draw: st.DrawFn, shot_id: str) -> Shot:
    duration = draw(st.floats(min_value=0.1, max_value=120, allow_nan=False))
    beats = draw(st.lists(st.builds(
        Beat, at=st.floats(0, duration, allow_nan=False), action=text,
        camera=st.none() | st.sampled_from(["pan", "tilt + pan"])), max_size=3))
    return Shot(
        id=shot_id, title=draw(text), duration=duration, aspect=draw(st.none() | aspect),
        size=draw(st.none() | st.sampled_from(["1280x720", "720x1280"])), prose=draw(text),
        direction=draw(direction), beats=beats,
        dialogue=draw(st.lists(st.builds(DialogueLine, speaker=text, line=text,
                                         at=st.none() | seconds, delivery=text), max_size=2)),
        sound=draw(st.builds(Sound, ambience=text, effects=short, music=text)),
        cameos=draw(st.lists(ident, max_size=2)), references=draw(short), avoid=draw(short),
        variants=draw(st.integers(1, 16)), selected_take=draw(st.none() | ident),
        notes=draw(text),
    )


@st.composite
def projects(draw: st.DrawFn) -> Project:
    shot_ids = draw(st.lists(ident, max_size=4, unique=True))
    char_ids = draw(st.lists(ident, max_size=3, unique=True))
    return Project(
        id=draw(ident), name=draw(text), client=draw(text),
        usage=draw(st.lists(st.sampled_from(list(Usage)), max_size=5, unique=True)),
        territories=draw(short),
        budget_usd=draw(st.none() | st.floats(0, 1e6, allow_nan=False)),
        style=draw(st.builds(StyleGuide, look=text, palette=short, grade=text, aspect=aspect,
                             references=short)),
        characters=[Character(id=c, name=draw(text), description=draw(text),
                              cameo=draw(st.none() | ident)) for c in char_ids],
        guardrails=draw(st.builds(Guardrails, avoid_terms=short, notes=text)),
        shots=[draw(shots(s)) for s in shot_ids],
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_random_briefs_survive_save_and_load(project: Project) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        doc = ProjectDocument(Path(tmp), project)
        save_project(doc)
        first = (Path(tmp) / "project.yaml").read_bytes()
        loaded = load_project(Path(tmp))
        assert loaded.project == project
        save_project(loaded)
        assert (Path(tmp) / "project.yaml").read_bytes() == first
        assert model_to_yaml(loaded.project) == first.decode("utf-8")
