"""A create still in flight on the server when the worker restarts is found, never resent."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from studio.events import EventBus
from studio.queue import jobs as J
from studio.queue.engine import RECONCILE_WINDOW, QueueEngine
from studio.store import Store
from tests.e2e.openai_server import OpenAIServer
from tests.e2e.test_openai_queue import all_jobs, oa, queue  # noqa: F401  (fixture)


def test_slow_create_is_found_after_restart_not_sent_twice(oa: OpenAIServer,  # noqa: F811
                                                           sample_copy: Path) -> None:
    (job,) = queue(sample_copy, ["s02-lace-up"])
    store = Store.for_project(sample_copy)
    with store.session() as conn:  # the worker sent the create, then died
        J.transition(store, conn, job.id, ["queued"], "submitting", submitted_at=time.time())
    scale = 0.05  # the reconcile window becomes RECONCILE_WINDOW * 0.05 = 4.5 s
    delay = 1.5   # the server finishes the create (and lists it) only after this long
    assert RECONCILE_WINDOW * scale > delay + 1
    timer = threading.Timer(delay, lambda: oa.new_video(
        model="sora-2", prompt=job.prompt, size="1280x720", seconds="4"))
    timer.start()
    try:
        engine = QueueEngine(sample_copy, EventBus(), sleep_scale=scale, reconcile_delay=0.05)
        asyncio.run(asyncio.wait_for(engine.run(until_idle=True), 90))
    finally:
        timer.cancel()
    (done,) = all_jobs(sample_copy)
    assert done.status == "succeeded", done.error
    assert oa.stats.creates == 0  # found the slow one; nothing sent again
