"""Bring takes into the library from outside: imported files, and a rebuilt index.

* :func:`import_files` copies external video files in as results (``imported``), reading an
  XMP sidecar beside each file (``clip.xmp`` or ``clip.mp4.xmp``) for tags, rating, prompt,
  notes and review (status, reviewer, note, date: a take re-imported from another project
  keeps its review).
* :func:`rebuild` recreates the ``results`` / ``tags`` / search rows from ``media/<id>/``
  and each take's XMP sidecar, for when studio.db was lost or corrupt. A corrupt studio.db is
  moved aside (never deleted). Takes and sidecars are never modified, except that a missing
  sidecar or thumbnail is recreated.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from studio import events, media
from studio.errors import StoreError, StudioError
from studio.events import EventBus
from studio.project import MEDIA_DIR
from studio.results import records, search
from studio.results.provenance import c2pa_summary
from studio.results.xmp import XmpError, XmpRecord, read_xmp
from studio.store import DB_NAME, Store

log = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


@dataclass
class ImportOutcome:
    path: Path
    result_id: str | None = None
    error: str | None = None
    note: str | None = None  # e.g. an unusable sidecar beside the file
    duplicate: bool = False


def _sidecar_for(path: Path) -> Path | None:
    for candidate in (path.with_suffix(".xmp"), path.with_name(path.name + ".xmp")):
        if candidate.is_file():
            return candidate
    return None


def import_files(root: Path, files: Iterable[Path], *, shot_id: str | None = None,
                 known_shots: set[str] | None = None,
                 bus: EventBus | None = None) -> list[ImportOutcome]:
    """Import each file as a result (copied, never moved). One outcome per file, in order.

    A file that is not a decodable video gets an ``error`` and leaves nothing behind. A file
    whose bytes are already in the library is reported as a ``duplicate`` and not copied.
    """
    root = Path(root)
    outcomes: list[ImportOutcome] = []
    for raw in files:
        path = Path(raw)
        outcome = ImportOutcome(path)
        outcomes.append(outcome)
        if not path.is_file():
            outcome.error = f"{path}: no such file"
            continue
        try:
            digest = media.sha256_file(path)
        except media.MediaError as exc:
            outcome.error = str(exc)
            continue
        with contextlib.closing(Store.for_project(root).connect()) as conn:
            dup = conn.execute("SELECT id FROM results WHERE sha256 = ? LIMIT 1",
                               (digest,)).fetchone()
        if dup:
            outcome.result_id, outcome.duplicate = dup[0], True
            outcome.note = f"{path}: already in the library as {dup[0]}"
            continue
        rec = XmpRecord()
        sidecar = _sidecar_for(path)
        if sidecar is not None:
            try:
                rec = read_xmp(sidecar)
            except XmpError as exc:
                outcome.note = str(exc)
        shot = shot_id
        if shot is None and rec.shot_id and known_shots is not None and \
                rec.shot_id in known_shots:
            shot = rec.shot_id
        try:
            outcome.result_id = records.ingest(
                root, path, shot_id=shot, provider=rec.provider, model=rec.model,
                prompt=rec.prompt, cameos=rec.cameos, imported=True, move=False,
                tags=_valid_tags(rec.tags), rating=rec.rating, bus=bus,
                review=sidecar_review(rec, str(sidecar or path)), notes=rec.notes,
            )
        except StudioError as exc:
            outcome.error = str(exc)
    return outcomes


def sidecar_review(rec: XmpRecord, source: str) -> dict[str, object]:
    """The review a sidecar carries (``bstudio:ReviewStatus``, ``Reviewer``, ``ReviewNote``,
    ``ReviewDate``), its status spelled as :func:`records.review_status` accepts; an unknown
    status is logged and read as pending."""
    try:
        status = records.review_status(rec.review_status or "pending")
    except records.ResultError:
        log.warning("%s: review status %r is not one of %s; read as pending", source,
                    rec.review_status, ", ".join(records.REVIEW_STATUSES))
        status = "pending"
    return {"status": status, "reviewer": rec.reviewer, "note": rec.review_note,
            "at": rec.reviewed_at}


def _valid_tags(tags: Iterable[str]) -> list[str]:
    out = []
    for tag in tags:
        try:
            out.append(records.normalize_tag(tag))
        except records.ResultError:
            log.info("skipping unusable tag %r from a sidecar", tag[:80])
    return out


# -- rebuild -----------------------------------------------------------------------------


@dataclass
class RebuildReport:
    restored: list[str] = field(default_factory=list)
    kept: int = 0
    problems: list[str] = field(default_factory=list)
    moved_aside: Path | None = None


def _db_is_corrupt(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=2)) as conn:
            row = conn.execute("PRAGMA quick_check").fetchone()
            return row is None or row[0] != "ok"
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreError(f"{path}: the database is locked by another program; close it "
                             "and run the rebuild again") from None
        return True


def _move_aside(db: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = db.with_name(f"{db.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(db) + suffix)
        if part.exists():
            part.replace(Path(str(target) + suffix))
    return target


def rebuild(root: Path, *, bus: EventBus | None = None) -> RebuildReport:
    """Recreate the index of takes from ``media/`` (see the module docstring)."""
    root = Path(root)
    report = RebuildReport()
    db = root / DB_NAME
    if _db_is_corrupt(db):
        report.moved_aside = _move_aside(db)
        log.warning("moved the unreadable %s aside to %s", db, report.moved_aside)
    store = Store.for_project(root)
    folder = root / MEDIA_DIR
    entries = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    with contextlib.closing(store.connect()) as conn:
        known = {r for (r,) in conn.execute("SELECT id FROM results")}
        for entry in entries:
            rid = entry.name
            if rid.startswith(".") or not _SAFE_ID.match(rid):
                continue
            if rid in known:
                report.kept += 1
                continue
            problem = _restore_one(root, conn, store, entry, report)
            if problem:
                report.problems.append(problem)
            else:
                report.restored.append(rid)
        with store.transaction(conn):
            search.repair(conn)
    if bus is not None:
        for rid in report.restored:
            bus.publish(events.RESULT_ADDED, result_id=rid, shot_id=None, job_id=None)
    return report


def _restore_one(root: Path, conn: sqlite3.Connection, store: Store, entry: Path,
                 report: RebuildReport) -> str | None:
    rid = entry.name
    take = entry / records.TAKE_NAME
    if not take.is_file():
        return f"{entry}: no {records.TAKE_NAME}; skipped"
    try:
        info = media.probe(take)
        digest = media.sha256_file(take)
    except media.MediaError as exc:
        return f"{exc}; skipped"
    sidecar = entry / records.XMP_NAME
    rec = XmpRecord()
    sidecar_ok = False
    if sidecar.is_file():
        try:
            rec = read_xmp(sidecar)
            sidecar_ok = True
        except XmpError as exc:
            report.problems.append(f"{exc} (restored {rid} without its metadata)")
    if rec.result_id and rec.result_id != rid:
        log.info("%s: sidecar names result %s; using the folder name", sidecar, rec.result_id)
    thumb_path = entry / records.THUMB_NAME
    if not thumb_path.is_file():
        try:
            media.thumbnail(take, thumb_path)
        except (OSError, media.MediaError) as exc:
            log.warning("no thumbnail for %s: %s", take, exc)
    review = sidecar_review(rec, str(sidecar))
    c2pa = c2pa_summary(take)
    row = {
        "id": rid, "job_id": rec.job_id, "shot_id": rec.shot_id,
        "path": f"{MEDIA_DIR}/{rid}/{records.TAKE_NAME}",
        "thumbnail": f"{MEDIA_DIR}/{rid}/{records.THUMB_NAME}" if thumb_path.is_file() else None,
        "sha256": digest, "size": take.stat().st_size, "duration": info.duration,
        "width": info.width, "height": info.height, "fps": info.fps, "codec": info.codec,
        "has_audio": int(info.has_audio), "provider": rec.provider, "model": rec.model,
        "prompt": rec.prompt, "params_json": "{}", "remote_id": rec.remote_id, "cost": rec.cost,
        "created_at": rec.created_at or take.stat().st_mtime, "imported": int(rec.imported),
        "parent_id": rec.parent_id, "c2pa_json": json.dumps(c2pa) if c2pa else None,
        "cameos_json": json.dumps(rec.cameos), "consent_flag": rec.consent_flag,
        "rating": rec.rating, "review_status": review["status"], "reviewer": rec.reviewer,
        "review_note": rec.review_note, "reviewed_at": rec.reviewed_at, "notes": rec.notes,
    }
    with store.transaction(conn):
        row["search_key"] = search.next_key(conn)
        conn.execute(f"INSERT INTO results ({', '.join(row)}) VALUES "
                     f"({', '.join('?' * len(row))})", list(row.values()))
        conn.executemany("INSERT OR IGNORE INTO tags(result_id, tag) VALUES (?, ?)",
                         [(rid, t) for t in _valid_tags(rec.tags)])
        search.sync(conn, rid)
    if not sidecar_ok and not sidecar.exists():
        records.write_sidecar(root, rid, conn)
    return None
