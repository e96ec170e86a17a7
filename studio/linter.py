"""Warnings before money is spent.

Each :class:`Lint` names the shot and the key path inside project.yaml, so the CLI can
print ``file:line:col`` and the editor can point at the field. Severity ``error`` means the
brief is wrong (unknown vocabulary, missing file, a reference outside the project folder —
see :mod:`studio.refpaths`); ``warning`` means it will probably not
render as intended (conflicting moves, guardrail terms, too much dialogue).

Other modules add checks with :func:`register_check` (consent adds cameo checks), so the
linter stays one list of rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from studio.compiler import compile_shot
from studio.model import Project, Shot
from studio.refpaths import reference_problem
from studio.vocab import FIELD_CATEGORY, Vocabulary, default_vocabulary

WORDS_PER_SECOND = 2.7  # comfortable spoken pace


@dataclass(frozen=True)
class Lint:
    severity: str  # "error" | "warning"
    code: str
    message: str
    shot_id: str | None = None
    loc: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        where = f"shot {self.shot_id}: " if self.shot_id else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass
class LintContext:
    project: Project
    root: Path | None
    vocab: Vocabulary
    max_duration: float | None = None


Check = Callable[[LintContext, int, Shot], Iterable[Lint]]
ProjectCheck = Callable[[LintContext], Iterable[Lint]]
_SHOT_CHECKS: list[Check] = []
_PROJECT_CHECKS: list[ProjectCheck] = []


def register_check(fn: Check) -> Check:
    """Add a per-shot check (used as a decorator)."""
    if fn not in _SHOT_CHECKS:
        _SHOT_CHECKS.append(fn)
    return fn


def register_project_check(fn: ProjectCheck) -> ProjectCheck:
    if fn not in _PROJECT_CHECKS:
        _PROJECT_CHECKS.append(fn)
    return fn


def split_moves(camera: str) -> list[str]:
    return [m.strip() for m in re.split(r"\+|,|&|\band\b", camera) if m.strip()]


def _contains_term(text: str, term: str) -> bool:
    term = term.strip()
    if not term:
        return False
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE) is not None


@register_check
def _vocabulary(ctx: LintContext, i: int, shot: Shot) -> Iterable[Lint]:
    d = shot.direction
    for field_name, category in FIELD_CATEGORY.items():
        value = getattr(d, field_name)
        if value and not ctx.vocab.knows(category, value):
            known = ", ".join(t.id for t in ctx.vocab.terms(category))
            yield Lint(
                "error", "unknown-vocabulary",
                f"unknown {field_name.replace('_', ' ')} {value!r} (known: {known})",
                shot.id, ("shots", i, "direction", field_name),
            )
    for j, beat in enumerate(shot.beats):
        for move in split_moves(beat.camera or ""):
            if not ctx.vocab.knows("movements", move):
                yield Lint(
                    "error", "unknown-vocabulary", f"beat {j + 1}: unknown camera move {move!r}",
                    shot.id, ("shots", i, "beats", j, "camera"),
                )


@register_check
def _prose(ctx: LintContext, i: int, shot: Shot) -> Iterable[Lint]:
    if not shot.prose.strip():
        yield Lint("warning", "empty-prose", "scene prose is empty: describe what we see",
                   shot.id, ("shots", i, "prose"))


@register_check
def _camera_conflicts(ctx: LintContext, i: int, shot: Shot) -> Iterable[Lint]:
    base = shot.direction.movement
    beat_moves: list[tuple[int, list[str]]] = [
        (j, split_moves(b.camera or "")) for j, b in enumerate(shot.beats)
    ]
    if base == "static":
        for j, moves in beat_moves:
            moving = [m for m in moves if m != "static"]
            if moving:
                yield Lint(
                    "warning", "conflicting-direction",
                    f"conflicting directions: camera is static but beat {j + 1} asks for "
                    f"{' + '.join(moving)}",
                    shot.id, ("shots", i, "beats", j, "camera"),
                )
    for j, moves in beat_moves:
        if len(moves) > 1:
            yield Lint(
                "warning", "multiple-moves",
                f"beat {j + 1} has {len(moves)} camera moves ({' + '.join(moves)}); "
                "give each beat one move",
                shot.id, ("shots", i, "beats", j, "camera"),
            )
        if "static" in moves and len(moves) > 1:
            yield Lint("warning", "conflicting-direction",
                       f"conflicting directions in beat {j + 1}: static with a move",
                       shot.id, ("shots", i, "beats", j, "camera"))
    at_times: dict[float, list[int]] = {}
    for j, beat in enumerate(shot.beats):
        if beat.camera:
            at_times.setdefault(beat.at, []).append(j)
    for at, js in sorted(at_times.items()):
        if len(js) > 1:
            yield Lint("warning", "multiple-moves",
                       f"{len(js)} camera moves start at {at:g}s (beats "
                       f"{', '.join(str(j + 1) for j in js)})",
                       shot.id, ("shots", i, "beats", js[1], "camera"))
    d = shot.direction
    if d.depth_of_field == "shallow" and d.aperture and d.aperture >= 11:
        yield Lint("warning", "conflicting-direction",
                   f"shallow depth of field at f/{d.aperture:g} is unlikely; open up the aperture",
                   shot.id, ("shots", i, "direction", "aperture"))
    if d.depth_of_field == "deep" and d.aperture and d.aperture <= 2:
        yield Lint("warning", "conflicting-direction",
                   f"deep focus at f/{d.aperture:g} is unlikely; stop down the aperture",
                   shot.id, ("shots", i, "direction", "aperture"))
    if d.lens_type == "fisheye" and d.lens_mm and d.lens_mm > 20:
        yield Lint("warning", "conflicting-direction",
                   f"a {d.lens_mm}mm fisheye is unusual; fisheyes are 8–16mm",
                   shot.id, ("shots", i, "direction", "lens_mm"))


@register_check
def _timing(ctx: LintContext, i: int, shot: Shot) -> Iterable[Lint]:
    times = [b.at for b in shot.beats]
    if times != sorted(times):
        yield Lint("warning", "beats-order", "beats are not in time order",
                   shot.id, ("shots", i, "beats"))
    words = sum(len(line.line.split()) for line in shot.dialogue)
    if words and words / WORDS_PER_SECOND > shot.duration:
        yield Lint("warning", "dialogue-too-long",
                   f"{words} words of dialogue need about {words / WORDS_PER_SECOND:.0f}s; "
                   f"the shot is {shot.duration:g}s",
                   shot.id, ("shots", i, "dialogue"))
    if ctx.max_duration is not None and shot.duration > ctx.max_duration:
        yield Lint("warning", "duration-over-max",
                   f"duration {shot.duration:g}s is over the provider's maximum "
                   f"{ctx.max_duration:g}s",
                   shot.id, ("shots", i, "duration"))


@register_check
def _guardrails(ctx: LintContext, i: int, shot: Shot) -> Iterable[Lint]:
    prompt = compile_shot(ctx.project, shot, ctx.vocab).prompt
    checked = prompt.split("\n\nAvoid: ")[0]  # the Avoid line itself names the terms
    for term in ctx.project.guardrails.avoid_terms:
        if _contains_term(checked, term):
            yield Lint("warning", "guardrail", f"prompt uses the guardrail term {term!r}",
                       shot.id, ("shots", i, "prose"))
    for term in shot.avoid:
        if _contains_term(checked, term):
            yield Lint("warning", "guardrail",
                       f"prompt uses {term!r}, which this shot lists under things to avoid",
                       shot.id, ("shots", i, "avoid"))


@register_check
def _speakers(ctx: LintContext, i: int, shot: Shot) -> Iterable[Lint]:
    known = {c.id for c in ctx.project.characters} | set(shot.cameos)
    for j, line in enumerate(shot.dialogue):
        if line.speaker not in known and not line.speaker.isupper() and "." not in line.speaker:
            yield Lint("warning", "unknown-speaker",
                       f"dialogue line {j + 1}: speaker {line.speaker!r} is not a character "
                       "or a cameo in this shot",
                       shot.id, ("shots", i, "dialogue", j, "speaker"))


@register_check
def _files(ctx: LintContext, i: int, shot: Shot) -> Iterable[Lint]:
    for j, ref in enumerate(shot.references):
        problem = reference_problem(ctx.root, ref)
        if problem is not None:
            yield Lint("error", "reference-outside-project", f"reference image {problem}",
                       shot.id, ("shots", i, "references", j))
        elif ctx.root is not None and not (ctx.root / ref).is_file():
            yield Lint("error", "missing-file", f"reference image not found: {ref}",
                       shot.id, ("shots", i, "references", j))
    if ctx.root is None:
        return
    for j, cameo in enumerate(shot.cameos):
        if not (ctx.root / "cameos" / f"{cameo}.yaml").is_file():
            yield Lint("error", "unknown-cameo",
                       f"unknown cameo {cameo!r}: no cameos/{cameo}.yaml (treated as not consented)",
                       shot.id, ("shots", i, "cameos", j))


@register_project_check
def _project_files(ctx: LintContext) -> Iterable[Lint]:
    for j, ref in enumerate(ctx.project.style.references):
        problem = reference_problem(ctx.root, ref)
        if problem is not None:
            yield Lint("error", "reference-outside-project", f"style reference image {problem}",
                       None, ("style", "references", j))
        elif ctx.root is not None and not (ctx.root / ref).is_file():
            yield Lint("error", "missing-file", f"style reference image not found: {ref}",
                       None, ("style", "references", j))
    if ctx.root is None:
        return
    for j, char in enumerate(ctx.project.characters):
        if char.cameo and not (ctx.root / "cameos" / f"{char.cameo}.yaml").is_file():
            yield Lint("error", "unknown-cameo",
                       f"character {char.id!r} names unknown cameo {char.cameo!r}",
                       None, ("characters", j, "cameo"))


# Modules that register further checks when imported (loaded lazily to avoid cycles).
PLUGIN_MODULES = ("studio.consent.lint",)
_plugins_loaded = False


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    import importlib

    for name in PLUGIN_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise


def lint_shot(
    project: Project, shot: Shot, root: Path | None = None, vocab: Vocabulary | None = None,
    max_duration: float | None = None,
) -> list[Lint]:
    _load_plugins()
    ctx = LintContext(project, root, vocab or default_vocabulary(), max_duration)
    i = project.shots.index(shot) if shot in project.shots else 0
    out: list[Lint] = []
    for check in _SHOT_CHECKS:
        out.extend(check(ctx, i, shot))
    return out


def lint_project(
    project: Project, root: Path | None = None, vocab: Vocabulary | None = None,
    max_duration: float | None = None,
) -> list[Lint]:
    _load_plugins()
    ctx = LintContext(project, root, vocab or default_vocabulary(), max_duration)
    out: list[Lint] = []
    for pcheck in _PROJECT_CHECKS:
        out.extend(pcheck(ctx))
    for i, shot in enumerate(project.shots):
        for check in _SHOT_CHECKS:
            out.extend(check(ctx, i, shot))
    return out
