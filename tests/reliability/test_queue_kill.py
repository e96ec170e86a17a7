"""`studio queue run` killed -9 at random moments, then started again: nothing lost, nothing
done twice (no duplicate results, no duplicate creates on the provider)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.enqueue import enqueue, plan
from studio.store import Store
from tests.e2e.openai_server import OpenAIServer

REPO = Path(__file__).resolve().parents[2]


def start_worker(root: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ui.main", "queue", "run", str(root), "--until-idle"],
        cwd=REPO, env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def statuses(root: Path) -> list[J.Job]:
    with Store.for_project(root).session() as conn:
        return J.list_jobs(conn)


def kill_and_restart(root: Path, seed: int, env: dict[str, str] | None = None,
                     window: tuple[float, float] = (0.2, 1.2), rounds: int = 6) -> int:
    """Start the worker and kill -9 it after a random delay, ``rounds`` times (or until it
    finishes by itself); then one clean run to the end. Returns the number of kills."""
    rng = random.Random(seed)
    kills = 0
    for _ in range(rounds):
        proc = start_worker(root, env)
        try:
            _, err = proc.communicate(timeout=rng.uniform(*window))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            continue
        assert proc.returncode == 0, err.decode()
        break
    proc = start_worker(root, env)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err.decode()
    return kills


def check_results(root: Path) -> None:
    jobs = statuses(root)
    assert [j.status for j in jobs] == ["succeeded"] * len(jobs), [(j.status, j.error) for j in jobs]
    with Store.for_project(root).session() as conn:
        rows = conn.execute("SELECT id, job_id, path FROM results").fetchall()
    assert len(rows) == len(jobs)
    assert sorted(r["job_id"] for r in rows) == sorted(j.id for j in jobs)
    assert {r["id"] for r in rows} == {j.result_id for j in jobs}
    for row in rows:
        assert (root / row["path"]).is_file()


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_previz_worker_survives_kill_9(sample_copy: Path, seed: int) -> None:
    doc = load_project(sample_copy)
    enqueue(sample_copy, plan(sample_copy, doc.project, None, "previz", variants=1))
    kills = kill_and_restart(sample_copy, seed, window=(0.8, 2.0))
    check_results(sample_copy)
    leftovers = [p.name for p in (sample_copy / "media" / ".incoming").iterdir()]
    assert leftovers == []
    assert kills >= 1


@pytest.mark.parametrize("seed", [3, pytest.param(4, marks=pytest.mark.slow)])
def test_openai_worker_survives_kill_9_without_duplicate_creates(sample_copy: Path,
                                                                 seed: int) -> None:
    key = "sk-test-kill-key"
    with OpenAIServer(api_key=key, poll_after_ms=100) as server:
        server.video_defaults = {"polls": 4}
        server.add_fault("POST", r"^/v1/videos$", "lost_reply", times=2)
        server.add_fault("GET", r"/content$", "short", times=1)
        doc = load_project(sample_copy)
        jobs = enqueue(sample_copy, plan(sample_copy, doc.project,
                                         ["s01-ridge-dawn", "s02-lace-up", "s05-packshot",
                                          "s06-city-reel"], "openai", variants=1))
        env = {"STUDIO_OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": key,
               "STUDIO_QUEUE_TIME_SCALE": "0.05"}
        kills = kill_and_restart(sample_copy, seed, env=env, window=(0.3, 1.5))
        check_results(sample_copy)
        assert server.stats.creates == len(jobs)
        assert server.violations == []
        assert sorted(j.remote_id for j in statuses(sample_copy)) == sorted(server.videos)
    assert kills >= 1
