"""A job's time stops when it leaves the active states (blocked by a revocation too)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from studio import consent
from studio.cli import main
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.enqueue import enqueue, plan
from studio.store import Store


def _job(root: Path, job_id: str) -> J.Job:
    with Store.for_project(root).session() as conn:
        return J.get_job(conn, job_id)


def test_a_job_blocked_by_a_revocation_stops_its_clock(
        sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = load_project(sample_copy)
    queued, sending = enqueue(sample_copy, plan(sample_copy, doc.project,
                                                ["s03-maya-stride", "s04-summit"], "previz"))
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        assert J.transition(store, conn, sending.id, ["queued"], "submitting", "sending",
                            submitted_at=time.time() - 400)
    before = time.time()
    consent.revoke(sample_copy, "maya-okafor", "contract ended", "lead")
    for job_id in (queued.id, sending.id):
        job = _job(sample_copy, job_id)
        assert job.status == "blocked"
        assert job.finished_at is not None
        assert before <= job.finished_at <= time.time()
        elapsed = job.elapsed()
        assert elapsed is not None
        # the same an hour later: the clock stopped at the revocation
        assert job.elapsed(now=time.time() + 3600) == elapsed
    assert 399 <= _job(sample_copy, sending.id).elapsed() < 420  # type: ignore[operator]
    capsys.readouterr()
    assert main(["queue", "list", str(sample_copy), "--json"]) == 0
    listed = {j["id"]: j for j in json.loads(capsys.readouterr().out)}
    assert listed[sending.id]["finished_at"] is not None
    assert 399 <= listed[sending.id]["elapsed_s"] < 420


def test_a_terminal_row_without_finished_at_ends_at_its_last_update(sample_copy: Path) -> None:
    """Rows blocked by a revocation before the fix have no finished_at."""
    doc = load_project(sample_copy)
    (job,) = enqueue(sample_copy, plan(sample_copy, doc.project, ["s03-maya-stride"], "previz"))
    store = Store.for_project(sample_copy)
    with store.session() as conn, store.transaction(conn):
        conn.execute("UPDATE jobs SET status = 'blocked', finished_at = NULL, updated_at = ?, "
                     "submitted_at = ? WHERE id = ?", (1000.0 + 406, 1000.0, job.id))
    got = _job(sample_copy, job.id)
    assert got.finished_at == 1406.0
    assert got.elapsed() == 406.0
    queued = _job(sample_copy, enqueue(sample_copy, plan(
        sample_copy, doc.project, ["s01-ridge-dawn"], "previz"))[0].id)
    assert queued.elapsed() is None
