"""Linter rules for cameos (imported lazily by studio.linter).

- ``consent`` (error): a cameo the shot shows has no valid consent for this use now.
- ``cameo-not-listed`` (error): the shot shows a cameo through a character they play or a
  likeness reference image, but its ``cameos`` list does not name them.
- ``cameo-restriction`` (warning): the compiled prompt touches a cameo's avoided topics or
  written restrictions. Words match by stem (drinks/drinking → drink), whole words only;
  a topic named by an avoided topic or a restriction ("No alcohol", ``avoid_topics:
  [gambling]``) expands to its related terms from resources/restriction_topics.yaml
  (alcohol → beer, whisky, "raise a glass"…); phrases match across whitespace and hyphens.
  The warning names the cameo, the restriction, the matched words and the shot field.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from studio.compiler import compile_shot
from studio.consent.enforce import check_cameos
from studio.consent.model import Cameo
from studio.consent.records import load_entry
from studio.consent.shown import LISTED, describe, shown_via
from studio.linter import Lint, LintContext, register_check

log = logging.getLogger(__name__)

TOPICS_FILE = "restriction_topics.yaml"

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
promote promoting promotes promoted promotion promotional endorse endorsing endorsement
portray portrayed portraying featured featuring feature features seen context contexts
situation situations setting settings activity activities behaviour behavior product
products brand brands person people public while where when what which who whose
""".split())

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_stem_lock = threading.Lock()


@functools.cache
def _stemmer():  # noqa: ANN202 - snowballstemmer has no type hints
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """The English (Snowball/Porter 2) stem of one lower-cased word."""
    word = word.lower()
    if word.endswith("'s"):
        word = word[:-2]
    with _stem_lock:  # a Snowball stemmer object keeps state while it works
        return str(_stemmer().stemWord(word))


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of every word of ``text``; hyphens and punctuation separate."""
    return [(stem(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def stems(phrase: str) -> tuple[str, ...]:
    return tuple(t[0] for t in tokens(phrase))


@dataclass(frozen=True)
class Topic:
    name: str
    names: frozenset[tuple[str, ...]]   # phrases (as stems) that name the topic
    terms: frozenset[tuple[str, ...]]   # phrases (as stems) a prompt is searched for


@dataclass(frozen=True)
class Restriction:
    """One thing a cameo asked for: an avoided topic or a clause of the written text."""
    source: str                        # "avoided topic 'alcohol'", "written restriction '…'"
    terms: frozenset[tuple[str, ...]]


@functools.lru_cache(maxsize=4)
def _load_topics(path: str) -> tuple[Topic, ...]:
    from studio.yamlio import parse_yaml, read_text

    try:
        data = parse_yaml(read_text(Path(path)), path)[0] or {}
        raw = data.get("topics") or {}
        topics = []
        for name, entry in raw.items():
            names = {stems(str(n)) for n in [name, *(entry.get("names") or [])]}
            terms = {stems(str(t)) for t in entry.get("terms") or []}
            topics.append(Topic(str(name), frozenset(n for n in names if n),
                                frozenset(t for t in terms if t)))
        return tuple(topics)
    except Exception as exc:  # noqa: BLE001 - the lint still checks the literal words
        log.warning("%s: restriction topics not loaded: %s", path, exc)
        return ()


def topics() -> tuple[Topic, ...]:
    """The topic lexicon (resources/restriction_topics.yaml)."""
    from studio.resources import resources_dir

    return _load_topics(str(resources_dir() / TOPICS_FILE))


def find_phrases(toks: list[tuple[str, int, int]],
                 phrases: Iterable[tuple[str, ...]]) -> list[tuple[tuple[str, ...], int, int]]:
    """Every occurrence of a phrase in ``toks``: (phrase, first token, token after)."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        by_first.setdefault(phrase[0], []).append(phrase)
    found = []
    for i, (st, _s, _e) in enumerate(toks):
        for phrase in by_first.get(st, ()):
            n = len(phrase)
            if tuple(t[0] for t in toks[i:i + n]) == phrase:
                found.append((phrase, i, i + n))
    return found


def _named_topics(toks: list[tuple[str, int, int]]) -> tuple[list[Topic], set[int]]:
    """Topics whose names occur in ``toks``, and the token positions those names cover."""
    named: list[Topic] = []
    covered: set[int] = set()
    for topic in topics():
        hits = find_phrases(toks, topic.names)
        if hits:
            named.append(topic)
            for _p, a, b in hits:
                covered.update(range(a, b))
    return named, covered


def restrictions_of(cameo: Cameo) -> list[Restriction]:
    """What a cameo's avoided topics and written restrictions ask the prompt not to touch."""
    out: list[Restriction] = []
    for topic_text in cameo.restrictions.avoid_topics:
        toks = tokens(topic_text)
        if not toks:
            continue
        named, _covered = _named_topics(toks)
        source = f"avoided topic {topic_text.strip()!r}"
        if named:
            extra = [t.name for t in named if stems(t.name) != stems(topic_text)]
            if extra:
                source += f" ({', '.join(extra)})"
            terms = frozenset().union(*(t.terms for t in named))
        else:
            terms = frozenset({tuple(t[0] for t in toks)})
        out.append(Restriction(source, terms))
    for clause in re.split(r"[.;,\n]|\band\b", cameo.restrictions.text):
        clause = " ".join(clause.split())
        if not clause:
            continue
        toks = tokens(clause)
        named, covered = _named_topics(toks)
        words: set[tuple[str, ...]] = set()
        for j, m in enumerate(_WORD.finditer(clause)):
            low = m.group().lower()
            if j in covered or len(low) < 4 or low in _STOPWORDS or toks[j][0] in _STOPWORDS:
                continue
            if named and low.endswith(("ing", "ed")):
                continue  # "shown drinking alcohol": the verb says how the topic is barred
            words.add((toks[j][0],))
        terms = frozenset(words).union(*(t.terms for t in named))
        if not terms:
            continue
        source = f"written restriction {clause!r}"
        if named:
            source += f" (topic: {', '.join(t.name for t in named)})"
        out.append(Restriction(source, terms))
    return out


def touches(text: str, restrictions: list[Restriction]) -> list[tuple[Restriction, list[str]]]:
    """The restrictions ``text`` touches, each with the words of ``text`` that matched."""
    toks = tokens(text)
    out = []
    for restriction in restrictions:
        taken: set[int] = set()
        words = []
        for _p, a, b in sorted(find_phrases(toks, restriction.terms),
                               key=lambda h: (h[1], h[1] - h[2])):
            if taken.isdisjoint(range(a, b)):  # the longest phrase at a place wins
                taken.update(range(a, b))
                words.append(text[toks[a][1]:toks[b - 1][2]])
        if words:
            out.append((restriction, list(dict.fromkeys(w.lower() for w in words))))
    return out


def prompt_touches(prompt: str, cameo: Cameo) -> list[tuple[str, str]]:
    """(matched words, restriction) for a compiled prompt; the Avoid block is skipped."""
    checked = prompt.split("\n\nAvoid: ")[0]  # the Avoid line names things *not* to show
    return [(", ".join(words), r.source)
            for r, words in touches(checked, restrictions_of(cameo))]


def _shot_fields(project: object, shot: object, i: int
                 ) -> list[tuple[str, tuple[str | int, ...], str]]:
    """(label, location, text) of the written fields a shot's prompt is compiled from."""
    from studio.model import Project, Shot

    assert isinstance(shot, Shot)
    assert isinstance(project, Project)
    base: tuple[str | int, ...] = ("shots", i)
    fields: list[tuple[str, tuple[str | int, ...], str]] = [("prose", (*base, "prose"), shot.prose)]
    for j, beat in enumerate(shot.beats):
        fields.append((f"beat {j + 1} action", (*base, "beats", j, "action"), beat.action))
    for j, line in enumerate(shot.dialogue):
        fields.append((f"dialogue line {j + 1}", (*base, "dialogue", j, "line"), line.line))
        if line.delivery:
            fields.append((f"dialogue line {j + 1} delivery", (*base, "dialogue", j, "delivery"),
                           line.delivery))
    fields.append(("sound ambience", (*base, "sound", "ambience"), shot.sound.ambience))
    for j, effect in enumerate(shot.sound.effects):
        fields.append((f"sound effect {j + 1}", (*base, "sound", "effects", j), effect))
    fields.append(("sound music", (*base, "sound", "music"), shot.sound.music))
    fields.append(("style look", ("style", "look"), project.style.look))
    fields.append(("style grade", ("style", "grade"), project.style.grade))
    return [f for f in fields if f[2].strip()]


def restriction_lints(project: object, shot: object, i: int, prompt: str, cameo: Cameo
                      ) -> list[Lint]:
    """One warning per shot field that touches the cameo's restrictions."""
    from studio.model import Shot

    assert isinstance(shot, Shot)
    restrictions = restrictions_of(cameo)
    if not restrictions:
        return []
    checked = prompt.split("\n\nAvoid: ")[0]
    in_prompt = {r.source: set(words) for r, words in touches(checked, restrictions)}
    if not in_prompt:
        return []
    lints = []
    accounted: dict[str, set[str]] = {}
    for label, loc, text in _shot_fields(project, shot, i):
        found = [(r, words) for r, words in touches(text, restrictions) if r.source in in_prompt]
        if found:
            for r, words in found:
                accounted.setdefault(r.source, set()).update(words)
            lints.append(_restriction_lint(cameo, shot.id, label, loc, found))
    rest = [(r, sorted(in_prompt[r.source] - accounted.get(r.source, set())))
            for r in restrictions if r.source in in_prompt]
    rest = [(r, words) for r, words in rest if words and r.source not in accounted]
    if rest:
        lints.append(_restriction_lint(cameo, shot.id, "compiled prompt", ("shots", i, "prose"),
                                       rest))
    return lints


def _restriction_lint(cameo: Cameo, shot_id: str, label: str, loc: tuple[str | int, ...],
                      found: list[tuple[Restriction, list[str]]]) -> Lint:
    words = list(dict.fromkeys(w for _r, ws in found for w in ws))
    quoted = ", ".join(repr(w) for w in words)
    if len({tuple(ws) for _r, ws in found}) == 1:  # every restriction matched the same words
        what = "; ".join(r.source for r, _ws in found)
    else:
        what = "; ".join(f"{r.source} ({', '.join(repr(w) for w in ws)})" for r, ws in found)
    return Lint("warning", "cameo-restriction",
                f"{label} mentions {quoted}, which touches {cameo.name}'s ({cameo.id}) {what}",
                shot_id, loc)


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
        yield from restriction_lints(ctx.project, shot, i, prompt, entry.cameo)


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
