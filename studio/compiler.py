"""Shot + project style -> a provider-neutral :class:`GenerationRequest`.

The prompt follows the structure of OpenAI's Sora 2 prompting guide: scene prose, then a
``Cinematography:`` block (camera shot, lens, lighting, mood), ``Actions:`` (timed beats),
``Dialogue:`` and ``Background sound:``. Compiling is deterministic: the same brief gives
the same bytes (no clocks, no randomness, no dict-order surprises).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from studio.model import Project, Shot, size_for_aspect
from studio.vocab import Vocabulary, default_vocabulary


class GenerationRequest(BaseModel):
    """What any provider needs to render one shot (before fitting to its capabilities)."""

    model_config = ConfigDict(frozen=True)

    project_id: str
    shot_id: str
    prompt: str
    duration: float
    aspect: str
    size: str
    references: list[str] = Field(default_factory=list)  # paths relative to the project
    style_references: list[str] = Field(default_factory=list)  # the style guide's images
    cameos: list[str] = Field(default_factory=list)
    speaking_cameos: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)
    has_dialogue: bool = False
    variants: int = 1
    direction: dict[str, Any] = Field(default_factory=dict)  # for previz and adapters


def _fmt_seconds(value: float) -> str:
    return f"{value:g}s"


def _label(vocab: Vocabulary, category: str, term_id: str | None) -> str | None:
    if not term_id:
        return None
    term = vocab.get(category, term_id)
    return term.label.lower() if term else term_id


def _describe(vocab: Vocabulary, category: str, term_id: str | None) -> str | None:
    if not term_id:
        return None
    term = vocab.get(category, term_id)
    return term.description.rstrip(".") if term else None


def speaker_name(project: Project, speaker: str, names: Mapping[str, str]) -> str:
    for char in project.characters:
        if char.id == speaker:
            return char.name
    return names.get(speaker, speaker)


def camera_line(shot: Shot, vocab: Vocabulary) -> str:
    d = shot.direction
    parts = []
    size = _label(vocab, "shot_sizes", d.shot_size)
    angle = _label(vocab, "angles", d.angle)
    if size:
        parts.append(size)
    if angle:
        parts.append(angle if "angle" in angle or "view" in angle else f"{angle} angle")
    if d.movement:
        move = _label(vocab, "movements", d.movement) or d.movement
        speed = _describe(vocab, "speeds", d.movement_speed)
        parts.append(f"{move}, {speed}" if speed and d.movement != "static" else move)
    return ", ".join(parts)


def lens_line(shot: Shot, vocab: Vocabulary) -> str:
    d = shot.direction
    parts = []
    if d.lens_mm:
        lens = f"{d.lens_mm}mm"
        if d.lens_type:
            lens += f" {_label(vocab, 'lens_types', d.lens_type)}"
        rng = vocab.lens_range(d.lens_mm)
        if rng:
            lens += f" ({rng.description.rstrip('.').lower()})"
        parts.append(lens)
    elif d.lens_type:
        parts.append(f"{_label(vocab, 'lens_types', d.lens_type)} lens")
    if d.aperture:
        parts.append(f"f/{d.aperture:g}")
    dof = _describe(vocab, "depth_of_field", d.depth_of_field)
    if dof:
        parts.append(dof)
    return ", ".join(parts)


def compile_shot(
    project: Project,
    shot: Shot,
    vocab: Vocabulary | None = None,
    names: Mapping[str, str] | None = None,
    *,
    root: Path | None = None,
) -> GenerationRequest:
    """Compile one shot. ``names`` maps cameo ids to display names for dialogue.

    With the project folder ``root``, the request's ``cameos`` are every cameo the shot
    shows, the same set the consent gate checks and the job records
    (:func:`studio.consent.shown.shown_list`: the shot's ``cameos`` first, then anyone shown
    through a character they play, a speaker id or a likeness reference), and
    ``speaking_cameos`` are those of them with dialogue. Without ``root`` (no files to read
    likeness from) they are the shot's ``cameos`` list and its speakers.
    """
    vocab = vocab or default_vocabulary()
    names = names or {}
    style = project.style
    d = shot.direction
    blocks: list[str] = []

    prose = " ".join(shot.prose.split())
    style_bits = []
    if style.look:
        style_bits.append(style.look.strip().rstrip("."))
    if style.grade:
        style_bits.append(f"graded {style.grade.strip().rstrip('.')}")
    if prose:
        blocks.append(prose)
    if style_bits:
        blocks.append("Style: " + "; ".join(style_bits) + ".")

    cine: list[str] = []
    cam = camera_line(shot, vocab)
    if cam:
        cine.append(f"Camera shot: {cam}")
    lens = lens_line(shot, vocab)
    if lens:
        cine.append(f"Lens: {lens}")
    light = _label(vocab, "lighting", d.lighting)
    palette = d.palette or style.palette
    if light or palette:
        text = ""
        if light:
            desc = _describe(vocab, "lighting", d.lighting)
            text = f"{light} ({desc.lower()})" if desc else light
        if palette:
            text = f"{text}; palette of {', '.join(palette)}" if text else f"palette of {', '.join(palette)}"
        cine.append(f"Lighting: {text}")
    mood = _label(vocab, "emotions", d.emotion)
    if mood:
        desc = _describe(vocab, "emotions", d.emotion)
        cine.append(f"Mood: {mood}, {desc.lower()}" if desc else f"Mood: {mood}")
    if cine:
        blocks.append("Cinematography:\n" + "\n".join(cine))

    if shot.beats:
        lines = []
        for beat in sorted(shot.beats, key=lambda b: b.at):
            text = " ".join(beat.action.split())
            if beat.camera:
                cams = [(_label(vocab, "movements", c.strip()) or c.strip()) for c in beat.camera.split("+")]
                text += f" (camera: {' + '.join(cams)})"
            lines.append(f"- {_fmt_seconds(beat.at)}: {text}")
        blocks.append("Actions:\n" + "\n".join(lines))

    if shot.dialogue:
        lines = []
        for line in shot.dialogue:
            who = speaker_name(project, line.speaker, names)
            how = f" ({line.delivery})" if line.delivery else ""
            when = f" [{_fmt_seconds(line.at)}]" if line.at is not None else ""
            lines.append(f'- {who}{how}{when}: "{line.line.strip()}"')
        blocks.append("Dialogue:\n" + "\n".join(lines))

    sound = []
    if shot.sound.ambience:
        sound.append(shot.sound.ambience.strip().rstrip("."))
    if shot.sound.effects:
        sound.append(", ".join(e.strip() for e in shot.sound.effects))
    if shot.sound.music:
        sound.append(f"music: {shot.sound.music.strip().rstrip('.')}")
    if sound:
        blocks.append("Background sound:\n" + "; ".join(sound) + ".")

    negative = list(dict.fromkeys([*shot.avoid, *project.guardrails.avoid_terms]))
    if shot.avoid:
        blocks.append("Avoid: " + ", ".join(shot.avoid) + ".")

    if root is not None:
        from studio.consent.shown import shown_list, speaking_in

        cameos = shown_list(Path(root), project, shot)
        speaking = sorted(speaking_in(project, shot, cameos))
    else:
        cameos = list(shot.cameos)
        speaking = sorted(project.speaking_cameos(shot))

    aspect = project.shot_aspect(shot)
    return GenerationRequest(
        project_id=project.id,
        shot_id=shot.id,
        prompt="\n\n".join(blocks),
        duration=shot.duration,
        aspect=aspect,
        size=shot.size or size_for_aspect(aspect),
        references=list(shot.references),
        style_references=list(style.references),
        cameos=cameos,
        speaking_cameos=speaking,
        negative=negative,
        has_dialogue=bool(shot.dialogue),
        variants=shot.variants,
        direction={
            **d.model_dump(mode="json"),
            "beats": [b.model_dump(mode="json") for b in shot.beats],
            "dialogue": [
                {"speaker": speaker_name(project, dl.speaker, names), "line": dl.line, "at": dl.at}
                for dl in shot.dialogue
            ],
            "title": shot.title,
            "palette": palette,
        },
    )


def compile_project(
    project: Project, vocab: Vocabulary | None = None, names: Mapping[str, str] | None = None
) -> list[GenerationRequest]:
    return [compile_shot(project, shot, vocab, names) for shot in project.shots]
