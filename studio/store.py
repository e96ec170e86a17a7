"""studio.db: the machine's memory (jobs, results, tags, reviews, audit log).

SQLite in WAL mode. The schema is a list of migrations; ``PRAGMA user_version`` records how
many ran. A database written by a newer Brief Studio is refused, a corrupt one raises
:class:`StoreError` with a way out (the YAML brief is never touched by the store).

Connections are cheap: open one per thread with :meth:`Store.connect`; write through
:meth:`Store.transaction` (``BEGIN IMMEDIATE``), so every state change is one transaction.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from studio.errors import StoreError, StudioError

log = logging.getLogger(__name__)

DB_NAME = "studio.db"
BUSY_TIMEOUT_MS = 10_000

# Append only: never edit a migration that has shipped.
MIGRATIONS: list[str] = [
    # 1: base schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        shot_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT,
        kind TEXT NOT NULL DEFAULT 'generate',       -- generate | remix | extend
        parent_result_id TEXT,
        variant INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL,                         -- queued submitting running downloading
                                                      -- succeeded failed cancelled blocked
        request_json TEXT NOT NULL,                   -- fitted, provider-ready request
        prompt TEXT NOT NULL DEFAULT '',
        changes_json TEXT NOT NULL DEFAULT '[]',      -- what the adapter changed
        cameos_json TEXT NOT NULL DEFAULT '[]',
        remote_id TEXT,
        remote_json TEXT,                             -- provider-specific handles (urls)
        result_id TEXT,
        error TEXT,
        needs_decision INTEGER NOT NULL DEFAULT 0,    -- submitting with no way to reconcile
        progress REAL NOT NULL DEFAULT 0,
        cost_estimate REAL NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        submitted_at REAL,
        finished_at REAL,
        next_poll_at REAL,
        expires_at REAL
    );
    CREATE INDEX jobs_status ON jobs(status);
    CREATE INDEX jobs_shot ON jobs(shot_id);

    CREATE TABLE job_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL,
        at REAL NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX job_events_job ON job_events(job_id);

    CREATE TABLE results (
        id TEXT PRIMARY KEY,
        job_id TEXT,
        shot_id TEXT,
        path TEXT NOT NULL,                           -- relative to the project folder
        thumbnail TEXT,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        duration REAL, width INTEGER, height INTEGER, fps REAL, codec TEXT,
        has_audio INTEGER NOT NULL DEFAULT 0,
        provider TEXT, model TEXT,
        prompt TEXT NOT NULL DEFAULT '',
        params_json TEXT NOT NULL DEFAULT '{}',
        remote_id TEXT,
        cost REAL,
        created_at REAL NOT NULL,
        imported INTEGER NOT NULL DEFAULT 0,
        parent_id TEXT,
        c2pa_json TEXT,
        cameos_json TEXT NOT NULL DEFAULT '[]',
        consent_flag TEXT,                            -- set when a shown cameo was revoked
        rating INTEGER NOT NULL DEFAULT 0,
        review_status TEXT NOT NULL DEFAULT 'pending',
        reviewer TEXT, review_note TEXT, reviewed_at REAL,
        notes TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX results_shot ON results(shot_id);
    CREATE INDEX results_created ON results(created_at);

    CREATE TABLE tags (
        result_id TEXT NOT NULL,
        tag TEXT NOT NULL,
        PRIMARY KEY (result_id, tag)
    );
    CREATE INDEX tags_tag ON tags(tag);

    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        cameo_id TEXT NOT NULL,
        action TEXT NOT NULL,
        detail_json TEXT NOT NULL,
        content_sha256 TEXT NOT NULL,
        prev_sha256 TEXT NOT NULL,
        sha256 TEXT NOT NULL
    );
    CREATE INDEX audit_cameo ON audit(cameo_id);
    """,
    # 2: results library (issue 6): full-text search over prompt, tags and notes, and the
    #    indexes the library filters need. results_fts.rowid == results.search_key (an
    #    explicit key: VACUUM may renumber the implicit rowid of a TEXT-keyed table).
    """
    ALTER TABLE results ADD COLUMN search_key INTEGER;
    CREATE UNIQUE INDEX results_search_key ON results(search_key);
    CREATE VIRTUAL TABLE results_fts USING fts5(
        prompt, tags, notes, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE INDEX results_job ON results(job_id);
    CREATE INDEX results_rating ON results(rating, created_at);
    CREATE INDEX results_review ON results(review_status, created_at);
    CREATE INDEX results_provider ON results(provider, created_at);
    CREATE INDEX results_parent ON results(parent_id);
    CREATE INDEX results_shot_created ON results(shot_id, created_at);
    """,
    # 3: results library speed (issue 6): covering indexes so a filtered page is ordered
    #    from index entries alone and only its 240 rows are read from the table; the
    #    tag -> result index replaces tags_tag, (created_at, id) replaces results_created.
    """
    CREATE INDEX results_created_id ON results(created_at, id);
    CREATE INDEX results_cover_id ON results(
        id, created_at, rating, review_status, shot_id, provider, search_key);
    CREATE INDEX results_cover_key ON results(
        search_key, created_at, id, rating, review_status, shot_id, provider);
    CREATE INDEX tags_tag_result ON tags(tag, result_id);
    DROP INDEX tags_tag;
    DROP INDEX results_created;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def _set_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode = WAL``. Switching a new file's journal mode needs an exclusive
    lock, and SQLite may answer "database is locked" at once (without its busy handler) while
    another connection creates the same database: retry with a short backoff until the busy
    timeout has passed."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


class Store:
    """A project's studio.db."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._migrated = False

    @classmethod
    def for_project(cls, root: Path) -> Store:
        return cls(Path(root) / DB_NAME)

    def connect(self) -> sqlite3.Connection:
        """A new connection, migrated and configured. Close it when done."""
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _set_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None
        with self._lock:
            if not self._migrated:
                try:
                    self._migrate(conn)
                except sqlite3.DatabaseError as exc:
                    conn.close()
                    raise self._error(exc) from None
                except StoreError:
                    conn.close()
                    raise
                self._migrated = True
        return conn

    def _error(self, exc: sqlite3.DatabaseError) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(
                f"{self.path}: the database is locked by another program (is another Brief "
                "Studio or `studio queue run` using this project?). Close it and try again."
            )
        if "readonly" in text or "unable to open" in text or "disk I/O" in text:
            return StoreError(
                f"{self.path}: cannot write the database ({text}). Check that the project "
                "folder is writable and the disk is not full; nothing was changed."
            )
        return StoreError(
            f"{self.path}: the database is unreadable ({text}). Your brief (project.yaml) is "
            "untouched. Move studio.db aside and run `studio results rebuild PROJECT` to "
            "rebuild the index of takes from media/ and their XMP sidecars."
        )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer Brief Studio (schema {version}, this one "
                f"reads up to {SCHEMA_VERSION}). Nothing was changed."
            )
        if version == 0 and self._create(conn):
            return
        for index in range(version, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Another connection (thread or process) may have migrated meanwhile:
                # re-read the version under the write lock.
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current > index:
                    conn.execute("COMMIT")
                    continue
                for statement in _split_sql(MIGRATIONS[index]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {index + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _create(self, conn: sqlite3.Connection) -> bool:
        """Create a brand-new database in one transaction: every migration, then the
        consent ledger's first-seen baseline (:func:`_on_create`), so no job, take or
        setting can be written before it. False if another connection created it first."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != 0:
                conn.execute("COMMIT")
                return False
            for script in MIGRATIONS:
                for statement in _split_sql(script):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if self.path.name == DB_NAME:
                self._on_create(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    def _on_create(self, conn: sqlite3.Connection) -> None:
        """The consent ledger's baseline of a new project database (in a savepoint: if it
        fails, the ledger is initialized when it is first opened, as for an older file)."""
        from studio.consent.records import baseline_new_database  # the ledger uses the store

        conn.execute("SAVEPOINT consent_baseline")
        try:
            baseline_new_database(self.path.parent, conn)
        except (OSError, ValueError, StudioError, sqlite3.DatabaseError) as exc:
            conn.execute("ROLLBACK TO consent_baseline")
            log.warning("%s: consent ledger baseline not taken at creation: %s", self.path, exc)
        conn.execute("RELEASE consent_baseline")

    @contextlib.contextmanager
    def transaction(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on error)."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                conn.execute("ROLLBACK")
                raise self._error(exc) from None

    @contextlib.contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """A connection that is closed afterwards."""
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our string literals)."""
    lines = [ln.split("--", 1)[0] for ln in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
