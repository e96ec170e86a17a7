"""Linter rules for cameos (imported lazily by studio.linter).

- ``consent`` (error): a cameo the shot shows has no valid consent for this use now.
- ``cameo-not-listed`` (error): the shot shows a cameo through a character they play or a
  likeness reference image, but its ``cameos`` list does not name them.
- ``cameo-restriction`` (warning): the compiled prompt touches a cameo's avoided topics or
  a significant word of their written restrictions (e.g. "no alcohol" and a prompt that
  mentions alcohol).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from studio.compiler import compile_shot
from studio.consent.enforce import check_cameos
from studio.consent.model import Cameo
from studio.consent.records import load_entry
from studio.consent.shown import LISTED, describe, shown_via
from studio.linter import Lint, LintContext, register_check

# Words that carry no topic in a restriction sentence.
_STOPWORDS = frozenset("""
a an and any are as at be been being by can cannot content contents depict depicted
depicting depiction depictions do does doing for from have in into is it its may me must my
never no nor not of on or other others our show showing shown shows such that the their them
they this those to under unless use used using with without will would you your i him her
his hers she he we us all also only please should shall ever being be am were was image
images imagery scene scenes video videos footage likeness appear appearing appears
involving involve involves related reference references refer material materials type kinds
kind content way ways anything something
""".split())


def _contains(text: str, term: str) -> bool:
    term = term.strip()
    if not term:
        return False
    return re.search(rf"(?<!\w){re.escape(term)}(?:s|es)?(?!\w)", text, re.IGNORECASE) is not None


def restriction_terms(cameo: Cameo) -> list[tuple[str, str]]:
    """(term to look for, what it came from) for a cameo's restrictions."""
    out: list[tuple[str, str]] = [(t, f"avoided topic {t!r}") for t in
                                  cameo.restrictions.avoid_topics if t.strip()]
    for clause in re.split(r"[.;,\n]|\band\b", cameo.restrictions.text):
        clause = clause.strip()
        if not clause:
            continue
        for word in re.findall(r"[A-Za-z][A-Za-z'-]+", clause):
            low = word.lower().strip("'-")
            if len(low) >= 4 and low not in _STOPWORDS:
                out.append((low, f"written restriction {clause!r}"))
    seen: set[str] = set()
    unique = []
    for term, source in out:
        if term.lower() not in seen:
            seen.add(term.lower())
            unique.append((term, source))
    return unique


def prompt_touches(prompt: str, cameo: Cameo) -> list[tuple[str, str]]:
    checked = prompt.split("\n\nAvoid: ")[0]  # the Avoid line names things *not* to show
    return [(term, source) for term, source in restriction_terms(cameo)
            if _contains(checked, term)]


@register_check
def _cameo_consent(ctx: LintContext, i: int, shot: object) -> Iterable[Lint]:
    from studio.model import Shot

    if ctx.root is None or not isinstance(shot, Shot):
        return
    root = Path(ctx.root)
    via = shown_via(root, ctx.project, shot)
    if not via:
        return
    prompt: str | None = None
    for cameo_id, ways in via.items():
        if LISTED in ways:
            loc: tuple[str | int, ...] = ("shots", i, "cameos", shot.cameos.index(cameo_id))
        else:
            loc = _implied_loc(shot, i, ways)
            yield Lint(
                "error", "cameo-not-listed",
                f"shows {cameo_id} via {describe(ways)} but the shot's cameos list does not "
                f"name {cameo_id}: add them to cameos so consent is tracked and checked",
                shot.id, loc,
            )
        if not (root / "cameos" / f"{cameo_id}.yaml").is_file():
            continue  # unknown ids are reported by the core linter's unknown-cameo rule
        for reason in check_cameos(root, ctx.project, shot, [cameo_id], via=via):
            yield Lint("error", "consent", reason, shot.id, loc)
        entry = load_entry(root, cameo_id)
        if entry.cameo is None:
            continue
        if prompt is None:
            prompt = compile_shot(ctx.project, shot, ctx.vocab).prompt
        for term, source in prompt_touches(prompt, entry.cameo):
            yield Lint(
                "warning", "cameo-restriction",
                f"the prompt mentions {term!r}, which touches {entry.cameo.name}'s {source}",
                shot.id, ("shots", i, "prose"),
            )


def _implied_loc(shot: object, i: int, ways: list[str]) -> tuple[str | int, ...]:
    """Where in the brief a not-listed cameo comes from (the first way found)."""
    from studio.model import Shot

    assert isinstance(shot, Shot)
    for way in ways:
        kind, _, name = way.partition(" ")
        if kind in ("character", "speaker"):
            for j, line in enumerate(shot.dialogue):
                if line.speaker == name:
                    return ("shots", i, "dialogue", j, "speaker")
        if kind == "reference" and name in shot.references:
            return ("shots", i, "references", shot.references.index(name))
    return ("shots", i, "cameos")
