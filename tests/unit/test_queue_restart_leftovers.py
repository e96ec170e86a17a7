"""A worker killed after ingest committed a take but before the job was marked succeeded:
the restart finds the result by the job id, and leaves nothing of the job in .incoming."""

from __future__ import annotations

import asyncio
from pathlib import Path

from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.engine import INCOMING, QueueEngine
from studio.queue.enqueue import enqueue, plan
from studio.store import Store


def run(root: Path) -> None:
    engine = QueueEngine(root, EventBus(), sleep_scale=0.01, reconcile_delay=0.05)
    asyncio.run(asyncio.wait_for(engine.run(until_idle=True), 60))


def test_restart_after_ingest_clears_the_jobs_incoming_files(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    (job,) = enqueue(sample_copy, plan(sample_copy, doc.project, ["s01-ridge-dawn"], "previz",
                                       variants=1))
    run(sample_copy)
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        done = J.get_job(conn, job.id)
        assert done.status == J.SUCCEEDED
        assert done.result_id
        # as the kill left it: ingested (the result row), still downloading, and the
        # thumbnail the verification made still in .incoming
        with store.transaction(conn):
            conn.execute("UPDATE jobs SET status = 'downloading', result_id = NULL, "
                         "finished_at = NULL WHERE id = ?", (job.id,))
    incoming = sample_copy / INCOMING
    (incoming / f"{job.id}.jpg").write_bytes(b"\xff\xd8 thumbnail")
    run(sample_copy)
    with store.session() as conn:
        again = J.get_job(conn, job.id)
    assert again.status == J.SUCCEEDED
    assert again.result_id == done.result_id
    assert [p.name for p in incoming.iterdir() if job.id in p.name] == []
