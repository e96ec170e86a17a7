"""Veo through the queue engine against the loopback Gemini API (tests/e2e/veo_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.fake_http import all_jobs, queue_shots, run_engine, stop_engine_when
from tests.e2e.veo_server import VeoServer

KEY = "gemini-loopback-key-0123"


@pytest.fixture
def veo(monkeypatch: pytest.MonkeyPatch) -> Iterator[VeoServer]:
    import studio.providers.veo as veo_module

    monkeypatch.setattr(veo_module, "POLL_INTERVAL", 0.2)   # the engine scales waits too
    server = VeoServer(key=KEY).start()
    monkeypatch.setenv("STUDIO_VEO_BASE_URL", server.url)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    yield server
    server.stop()


def creates(server: VeoServer) -> list[dict]:
    return [r.json() for r in server.calls("POST", r":predictLongRunning$")]


def test_sample_completes_and_refused_fields_are_never_sent(veo: VeoServer,
                                                            sample_copy: Path) -> None:
    jobs = queue_shots(sample_copy, "veo")
    run_engine(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * len(jobs), [(j.status, j.error) for j in done]
    bodies = creates(veo)
    assert len(bodies) == len(jobs) == 6
    for body in bodies:
        params = body["parameters"]
        assert "generateAudio" not in params
        assert "seed" not in params
        assert params["durationSeconds"] in (4, 6, 8)
        assert params["aspectRatio"] in ("16:9", "9:16")
        assert params["resolution"] == "720p"
        refs = body["instances"][0].get("referenceImages", [])
        assert 1 <= len(refs) <= 3
        assert {r["referenceType"] for r in refs} <= {"ASSET", "STYLE"}
    assert any(b["parameters"]["aspectRatio"] == "9:16" for b in bodies)  # s06 is vertical
    # style-guide reference (palette.png) goes as STYLE, shot references as ASSET
    types = {r["referenceType"] for b in bodies for r in b["instances"][0].get("referenceImages", [])}
    assert types == {"ASSET", "STYLE"}
    # the key went to the API's origin, never to the redirect target (a CDN in real life)
    downloads = veo.calls("GET", r":download$")
    assert len(downloads) == 6
    assert all(r.headers.get("x-goog-api-key") == KEY for r in downloads)
    redirected = veo.calls("GET", r"^/_redirected/")
    assert len(redirected) == 6
    assert all("x-goog-api-key" not in r.headers for r in redirected)
    for job in done:
        assert (sample_copy / "media").exists()
        assert job.result_id


def test_safety_filter_fails_the_job_with_reasons(veo: VeoServer, sample_copy: Path) -> None:
    veo.next_outcome = "safety"
    queue_shots(sample_copy, "veo", ["s02-lace-up"])
    run_engine(sample_copy)
    veo.next_outcome = "ok"
    queue_shots(sample_copy, "veo", ["s01-ridge-dawn"])
    run_engine(sample_copy)
    by_shot = {j.shot_id: j for j in all_jobs(sample_copy)}
    bad = by_shot["s02-lace-up"]
    assert bad.status == "failed"
    assert "safety filter" in (bad.error or "")
    assert "Support code: 58061214" in (bad.error or "")
    assert by_shot["s01-ridge-dawn"].status == "succeeded"


def test_faults_are_survived_without_duplicate_creates(veo: VeoServer, sample_copy: Path) -> None:
    veo.inject("POST", r":predictLongRunning$", status=429, headers={"Retry-After": "1"},
               body={"error": {"code": 429, "message": "Resource exhausted",
                               "status": "RESOURCE_EXHAUSTED"}})
    veo.inject("GET", r"/operations/", status=503, times=2)
    veo.inject("GET", r"/operations/", "cut")
    veo.inject("GET", r":download$", status=500)
    veo.inject("GET", r"^/_redirected/", "short")
    jobs = queue_shots(sample_copy, "veo", ["s01-ridge-dawn", "s02-lace-up"])
    run_engine(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * 2, [(j.status, j.error) for j in done]
    assert len(veo.operations) == len(jobs)   # the 429 made nothing; no duplicates
    assert veo.faults == []


def test_lost_create_reply_is_never_resent_blindly(veo: VeoServer, sample_copy: Path) -> None:
    veo.inject("POST", r":predictLongRunning$", "lost_reply")
    queue_shots(sample_copy, "veo", ["s02-lace-up"])
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert len(veo.operations) == 1
    assert len(creates(veo)) == 1
    assert job.needs_decision
    assert job.status == "submitting"
    assert "Decide" in (job.error or "")


def test_kill_while_polling_and_restart_finishes_without_a_second_create(
        veo: VeoServer, sample_copy: Path) -> None:
    veo.run_seconds = 1.0
    queue_shots(sample_copy, "veo", ["s02-lace-up"])
    stop_engine_when(sample_copy, lambda j: j.status == "running" and bool(j.remote_id))
    (job,) = all_jobs(sample_copy)
    assert job.status == "running"
    assert len(creates(veo)) == 1
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "succeeded", job.error
    assert len(creates(veo)) == 1
    assert job.remote_id in veo.operations


def test_wrong_key_waits_clearly_without_leaking_it(veo: VeoServer, sample_copy: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "gemini-wrong-key-987654"
    monkeypatch.setenv("GEMINI_API_KEY", wrong)
    queue_shots(sample_copy, "veo", ["s02-lace-up"])
    run_engine(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "queued"  # waits for a new key (docs/readme/queue.md)
    assert "studio key set veo" in (job.error or "")
    assert wrong not in (job.error or "")
    assert len(veo.requests) == 1
    assert veo.operations == {}
