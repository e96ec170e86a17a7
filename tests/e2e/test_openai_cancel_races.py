"""Cancels (and retries) that race the engine's own steps, against the loopback OpenAI server.

A remote job the provider made must never be lost: its id is on the row (or it is cancelled
there), and a retry sends the job again as a new remote job.
"""

from __future__ import annotations

import time
from pathlib import Path

from studio.queue import jobs as J
from studio.queue.control import cancel_job, retry_job
from studio.store import Store
from tests.e2e.openai_server import OpenAIServer
from tests.e2e.test_openai_queue import (  # noqa: F401 - oa: the fixture
    engine_running,
    job_now,
    oa,
    oa_polls,
    queue,
    wait_for,
)

__all__ = ["oa"]


def creates(oa: OpenAIServer) -> int:  # noqa: F811
    return sum(1 for m, p, _ in oa.stats.requests if m == "POST" and p.endswith("/videos"))


def test_cancel_while_the_create_is_in_flight_cancels_the_remote_job(
        oa: OpenAIServer, sample_copy: Path) -> None:  # noqa: F811
    """The create answers after the job was cancelled: the move to running is refused, but
    the remote id still goes on the (cancelled) row and the video is DELETEd."""
    oa.add_fault("POST", r"/videos$", "delay", seconds=1.0)
    (job,) = queue(sample_copy, ["s02-lace-up"])
    with engine_running(sample_copy) as engine:
        assert wait_for(lambda: job_now(sample_copy, job.id).status == "submitting")
        time.sleep(0.2)  # the create is on its way (the server sleeps before answering)
        cancel_job(sample_copy, job.id)
        engine.wake()
        assert wait_for(lambda: oa.stats.deletes >= 1, 10)
        time.sleep(0.3)
    done = job_now(sample_copy, job.id)
    assert done.status == "cancelled"
    assert oa.stats.deletes == 1
    assert creates(oa) == 1
    (video_id,) = oa.videos
    assert done.remote_id == video_id
    assert oa.videos[video_id].deleted
    assert done.remote.get("remote_cancelled") is True
    with Store.for_project(sample_copy).session() as conn:
        details = [e["detail"] for e in J.events(conn, job.id)]
        statuses = [(e["from_status"], e["to_status"]) for e in J.events(conn, job.id)]
    assert any(video_id in d and "left submitting" in d for d in details), details
    # the notes kept the status: nothing after the cancel moved the job
    assert statuses[-1] == ("cancelled", "cancelled")
    assert oa.violations == []


def test_cancel_and_retry_while_the_create_is_in_flight(oa: OpenAIServer,  # noqa: F811
                                                        sample_copy: Path) -> None:
    """Cancelled and retried while the first create is in flight: that first remote job is
    nobody's (the row is queued again, without a remote id) and is DELETEd; the retry sends
    the job again and it succeeds with the second video."""
    oa.add_fault("POST", r"/videos$", "delay", seconds=1.0)
    (job,) = queue(sample_copy, ["s02-lace-up"])
    with engine_running(sample_copy) as engine:
        assert wait_for(lambda: job_now(sample_copy, job.id).status == "submitting")
        time.sleep(0.2)
        cancel_job(sample_copy, job.id)
        retry_job(sample_copy, job.id)
        engine.wake()
        assert wait_for(lambda: job_now(sample_copy, job.id).status == "succeeded", 30)
    done = job_now(sample_copy, job.id)
    assert creates(oa) == 2
    assert oa.stats.deletes == 1
    deleted = [v for v, video in oa.videos.items() if video.deleted]
    assert len(deleted) == 1
    assert done.remote_id != deleted[0]
    assert oa.violations == []


def cancel_and_retry_at_once(root: Path, job_id: str) -> None:
    """`studio queue cancel` then `studio queue retry`, as their two transitions, committed
    together: no scheduler look can fall between them (in life they are a few ms apart, and
    a look every TICK falls between them only now and then)."""
    store = Store.for_project(root)
    with store.session() as conn, store.transaction(conn):
        now = time.time()
        old = conn.execute("SELECT status, remote_id FROM jobs WHERE id = ?",
                           (job_id,)).fetchone()
        conn.execute("INSERT INTO job_events (job_id, at, from_status, to_status, detail) "
                     "VALUES (?, ?, ?, 'cancelled', 'cancelled by the user')",
                     (job_id, now, old[0]))
        conn.execute("INSERT INTO job_events (job_id, at, from_status, to_status, detail) "
                     "VALUES (?, ?, 'cancelled', 'queued', ?)",
                     (job_id, now, f"retry (previous remote id {old[1]})"))
        conn.execute("UPDATE jobs SET status = 'queued', updated_at = ?, error = NULL, "
                     "remote_id = NULL, remote_json = NULL, result_id = NULL, "
                     "needs_decision = 0, progress = 0, attempts = 0, next_poll_at = NULL, "
                     "finished_at = NULL, expires_at = NULL, submitted_at = NULL "
                     "WHERE id = ?", (now, job_id))


def test_cancel_and_retry_between_two_scheduler_looks(oa: OpenAIServer,  # noqa: F811
                                                      sample_copy: Path) -> None:
    """Cancelled and retried in another process (no wake-up) while running: the scheduler
    never sees the job leave the active states, only its row change (queued, no remote id).
    The old task stops polling the old video and DELETEs it; the job is sent again."""
    oa.video_defaults = {"polls": 10_000}
    (job,) = queue(sample_copy, ["s02-lace-up"])
    with engine_running(sample_copy):
        assert wait_for(lambda: job_now(sample_copy, job.id).status == "running")
        old = job_now(sample_copy, job.id).remote_id
        time.sleep(0.1)  # a few polls
        cancel_and_retry_at_once(sample_copy, job.id)  # no engine.wake()
        assert wait_for(lambda: (j := job_now(sample_copy, job.id)).status == "running"
                        and j.remote_id not in (None, old), 10)
        assert wait_for(lambda: oa.stats.deletes >= 1, 5)
        polls = oa_polls(oa, old)
        time.sleep(0.3)
        polls_later = oa_polls(oa, old)
    now = job_now(sample_copy, job.id)
    assert creates(oa) == 2
    assert oa.stats.deletes == 1
    assert oa.videos[old].deleted
    assert not oa.videos[now.remote_id or "?"].deleted
    assert polls_later == polls  # the old video is no longer polled
    assert oa.violations == []


def test_a_retried_job_with_a_result_leaves_no_take_in_incoming(oa: OpenAIServer,  # noqa: F811
                                                                sample_copy: Path) -> None:
    """A job ingested, then failed (e.g. cancelled during ingest), then retried: its new,
    paid take becomes a new result (ingest is idempotent per job and remote id), the first
    take stays in the library, and nothing stays behind in media/.incoming."""
    from tests.e2e.test_openai_queue import run

    (job,) = queue(sample_copy, ["s02-lace-up"])
    run(sample_copy)
    first = job_now(sample_copy, job.id)
    assert first.status == "succeeded"
    assert first.result_id
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        assert J.transition(store, conn, job.id, ("succeeded",), "failed", "test: failed late",
                            error="failed late")
    retry_job(sample_copy, job.id)
    run(sample_copy)
    done = job_now(sample_copy, job.id)
    assert done.status == "succeeded"
    assert creates(oa) == 2
    assert done.result_id
    assert done.result_id != first.result_id
    assert done.remote_id != first.remote_id
    with store.session() as conn:
        takes = dict(conn.execute("SELECT id, remote_id FROM results WHERE job_id = ?",
                                  (job.id,)).fetchall())
    assert takes == {first.result_id: first.remote_id, done.result_id: done.remote_id}
    incoming = sample_copy / "media" / ".incoming"
    assert not [p.name for p in incoming.iterdir() if job.id in p.name]
