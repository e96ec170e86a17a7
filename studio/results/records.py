"""Result records: ingest takes, list and filter them, tag, rate, review, annotate.

A result is a take on disk (``media/<id>/take.mp4`` with ``thumb.jpg`` and the XMP sidecar
``take.xmp``) plus its row in studio.db (``results``, tags in ``tags``, words in
``results_fts``). Every change is one transaction followed by an atomic rewrite of the
sidecar, so Bridge / exiftool and a later ``studio results rebuild`` see the same facts.

These functions take the project folder and open their own short-lived connection: they
are safe to call from any thread (the UI calls them through ``ui.tasks.run_task``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio import events, media
from studio.errors import StudioError
from studio.events import EventBus
from studio.project import MEDIA_DIR, ProjectDocument, save_project
from studio.results import search
from studio.results.provenance import c2pa_summary
from studio.results.xmp import XmpRecord, write_xmp
from studio.store import Store

log = logging.getLogger(__name__)

TAKE_NAME = "take.mp4"
THUMB_NAME = "thumb.jpg"
XMP_NAME = "take.xmp"
REVIEW_STATUSES = ("pending", "approved", "rejected", "changes_requested")
MIN_RATING, MAX_RATING = -1, 5
MAX_TAG_CHARS = 64
ORDERS: dict[str, str] = {
    "newest": "r.created_at DESC, r.id DESC",
    "oldest": "r.created_at ASC, r.id ASC",
    "rating": "r.rating DESC, r.created_at DESC, r.id DESC",
    "shot": "r.shot_id ASC, r.created_at DESC, r.id DESC",
    "provider": "r.provider ASC, r.created_at DESC, r.id DESC",
}


class ResultError(StudioError):
    """A take cannot be ingested / found / changed; ``str()`` says which and why."""


def review_status(value: str) -> str:
    """The stored review status for ``value``: case, ``-`` and spaces are accepted
    (``changes-requested``, ``Changes requested`` → ``changes_requested``); anything else
    is a :class:`ResultError` naming the statuses. The one spelling rule for the CLI
    (``results review`` and ``results list --status``), the API and sidecars."""
    status = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if status not in REVIEW_STATUSES:
        raise ResultError(f"unknown review status {value!r}; use one of "
                          f"{', '.join(REVIEW_STATUSES)} (or with - for _)")
    return status


def check_rating(n: object) -> int:
    """A rating −1 … 5 from an int or its text; anything else is a :class:`ResultError`."""
    return _check_rating(n)


def new_result_id() -> str:
    return f"rs-{uuid.uuid4().hex[:12]}"


# -- filters -----------------------------------------------------------------------------


@dataclass
class ResultFilter:
    """What the library shows. Empty fields do not filter."""

    tags: list[str] = field(default_factory=list)  # every tag must be present
    status: str | None = None
    text: str | None = None
    shot: str | None = None
    provider: str | None = None
    min_rating: int | None = None
    since: float | None = None  # unix seconds, inclusive
    until: float | None = None  # unix seconds, exclusive
    order: str = "newest"

    def sql(self) -> tuple[str, list[Any], str]:
        """(WHERE clause or "", parameters, ORDER BY clause) over ``results r``."""
        where: list[str] = []
        params: list[Any] = []
        for tag in dict.fromkeys(normalize_tag(t) for t in self.tags if t.strip()):
            where.append("r.id IN (SELECT result_id FROM tags WHERE tag = ?)")
            params.append(tag)
        if self.status:
            where.append("r.review_status = ?")
            params.append(review_status(self.status))
        query = search.fts_query(self.text or "")
        if query:
            where.append("r.search_key IN (SELECT rowid FROM results_fts WHERE results_fts "
                         "MATCH ?)")
            params.append(query)
        if self.shot:
            where.append("r.shot_id = ?")
            params.append(self.shot)
        if self.provider:
            where.append("r.provider = ?")
            params.append(self.provider)
        if self.min_rating is not None:
            where.append("r.rating >= ?")
            params.append(int(self.min_rating))
        if self.since is not None:
            where.append("r.created_at >= ?")
            params.append(float(self.since))
        if self.until is not None:
            where.append("r.created_at < ?")
            params.append(float(self.until))
        if self.order not in ORDERS:
            raise ResultError(f"unknown order {self.order!r}; use one of {', '.join(ORDERS)}")
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        return clause, params, " ORDER BY " + ORDERS[self.order]

    def _cover_index(self) -> str:
        """The covering index that answers the tag / text lookup of :meth:`page_sql`.

        SQLite without statistics prefers the UNIQUE index on ``id`` / ``search_key`` for
        ``IN (…)`` lookups and then reads every matching table row just to sort them; the
        covering indexes of migration 3 hold every column a filter or an order needs, so
        only the rows of the page itself are read.
        """
        if any(t.strip() for t in self.tags):
            return " INDEXED BY results_cover_id"
        if search.fts_query(self.text or ""):
            return " INDEXED BY results_cover_key"
        return ""

    def page_sql(self, columns: str, limit: int, offset: int = 0) -> tuple[str, list[Any]]:
        """One page, in two phases: order the matching keys (from indexes), then read rows.

        ``columns`` are over ``results r``. The inner query picks the page's rowids with
        LIMIT/OFFSET applied to index entries; the outer one reads just those rows.
        """
        where, params, order = self.sql()
        inner = (f"SELECT r.rowid FROM results r{self._cover_index()}{where}{order} "
                 "LIMIT ? OFFSET ?")
        return (f"SELECT {columns} FROM results r WHERE r.rowid IN ({inner}){order}",
                [*params, int(limit), int(offset)])

    def count_sql(self) -> tuple[str, list[Any]]:
        where, params, _order = self.sql()
        return f"SELECT count(*) FROM results r{where}", params


def normalize_tag(tag: str) -> str:
    """Tags are trimmed, single-spaced and lower-case; empty or overlong ones are refused."""
    text = " ".join(str(tag).split()).lower()
    if not text:
        raise ResultError("a tag cannot be empty")
    if len(text) > MAX_TAG_CHARS:
        raise ResultError(f"tag {text[:20]!r}… is longer than {MAX_TAG_CHARS} characters")
    return text


# -- reading -----------------------------------------------------------------------------


def _connect(root: Path) -> sqlite3.Connection:
    return Store.for_project(Path(root)).connect()


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _tags_for(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        marks = ",".join("?" * len(chunk))
        for rid, tag in conn.execute(
            f"SELECT result_id, tag FROM tags WHERE result_id IN ({marks}) ORDER BY tag", chunk
        ):
            out[rid].append(tag)
    return out


def result_dict(row: sqlite3.Row | dict[str, Any], *, tags: Sequence[str] = (),
                root: Path | None = None) -> dict[str, Any]:
    """The stable JSON form of a result (documented in docs/readme/results.md).

    ``path`` and ``thumbnail`` are absolute when ``root`` is given (a relative root is
    resolved against the current directory), else project-relative. ``missing`` is true when
    the take file is not on disk (None without ``root``: it cannot be checked).
    """
    r = dict(row)
    base = None if root is None else (Path(root) if Path(root).is_absolute()
                                      else Path(root).resolve())

    def place(rel: str | None) -> str | None:
        if rel is None:
            return None
        return str(base / rel) if base is not None else rel

    def loads(text: str | None, default: Any) -> Any:  # noqa: ANN401
        if not text:
            return default
        try:
            return json.loads(text)
        except ValueError:
            return default

    return {
        "id": r["id"],
        "shot": r["shot_id"],
        "job_id": r["job_id"],
        "path": place(r["path"]),
        "missing": None if base is None else not (base / r["path"]).is_file(),
        "thumbnail": place(r["thumbnail"]),
        "duration": r["duration"],
        "width": r["width"],
        "height": r["height"],
        "fps": r["fps"],
        "codec": r["codec"],
        "has_audio": bool(r["has_audio"]),
        "size": r["size"],
        "sha256": r["sha256"],
        "tags": list(tags),
        "rating": r["rating"],
        "review": {
            "status": r["review_status"],
            "reviewer": r["reviewer"],
            "note": r["review_note"],
            "at": _iso(r["reviewed_at"]),
        },
        "notes": r["notes"],
        "c2pa": loads(r["c2pa_json"], None),
        "provider": r["provider"],
        "model": r["model"],
        "prompt": r["prompt"],
        "params": loads(r["params_json"], {}),
        "remote_id": r["remote_id"],
        "cost": r["cost"],
        "cameos": loads(r["cameos_json"], []),
        "consent_flag": r["consent_flag"],
        "parent": r["parent_id"],
        "imported": bool(r["imported"]),
        "created": _iso(r["created_at"]),
    }


def list_results(root: Path, *, tag: str | Sequence[str] | None = None,
                 status: str | None = None, text: str | None = None, shot: str | None = None,
                 provider: str | None = None, min_rating: int | None = None,
                 since: float | None = None, until: float | None = None,
                 order: str = "newest", limit: int | None = None,
                 offset: int = 0) -> list[dict[str, Any]]:
    """Results matching every given filter, as :func:`result_dict` dicts (absolute paths)."""
    tags = [tag] if isinstance(tag, str) else list(tag or [])
    flt = ResultFilter(tags=tags, status=status, text=text, shot=shot, provider=provider,
                       min_rating=min_rating, since=since, until=until, order=order)
    if limit is not None or offset:
        sql, params = flt.page_sql("r.*", -1 if limit is None else int(limit), int(offset))
    else:
        where, params, order_by = flt.sql()
        sql = f"SELECT r.* FROM results r{where}{order_by}"
    with contextlib.closing(_connect(root)) as conn:
        rows = conn.execute(sql, params).fetchall()
        tag_map = _tags_for(conn, [r["id"] for r in rows])
    base = Path(root).resolve()
    return [result_dict(r, tags=tag_map[r["id"]], root=base) for r in rows]


def get_result(root: Path, result_id: str) -> dict[str, Any]:
    with contextlib.closing(_connect(root)) as conn:
        row = _row(conn, root, result_id)
        tags = _tags_for(conn, [result_id])[result_id]
    return result_dict(row, tags=tags, root=Path(root).resolve())


def all_tags(root: Path) -> list[tuple[str, int]]:
    """Every tag in use with its count, most used first (for autocompletion)."""
    with contextlib.closing(_connect(root)) as conn:
        return [(t, n) for t, n in conn.execute(
            "SELECT tag, count(*) AS n FROM tags GROUP BY tag ORDER BY n DESC, tag")]


def _row(conn: sqlite3.Connection, root: Path, result_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM results WHERE id = ?", (result_id,)).fetchone()
    if row is None:
        raise ResultError(f"{Path(root)}: no result {result_id!r} in this project "
                          "(see `studio results list`)")
    return row  # type: ignore[no-any-return]


def lineage(root: Path, result_id: str, *, max_depth: int = 64) -> dict[str, Any]:
    """The lineage tree that contains ``result_id``: from its oldest ancestor down.

    Each node: ``{"id", "shot", "provider", "rating", "review", "created", "children"}``.
    Cycles and missing parents (a parent deleted or never imported) end the walk.
    """
    with contextlib.closing(_connect(root)) as conn:
        _row(conn, root, result_id)
        top, seen = result_id, {result_id}
        for _ in range(max_depth):
            parent = conn.execute("SELECT parent_id FROM results WHERE id = ?",
                                  (top,)).fetchone()
            if not parent or not parent[0] or parent[0] in seen:
                break
            exists = conn.execute("SELECT 1 FROM results WHERE id = ?", (parent[0],)).fetchone()
            if not exists:
                break
            seen.add(parent[0])
            top = parent[0]

        visited: set[str] = set()

        def node(rid: str, depth: int) -> dict[str, Any]:
            visited.add(rid)
            r = conn.execute(
                "SELECT id, shot_id, provider, rating, review_status, created_at FROM results "
                "WHERE id = ?", (rid,)).fetchone()
            kids = [] if depth >= max_depth else [
                node(c, depth + 1) for (c,) in conn.execute(
                    "SELECT id FROM results WHERE parent_id = ? ORDER BY created_at", (rid,))
                if c not in visited
            ]
            return {"id": r["id"], "shot": r["shot_id"], "provider": r["provider"],
                    "rating": r["rating"], "review": r["review_status"],
                    "created": _iso(r["created_at"]), "children": kids}

        return node(top, 0)


# -- sidecar -----------------------------------------------------------------------------


def _xmp_record(row: sqlite3.Row, tags: Sequence[str]) -> XmpRecord:
    try:
        cameos = list(json.loads(row["cameos_json"] or "[]"))
    except ValueError:
        cameos = []
    return XmpRecord(
        result_id=row["id"], job_id=row["job_id"], shot_id=row["shot_id"],
        provider=row["provider"], model=row["model"], remote_id=row["remote_id"],
        parent_id=row["parent_id"], prompt=row["prompt"] or "", tags=list(tags),
        rating=row["rating"], review_status=row["review_status"], reviewer=row["reviewer"],
        review_note=row["review_note"], reviewed_at=row["reviewed_at"], notes=row["notes"] or "",
        cameos=cameos, consent_flag=row["consent_flag"], cost=row["cost"],
        imported=bool(row["imported"]), created_at=row["created_at"], sha256=row["sha256"],
    )


def sidecar_path(root: Path, row: sqlite3.Row | dict[str, Any]) -> Path:
    return (Path(root) / row["path"]).with_name(XMP_NAME)


def write_sidecar(root: Path, result_id: str, conn: sqlite3.Connection | None = None) -> Path:
    """Rewrite ``media/<id>/take.xmp`` from the database (atomic)."""
    own = conn is None
    c = conn or _connect(root)
    try:
        row = _row(c, root, result_id)
        tags = _tags_for(c, [result_id])[result_id]
    finally:
        if own:
            c.close()
    path = sidecar_path(root, row)
    try:
        write_xmp(path, _xmp_record(row, tags))
    except OSError as exc:
        raise ResultError(f"{path}: could not write the XMP sidecar "
                          f"({exc.strerror or exc})") from None
    return path


# -- changes -----------------------------------------------------------------------------


def _change(root: Path, result_id: str, bus: EventBus | None, apply: Any,  # noqa: ANN401
            what: str) -> None:
    """Run ``apply(conn)`` in one transaction, reindex, rewrite the sidecar, publish."""
    store = Store.for_project(Path(root))
    with contextlib.closing(store.connect()) as conn:
        with store.transaction(conn):
            _row(conn, root, result_id)
            apply(conn)
            search.sync(conn, result_id)
        write_sidecar(root, result_id, conn)
    log.debug("result %s: %s", result_id, what)
    if bus is not None:
        bus.publish(events.RESULT_CHANGED, result_id=result_id, change=what)


def _clean_tags(tags: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(normalize_tag(t) for t in tags))


def set_tags(root: Path, result_id: str, tags: Iterable[str], *,
             bus: EventBus | None = None) -> list[str]:
    """Replace the tags of a result. Returns the stored tags (normalized, sorted)."""
    clean = _clean_tags(tags)

    def apply(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM tags WHERE result_id = ?", (result_id,))
        conn.executemany("INSERT INTO tags(result_id, tag) VALUES (?, ?)",
                         [(result_id, t) for t in clean])

    _change(root, result_id, bus, apply, "tags")
    return sorted(clean)


def add_tags(root: Path, result_id: str, tags: Iterable[str], *,
             bus: EventBus | None = None) -> list[str]:
    clean = _clean_tags(tags)

    def apply(conn: sqlite3.Connection) -> None:
        conn.executemany("INSERT OR IGNORE INTO tags(result_id, tag) VALUES (?, ?)",
                         [(result_id, t) for t in clean])

    _change(root, result_id, bus, apply, "tags")
    return get_result(root, result_id)["tags"]  # type: ignore[no-any-return]


def remove_tags(root: Path, result_id: str, tags: Iterable[str], *,
                bus: EventBus | None = None) -> list[str]:
    clean = _clean_tags(tags)

    def apply(conn: sqlite3.Connection) -> None:
        conn.executemany("DELETE FROM tags WHERE result_id = ? AND tag = ?",
                         [(result_id, t) for t in clean])

    _change(root, result_id, bus, apply, "tags")
    return get_result(root, result_id)["tags"]  # type: ignore[no-any-return]


def set_rating(root: Path, result_id: str, n: int, *, bus: EventBus | None = None) -> None:
    """Rating −1 (reject) … 5, XMP semantics; 0 means unrated."""
    value = _check_rating(n)
    _change(root, result_id, bus,
            lambda c: c.execute("UPDATE results SET rating = ? WHERE id = ?", (value, result_id)),
            "rating")


def set_review(root: Path, result_id: str, status: str, reviewer: str | None = None,
               note: str | None = None, *, bus: EventBus | None = None) -> None:
    """Review status (pending, approved, rejected, changes_requested) with who, note, when."""
    status = review_status(status)
    now = time.time()
    _change(root, result_id, bus, lambda c: c.execute(
        "UPDATE results SET review_status = ?, reviewer = ?, review_note = ?, reviewed_at = ? "
        "WHERE id = ?", (status, reviewer or None, note or None, now, result_id)), "review")


def set_notes(root: Path, result_id: str, notes: str, *, bus: EventBus | None = None) -> None:
    _change(root, result_id, bus,
            lambda c: c.execute("UPDATE results SET notes = ? WHERE id = ?",
                                (notes or "", result_id)), "notes")


def check_selected_take(doc: ProjectDocument, shot_id: str, result_id: str | None) -> str | None:
    """Validate a selected-take change; returns the shot's current selected take.

    The UI applies the change through an undo command; :func:`set_selected_take` saves it.
    """
    try:
        shot = doc.project.shot(shot_id)
    except KeyError:
        raise ResultError(f"{doc.path}: no shot {shot_id!r} in this project") from None
    if result_id is not None:
        info = get_result(doc.root, result_id)
        if info["shot"] not in (None, shot_id):
            raise ResultError(
                f"result {result_id} is a take of shot {info['shot']!r}, not {shot_id!r}")
    return shot.selected_take


def set_selected_take(doc: ProjectDocument, shot_id: str, result_id: str | None, *,
                      bus: EventBus | None = None) -> None:
    """Make ``result_id`` the shot's selected take and save project.yaml (atomic)."""
    check_selected_take(doc, shot_id, result_id)
    doc.project.shot(shot_id).selected_take = result_id
    save_project(doc)
    if bus is not None:
        bus.publish(events.PROJECT_SAVED, shot_id=shot_id)


# -- ingest ------------------------------------------------------------------------------


def _find_by_job(conn: sqlite3.Connection, job_id: str, remote_id: str | None) -> str | None:
    """The result of this job's take ``remote_id`` (None: a local render): a retried job's new
    take (a new remote id, paid for) is a new result; the same take is never ingested twice."""
    row = conn.execute("SELECT id FROM results WHERE job_id = ? AND remote_id IS ? "
                       "ORDER BY created_at LIMIT 1", (job_id, remote_id)).fetchone()
    return row[0] if row else None


def _place(src: Path, dest: Path, move: bool) -> None:
    """Put ``src`` at ``dest`` (same folder as the final take): hard link when moving."""
    if move:
        try:
            os.link(src, dest)
            return
        except OSError:
            pass
    shutil.copyfile(src, dest)
    with open(dest, "rb+") as fh:
        os.fsync(fh.fileno())


def ingest(root: Path, src: Path, *, shot_id: str | None, job_id: str | None = None,
           provider: str | None = None, model: str | None = None, prompt: str = "",
           params: dict[str, Any] | None = None, remote_id: str | None = None,
           cost: float | None = None, cameos: Sequence[str] = (), parent_id: str | None = None,
           imported: bool = False, thumbnail_src: Path | None = None, move: bool = True,
           tags: Sequence[str] = (), rating: int = 0, created_at: float | None = None,
           result_id: str | None = None, review: dict[str, Any] | None = None,
           notes: str = "", bus: EventBus | None = None,
           verified: media.Probe | None = None) -> str:
    """Turn a video file into a result; returns its id.

    Verifies that ``src`` decodes, builds ``media/<id>/`` (take.mp4, thumb.jpg, take.xmp) in a
    hidden folder and renames it into place, then inserts the row. Idempotent per job and take:
    when a result for ``job_id`` and ``remote_id`` exists its id is returned and nothing is
    written (a retried job's new take, with a new remote id, is a new result). With ``move`` the
    source file is removed once the result is committed. ``review`` carries a review made
    elsewhere (``status``, ``reviewer``, ``note``, ``at``: an imported take's sidecar).
    ``verified`` is the probe of a verification of this very file its caller just made
    (the queue engine verifies every download before renaming it into place): the file is
    not decoded a second time.
    """
    root, src = Path(root), Path(src)
    store = Store.for_project(root)
    if job_id:
        with contextlib.closing(store.connect()) as conn:
            existing = _find_by_job(conn, job_id, remote_id)
        if existing:
            log.info("job %s already has result %s; not ingesting again", job_id, existing)
            return existing
    try:
        info = verified if verified is not None else media.verify_video(src)
    except media.MediaError as exc:
        raise ResultError(str(exc)) from None
    # consent at ingest: record everyone the take shows (the job's cameos and the shot's in
    # the brief) and flag it at once if any of them may not be shown now
    cameos, consent_flag = _consent_at_ingest(root, shot_id, cameos)
    rid = result_id or new_result_id()
    media_dir = root / MEDIA_DIR
    final = media_dir / rid
    if final.exists():
        raise ResultError(f"{final}: already exists; refusing to overwrite a take")
    staging = media_dir / f".{rid}.partial"
    try:
        staging.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise ResultError(f"{staging}: cannot create ({exc.strerror or exc})") from None
    try:
        take = staging / TAKE_NAME
        _place(src, take, move)
        digest = media.sha256_file(take)
        thumb: str | None = f"{MEDIA_DIR}/{rid}/{THUMB_NAME}"
        try:
            if thumbnail_src is not None and Path(thumbnail_src).is_file():
                _place(Path(thumbnail_src), staging / THUMB_NAME, move=False)  # fsynced
            else:
                media.thumbnail(take, staging / THUMB_NAME)
        except (OSError, media.MediaError) as exc:
            log.warning("no thumbnail for %s: %s", src, exc)
            thumb = None
        c2pa = c2pa_summary(take)
        now = time.time()
        row: dict[str, Any] = {
            "id": rid, "job_id": job_id, "shot_id": shot_id,
            "path": f"{MEDIA_DIR}/{rid}/{TAKE_NAME}", "thumbnail": thumb, "sha256": digest,
            "size": take.stat().st_size, "duration": info.duration, "width": info.width,
            "height": info.height, "fps": info.fps, "codec": info.codec,
            "has_audio": int(info.has_audio), "provider": provider, "model": model,
            "prompt": prompt or "", "params_json": json.dumps(params or {}, sort_keys=True,
                                                              default=str),
            "remote_id": remote_id, "cost": cost,
            "created_at": created_at if created_at is not None else now,
            "imported": int(imported), "parent_id": parent_id,
            "c2pa_json": json.dumps(c2pa) if c2pa is not None else None,
            "cameos_json": json.dumps(list(cameos)), "rating": _check_rating(rating),
            "consent_flag": consent_flag, "notes": notes or "",
            **_review_columns(review),
        }
        clean_tags = _clean_tags(tags)
        write_xmp(staging / XMP_NAME, _xmp_record(_FakeRow(row), clean_tags))
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        with contextlib.closing(store.connect()) as conn, store.transaction(conn):
            if job_id and (existing := _find_by_job(conn, job_id, remote_id)):
                raise _AlreadyIngested(existing)
            row["search_key"] = search.next_key(conn)
            cols = ", ".join(row)
            conn.execute(f"INSERT INTO results ({cols}) VALUES ({', '.join('?' * len(row))})",
                         list(row.values()))
            conn.executemany("INSERT INTO tags(result_id, tag) VALUES (?, ?)",
                             [(rid, t) for t in clean_tags])
            search.sync(conn, rid)
    except _AlreadyIngested as dup:
        shutil.rmtree(final, ignore_errors=True)
        return dup.result_id
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise
    if move:
        with contextlib.suppress(OSError):
            src.unlink()
    if consent_flag is None and cameos:
        # a revocation that committed between the check above and the insert did not see
        # this row; check again now that it is visible to any later revocation
        _, late_flag = _consent_at_ingest(root, shot_id, cameos)
        if late_flag:
            _set_consent_flag(root, rid, late_flag)
    log.info("result %s ingested from %s (shot %s, job %s)", rid, src.name, shot_id, job_id)
    if bus is not None:
        bus.publish(events.RESULT_ADDED, result_id=rid, shot_id=shot_id, job_id=job_id)
    return rid


def _review_columns(review: dict[str, Any] | None) -> dict[str, Any]:
    """The review_* columns for ``ingest`` (nothing when there is no review to carry)."""
    if not review:
        return {}
    status = review_status(review.get("status") or "pending")
    at = review.get("at")
    return {"review_status": status, "reviewer": review.get("reviewer") or None,
            "review_note": review.get("note") or None,
            "reviewed_at": float(at) if isinstance(at, int | float) else None}


def _consent_at_ingest(root: Path, shot_id: str | None,
                       cameos: Sequence[str]) -> tuple[list[str], str | None]:
    """(cameos the take shows, consent flag or None) — see studio.consent.take_consent."""
    try:
        from studio.consent import take_consent
    except ImportError:  # pragma: no cover - the consent module is part of the core
        return list(cameos), None
    shown, reasons = take_consent(root, cameos, shot_id)
    if not reasons:
        return shown, None
    return shown, "consent not valid when the take arrived: " + "; ".join(reasons)


def _set_consent_flag(root: Path, result_id: str, flag: str) -> None:
    store = Store.for_project(root)
    with contextlib.closing(store.connect()) as conn, store.transaction(conn):
        conn.execute("UPDATE results SET consent_flag = ? WHERE id = ? AND consent_flag IS NULL",
                     (flag, result_id))
    with contextlib.suppress(ResultError):
        write_sidecar(root, result_id)


def _check_rating(n: object) -> int:
    """Accept an int or its text ("-1" … "5"); anything else is a clear error."""
    value: int | None = None
    if isinstance(n, int) and not isinstance(n, bool):
        value = n
    elif isinstance(n, str) and n.strip().lstrip("-").isdigit():
        value = int(n.strip())
    if value is None or not MIN_RATING <= value <= MAX_RATING:
        raise ResultError(f"rating must be a whole number from -1 to 5, got {n!r}")
    return value


class _AlreadyIngested(Exception):
    def __init__(self, result_id: str):
        super().__init__(result_id)
        self.result_id = result_id


class _FakeRow(dict):  # type: ignore[type-arg]
    """A dict that reads like a results row with defaults for unset columns."""

    _DEFAULTS: dict[str, Any] = {"review_status": "pending", "reviewer": None,
                                 "review_note": None, "reviewed_at": None, "notes": "",
                                 "consent_flag": None}

    def __missing__(self, key: str) -> Any:  # noqa: ANN401
        return self._DEFAULTS.get(key)
