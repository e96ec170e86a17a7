"""The brief: a project with a style guide, characters, guardrails and shots.

Vocabulary fields (shot size, angle, movement, ...) hold ids from resources/vocab.yaml as
open strings: an unknown term still loads (so a hand-edited file is never lost) and the
linter / ``studio validate`` names it with its file position.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from studio.versions import SCHEMA_VERSION  # also imported from here by the rest of the core

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Ident = Annotated[str, Field(pattern=ID_PATTERN)]
ASPECT_RE = re.compile(r"^\d+(\.\d+)?:\d+(\.\d+)?$")
SIZE_RE = re.compile(r"^\d{2,5}x\d{2,5}$")


def new_id(prefix: str) -> str:
    """A fresh stable id such as ``sh-3f9a1c2e``."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Usage(StrEnum):
    SOCIAL = "social"
    PAID_ADS = "paid_ads"
    BROADCAST = "broadcast"
    INTERNAL = "internal"
    PITCH = "pitch"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StyleGuide(_Model):
    look: str = ""
    palette: list[str] = Field(default_factory=list)
    grade: str = ""
    aspect: str = "16:9"
    references: list[str] = Field(default_factory=list)

    @field_validator("aspect")
    @classmethod
    def _aspect(cls, v: str) -> str:
        if not ASPECT_RE.match(v):
            raise ValueError(f"aspect must look like 16:9, got {v!r}")
        return v


class Character(_Model):
    id: Ident
    name: str
    description: str = ""
    cameo: Ident | None = None  # the real person who plays this character, if any


class Guardrails(_Model):
    avoid_terms: list[str] = Field(default_factory=list)
    notes: str = ""


class Direction(_Model):
    shot_size: str | None = None
    angle: str | None = None
    lens_mm: Annotated[int, Field(ge=4, le=1200)] | None = None
    lens_type: str | None = None
    aperture: Annotated[float, Field(ge=0.7, le=64)] | None = None  # f-number
    depth_of_field: str | None = None
    movement: str | None = None
    movement_speed: str | None = None
    emotion: str | None = None
    lighting: str | None = None
    palette: list[str] = Field(default_factory=list)


class Beat(_Model):
    at: Annotated[float, Field(ge=0)]  # seconds from the start of the shot
    action: str
    camera: str | None = None  # a camera move starting at this beat (vocab id)


class DialogueLine(_Model):
    speaker: str  # a character id, a cameo id, or a free name (e.g. "V.O.")
    line: str
    at: Annotated[float, Field(ge=0)] | None = None
    delivery: str = ""  # e.g. "whispered", "warmly"


class Sound(_Model):
    ambience: str = ""
    effects: list[str] = Field(default_factory=list)
    music: str = ""


class Shot(_Model):
    id: Ident
    title: str = ""
    duration: Annotated[float, Field(gt=0, le=120)] = 4.0
    aspect: str | None = None  # None: the style guide's aspect
    size: str | None = None  # e.g. 1280x720; None: derived from the aspect
    prose: str = ""
    direction: Direction = Field(default_factory=Direction)
    beats: list[Beat] = Field(default_factory=list)
    dialogue: list[DialogueLine] = Field(default_factory=list)
    sound: Sound = Field(default_factory=Sound)
    cameos: list[Ident] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)
    variants: Annotated[int, Field(ge=1, le=16)] = 1
    selected_take: str | None = None
    notes: str = ""

    @field_validator("aspect")
    @classmethod
    def _aspect(cls, v: str | None) -> str | None:
        if v is not None and not ASPECT_RE.match(v):
            raise ValueError(f"aspect must look like 16:9, got {v!r}")
        return v

    @field_validator("size")
    @classmethod
    def _size(cls, v: str | None) -> str | None:
        if v is not None and not SIZE_RE.match(v):
            raise ValueError(f"size must look like 1280x720, got {v!r}")
        return v

    @model_validator(mode="after")
    def _beats_inside(self) -> Shot:
        for i, beat in enumerate(self.beats):
            if beat.at > self.duration:
                raise ValueError(
                    f"beat {i + 1} starts at {beat.at:g}s, after the shot ends ({self.duration:g}s)"
                )
        return self


class Project(_Model):
    schema_version: int = SCHEMA_VERSION
    id: Ident = Field(default_factory=lambda: new_id("pr"))
    name: str
    client: str = ""
    usage: list[Usage] = Field(default_factory=lambda: [Usage.SOCIAL])
    territories: list[str] = Field(default_factory=lambda: ["worldwide"])
    budget_usd: Annotated[float, Field(ge=0)] | None = None
    style: StyleGuide = Field(default_factory=StyleGuide)
    characters: list[Character] = Field(default_factory=list)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    shots: list[Shot] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Project:
        for kind, items in (("shot", self.shots), ("character", self.characters)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"duplicate {kind} id {item.id!r}")
                seen.add(item.id)
        return self

    def shot(self, shot_id: str) -> Shot:
        for s in self.shots:
            if s.id == shot_id:
                return s
        raise KeyError(shot_id)

    def shot_aspect(self, shot: Shot) -> str:
        return shot.aspect or self.style.aspect

    def speaking_cameos(self, shot: Shot) -> set[str]:
        """Cameo ids that have a dialogue line in this shot (directly or via a character)."""
        by_char = {c.id: c.cameo for c in self.characters if c.cameo}
        out: set[str] = set()
        for line in shot.dialogue:
            if line.speaker in shot.cameos:
                out.add(line.speaker)
            elif by_char.get(line.speaker) in shot.cameos:
                out.add(by_char[line.speaker])  # type: ignore[arg-type]
        return out


def size_for_aspect(aspect: str, long_edge: int = 1280) -> str:
    """Default pixel size for an aspect ratio, even dimensions, long edge ``long_edge``."""
    w, h = (float(x) for x in aspect.split(":"))
    if w >= h:
        width, height = long_edge, round(long_edge * h / w)
    else:
        width, height = round(long_edge * w / h), long_edge
    return f"{width - width % 2}x{height - height % 2}"
