"""Cancels (and retries) that race the engine's own steps, against the loopback OpenAI server.

A remote job the provider made must never be lost: its id is on the row (or it is cancelled
there), and a retry sends the job again as a new remote job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from studio.events import EventBus
from studio.queue import jobs as J
from studio.queue.control import cancel_job, retry_job
from studio.queue.engine import EngineThread, QueueEngine
from studio.store import Store
from tests.e2e.openai_server import OpenAIServer
from tests.e2e.test_openai_queue import oa, queue  # noqa: F401 - the fixture

__all__ = ["oa"]


def job_now(root: Path, job_id: str) -> J.Job:
    with Store.for_project(root).session() as conn:
        return J.get_job(conn, job_id)


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def creates(oa: OpenAIServer) -> int:  # noqa: F811
    return sum(1 for m, p, _ in oa.stats.requests if m == "POST" and p.endswith("/videos"))


def test_cancel_while_the_create_is_in_flight_cancels_the_remote_job(
        oa: OpenAIServer, sample_copy: Path) -> None:  # noqa: F811
    """The create answers after the job was cancelled: the move to running is refused, but
    the remote id still goes on the (cancelled) row and the video is DELETEd."""
    oa.add_fault("POST", r"/videos$", "delay", seconds=1.0)
    (job,) = queue(sample_copy, ["s02-lace-up"])
    engine = QueueEngine(sample_copy, EventBus(), sleep_scale=0.01)
    thread = EngineThread(engine)
    thread.start()
    try:
        assert wait_for(lambda: job_now(sample_copy, job.id).status == "submitting")
        time.sleep(0.2)  # the create is on its way (the server sleeps before answering)
        cancel_job(sample_copy, job.id)
        engine.wake()
        assert wait_for(lambda: oa.stats.deletes >= 1, 10)
        time.sleep(0.3)
    finally:
        thread.stop()
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
    engine = QueueEngine(sample_copy, EventBus(), sleep_scale=0.01)
    thread = EngineThread(engine)
    thread.start()
    try:
        assert wait_for(lambda: job_now(sample_copy, job.id).status == "submitting")
        time.sleep(0.2)
        cancel_job(sample_copy, job.id)
        retry_job(sample_copy, job.id)
        engine.wake()
        assert wait_for(lambda: job_now(sample_copy, job.id).status == "succeeded", 30)
    finally:
        thread.stop()
    done = job_now(sample_copy, job.id)
    assert creates(oa) == 2
    assert oa.stats.deletes == 1
    deleted = [v for v, video in oa.videos.items() if video.deleted]
    assert len(deleted) == 1 and done.remote_id != deleted[0]
    assert oa.violations == []
