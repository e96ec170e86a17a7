"""The queue against a loopback OpenAI Videos server: contract, faults, no duplicate creates."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.control import cancel_job
from studio.queue.engine import EngineThread, QueueEngine
from studio.queue.enqueue import enqueue, plan
from studio.store import Store
from tests.e2e.openai_server import OpenAIServer

KEY = "sk-test-loopback-key"


@pytest.fixture
def oa(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    server = OpenAIServer(api_key=KEY).start()
    monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    yield server
    server.stop()


def queue(root: Path, shots: list[str] | None = None, variants: int | None = 1) -> list[J.Job]:
    doc = load_project(root)
    return enqueue(root, plan(root, doc.project, shots, "openai", variants=variants))


def run(root: Path, timeout: float = 90) -> QueueEngine:
    engine = QueueEngine(root, EventBus(), sleep_scale=0.01, reconcile_delay=0.05)
    asyncio.run(asyncio.wait_for(engine.run(until_idle=True), timeout))
    return engine


def all_jobs(root: Path) -> list[J.Job]:
    with Store.for_project(root).session() as conn:
        return J.list_jobs(conn)



def job_now(root: Path, job_id: str) -> J.Job:
    with Store.for_project(root).session() as conn:
        return J.get_job(conn, job_id)


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` s pass; its last answer."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@contextlib.contextmanager
def engine_running(root: Path) -> Iterator[QueueEngine]:
    """The engine on its own thread (as `studio queue run`), stopped on the way out."""
    engine = QueueEngine(root, EventBus(), sleep_scale=0.01)
    thread = EngineThread(engine)
    thread.start()
    try:
        yield engine
    finally:
        thread.stop()


def oa_polls(oa: OpenAIServer, remote_id: str) -> int:
    return sum(1 for m, path, _ in oa.stats.requests if m == "GET" and path.endswith(remote_id))

def test_all_shots_succeed_and_follow_the_contract(oa: OpenAIServer, sample_copy: Path) -> None:
    jobs = queue(sample_copy)
    assert len(jobs) == 6
    assert all(j.status == "queued" for j in jobs)
    run(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * 6, [(j.status, j.error) for j in done]
    assert oa.violations == []
    assert oa.stats.creates == 6
    # a shot's own reference went with its create, resized to the video size (checked by the
    # server); shots without one sent none (the style guide's swatch is no first frame)
    shots = {s.id: s for s in load_project(sample_copy).project.shots}
    by_job = {j.remote_id: j for j in done}
    for vid, v in oa.videos.items():
        if shots[by_job[vid].shot_id].references:
            assert v.reference == tuple(int(x) for x in v.size.split("x"))
        else:
            assert v.reference is None
    assert sum(v.reference is None for v in oa.videos.values()) == 2
    # seconds are strings from the allowed set, and 6 s was fitted up to 8
    by_prompt = {v.prompt: v for v in oa.videos.values()}
    s01 = next(j for j in done if j.shot_id == "s01-ridge-dawn")
    assert by_prompt[s01.prompt].seconds == "8"
    assert any("6s → 8s" in c for c in s01.changes)
    with Store.for_project(sample_copy).session() as conn:
        rows = conn.execute("SELECT id, job_id, path, remote_id FROM results").fetchall()
    assert len(rows) == 6
    for row in rows:
        assert (sample_copy / row["path"]).stat().st_size == len(oa.mp4)
        assert row["remote_id"] in oa.videos
    assert not list((sample_copy / "media" / ".incoming").glob("*.part"))



def test_thumbnail_is_made_from_the_take_not_downloaded(oa: OpenAIServer,
                                                       sample_copy: Path) -> None:
    """One download per job (the video): the library's thumbnail is the take's frame one
    third in, 320 px wide (made while the engine verifies it), not the provider's WebP."""
    from PIL import Image

    jobs = queue(sample_copy, ["s01-ridge-dawn", "s02-lace-up"])
    run(sample_copy)
    assert [j.status for j in all_jobs(sample_copy)] == ["succeeded"] * len(jobs)
    contents = [path for method, path, _ in oa.stats.requests if "/content" in path]
    assert len(contents) == len(jobs)
    assert all("variant=video" in path for path in contents), contents
    with Store.for_project(sample_copy).session() as conn:
        thumbs = [r[0] for r in conn.execute("SELECT thumbnail FROM results")]
    assert len(thumbs) == len(jobs)
    for rel in thumbs:
        with Image.open(sample_copy / rel) as img:
            assert (img.format, img.width, img.height) == ("JPEG", 320, 180)
            r, g, b = img.convert("RGB").getpixel((160, 90))
        # the sample take's frames are (i * 9 % 255, 80, 160); the server's WebP is orange
        assert b > 120, (r, g, b)
        assert max(r, g) < 120, (r, g, b)
    assert not list((sample_copy / "media" / ".incoming").iterdir())


def test_each_take_is_decoded_once(oa: OpenAIServer, sample_copy: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine verifies a download (decoding every frame) before renaming it; ingest
    takes that probe for the same, unchanged file instead of decoding it again."""
    from studio import media

    calls: list[str] = []
    real = media.verify_video

    def counting(path: Path | str, *args: object, **kwargs: object) -> media.Probe:
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(media, "verify_video", counting)
    jobs = queue(sample_copy, ["s01-ridge-dawn", "s02-lace-up"])
    run(sample_copy)
    assert [j.status for j in all_jobs(sample_copy)] == ["succeeded"] * len(jobs)
    assert sorted(calls) == sorted(f"{j.id}.mp4.part" for j in jobs)
    with Store.for_project(sample_copy).session() as conn:
        rows = conn.execute("SELECT width, height, duration, codec FROM results").fetchall()
    assert [tuple(r) for r in rows] == [(160, 90, pytest.approx(1.0, abs=0.05), "h264")] * 2

def test_faults_are_survived_without_duplicate_creates(oa: OpenAIServer, sample_copy: Path) -> None:
    oa.add_fault("POST", r"^/v1/videos$", "status", status=429, headers={"Retry-After": "1"})
    oa.add_fault("POST", r"^/v1/videos$", "lost_reply", times=2)   # made, reply lost
    oa.add_fault("POST", r"^/v1/videos$", "status", status=500)     # refused, reply 500
    oa.add_fault("POST", r"^/v1/videos$", "cut")                    # cut before anything
    oa.add_fault("GET", r"^/v1/videos/video_[^/]+$", "status", times=2, status=503)
    oa.add_fault("GET", r"^/v1/videos/video_[^/]+$", "status", status=502,
                 headers={"retry-after-ms": "10"})
    oa.add_fault("GET", r"^/v1/videos/video_[^/]+$", "cut", times=2)
    oa.add_fault("GET", r"^/v1/videos$", "status", status=500)      # the reconcile list
    oa.add_fault("GET", r"/content$", "short", times=2)
    jobs = queue(sample_copy)
    run(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * len(jobs), [(j.status, j.error) for j in done]
    assert oa.violations == []
    # zero duplicates: exactly one video per job on the server, each claimed by one job
    assert oa.stats.creates == len(jobs)
    assert sorted(j.remote_id for j in done) == sorted(oa.videos)
    assert all(f.times == 0 for f in oa.faults), [(f.kind, f.path.pattern, f.times) for f in oa.faults]
    with Store.for_project(sample_copy).session() as conn:
        details = [r[0] for r in conn.execute("SELECT detail FROM job_events")]
    assert any(d.startswith("found on openai as video_") for d in details)
    assert any("not accepted" in d and "429" in d for d in details)


def test_moderation_failure_names_the_reason(oa: OpenAIServer, sample_copy: Path) -> None:
    oa.next_videos.append({"moderation": True})
    queue(sample_copy, ["s01-ridge-dawn", "s02-lace-up"])
    run(sample_copy)
    done = {j.shot_id: j for j in all_jobs(sample_copy)}
    failed = [j for j in done.values() if j.status == "failed"]
    assert len(failed) == 1
    assert "moderation" in (failed[0].error or "")
    assert "Rephrase" in (failed[0].error or "")
    assert sum(j.status == "succeeded" for j in done.values()) == 1
    assert oa.stats.creates == 2


@pytest.mark.parametrize("kind", ["expired", "missing"])
def test_expired_or_missing_result_fails_clearly(oa: OpenAIServer, sample_copy: Path,
                                                 kind: str) -> None:
    oa.next_videos.append({kind: True})
    queue(sample_copy, ["s02-lace-up"])
    run(sample_copy)
    (job,) = all_jobs(sample_copy)
    assert job.status == "failed"
    assert "expired" in (job.error or "") or "gone" in (job.error or "")
    assert "queue the shot again" in (job.error or "").lower()


def test_wrong_key_waits_without_retry_storm(oa: OpenAIServer, sample_copy: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sk-wrong-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    queue(sample_copy, ["s01-ridge-dawn", "s02-lace-up"])
    run(sample_copy)
    done = all_jobs(sample_copy)
    # the first refusal holds the provider's jobs (tests/e2e/test_openai_key_rejected.py)
    assert [j.status for j in done] == ["queued", "queued"]
    for job in done:
        assert "studio key set openai" in (job.error or "")
        assert wrong not in (job.error or "")
    with Store.for_project(sample_copy).session() as conn:
        details = [e["detail"] for j in done for e in J.events(conn, j.id)]
    assert any("401" in d for d in details)
    assert not any(wrong in d for d in details)
    assert len(oa.stats.requests) == 1  # one refused create, nothing more
    assert oa.stats.creates == 0


def test_restart_in_submitting_reconciles_instead_of_resending(oa: OpenAIServer,
                                                               sample_copy: Path) -> None:
    (job,) = queue(sample_copy, ["s02-lace-up"])
    store = Store.for_project(sample_copy)
    with store.session() as conn:  # as if the worker died right after sending the create
        J.transition(store, conn, job.id, ["queued"], "submitting", submitted_at=time.time())
    made = oa.new_video(model="sora-2", prompt=job.prompt, size="1280x720", seconds="4")
    run(sample_copy)
    (done,) = all_jobs(sample_copy)
    assert done.status == "succeeded"
    assert done.remote_id == made.id
    assert oa.stats.creates == 0


def test_two_variants_with_one_prompt_claim_distinct_videos(oa: OpenAIServer,
                                                            sample_copy: Path) -> None:
    oa.add_fault("POST", r"^/v1/videos$", "lost_reply", times=2)
    queue(sample_copy, ["s02-lace-up"], variants=2)
    run(sample_copy)
    done = all_jobs(sample_copy)
    assert [j.status for j in done] == ["succeeded", "succeeded"]
    assert len({j.remote_id for j in done}) == 2
    assert oa.stats.creates == 2


def test_cancel_deletes_the_remote_job(oa: OpenAIServer, sample_copy: Path) -> None:
    oa.video_defaults = {"polls": 10_000}
    (job,) = queue(sample_copy, ["s02-lace-up"])
    with engine_running(sample_copy) as engine:
        wait_for(lambda: job_now(sample_copy, job.id).status == "running")
        cancel_job(sample_copy, job.id)
        engine.wake()
        wait_for(lambda: oa.stats.deletes > 0)
    assert oa.stats.deletes == 1
    (done,) = all_jobs(sample_copy)
    assert done.status == "cancelled"
    assert oa.violations == []


def test_cancel_in_another_process_stops_polling_without_a_wake(oa: OpenAIServer,
                                                               sample_copy: Path) -> None:
    """`studio queue cancel` in another process sends no wake-up: the scheduler's next look
    (every TICK) sees the job leave the active states, and its poll loop stops and cancels
    it remotely (the loop itself no longer reads the row every round)."""
    oa.video_defaults = {"polls": 10_000}
    (job,) = queue(sample_copy, ["s02-lace-up"])
    with engine_running(sample_copy):
        wait_for(lambda: job_now(sample_copy, job.id).status == "running")
        time.sleep(0.1)  # a few polls
        cancel_job(sample_copy, job.id)  # no engine.wake()
        wait_for(lambda: oa.stats.deletes > 0)
        polls = oa_polls(oa, job_remote_id(sample_copy, job.id))
        time.sleep(0.3)
        polls_later = oa_polls(oa, job_remote_id(sample_copy, job.id))
    assert oa.stats.deletes == 1
    assert polls_later == polls  # no poll after the remote cancel
    (done,) = all_jobs(sample_copy)
    assert done.status == "cancelled"
    assert oa.violations == []


def job_remote_id(root: Path, job_id: str) -> str:
    with Store.for_project(root).session() as conn:
        return J.get_job(conn, job_id).remote_id or "?"


def test_polls_read_no_job_row_per_round(oa: OpenAIServer, sample_copy: Path) -> None:
    """20 polls of one job: the loop's connection reads the job's row or status a bounded
    number of times (the scheduler's query sees a cancel), not once or twice per poll."""
    import threading

    from studio.store import Store as StoreCls

    oa.video_defaults = {"polls": 20}
    (job,) = queue(sample_copy, ["s02-lace-up"])
    loop_thread = threading.get_ident()
    reads: list[str] = []
    original = StoreCls.connect

    def connect(self: StoreCls, *args: object, **kwargs: object) -> object:
        conn = original(self, *args, **kwargs)

        def trace(sql: str) -> None:
            if threading.get_ident() == loop_thread and sql.startswith(
                    ("SELECT status FROM jobs", "SELECT * FROM jobs")):
                reads.append(sql)

        conn.set_trace_callback(trace)
        return conn

    try:
        StoreCls.connect = connect  # type: ignore[method-assign]
        run(sample_copy)
    finally:
        StoreCls.connect = original  # type: ignore[method-assign]
    (done,) = all_jobs(sample_copy)
    assert done.status == "succeeded", done.error
    polls = sum(1 for m, path, _ in oa.stats.requests
                if m == "GET" and path.endswith(done.remote_id or "?"))
    assert polls >= 20
    assert len(reads) <= 3, reads

def test_remix_request_follows_the_contract(oa: OpenAIServer, sample_copy: Path) -> None:
    import httpx

    from studio.providers.base import JobSpec
    from studio.providers.registry import create_provider

    parent = oa.new_video(model="sora-2", prompt="a ridge", size="1280x720", seconds="4")

    async def go() -> str:
        async with httpx.AsyncClient() as client:
            prov = create_provider("openai", client)
            status = await prov.create(JobSpec(
                job_id="j", root=sample_copy, provider="openai", model="sora-2",
                params={"prompt": "the same ridge at dusk", "model": "sora-2"}, request={},
                kind="remix", parent_remote_id=parent.id))
            return status.remote_id

    remote = asyncio.run(go())
    assert oa.videos[remote].remixed_from == parent.id
    assert oa.violations == []


def test_the_key_is_never_written_anywhere(oa: OpenAIServer, sample_copy: Path, tmp_path: Path,
                                          isolated_env: Path, memory_keyring: object,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.keys import set_key

    secret = "sk-RECOGNISABLE-7f3c9e1d2b4a6c8e"
    oa.api_key = secret
    monkeypatch.delenv("OPENAI_API_KEY")
    set_key("openai", secret)
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    try:
        oa.add_fault("POST", r"^/v1/videos$", "status", status=400,
                     message=f"bad request for key {secret}")  # a server that echoes it
        oa.add_fault("GET", r"^/v1/videos/", "status", status=500)
        queue(sample_copy, ["s01-ridge-dawn", "s02-lace-up"])
        run(sample_copy)
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(old_level)
        handler.close()
    done = all_jobs(sample_copy)
    assert sorted(j.status for j in done) == ["failed", "succeeded"]
    assert log_file.stat().st_size > 0
    needle = secret.encode()
    hits = []
    for base in {sample_copy, isolated_env, tmp_path}:
        for path in base.rglob("*"):
            if path.is_file() and needle in path.read_bytes():
                hits.append(path)
    assert hits == []
