"""Which real people a shot shows: the effective cameo set every consent check uses.

A shot shows a cameo when

- its ``cameos`` list names them;
- a dialogue line's speaker is the cameo's id, or a character the cameo plays
  (``characters[].cameo``) — the provider is asked for that person's face and voice;
- a reference image the provider receives (the shot's ``references``, or the style guide's
  first reference when the shot has none, as :func:`studio.compiler.compile_shot` sends
  them) is one of the cameo's ``likeness`` images, by path or by identical content.

:func:`shown_cameos` is the set; :func:`shown_via` says why, for messages and the linter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from studio.consent.records import CAMEOS_DIR, file_sha256, load_entry, settled, settled_mtime
from studio.model import Project, Shot

log = logging.getLogger(__name__)

LISTED = "listed"


@dataclass(frozen=True)
class _Likeness:
    cameo_ids: frozenset[str]                 # every cameos/*.yaml id
    by_path: dict[str, frozenset[str]]        # normalized relative path -> cameo ids
    by_sha: dict[str, frozenset[str]]         # sha256 of the image -> cameo ids
    images: tuple[tuple[str, int, int, int, int], ...] = ()  # _image_stat of each likeness


def _image_stat(path: Path) -> tuple[str, int, int, int, int]:
    """(path, size, mtime, ctime, inode); -1s for a missing file."""
    try:
        st = path.stat()
    except OSError:
        return (str(path), -1, -1, -1, -1)
    return (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _images_unchanged(value: _Likeness) -> bool:
    """A likeness photo replaced in place (same cameo record) changes what "shows this
    person" means: the cached content hashes then no longer stand."""
    return all(_image_stat(Path(image[0])) == image for image in value.images)


_cache: dict[tuple[str, tuple[tuple[str, int, int, int, int], ...]], _Likeness] = {}


def _norm(rel: str) -> str:
    path = PurePosixPath(rel.replace("\\", "/"))
    parts = [p for p in path.parts if p not in ("", ".")]
    return "/".join(parts)


def _sha(root: Path, rel: str) -> str | None:
    try:
        return file_sha256(root / _norm(rel))
    except OSError:
        return None


def _likeness(root: Path) -> _Likeness:
    folder = root / CAMEOS_DIR
    files: list[tuple[str, int, int, int, int]] = []
    cacheable = True
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            try:
                st = path.stat()
            except OSError:
                continue
            files.append((path.stem, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
            cacheable = cacheable and settled(st)
    key = (str(root.resolve()), tuple(files))
    cached = _cache.get(key)
    if cached is not None and _images_unchanged(cached):
        return cached
    by_path: dict[str, set[str]] = {}
    by_sha: dict[str, set[str]] = {}
    images: list[tuple[str, int, int]] = []
    for cameo_id, *_stat in files:
        entry = load_entry(root, cameo_id)
        if entry.cameo is None:
            continue
        for rel in entry.cameo.likeness:
            by_path.setdefault(_norm(rel), set()).add(cameo_id)
            image = _image_stat(root / _norm(rel))  # before it is hashed: a later change shows
            images.append(image)
            cacheable = cacheable and (image[1] < 0 or settled_mtime(max(image[2], image[3])))
            sha = _sha(root, rel)
            if sha is not None:
                by_sha.setdefault(sha, set()).add(cameo_id)
    value = _Likeness(frozenset(f[0] for f in files),
                      {k: frozenset(v) for k, v in by_path.items()},
                      {k: frozenset(v) for k, v in by_sha.items()}, tuple(images))
    if cacheable:  # a cameo record rewritten within the mtime granularity keeps its key
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = value
    return value


def sent_references(project: Project, shot: Shot) -> list[str]:
    """Every reference image a provider may receive for this shot: the shot's own, and the
    style guide's (sent to models that take style references). A superset on purpose: a
    likeness in either makes the shot show that person."""
    refs = list(shot.references)
    return refs + [r for r in project.style.references if r not in refs]


def shown_via(root: Path, project: Project, shot: Shot) -> dict[str, list[str]]:
    """Cameo id -> how the shot shows them (``"listed"``, ``"character maya"``,
    ``"speaker sam-lee"``, ``"reference references/x.png"``), in a stable order:
    the shot's ``cameos`` first, then the others by id."""
    root = Path(root)
    out: dict[str, list[str]] = {c: [LISTED] for c in shot.cameos}
    extra: dict[str, list[str]] = {}

    def add(cameo_id: str, how: str) -> None:
        target = out if cameo_id in out else extra
        ways = target.setdefault(cameo_id, [])
        if how not in ways:
            ways.append(how)

    played_by = {c.id: c.cameo for c in project.characters if c.cameo}
    likeness: _Likeness | None = None
    for line in shot.dialogue:
        if line.speaker in played_by:
            add(str(played_by[line.speaker]), f"character {line.speaker}")
        elif line.speaker in out:
            continue
        else:
            if likeness is None:
                likeness = _likeness(root)
            if line.speaker in likeness.cameo_ids:
                add(line.speaker, f"speaker {line.speaker}")
    refs = sent_references(project, shot)
    if refs:
        if likeness is None:
            likeness = _likeness(root)
        for rel in refs:
            ids = set(likeness.by_path.get(_norm(rel), frozenset()))
            if likeness.by_sha:
                sha = _sha(root, rel)
                if sha is not None:
                    ids |= likeness.by_sha.get(sha, frozenset())
            for cameo_id in sorted(ids):
                add(cameo_id, f"reference {rel}")
    for cameo_id in sorted(extra):
        out[cameo_id] = extra[cameo_id]
    return out


def shown_cameos(root: Path, project: Project, shot: Shot) -> set[str]:
    """Every cameo id the shot shows (see the module docstring)."""
    return set(shown_via(root, project, shot))


def shown_list(root: Path, project: Project, shot: Shot,
               also: tuple[str, ...] | list[str] = ()) -> list[str]:
    """:func:`shown_cameos` as a stable list, after the ids in ``also`` (e.g. a job's)."""
    return list(dict.fromkeys([*also, *shown_via(root, project, shot)]))


def speaking_in(project: Project, shot: Shot, shown: set[str] | list[str]) -> set[str]:
    """The shown cameos that have a dialogue line (directly or via a character they play)."""
    played_by = {c.id: c.cameo for c in project.characters if c.cameo}
    ids = set(shown)
    out: set[str] = set()
    for line in shot.dialogue:
        who = played_by.get(line.speaker, line.speaker)
        if who in ids:
            out.add(str(who))
    return out


def describe(ways: list[str]) -> str:
    """'character maya / reference references/maya.png' (without 'listed')."""
    return " / ".join(w for w in ways if w != LISTED)


@dataclass(frozen=True)
class Appearance:
    """One shot that shows a cameo: how (``shown_via``) and whether they speak there."""

    shot_id: str
    title: str
    via: tuple[str, ...]   # "listed", "character maya", "reference references/x.png", ...
    speaks: bool           # a dialogue line is theirs: the gate checks voice consent


def appearances(root: Path, project: Project, cameo_id: str) -> list[Appearance]:
    """Every shot that shows ``cameo_id``, in brief order, as the consent gate sees it.

    The same set :func:`studio.consent.check_shot` checks (listed, a character they play, a
    speaker id, a likeness reference the provider receives), and ``speaks`` exactly when
    the gate asks for voice consent (:func:`speaking_in` over the shot's shown set).
    """
    root = Path(root)
    out = []
    for shot in project.shots:
        via = shown_via(root, project, shot)
        if cameo_id not in via:
            continue
        out.append(Appearance(shot.id, shot.title, tuple(via[cameo_id]),
                              cameo_id in speaking_in(project, shot, set(via))))
    return out
