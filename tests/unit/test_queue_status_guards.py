"""Writes the engine makes beside its transitions only land while the job is in the state
the writer expects: a late progress report or a poll error after a cancel changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from studio.errors import ProviderError
from studio.events import JOB_CHANGED, EventBus
from studio.project import load_project
from studio.providers import base as P
from studio.queue import jobs as J
from studio.queue.control import cancel_job
from studio.queue.engine import QueueEngine, _Stop
from studio.queue.enqueue import enqueue, plan
from studio.store import Store


def _job_in(root: Path, status: str, remote_id: str = "vid_1") -> J.Job:
    doc = load_project(root)
    (job,) = enqueue(root, plan(root, doc.project, ["s01-ridge-dawn"], "previz", variants=1))
    store = Store.for_project(root)
    with store.session() as conn:
        path = {J.RUNNING: (J.SUBMITTING, J.RUNNING),
                J.DOWNLOADING: (J.SUBMITTING, J.RUNNING, J.DOWNLOADING)}[status]
        frm = J.QUEUED
        for to in path:
            assert J.transition(store, conn, job.id, (frm,), to, "test", remote_id=remote_id)
            frm = to
        return J.get_job(conn, job.id)


def _engine(root: Path) -> tuple[QueueEngine, list[dict[str, Any]]]:
    bus = EventBus()
    seen: list[dict[str, Any]] = []
    bus.subscribe(lambda ev: seen.append(dict(ev.data)) if ev.kind == JOB_CHANGED else None)
    engine = QueueEngine(root, bus, sleep_scale=0.001)
    engine._conn = engine.store.connect()  # noqa: SLF001
    return engine, seen


def test_a_late_download_progress_after_a_cancel_is_not_written(sample_copy: Path) -> None:
    job = _job_in(sample_copy, J.DOWNLOADING)
    cancel_job(sample_copy, job.id)
    engine, seen = _engine(sample_copy)
    try:
        engine._download_progress(job.id, 0.5)  # noqa: SLF001
        after = J.get_job(engine._conn, job.id)  # noqa: SLF001
    finally:
        engine._conn.close()  # noqa: SLF001
    assert after.status == J.CANCELLED
    assert after.progress != 0.5
    assert not [e for e in seen if e.get("status") == J.DOWNLOADING]


class _CancelledWhileAsked:
    """retrieve: the job is cancelled elsewhere while the request is out, and the request
    fails; the next one finds the video gone."""

    def __init__(self, root: Path, job_id: str) -> None:
        self.root, self.job_id, self.calls = root, job_id, 0

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> P.RemoteStatus:
        self.calls += 1
        if self.calls == 1:
            cancel_job(self.root, self.job_id)
            raise ProviderError("502 from the provider")
        raise P.NotFoundError("gone", status=404)


def test_a_poll_error_after_a_cancel_keeps_the_cancel(sample_copy: Path) -> None:
    job = _job_in(sample_copy, J.RUNNING)
    engine, _seen = _engine(sample_copy)
    provider = _CancelledWhileAsked(sample_copy, job.id)
    engine._providers[job.provider] = provider  # type: ignore[assignment]  # noqa: SLF001

    try:
        with pytest.raises(_Stop):  # the job left running
            asyncio.run(asyncio.wait_for(engine._poll(job), 10))  # noqa: SLF001
        after = J.get_job(engine._conn, job.id)  # noqa: SLF001
    finally:
        engine._conn.close()  # noqa: SLF001
    assert provider.calls == 2
    assert after.status == J.CANCELLED
    assert after.error == "cancelled"
