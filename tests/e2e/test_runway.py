"""Runway through the queue engine against the loopback Runway API (runway_server.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import studio.providers.runway as runway_module
from studio.providers.base import JobSpec
from studio.providers.registry import create_provider
from tests.e2e.fake_http import all_jobs, queue_shots, run_engine, stop_engine_when
from tests.e2e.runway_server import RunwayServer
from studio.project import load_project

KEY = "runway-loopback-secret-42"


@pytest.fixture
def rw(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunwayServer]:
    server = RunwayServer(key=KEY).start()
    monkeypatch.setenv("STUDIO_RUNWAY_BASE_URL", server.url)
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    yield server
    server.stop()


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runway_module, "POLL_INTERVAL", 0.2)


def test_sample_completes_with_camelcase_image_to_video(rw: RunwayServer, sample_copy: Path,
                                                        fast_polls: None) -> None:
    rw.throttle_seconds = 0.1     # every task waits THROTTLED first: counts as waiting
    jobs = queue_shots(sample_copy, "runway")
    run_engine(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * len(jobs), [(j.status, j.error) for j in done]
    posts = rw.calls("POST")
    assert len(posts) == len(jobs) == 6
    # shots with their own image: image to video; the others text to video (never the style
    # guide's swatch as a first frame)
    doc = load_project(sample_copy)
    with_image = sum(1 for s in doc.project.shots if s.references)
    assert sum(r.path == "/v1/image_to_video" for r in posts) == with_image
    assert sum(r.path == "/v1/text_to_video" for r in posts) == 6 - with_image > 0
    for rec in posts:
        assert rec.headers["x-runway-version"] == "2024-11-06"
        body = rec.json()
        if rec.path == "/v1/image_to_video":
            assert body["promptImage"].startswith("data:image/jpeg;base64,")
        else:
            assert "promptImage" not in body
        assert body["ratio"] in ("1280:720", "720:1280")
        assert len(body["promptText"]) <= 1000
    # output links are signed: the API secret never goes with them
    outputs = rw.calls("GET", r"^/_output/")
    assert outputs
    assert all("authorization" not in r.headers for r in outputs)


def test_text_to_video_and_gen4_turbo_needs_an_image(rw: RunwayServer, sample_copy: Path) -> None:
    async def go() -> list[str]:
        async with httpx.AsyncClient() as client:
            prov = create_provider("runway", client)
            base = {"prompt": "a ridge at dawn", "duration": 5, "size": "1280x720",
                    "references": []}
            st = await prov.create(JobSpec("j1", sample_copy, "runway", "gen4.5",
                                           {**base, "model": "gen4.5"}, {}))
            out = [st.remote_id]
            with pytest.raises(Exception, match="renders only from an image"):
                await prov.create(JobSpec("j2", sample_copy, "runway", "gen4_turbo",
                                          {**base, "model": "gen4_turbo"}, {}))
            return out

    ids = asyncio.run(go())
    assert [r.path for r in rw.calls("POST")] == ["/v1/text_to_video"]
    assert ids[0] in rw.tasks


def test_failures_moderation_daily_limit_and_expiry(rw: RunwayServer, sample_copy: Path,
                                                    fast_polls: None) -> None:
    rw.next_outcome = "moderation"
    queue_shots(sample_copy, "runway", ["s01-ridge-dawn"])
    run_engine(sample_copy)
    rw.next_outcome = "ok"
    rw.output_ttl = -1.0           # links already expired when the task succeeds
    queue_shots(sample_copy, "runway", ["s02-lace-up"])
    run_engine(sample_copy)
    by_shot = {j.shot_id: j for j in all_jobs(sample_copy)}
    assert by_shot["s01-ridge-dawn"].status == "failed"
    assert "content moderation" in (by_shot["s01-ridge-dawn"].error or "")
    assert by_shot["s02-lace-up"].status == "failed"
    assert "expired" in (by_shot["s02-lace-up"].error or "")
    rw.output_ttl = 3600
    rw.daily_limit = 0
    queue_shots(sample_copy, "runway", ["s05-packshot"])
    rw.inject("GET", r"^/v1/tasks/", status=502, times=2)
    run_engine(sample_copy)
    third = next(j for j in all_jobs(sample_copy) if j.shot_id == "s05-packshot")
    assert third.status in ("failed", "blocked")
    assert len(rw.tasks) == 2       # the 429s made nothing


def test_kill_while_polling_restart_and_cancel(rw: RunwayServer, sample_copy: Path,
                                               fast_polls: None) -> None:
    rw.run_seconds = 1.0
    queue_shots(sample_copy, "runway", ["s02-lace-up"])
    stop_engine_when(sample_copy, lambda j: j.status == "running" and bool(j.remote_id))
    assert len(rw.calls("POST")) == 1
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    assert len(rw.calls("POST")) == 1

    async def cancel() -> None:
        async with httpx.AsyncClient() as client:
            await create_provider("runway", client).cancel(job.remote_id or "", {})

    asyncio.run(cancel())
    assert [r.method for r in rw.calls("DELETE")] == ["DELETE"]
    assert rw.tasks[job.remote_id or ""].deleted


def test_polls_are_at_least_five_seconds_apart(rw: RunwayServer, sample_copy: Path) -> None:
    """Real time, real 5 s minimum: a status poll, then a fresh-link poll before the download (about 10 s)."""
    rw.run_seconds = 4.0
    queue_shots(sample_copy, "runway", ["s02-lace-up"])
    run_engine(sample_copy, sleep_scale=1.0)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    gaps = rw.poll_gaps(job.remote_id or "")
    assert gaps
    assert min(gaps) >= 5.0 - 0.05, gaps
    create_at = rw.calls("POST")[0].at
    first_poll = rw.calls("GET", r"^/v1/tasks/")[0].at
    assert first_poll - create_at >= 5.0 - 0.05
