"""`studio queue run --events`: the JSON line format the window reads, the lock refusal,
and a worker noticing a cancellation made by another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.control import cancel_job
from studio.queue.engine import EngineThread, QueueEngine
from studio.queue.enqueue import enqueue, plan
from studio.queue.lock import WorkerLock
from studio.store import Store

REPO = Path(__file__).resolve().parents[2]
JOB_KEYS = {"event", "job_id", "shot_id", "status", "progress", "error", "result_id"}


def worker(root: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "ui.main", "queue", "run", str(root),
                             "--events", *extra], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=REPO)


def lines_of(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[list[dict[str, Any]], str]:
    out, err = proc.communicate(timeout=timeout)
    return [json.loads(line) for line in out.splitlines()], err


def test_events_lines_describe_the_whole_run(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    jobs = enqueue(sample_copy, plan(sample_copy, doc.project, ["s01-ridge-dawn"], "previz",
                                     variants=1))
    proc = worker(sample_copy, "--until-idle")
    events, err = lines_of(proc)
    assert proc.returncode == 0, err
    kinds = [e["event"] for e in events]
    assert kinds[0] == "worker_started"
    assert events[0]["format"] == 1 and events[0]["pid"] == proc.pid
    assert kinds[1] == "worker_ready"
    assert kinds[-1] == "worker_stopped"
    assert kinds[-2] == "queue_idle"
    changes = [e for e in events if e["event"] == "job_changed"]
    assert all(set(e) == JOB_KEYS for e in changes)
    assert {e["job_id"] for e in changes} == {jobs[0].id}
    statuses = list(dict.fromkeys(e["status"] for e in changes))
    assert statuses == ["submitting", "running", "downloading", "succeeded"]
    (added,) = [e for e in events if e["event"] == "result_added"]
    assert added["job_id"] == jobs[0].id and added["shot_id"] == "s01-ridge-dawn"
    assert changes[-1]["result_id"] == added["result_id"]
    assert kinds.index("result_added") < len(kinds) - 1 - kinds[::-1].index("job_changed")
    stats = events[-1]["stats"]
    assert stats["finished"] == 1
    assert stats["cpu_at_end_s"] >= stats["cpu_at_ready_s"] > 0
    with Store.for_project(sample_copy).session() as conn:
        assert J.get_job(conn, jobs[0].id).result_id == added["result_id"]


def test_a_locked_project_is_refused_in_one_line(sample_copy: Path) -> None:
    with WorkerLock(sample_copy):
        proc = worker(sample_copy)
        events, err = lines_of(proc, timeout=60)
    assert proc.returncode == 1
    assert [e["event"] for e in events] == ["worker_started", "worker_refused"]
    assert events[-1]["reason"] == "locked"
    assert "another queue worker" in events[-1]["message"]
    assert "another queue worker" in err


def test_stdin_commands_wake_and_stop_the_worker(sample_copy: Path) -> None:
    proc = worker(sample_copy)
    assert proc.stdout is not None and proc.stdin is not None
    seen: list[dict[str, Any]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.time() + 60
    while not any(e["event"] == "worker_ready" for e in seen) and time.time() < deadline:
        time.sleep(0.05)
    doc = load_project(sample_copy)
    enqueue(sample_copy, plan(sample_copy, doc.project, ["s02-lace-up"], "previz", variants=1))
    proc.stdin.write("wake\n")
    proc.stdin.flush()
    deadline = time.time() + 90
    while not any(e.get("status") == "succeeded" for e in seen) and time.time() < deadline:
        time.sleep(0.05)
    assert any(e.get("status") == "succeeded" for e in seen)
    proc.stdin.close()  # end of input: a clean stop
    assert proc.wait(30) == 0
    reader.join(10)
    assert proc.stderr is not None
    proc.stderr.close()
    proc.stdout.close()
    assert seen[-1]["event"] == "worker_stopped"


@pytest.mark.timeout(120)
def test_worker_notices_a_cancel_made_elsewhere_at_once(sample_copy: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider asks for a poll only every 30 s; a cancellation written to studio.db by
    another process (the window) still reaches the provider (DELETE) within seconds."""
    from tests.e2e.openai_server import OpenAIServer

    key = "sk-test-loopback-key"
    server = OpenAIServer(api_key=key, poll_after_ms=30_000).start()
    server.video_defaults = {"polls": 10_000}
    monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    try:
        doc = load_project(sample_copy)
        (job,) = enqueue(sample_copy, plan(sample_copy, doc.project, ["s02-lace-up"], "openai",
                                           variants=1))
        engine = QueueEngine(sample_copy, EventBus())
        thread = EngineThread(engine)
        thread.start()
        try:
            deadline = time.time() + 30
            status = None
            while time.time() < deadline:
                with Store.for_project(sample_copy).session() as conn:
                    status = J.get_job(conn, job.id).status
                if status == "running":
                    break
                time.sleep(0.05)
            assert status == "running"
            time.sleep(0.5)  # the engine is now inside its 30 s wait
            cancel_job(sample_copy, job.id)
            started = time.monotonic()
            engine.wake()
            while server.stats.deletes == 0 and time.monotonic() - started < 25:
                time.sleep(0.02)
            took = time.monotonic() - started
        finally:
            thread.stop()
        assert server.stats.deletes == 1, "the remote job was not cancelled"
        # well under the provider's 30 s poll interval (with room for a loaded CI machine)
        assert took < 15, f"cancel reached the provider after {took:.1f}s"
        with Store.for_project(sample_copy).session() as conn:
            assert J.get_job(conn, job.id).status == "cancelled"
        assert server.violations == []
    finally:
        server.stop()
