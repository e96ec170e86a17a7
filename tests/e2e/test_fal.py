"""fal.ai queue through the queue engine against fal_server.py: URLs used as returned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import studio.providers.fal as fal_module
from tests.e2e.fake_http import all_jobs, job_events, queue_shots, run_engine, stop_engine_when
from tests.e2e.fal_server import FalServer
from studio.project import load_project

KEY = "fal-loopback-id:fal-loopback-secret"


@pytest.fixture
def fal(monkeypatch: pytest.MonkeyPatch) -> Iterator[FalServer]:
    monkeypatch.setattr(fal_module, "POLL_INTERVAL", 0.2)
    server = FalServer(key=KEY).start()
    monkeypatch.setenv("STUDIO_FAL_BASE_URL", server.url)
    monkeypatch.setenv("FAL_KEY", KEY)
    yield server
    server.stop()


def test_sample_completes_using_only_returned_urls(fal: FalServer, sample_copy: Path) -> None:
    fal.url_base = fal.url + "/moved"     # URLs a client could not have built itself
    fal.inject("GET", r"/status$", status=503, headers={"X-Fal-Error-Type": "runner_scaling"},
               body={"detail": "Runner is scaling", "error_type": "runner_scaling"})
    jobs = queue_shots(sample_copy, "fal")
    run_engine(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * len(jobs), [(j.status, j.error) for j in done]
    posts = fal.calls("POST")
    # shots with their own image go image-to-video (and the adapter says so); shots without
    # go text-to-video: the style guide's swatch is never sent as a first frame
    doc = load_project(sample_copy)
    with_image = {s.id for s in doc.project.shots if s.references}
    assert with_image and len(with_image) < len(done)
    image_posts = [p for p in posts if p.path == "/fal-ai/pika/v2.2/image-to-video"]
    text_posts = [p for p in posts if p.path == "/fal-ai/pika/v2.2/text-to-video"]
    assert len(image_posts) == len(with_image)
    assert len(text_posts) == len(done) - len(with_image)
    assert all(p.headers["authorization"] == f"Key {KEY}" for p in posts)
    assert all(p.json()["duration"] in (5, 10) for p in posts)
    assert all(p.json()["image_url"].startswith("data:image/jpeg;base64,") for p in image_posts)
    assert all("image_url" not in p.json() for p in text_posts)
    assert all(any("image-to-video" in c for c in j.changes) == (j.shot_id in with_image)
               for j in done)
    gets = [r.path for r in fal.calls("GET") if not r.path.startswith("/_media/")]
    assert gets
    assert all(p.startswith("/moved/fal-ai/pika/requests/") for p in gets)


def test_completed_with_an_error_fails(fal: FalServer, sample_copy: Path) -> None:
    fal.next_outcome = "error"
    queue_shots(sample_copy, "fal", ["s01-ridge-dawn"])
    run_engine(sample_copy)
    fal.next_outcome = "moderation"
    queue_shots(sample_copy, "fal", ["s02-lace-up"])
    run_engine(sample_copy)
    by_shot = {j.shot_id: j for j in all_jobs(sample_copy)}
    assert by_shot["s01-ridge-dawn"].status == "failed"
    assert "runner_disconnected" in (by_shot["s01-ridge-dawn"].error or "")
    assert by_shot["s02-lace-up"].status == "failed"
    assert "content checker" in (by_shot["s02-lace-up"].error or "")


def test_validation_422_fails_with_the_detail(fal: FalServer, sample_copy: Path) -> None:
    fal.inject("POST", r"^/fal-ai/", status=422, body={"detail": [
        {"loc": ["body", "duration"], "msg": "value is not a valid enumeration member",
         "type": "type_error.enum"}]})
    queue_shots(sample_copy, "fal", ["s02-lace-up"])
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "failed"
    assert "422" in (job.error or "")
    assert "duration" in (job.error or "")
    assert fal.requests_by_id == {}


def test_kill_restart_and_cancel_use_the_stored_urls(fal: FalServer, sample_copy: Path) -> None:
    import asyncio

    import httpx

    from studio.providers.registry import create_provider

    fal.url_base = fal.url + "/moved"
    fal.run_seconds = 1.0
    queue_shots(sample_copy, "fal", ["s02-lace-up"])
    stop_engine_when(sample_copy, lambda j: j.status == "running" and bool(j.remote_id))
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    assert len(fal.calls("POST")) == 1
    # a second request, cancelled while queued, through its cancel_url
    fal.run_seconds = 30

    async def submit_and_cancel() -> None:
        from studio.providers.base import JobSpec

        async with httpx.AsyncClient() as client:
            prov = create_provider("fal", client)
            spec = JobSpec("j", sample_copy, "fal", "fal-ai/pika/v2.2/text-to-video",
                           {"model": "fal-ai/pika/v2.2/text-to-video", "prompt": "a ridge",
                            "duration": 5, "size": "1280x720", "references": []}, {})
            st = await prov.create(spec)
            await prov.cancel(st.remote_id, st.handles)
            after = await prov.retrieve(st.remote_id, st.handles)
            assert after.state == "failed"

    asyncio.run(submit_and_cancel())
    (put,) = fal.calls("PUT")
    assert put.path.startswith("/moved/fal-ai/pika/requests/")
    assert put.path.endswith("/cancel")


def test_rate_limits_are_waited_out_without_duplicates(fal: FalServer, sample_copy: Path) -> None:
    fal.url_base = fal.url + "/moved"
    fal.inject("POST", r"^/fal-ai/", status=429, headers={"Retry-After": "2"},
               body={"detail": "Too many requests in queue"}, times=2)
    fal.inject("GET", r"/status$", status=429, headers={"Retry-After": "1"},
               body={"detail": "Rate limit exceeded"})
    queue_shots(sample_copy, "fal", ["s02-lace-up"])
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    assert fal.faults == []
    assert len(fal.calls("POST")) == 3          # two refused, one accepted
    assert len(fal.requests_by_id) == 1         # the 429s made nothing
    # the status poll was retried on the URL the submit returned
    statuses = [r.path for r in fal.calls("GET", r"/status$")]
    assert len(statuses) >= 2
    assert all(p.startswith("/moved/fal-ai/pika/requests/") for p in statuses)
    refused = [e for e in job_events(sample_copy) if "rate limited (429)" in e]
    assert len(refused) == 2
    assert all("again in 2.0s" in e for e in refused)


def test_lost_create_reply_waits_for_a_decision(fal: FalServer, sample_copy: Path) -> None:
    from studio.queue.control import decide_job

    # the submit reaches fal (a request is made) but the reply is lost; fal cannot list
    # requests, so the job is never resent blindly: it waits for the user's decision
    fal.inject("POST", r"^/fal-ai/", "lost_reply")
    queue_shots(sample_copy, "fal", ["s02-lace-up"])
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.needs_decision
    assert job.status == "submitting"
    assert "Decide" in (job.error or "")
    assert "studio queue decide" in (job.error or "")
    assert len(fal.calls("POST")) == 1
    assert len(fal.requests_by_id) == 1
    # running again changes nothing: still waiting, still one submit
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.needs_decision
    assert len(fal.calls("POST")) == 1
    # the user decides to resend: a second submit, and the take arrives
    assert decide_job(sample_copy, job.id, resend=True).status == "queued"
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    assert not job.needs_decision
    assert len(fal.calls("POST")) == 2
