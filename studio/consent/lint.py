"""Linter rules for cameos (imported lazily by studio.linter).

- ``consent`` (error): a cameo the shot shows has no valid consent for this use now.
- ``cameo-restriction`` (warning): the compiled prompt touches a cameo's avoided topics or
  a significant word of their written restrictions (e.g. "no alcohol" and a prompt that
  mentions alcohol).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from studio.compiler import compile_shot
from studio.consent.enforce import check_shot
from studio.consent.model import Cameo
from studio.consent.records import load_entry
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

    if ctx.root is None or not isinstance(shot, Shot) or not shot.cameos:
        return
    root = Path(ctx.root)
    present = [c for c in shot.cameos if (root / "cameos" / f"{c}.yaml").is_file()]
    # unknown ids are reported by the core linter's unknown-cameo rule
    prompt: str | None = None
    for j, cameo_id in enumerate(shot.cameos):
        if cameo_id not in present:
            continue
        single = shot.model_copy(update={"cameos": [cameo_id]})
        for reason in check_shot(root, ctx.project, single):
            yield Lint("error", "consent", reason, shot.id, ("shots", i, "cameos", j))
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
