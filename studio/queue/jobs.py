"""Jobs in studio.db and their state machine.

::

    queued ──► submitting ──► running ──► downloading ──► succeeded
      │  ▲         │  (reply lost: reconcile; no list: needs_decision)
      │  └─────────┘ (429 / never sent / not found on the provider: send again)
      └──► blocked (consent, budget)     any active state ──► failed | cancelled

Every transition is one ``BEGIN IMMEDIATE`` transaction that updates the row only if it is
still in an expected state and appends a ``job_events`` row. Callers publish JOB_CHANGED
after the commit.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from studio.errors import QueueError
from studio.store import Store

QUEUED = "queued"
SUBMITTING = "submitting"
RUNNING = "running"
DOWNLOADING = "downloading"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
BLOCKED = "blocked"

ACTIVE = (QUEUED, SUBMITTING, RUNNING, DOWNLOADING)
TERMINAL = (SUCCEEDED, FAILED, CANCELLED, BLOCKED)
ALL = ACTIVE + TERMINAL
#: states whose estimated cost counts against the budget
SPENDING = (QUEUED, SUBMITTING, RUNNING, DOWNLOADING, SUCCEEDED)


@dataclass(frozen=True)
class Job:
    id: str
    seq: int
    shot_id: str
    provider: str
    model: str | None
    kind: str
    parent_result_id: str | None
    variant: int
    status: str
    request: dict[str, Any]
    prompt: str
    changes: list[str]
    cameos: list[str]
    remote_id: str | None
    remote: dict[str, Any]
    result_id: str | None
    error: str | None
    needs_decision: bool
    progress: float
    cost_estimate: float
    attempts: int
    created_at: float
    updated_at: float
    submitted_at: float | None
    finished_at: float | None
    next_poll_at: float | None
    expires_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            id=row["id"], seq=row["seq"], shot_id=row["shot_id"], provider=row["provider"],
            model=row["model"], kind=row["kind"], parent_result_id=row["parent_result_id"],
            variant=row["variant"], status=row["status"],
            request=json.loads(row["request_json"]), prompt=row["prompt"],
            changes=json.loads(row["changes_json"]), cameos=json.loads(row["cameos_json"]),
            remote_id=row["remote_id"], remote=json.loads(row["remote_json"] or "{}"),
            result_id=row["result_id"], error=row["error"],
            needs_decision=bool(row["needs_decision"]), progress=row["progress"],
            cost_estimate=row["cost_estimate"], attempts=row["attempts"],
            created_at=row["created_at"], updated_at=row["updated_at"],
            submitted_at=row["submitted_at"],
            # a terminal row without finished_at (blocked by a revocation before that set
            # it) ended at its last update
            finished_at=(row["finished_at"] if row["finished_at"] is not None
                         or row["status"] not in TERMINAL else row["updated_at"]),
            next_poll_at=row["next_poll_at"], expires_at=row["expires_at"],
        )

    def elapsed(self, now: float | None = None) -> float | None:
        """Seconds since the job was sent (or queued, if never sent) until it left the
        active states, or until ``now`` while it is still active; None while queued."""
        if self.status == QUEUED:
            return None
        start = self.submitted_at or self.created_at
        if self.status in ACTIVE:
            end = time.time() if now is None else now
        else:
            end = self.finished_at if self.finished_at is not None else self.updated_at
        return max(0.0, end - start)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.request.get("params") or {})

    def to_json(self) -> dict[str, Any]:
        """The stable `studio queue list --json` object."""
        return {
            "id": self.id,
            "shot": self.shot_id,
            "provider": self.provider,
            "model": self.model,
            "kind": self.kind,
            "parent": self.parent_result_id,
            "variant": self.variant,
            "status": self.status,
            "progress": round(self.progress, 4),
            "remote_id": self.remote_id,
            "result": self.result_id,
            "error": self.error,
            "needs_decision": self.needs_decision,
            "cost": self.cost_estimate,
            "changes": self.changes,
            "attempts": self.attempts,
            "created_at": self.created_at,
            "submitted_at": self.submitted_at,
            "finished_at": self.finished_at,
            "elapsed_s": None if (e := self.elapsed()) is None else round(e, 1),
        }


_COLUMNS = {"model", "remote_id", "remote_json", "result_id", "error", "needs_decision",
            "progress", "attempts", "submitted_at", "finished_at", "next_poll_at", "expires_at",
            "cost_estimate"}


def get_job(conn: sqlite3.Connection, job_id: str) -> Job:
    row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise QueueError(f"no job {job_id!r} in this project (see `studio queue list`)")
    return Job.from_row(row)


def find_job(conn: sqlite3.Connection, prefix: str) -> Job:
    """A job by id or unique id prefix."""
    rows = conn.execute("SELECT * FROM jobs WHERE id = ? OR id LIKE ? ORDER BY seq",
                        (prefix, prefix.replace("%", "") + "%")).fetchall()
    exact = [r for r in rows if r["id"] == prefix]
    if exact:
        return Job.from_row(exact[0])
    if len(rows) == 1:
        return Job.from_row(rows[0])
    if not rows:
        raise QueueError(f"no job {prefix!r} in this project (see `studio queue list`)")
    raise QueueError(f"{prefix!r} matches {len(rows)} jobs; give more of the id")


def list_jobs(conn: sqlite3.Connection, statuses: Iterable[str] | None = None) -> list[Job]:
    if statuses is None:
        rows = conn.execute("SELECT * FROM jobs ORDER BY seq").fetchall()
    else:
        wanted = tuple(statuses)
        marks = ",".join("?" * len(wanted))
        rows = conn.execute(f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY seq",
                            wanted).fetchall()
    return [Job.from_row(r) for r in rows]


def active_states(conn: sqlite3.Connection,
                  ) -> dict[str, tuple[str, str, float | None, bool, str | None]]:
    """Active jobs, oldest first: id -> (status, provider, next_poll_at, needs_decision,
    remote_id).

    The scheduler's one query per cycle: a few columns from the status index, no JSON.
    """
    marks = ",".join("?" * len(ACTIVE))
    return {r[0]: (r[1], r[2], r[3], bool(r[4]), r[5]) for r in conn.execute(
        f"SELECT id, status, provider, next_poll_at, needs_decision, remote_id FROM jobs "
        f"WHERE status IN ({marks}) ORDER BY seq", ACTIVE)}


def next_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0])


def insert_job(conn: sqlite3.Connection, *, job_id: str, shot_id: str, provider: str,
               model: str | None, request: dict[str, Any], prompt: str, changes: list[str],
               cameos: list[str], cost: float, status: str = QUEUED, error: str | None = None,
               variant: int = 1, kind: str = "generate", parent_result_id: str | None = None,
               now: float | None = None) -> None:
    """Insert one job (call inside a transaction)."""
    now = time.time() if now is None else now
    conn.execute(
        """INSERT INTO jobs (id, seq, shot_id, provider, model, kind, parent_result_id, variant,
           status, request_json, prompt, changes_json, cameos_json, error, cost_estimate,
           created_at, updated_at, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (job_id, next_seq(conn), shot_id, provider, model, kind, parent_result_id, variant,
         status, json.dumps(request, sort_keys=True), prompt, json.dumps(changes),
         json.dumps(cameos), error, cost, now, now, now if status in TERMINAL else None))
    conn.execute("INSERT INTO job_events (job_id, at, from_status, to_status, detail) "
                 "VALUES (?, ?, NULL, ?, ?)", (job_id, now, status, error or "queued"))


def transition(store: Store, conn: sqlite3.Connection, job_id: str, from_states: Iterable[str],
               to: str, detail: str = "", now: float | None = None, **fields: Any,  # noqa: ANN401
               ) -> bool:
    """Move ``job_id`` to ``to`` if it is in one of ``from_states``; one transaction.

    ``fields`` sets more columns (remote_id, error, result_id ...). Returns False (and
    changes nothing) if the job was no longer in an expected state.
    """
    now = time.time() if now is None else now
    bad = set(fields) - _COLUMNS
    if bad:
        raise ValueError(f"unknown job columns {bad}")
    frm = tuple(from_states)
    sets = ["status = ?", "updated_at = ?"]
    values: list[Any] = [to, now]
    if to in TERMINAL and "finished_at" not in fields:
        fields["finished_at"] = now
    for name, value in fields.items():
        sets.append(f"{name} = ?")
        values.append(json.dumps(value) if name == "remote_json" and not isinstance(value, str)
                      and value is not None else value)
    marks = ",".join("?" * len(frm))
    with store.transaction(conn):
        # the event row straight from the job row as it is (its status is the "from"): no
        # separate read; nothing inserted means the job is no longer in an expected state
        if conn.execute(
                "INSERT INTO job_events (job_id, at, from_status, to_status, detail) "
                f"SELECT id, ?, status, ?, ? FROM jobs WHERE id = ? AND status IN ({marks})",
                (now, to, detail, job_id, *frm)).rowcount != 1:
            return False
        conn.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*values, job_id))
    return True


def note(store: Store, conn: sqlite3.Connection, job_id: str, detail: str,
         now: float | None = None, *, only_in: Iterable[str] | None = None,
         **fields: Any) -> bool:  # noqa: ANN401
    """Record something without a state change (progress, a retry, a lost reply).

    With ``only_in``, only while the job is in one of those states (the event row and the
    update alike). False if nothing was written (no such job, or not in ``only_in``)."""
    now = time.time() if now is None else now
    bad = set(fields) - _COLUMNS
    if bad:
        raise ValueError(f"unknown job columns {bad}")
    sets = ["updated_at = ?"] + [f"{k} = ?" for k in fields]
    guard = ""
    guard_values: tuple[str, ...] = ()
    if only_in is not None:
        states = tuple(only_in)
        guard = f" AND status IN ({','.join('?' * len(states))})"
        guard_values = states
    with store.transaction(conn):
        if detail and conn.execute(
                "INSERT INTO job_events (job_id, at, from_status, to_status, detail) "
                f"SELECT id, ?, status, status, ? FROM jobs WHERE id = ?{guard}",
                (now, detail, job_id, *guard_values)).rowcount != 1:
            return False  # no such job (or not in an expected state)
        return conn.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?{guard}",
                            (now, *fields.values(), job_id, *guard_values)).rowcount == 1


def set_progress(conn: sqlite3.Connection, job_id: str, progress: float,
                 status: str | None = None) -> bool:
    """Record a job's progress (only while it is in ``status``, when given); False if no
    row was written."""
    if status is None:
        return conn.execute("UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ?",
                            (progress, time.time(), job_id)).rowcount == 1
    return conn.execute("UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ? "
                        "AND status = ?", (progress, time.time(), job_id, status)).rowcount == 1


def events(conn: sqlite3.Connection, job_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT at, from_status, to_status, detail FROM job_events WHERE job_id = ? ORDER BY id",
        (job_id,))]


def known_remote_ids(conn: sqlite3.Connection, provider: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT remote_id FROM jobs WHERE provider = ? AND remote_id IS NOT NULL", (provider,))}


def committed_spend(conn: sqlite3.Connection, exclude: str | None = None) -> float:
    """Estimated USD of every job that is spending or has spent (for the budget cap)."""
    marks = ",".join("?" * len(SPENDING))
    row = conn.execute(
        f"SELECT COALESCE(SUM(cost_estimate), 0) FROM jobs WHERE status IN ({marks}) "
        "AND id != ?", (*SPENDING, exclude or "")).fetchone()
    return float(row[0])


def result_for_job(conn: sqlite3.Connection, job_id: str, remote_id: str | None) -> str | None:
    """The result made from this job's take ``remote_id`` (None for a local render), as
    studio.results.ingest keys it: a retried job's earlier take does not count."""
    row = conn.execute("SELECT id FROM results WHERE job_id = ? AND remote_id IS ? "
                       "ORDER BY created_at LIMIT 1", (job_id, remote_id)).fetchone()
    return row[0] if row else None


def remove_job(store: Store, conn: sqlite3.Connection, job_id: str) -> None:
    """Delete a finished job from the list (its result, if any, stays in the library)."""
    with store.transaction(conn):
        row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise QueueError(f"no job {job_id!r}")
        if row[0] in ACTIVE:
            raise QueueError(f"job {job_id} is {row[0]}; cancel it before removing it")
        conn.execute("DELETE FROM job_events WHERE job_id = ?", (job_id,))
        conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
