"""A dropped audit table blocks jobs that show a person; the engine still goes idle."""

from __future__ import annotations

import asyncio
from pathlib import Path

from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.engine import QueueEngine
from studio.queue.enqueue import enqueue, plan
from studio.store import Store


def test_engine_idles_and_blocks_when_audit_table_is_dropped(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    enqueue(sample_copy, plan(sample_copy, doc.project, ["s03-maya-stride"], "previz"), EventBus())
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE audit")
    engine = QueueEngine(sample_copy, EventBus(), sleep_scale=0.01)
    asyncio.run(asyncio.wait_for(engine.run(until_idle=True), 60))
    with store.session() as conn:
        (job,) = J.list_jobs(conn)
    assert job.status == "blocked", job.status
    assert not (sample_copy / "media").exists() or not any(
        p.name == "take.mp4" for p in (sample_copy / "media").rglob("take.mp4"))
