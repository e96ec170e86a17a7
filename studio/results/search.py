"""Full-text search over prompts, tags and notes (SQLite FTS5, table ``results_fts``).

``results_fts.rowid`` equals ``results.search_key`` (migration 2). The library keeps the
index in step itself (:func:`sync`) in the same transaction as each change; :func:`repair`
fills in rows that lack a key (results written by older code) and is cheap when none do.
"""

from __future__ import annotations

import re
import sqlite3

_TOKEN = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """A safe FTS5 query from what a person typed: every word must match, as a prefix.

    Operators and quotes in the input are treated as plain text (no syntax errors).
    """
    words = _TOKEN.findall(text or "")
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words[:32])


def next_key(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(search_key), 0) + 1 FROM results").fetchone()
    return int(row[0])


def sync(conn: sqlite3.Connection, result_id: str) -> None:
    """Rewrite the search row of one result (call inside the write transaction)."""
    row = conn.execute(
        "SELECT search_key, prompt, notes, review_note FROM results WHERE id = ?", (result_id,)
    ).fetchone()
    if row is None:
        return
    key = row[0]
    if key is None:
        key = next_key(conn)
        conn.execute("UPDATE results SET search_key = ? WHERE id = ?", (key, result_id))
    tags = " ".join(
        t for (t,) in conn.execute("SELECT tag FROM tags WHERE result_id = ? ORDER BY tag",
                                   (result_id,))
    )
    notes = " ".join(x for x in (row[2], row[3]) if x)
    conn.execute("DELETE FROM results_fts WHERE rowid = ?", (key,))
    conn.execute(
        "INSERT INTO results_fts(rowid, prompt, tags, notes) VALUES (?, ?, ?, ?)",
        (key, row[1] or "", tags, notes),
    )


def delete(conn: sqlite3.Connection, search_key: int | None) -> None:
    if search_key is not None:
        conn.execute("DELETE FROM results_fts WHERE rowid = ?", (search_key,))


def repair(conn: sqlite3.Connection) -> int:
    """Index results that have no search key yet. Returns how many were fixed."""
    missing = [r for (r,) in conn.execute("SELECT id FROM results WHERE search_key IS NULL")]
    for result_id in missing:
        sync(conn, result_id)
    return len(missing)


def rebuild(conn: sqlite3.Connection) -> None:
    """Recompute the whole index in bulk (after bulk inserts, in one transaction)."""
    conn.execute("DELETE FROM results_fts")
    missing = conn.execute("SELECT count(*) FROM results WHERE search_key IS NULL").fetchone()[0]
    if missing:
        base = next_key(conn)
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS _keys(id TEXT PRIMARY KEY, k INTEGER)")
        conn.execute("DELETE FROM _keys")
        conn.execute(
            "INSERT INTO _keys(id, k) SELECT id, ? + row_number() OVER (ORDER BY rowid) - 1 "
            "FROM results WHERE search_key IS NULL", (base,)
        )
        conn.execute(
            "UPDATE results SET search_key = (SELECT k FROM _keys WHERE _keys.id = results.id) "
            "WHERE search_key IS NULL"
        )
    conn.execute(
        "INSERT INTO results_fts(rowid, prompt, tags, notes) "
        "SELECT r.search_key, r.prompt, coalesce((SELECT group_concat(tag, ' ') FROM tags t "
        "WHERE t.result_id = r.id), ''), trim(r.notes || ' ' || coalesce(r.review_note, '')) "
        "FROM results r"
    )
