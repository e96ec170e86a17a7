"""A provider that refuses the key (401) gets one create, not one per queued job."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.control import retry_job
from studio.queue.engine import QueueEngine, key_rejected_reason
from studio.queue.enqueue import enqueue, plan
from studio.store import Store
from tests.e2e.openai_server import OpenAIServer

KEY = "sk-test-loopback-key"
SHOTS = ["s01-ridge-dawn", "s02-lace-up", "s03-maya-stride", "s04-summit", "s05-packshot"]


@pytest.fixture
def oa(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    server = OpenAIServer(api_key=KEY).start()
    monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key")
    yield server
    server.stop()


def _creates(oa: OpenAIServer) -> list[int]:
    return [status for method, path, status in oa.stats.requests
            if method == "POST" and path.rstrip("/").endswith("/videos")]


def _run(root: Path, bus: EventBus) -> None:
    engine = QueueEngine(root, bus, sleep_scale=0.01, reconcile_delay=0.05)
    asyncio.run(asyncio.wait_for(engine.run(until_idle=True), 60))


def _jobs(root: Path) -> list[J.Job]:
    with Store.for_project(root).session() as conn:
        return J.list_jobs(conn)


def test_a_rejected_key_sends_one_create_and_holds_the_rest(
        oa: OpenAIServer, sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = load_project(sample_copy)
    jobs = enqueue(sample_copy, plan(sample_copy, doc.project, SHOTS, "openai", variants=1))
    assert len(jobs) == 5
    bus = EventBus()
    seen: list[tuple[str, dict]] = []
    bus.subscribe(lambda ev: seen.append((ev.kind, dict(ev.data))))
    _run(sample_copy, bus)
    assert _creates(oa) == [401]                      # exactly one create was sent
    reason = key_rejected_reason("openai")
    assert reason == ("key rejected by openai: fix it with `studio key set openai` or Settings")
    after = _jobs(sample_copy)
    assert [j.status for j in after] == ["queued"] * 5
    assert all(j.error == reason for j in after)
    rejected = [data for kind, data in seen if kind == "provider_key_rejected"]
    assert len(rejected) == 1
    assert rejected[0]["provider"] == "openai"
    assert rejected[0]["message"] == reason

    # a second run with the same bad key probes once more, then waits again
    _run(sample_copy, EventBus())
    assert _creates(oa) == [401, 401]

    # the key is fixed: everything goes through
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    _run(sample_copy, EventBus())
    assert [j.status for j in _jobs(sample_copy)] == ["succeeded"] * 5
    assert _creates(oa) == [401, 401] + [200] * 5


def test_a_running_engine_resumes_when_the_key_changes_or_on_retry(
        oa: OpenAIServer, sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = load_project(sample_copy)
    enqueue(sample_copy, plan(sample_copy, doc.project, SHOTS[:3], "openai", variants=1))
    engine = QueueEngine(sample_copy, EventBus(), sleep_scale=0.01, reconcile_delay=0.05)

    async def scenario() -> None:
        task = asyncio.ensure_future(engine.run())
        for _ in range(400):
            await asyncio.sleep(0.05)
            if _creates(oa) and all(j.error for j in _jobs(sample_copy)):
                break
        await asyncio.sleep(1.5)          # a key check passes: same key, still held
        assert _creates(oa) == [401]
        # `queue retry` of one held job lifts the hold (the key is still wrong: one probe)
        held = _jobs(sample_copy)[0]
        assert retry_job(sample_copy, held.id).status == "queued"
        for _ in range(400):  # up to 20 s on a loaded CI machine; ends at the probe
            await asyncio.sleep(0.05)
            if len(_creates(oa)) == 2:
                break
        await asyncio.sleep(0.5)
        assert _creates(oa) == [401, 401]
        monkeypatch.setenv("OPENAI_API_KEY", KEY)   # a new key: resumes by itself
        for _ in range(1200):  # up to 60 s on a loaded CI machine
            await asyncio.sleep(0.05)
            if all(j.status == "succeeded" for j in _jobs(sample_copy)):
                break
        engine.request_stop()
        await asyncio.wait_for(task, 30)

    asyncio.run(scenario())
    assert [j.status for j in _jobs(sample_copy)] == ["succeeded"] * 3
    assert _creates(oa) == [401, 401, 200, 200, 200]
