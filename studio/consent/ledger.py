"""The consent audit log: an append-only, hash-chained table in studio.db.

Every event (created, changed, verified, granted, confirmed, imported, revoked) is one row
of the ``audit`` table. Its ``sha256`` covers the previous event's hash and every field of
the event, so an edited, deleted or reordered row breaks the chain from that point on::

    sha256 = H(canonical JSON of [seq, at, actor, cameo_id, action, detail_json,
                                  content_sha256, prev_sha256])

``content_sha256`` is the hash of the cameo record's canonical content at that moment
(:func:`studio.consent.model.content_sha256`). The chain head (last seq and hash) is kept
in the ``meta`` table under :data:`META_KEY`, so deleting the newest rows is detected too.

First-seen policy: when a *brand-new* studio.db is created (e.g. for a fresh clone of the
sample project) every cameo file that validates is recorded as an ``imported`` event, in
the same transaction that creates the schema (:meth:`studio.store.Store.connect` calls
:func:`initialize`), so nothing — a job, a take, a setting — can be written first and the
order of the first commands does not matter. A database created before this baseline
existed is initialized the first time the ledger is opened, with the same rule.
The import is skipped — every cameo stays *unverified* until someone confirms it in the
app — when there is any sign that the database or the project had a life before: a
``studio.db.corrupt-*`` file beside it (``studio results rebuild`` moved a damaged one
aside), takes in ``media/`` (studio.db was deleted, or the index is being rebuilt), rows
in jobs, results, tags or job_events (a project used before consent existed), a ``meta``
head or any other ``meta`` row (an audit table that was emptied), or an AUTOINCREMENT
counter. After that, a cameo file that appears or changes
outside the app is *unverified* until confirmed. A damaged chain never triggers an import.

The table is append-only: triggers (:data:`GUARDS`, created whenever the ledger is opened)
abort any UPDATE or DELETE of an audit row. They stop accidents and casual edits; a
determined edit (dropping the triggers first) is still caught by the hash chain. A missing
or unreadable audit table is reported as "audit log missing or damaged" and every cameo
counts as unverified.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio.errors import ConsentError
from studio.store import Store

log = logging.getLogger(__name__)

GENESIS = "0" * 64
META_KEY = "consent_ledger"

# Event actions
IMPORTED = "imported"
CREATED = "created"
CHANGED = "changed"
VERIFIED = "verified"
GRANTED = "granted"
CONFIRMED = "confirmed"
REVOKED = "revoked"
ACTIONS = (IMPORTED, CREATED, CHANGED, VERIFIED, GRANTED, CONFIRMED, REVOKED)


def _canonical(value: Any) -> str:  # noqa: ANN401
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(
    seq: int, at: str, actor: str, cameo_id: str, action: str, detail_json: str,
    content_sha256: str, prev_sha256: str,
) -> str:
    payload = _canonical(
        [seq, at, actor, cameo_id, action, detail_json, content_sha256, prev_sha256]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: str
    actor: str
    cameo_id: str
    action: str
    detail: dict[str, Any]
    content_sha256: str
    prev_sha256: str
    sha256: str

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


@dataclass
class ChainReport:
    """The outcome of verifying the whole chain."""

    events: list[AuditEvent]
    problems: list[str] = field(default_factory=list)
    broken_from: int | None = None  # first seq that cannot be trusted
    all_affected: bool = False      # e.g. newest rows deleted: cannot tell whose
    affected: set[str] = field(default_factory=set)
    initialized: bool = True
    damaged: str | None = None            # the audit table is missing or cannot be read
    not_imported: str | None = None       # why first-seen import was skipped (if it was)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head(self) -> str:
        return self.events[-1].sha256 if self.events else GENESIS

    def is_affected(self, cameo_id: str) -> bool:
        return self.all_affected or cameo_id in self.affected

    def trusted_events(self, cameo_id: str) -> list[AuditEvent]:
        return [e for e in self.events if e.cameo_id == cameo_id]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _row_event(row: sqlite3.Row) -> tuple[AuditEvent, bool]:
    """The event and whether its detail_json parsed."""
    try:
        detail = json.loads(row["detail_json"])
        ok = isinstance(detail, dict)
    except (ValueError, TypeError):
        detail, ok = {}, False
    return AuditEvent(
        int(row["seq"]), str(row["at"]), str(row["actor"]), str(row["cameo_id"]),
        str(row["action"]), detail if isinstance(detail, dict) else {},
        str(row["content_sha256"]), str(row["prev_sha256"]), str(row["sha256"]),
    ), ok


def _read_meta(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is None:
        return None
    try:
        value = json.loads(row["value"])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _write_meta(conn: sqlite3.Connection, value: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (META_KEY, _canonical(value)),
    )


def damaged_report(exc: BaseException) -> ChainReport:
    """The report for an audit table that is missing or cannot be read."""
    text = str(exc) or type(exc).__name__
    problem = (f"audit log missing or damaged ({text}): every cameo counts as unverified; "
               "restore studio.db from a backup")
    return ChainReport([], [problem], broken_from=1, all_affected=True, initialized=True,
                       damaged=problem)


GUARDS = {
    "audit_no_update": "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'the consent audit log is append-only'); END",
    "audit_no_delete": "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'the consent audit log is append-only'); END",
}


def _guards_missing(conn: sqlite3.Connection) -> bool:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"
    ).fetchall()
    return not set(GUARDS) <= {r[0] for r in rows}


def _install_guards(conn: sqlite3.Connection) -> None:
    """Create the append-only triggers (inside the caller's write transaction)."""
    for statement in GUARDS.values():
        conn.execute(statement)


def _has_audit_table(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'"
    ).fetchone() is not None


_HISTORY_TABLES = ("jobs", "results", "tags", "job_events")


def previous_life(root: Path, conn: sqlite3.Connection) -> str | None:
    """Why this studio.db is not brand new (None: it is), for the first-seen policy."""
    moved = sorted(p.name for p in Path(root).glob("studio.db.corrupt-*"))
    if moved:
        return f"studio.db was rebuilt ({moved[0]} is the damaged one it replaced)"
    media = Path(root) / "media"
    if media.is_dir() and any(
            p.is_dir() and not p.name.startswith(".") and any(p.glob("take.*"))
            for p in media.iterdir()):
        return "media/ already holds takes (studio.db was deleted or is being rebuilt)"
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in _HISTORY_TABLES:
        if table in names and conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            return f"studio.db already holds {table} (rebuilt, or used before consent existed)"
    if "sqlite_sequence" in names and conn.execute(
            "SELECT 1 FROM sqlite_sequence WHERE seq > 0 LIMIT 1").fetchone():
        return "studio.db held rows that were deleted"
    if conn.execute("SELECT 1 FROM meta LIMIT 1").fetchone():
        return "studio.db has settings but no audit log (was the audit table emptied?)"
    return None


def verify_chain(conn: sqlite3.Connection) -> ChainReport:
    """Check every row: hash, link to the previous row, contiguous seq, and the head."""
    rows = conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
    meta = _read_meta(conn)
    events: list[AuditEvent] = []
    report = ChainReport(events)
    prev = GENESIS
    expected_seq = 1
    for row in rows:
        event, detail_ok = _row_event(row)
        events.append(event)
        if report.broken_from is not None:
            report.affected.add(event.cameo_id)
            continue
        problem = None
        if event.seq != expected_seq:
            missing = (f"event {expected_seq}" if event.seq == expected_seq + 1
                       else f"events {expected_seq}–{event.seq - 1}")
            problem = (f"audit log: {missing} missing (deleted?); the chain is broken "
                       f"from event {event.seq} ({event.cameo_id}, {event.action})")
        elif event.prev_sha256 != prev:
            problem = (f"audit log: event {event.seq} ({event.cameo_id}, {event.action}) does "
                       "not follow the event before it (rows deleted or reordered)")
        elif not detail_ok or event.sha256 != event_hash(
            event.seq, event.at, event.actor, event.cameo_id, event.action,
            row["detail_json"], event.content_sha256, event.prev_sha256,
        ):
            problem = (f"audit log: event {event.seq} ({event.cameo_id}, {event.action}) was "
                       "edited (its hash does not match its content)")
        if problem:
            report.problems.append(problem)
            report.broken_from = event.seq
            report.affected.add(event.cameo_id)
            if event.seq != expected_seq and event.prev_sha256 != prev:
                # the deleted rows' cameos are unknown
                report.all_affected = True
            continue
        prev = event.sha256
        expected_seq += 1
    if meta is None:
        report.initialized = False
        if rows:
            report.problems.append(
                "audit log: its head record is missing from studio.db (meta table edited?)"
            )
            report.all_affected = True
    elif report.broken_from is None:
        head_seq = meta.get("head_seq", 0)
        head_sha = meta.get("head_sha256", GENESIS)
        last_seq = events[-1].seq if events else 0
        if head_seq != last_seq or head_sha != report.head:
            if isinstance(head_seq, int) and head_seq > last_seq:
                report.problems.append(
                    f"audit log: the newest event(s) {last_seq + 1}–{head_seq} were deleted"
                )
            else:
                report.problems.append(
                    "audit log: the chain head does not match the last event (table edited)"
                )
            report.all_affected = True
            report.broken_from = min(last_seq + 1, head_seq if isinstance(head_seq, int) else 1)
    return report


def initialize(root: Path, conn: sqlite3.Connection,
               import_entries: Iterable[tuple[str, str, str]]) -> bool:
    """Take the ledger's first-seen baseline inside the caller's write transaction.

    Does nothing (returns False) when the ledger was already initialized (a head in
    ``meta``, or audit rows). Otherwise writes the head and, unless the database or the
    project shows a previous life (:func:`previous_life`), records each of
    ``import_entries`` as an ``imported`` event. Called when studio.db is created
    (:meth:`studio.store.Store.connect`, before anything else can be written to it) and,
    for a database created before that, the first time the ledger is opened.
    """
    if _read_meta(conn) is not None or conn.execute("SELECT 1 FROM audit LIMIT 1").fetchone():
        return False  # someone else initialized it meanwhile, or rows without a head
    if _guards_missing(conn):
        _install_guards(conn)
    entries = list(import_entries)
    why = previous_life(root, conn)
    head: dict[str, Any] = {"initialized_at": now_iso(), "head_seq": 0,
                            "head_sha256": GENESIS}
    if why:
        head["first_seen_skipped"] = why
    _write_meta(conn, head)
    if why:
        if entries:
            log.warning("consent ledger: not importing %s cameo(s) as first seen: %s",
                        len(entries), why)
        return True
    for cameo_id, sha, rel in entries:
        _append_event(conn, cameo_id, IMPORTED, "brief-studio (first seen)",
                      {"file": rel, "policy": "first-seen"}, sha)
    if entries:
        log.info("consent ledger: imported %s cameo(s)", len(entries))
    return True


class Ledger:
    """The audit log of one project."""

    def __init__(self, root: Path, store: Store | None = None):
        self.root = Path(root)
        self.store = store or Store.for_project(self.root)

    def report(self, import_entries: Iterable[tuple[str, str, str]] = ()) -> ChainReport:
        """Verify the chain; on a brand-new studio.db, first record ``import_entries``.

        ``import_entries`` are (cameo_id, content_sha256, relative file) of the cameo files
        that validate now; they are imported only if the ledger has never been opened and
        the database shows no sign of an earlier life (:func:`previous_life`).
        A missing or unreadable audit table gives a damaged report (never raises
        :class:`sqlite3.DatabaseError`).
        """
        with self.store.session() as conn:
            try:
                return self._report(conn, import_entries)
            except sqlite3.DatabaseError as exc:
                with contextlib.suppress(sqlite3.Error):
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                log.info("consent ledger: %s", exc)
                return damaged_report(exc)

    def _report(self, conn: sqlite3.Connection,
                import_entries: Iterable[tuple[str, str, str]]) -> ChainReport:
        if not _has_audit_table(conn):
            raise sqlite3.OperationalError("no such table: audit")
        if _guards_missing(conn):
            with self.store.transaction(conn):
                _install_guards(conn)
        report = verify_chain(conn)
        if report.initialized:
            meta = _read_meta(conn) or {}
            skipped = meta.get("first_seen_skipped")
            report.not_imported = str(skipped) if skipped else None
            return report
        entries = list(import_entries)
        with self.store.transaction(conn):
            initialize(self.root, conn, entries)
        report = verify_chain(conn)
        skipped = (_read_meta(conn) or {}).get("first_seen_skipped")
        report.not_imported = str(skipped) if skipped else None
        return report

    def append(
        self, cameo_id: str, action: str, actor: str, detail: dict[str, Any],
        content_sha256: str, conn: sqlite3.Connection | None = None,
    ) -> AuditEvent:
        """Append one event (inside ``conn``'s open transaction if given)."""
        try:
            if conn is not None:
                return self._append(conn, cameo_id, action, actor, detail, content_sha256)
            with self.store.session() as own, self.store.transaction(own):
                return self._append(own, cameo_id, action, actor, detail, content_sha256)
        except sqlite3.DatabaseError as exc:
            raise ConsentError(
                f"{self.store.path}: cannot record the {action} of {cameo_id}: audit log "
                f"missing or damaged ({exc})"
            ) from None

    def _append(
        self, conn: sqlite3.Connection, cameo_id: str, action: str, actor: str,
        detail: dict[str, Any], content_sha256: str,
    ) -> AuditEvent:
        return _append_event(conn, cameo_id, action, actor, detail, content_sha256)


def _append_event(
    conn: sqlite3.Connection, cameo_id: str, action: str, actor: str,
    detail: dict[str, Any], content_sha256: str,
) -> AuditEvent:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    last = conn.execute("SELECT seq, sha256 FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq = (int(last["seq"]) + 1) if last else 1
    prev = str(last["sha256"]) if last else GENESIS
    at = now_iso()
    detail_json = _canonical(detail)
    sha = event_hash(seq, at, actor, cameo_id, action, detail_json, content_sha256, prev)
    conn.execute(
        "INSERT INTO audit(seq, at, actor, cameo_id, action, detail_json, content_sha256, "
        "prev_sha256, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, cameo_id, action, detail_json, content_sha256, prev, sha),
    )
    meta = _read_meta(conn) or {"initialized_at": at}
    meta.update(head_seq=seq, head_sha256=sha)
    _write_meta(conn, meta)
    return AuditEvent(seq, at, actor, cameo_id, action, detail, content_sha256, prev, sha)
