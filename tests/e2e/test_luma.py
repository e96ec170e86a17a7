"""Luma Dream Machine through the queue engine against luma_server.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import studio.providers.luma as luma_module
from tests.e2e.fake_http import all_jobs, job_events, queue_shots, run_engine, stop_engine_when
from tests.e2e.luma_server import LumaServer

KEY = "luma-loopback-key-77"


@pytest.fixture
def luma(monkeypatch: pytest.MonkeyPatch) -> Iterator[LumaServer]:
    monkeypatch.setattr(luma_module, "POLL_INTERVAL", 0.2)
    server = LumaServer(key=KEY).start()
    monkeypatch.setenv("STUDIO_LUMA_BASE_URL", server.base_url)
    monkeypatch.setenv("LUMAAI_API_KEY", KEY)
    yield server
    server.stop()


def test_sample_completes_with_luma_names(luma: LumaServer, sample_copy: Path) -> None:
    jobs = queue_shots(sample_copy, "luma")
    run_engine(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * len(jobs), [(j.status, j.error) for j in done]
    bodies = [r.json() for r in luma.calls("POST")]
    assert len(bodies) == 6
    assert {b["duration"] for b in bodies} <= {"5s", "9s"}
    assert {b["aspect_ratio"] for b in bodies} == {"16:9", "9:16"}
    assert all(b["resolution"] == "720p" and "keyframes" not in b for b in bodies)
    assert any("references dropped" in c for j in done for c in j.changes)
    # assets come from the CDN without the key; the thumbnail is Luma's still
    assert all("authorization" not in r.headers for r in luma.calls("GET", r"^/_files/"))
    assert len(luma.calls("GET", r"\.jpg$")) == 6


def test_failed_states_and_moderation_on_create(luma: LumaServer, sample_copy: Path) -> None:
    luma.next_outcome = "moderation"
    queue_shots(sample_copy, "luma", ["s01-ridge-dawn"])
    run_engine(sample_copy)
    luma.next_outcome = "ok"
    luma.inject("POST", r"/generations/video$", status=400,
                body={"detail": "400: Prompt not allowed because advanced moderation failed"})
    queue_shots(sample_copy, "luma", ["s02-lace-up"])
    run_engine(sample_copy)
    by_shot = {j.shot_id: j for j in all_jobs(sample_copy)}
    assert by_shot["s01-ridge-dawn"].status == "failed"
    assert "moderation" in (by_shot["s01-ridge-dawn"].error or "")
    assert by_shot["s02-lace-up"].status == "failed"
    assert "moderation" in (by_shot["s02-lace-up"].error or "")


def test_lost_create_reply_is_found_in_the_list(luma: LumaServer, sample_copy: Path) -> None:
    luma.inject("POST", r"/generations/video$", "lost_reply")
    luma.inject("GET", r"/generations/[^/]+$", status=503, times=2)
    luma.inject("GET", r"/generations$", status=500)
    queue_shots(sample_copy, "luma", ["s02-lace-up", "s05-packshot"])
    run_engine(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * 2, [(j.status, j.error) for j in done]
    assert len(luma.generations) == 2
    assert len(luma.calls("POST")) == 2
    assert any(d.startswith("found on luma as ") for d in job_events(sample_copy))


def test_kill_while_polling_and_restart(luma: LumaServer, sample_copy: Path) -> None:
    luma.run_seconds = 1.0
    queue_shots(sample_copy, "luma", ["s02-lace-up"])
    stop_engine_when(sample_copy, lambda j: j.status == "running" and bool(j.remote_id))
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    assert len(luma.calls("POST")) == 1


def test_rate_limits_are_waited_out_without_duplicates(luma: LumaServer,
                                                       sample_copy: Path) -> None:
    # two 429s on the create (Retry-After honoured), one on a poll: one generation, no loss
    luma.inject("POST", r"/generations/video$", status=429, headers={"Retry-After": "2"},
                body={"detail": "Too many concurrent generations"}, times=2)
    luma.inject("GET", r"/generations/[^/]+$", status=429, headers={"Retry-After": "1"},
                body={"detail": "Rate limit exceeded"})
    queue_shots(sample_copy, "luma", ["s02-lace-up"])
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    assert luma.faults == []                    # every injected 429 was met
    assert len(luma.calls("POST")) == 3         # two refused, one accepted
    assert len(luma.generations) == 1           # the 429s made nothing
    events = job_events(sample_copy)
    refused = [e for e in events if "rate limited (429)" in e]
    assert len(refused) == 2, events
    assert all("Too many concurrent generations" in e for e in refused)
    assert all("again in 2.0s" in e for e in refused)  # the server's Retry-After


def test_endless_rate_limit_gives_up_and_creates_nothing(luma: LumaServer,
                                                         sample_copy: Path) -> None:
    from studio.queue.engine import MAX_SUBMIT_ATTEMPTS

    luma.inject("POST", r"/generations/video$", status=429, headers={"Retry-After": "1"},
                body={"detail": "Rate limit exceeded"}, times=100)
    queue_shots(sample_copy, "luma", ["s05-packshot"])
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "failed"
    assert f"gave up after {MAX_SUBMIT_ATTEMPTS} attempts" in (job.error or "")
    assert "rate limited (429)" in (job.error or "")
    assert len(luma.calls("POST")) == MAX_SUBMIT_ATTEMPTS
    assert len(luma.generations) == 0
