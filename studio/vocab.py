"""The directorial vocabulary (resources/vocab.yaml): ids, labels and descriptions."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from studio.errors import Problem, ProjectFileError
from studio.resources import resources_dir
from studio.yamlio import parse_yaml, read_text

CATEGORIES = (
    "shot_sizes", "angles", "movements", "speeds", "lens_ranges", "lens_types",
    "depth_of_field", "emotions", "lighting", "aspects",
)

# Direction field -> vocabulary category
FIELD_CATEGORY = {
    "shot_size": "shot_sizes",
    "angle": "angles",
    "movement": "movements",
    "movement_speed": "speeds",
    "lens_type": "lens_types",
    "depth_of_field": "depth_of_field",
    "emotion": "emotions",
    "lighting": "lighting",
}


@dataclass(frozen=True)
class Term:
    id: str
    label: str
    description: str
    kind: str = ""
    min_mm: int = 0
    max_mm: int = 0


@dataclass(frozen=True)
class Vocabulary:
    categories: dict[str, dict[str, Term]] = field(default_factory=dict)

    def terms(self, category: str) -> list[Term]:
        return list(self.categories.get(category, {}).values())

    def get(self, category: str, term_id: str | None) -> Term | None:
        if term_id is None:
            return None
        return self.categories.get(category, {}).get(term_id)

    def knows(self, category: str, term_id: str) -> bool:
        return term_id in self.categories.get(category, {})

    def lens_range(self, mm: int) -> Term | None:
        for term in self.terms("lens_ranges"):
            if term.min_mm <= mm <= term.max_mm:
                return term
        return None


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    path = path or resources_dir() / "vocab.yaml"
    data, _ = parse_yaml(read_text(path), str(path))
    if not isinstance(data, dict):
        raise ProjectFileError([Problem(str(path), 1, 1, "vocabulary must be a mapping")])
    cats: dict[str, dict[str, Term]] = {}
    for cat in CATEGORIES:
        entries = data.get(cat) or []
        terms: dict[str, Term] = {}
        for entry in entries:
            term = Term(
                id=str(entry["id"]),
                label=str(entry.get("label", entry["id"])),
                description=str(entry.get("description", "")),
                kind=str(entry.get("kind", "")),
                min_mm=int(entry.get("min_mm", 0)),
                max_mm=int(entry.get("max_mm", 0)),
            )
            terms[term.id] = term
        cats[cat] = terms
    return Vocabulary(cats)


@functools.cache
def default_vocabulary() -> Vocabulary:
    return load_vocabulary()
