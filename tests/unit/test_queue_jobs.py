"""Jobs, enqueueing (consent, budget), the worker lock, control actions, previz offline."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from studio.errors import QueueError
from studio.events import JOB_CHANGED, RESULT_ADDED, EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.control import cancel_job, decide_job, remove, retry_job
from studio.queue.engine import QueueEngine
from studio.queue.enqueue import enqueue, plan
from studio.queue.lock import WorkerLock, worker_running
from studio.store import Store

REPO = Path(__file__).resolve().parents[2]


def queue(root: Path, shots: list[str] | None, provider: str = "previz",
          variants: int | None = 1) -> list[J.Job]:
    doc = load_project(root)
    return enqueue(root, plan(root, doc.project, shots, provider, variants=variants))


def jobs_of(root: Path) -> list[J.Job]:
    with Store.for_project(root).session() as conn:
        return J.list_jobs(conn)


def test_transition_is_conditional_and_logged(sample_copy: Path) -> None:
    (job,) = queue(sample_copy, ["s01-ridge-dawn"])
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        assert J.transition(store, conn, job.id, ["queued"], "submitting", "x", submitted_at=1.0)
        assert not J.transition(store, conn, job.id, ["queued"], "running")
        assert J.transition(store, conn, job.id, ["submitting"], "running", remote_id="r1")
        got = J.get_job(conn, job.id)
        assert got.status == "running"
        assert got.remote_id == "r1"
        assert got.submitted_at == 1.0
        evs = J.events(conn, job.id)
        assert [(e["from_status"], e["to_status"]) for e in evs] == [
            (None, "queued"), ("queued", "submitting"), ("submitting", "running")]
        with pytest.raises(ValueError, match="unknown job columns"):
            J.transition(store, conn, job.id, ["running"], "failed", bogus=1)


def test_budget_blocks_jobs_past_the_cap(sample_copy: Path) -> None:
    data = yaml.safe_load((sample_copy / "project.yaml").read_text())
    data["budget_usd"] = 1.5  # s01 (8 s → $0.80) fits, s02 (4 s → $0.40) fits, s03 (8 s) not
    (sample_copy / "project.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    doc = load_project(sample_copy)
    the_plan = plan(sample_copy, doc.project, ["s01-ridge-dawn", "s02-lace-up", "s05-packshot"],
                    "openai", variants=1)
    assert [i.blocked_reason is None for i in the_plan.items] == [True, True, False]
    assert the_plan.total == pytest.approx(1.2)
    out = enqueue(sample_copy, the_plan)
    assert [j.status for j in out] == ["queued", "queued", "blocked"]
    assert "over its $1.50 cap" in (out[2].error or "")


def test_revoked_consent_blocks_at_enqueue_and_at_submit(sample_copy: Path) -> None:
    from studio.consent import revoke

    jobs = queue(sample_copy, ["s03-maya-stride", "s01-ridge-dawn"])
    assert [j.status for j in jobs] == ["queued", "queued"]
    revoke(sample_copy, "maya-okafor", "withdrawn for the test", "tester")
    asyncio.run(QueueEngine(sample_copy).run(until_idle=True))
    done = {j.shot_id: j for j in jobs_of(sample_copy)}
    assert done["s03-maya-stride"].status == "blocked"
    assert "consent" in (done["s03-maya-stride"].error or "")
    assert done["s03-maya-stride"].result_id is None
    assert done["s01-ridge-dawn"].status == "succeeded"
    again = queue(sample_copy, ["s04-summit"])
    assert again[0].status == "blocked"
    assert "consent" in (again[0].error or "")


def test_consent_is_checked_again_right_before_rendering(sample_copy: Path) -> None:
    (job,) = queue(sample_copy, ["s03-maya-stride"])
    assert job.status == "queued"
    cameo = sample_copy / "cameos" / "maya-okafor.yaml"  # edited outside the app: unverified
    cameo.write_text(cameo.read_text().replace("phone: \"+44 7700 900123\"", "phone: \"+44 7700 900999\""))
    asyncio.run(QueueEngine(sample_copy).run(until_idle=True))
    (got,) = jobs_of(sample_copy)
    assert got.status == "blocked", got.error
    assert (got.error or "").startswith("consent:")
    assert got.result_id is None
    assert got.remote_id is None


def test_previz_sample_runs_offline_to_succeeded(sample_copy: Path) -> None:
    from studio.media import probe

    bus = EventBus()
    seen: list[tuple[str, str]] = []
    bus.subscribe(lambda e: seen.append((e.kind, e.data.get("status", ""))))
    queue(sample_copy, None)
    asyncio.run(QueueEngine(sample_copy, bus).run(until_idle=True))
    done = jobs_of(sample_copy)
    assert [j.status for j in done] == ["succeeded"] * 6, [(j.status, j.error) for j in done]
    doc = load_project(sample_copy)
    with Store.for_project(sample_copy).session() as conn:
        for job in done:
            row = conn.execute("SELECT path, thumbnail FROM results WHERE id = ?",
                               (job.result_id,)).fetchone()
            info = probe(sample_copy / row["path"])
            want = doc.project.shot(job.shot_id).duration
            assert info.duration == pytest.approx(want, abs=0.1)
            assert max(info.width, info.height) == 640  # previz renders at 640 px long edge
            assert (info.width > info.height) == (job.shot_id != "s06-city-reel")
            assert (sample_copy / row["thumbnail"]).is_file()
    assert (JOB_CHANGED, "succeeded") in seen
    assert any(k == RESULT_ADDED for k, _ in seen)


def test_a_second_worker_refuses(sample_copy: Path) -> None:
    lock = WorkerLock(sample_copy)
    lock.acquire()
    try:
        assert worker_running(sample_copy)
        with pytest.raises(QueueError, match="another queue worker is already running"):
            asyncio.run(QueueEngine(sample_copy).run(until_idle=True))
        proc = subprocess.run([sys.executable, "-m", "ui.main", "queue", "run", str(sample_copy),
                               "--until-idle"], capture_output=True, text=True, cwd=REPO,
                              timeout=60)
        assert proc.returncode == 1
        assert "another queue worker is already running" in proc.stderr
    finally:
        lock.release()
    assert not worker_running(sample_copy)


def test_cancel_retry_remove_and_decide(sample_copy: Path) -> None:
    a, b = queue(sample_copy, ["s01-ridge-dawn", "s02-lace-up"])
    assert cancel_job(sample_copy, a.id).status == "cancelled"
    with pytest.raises(QueueError, match="already cancelled"):
        cancel_job(sample_copy, a.id)
    with pytest.raises(QueueError, match="cancel it before removing"):
        remove(sample_copy, b.id)
    assert retry_job(sample_copy, a.id).status == "queued"
    cancel_job(sample_copy, a.id)
    remove(sample_copy, a.id)
    assert [j.id for j in jobs_of(sample_copy)] == [b.id]
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        J.transition(store, conn, b.id, ["queued"], "submitting")
        J.note(store, conn, b.id, "lost", needs_decision=1)
    assert decide_job(sample_copy, b.id[:10], resend=False).status == "failed"


def test_provider_without_list_endpoint_asks_the_user(sample_copy: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from studio.providers import registry

    real = registry.provider_table

    def table(settings=None):  # type: ignore[no-untyped-def]
        out = real(settings)
        out["openai"] = dataclasses.replace(out["openai"], list_endpoint=False)
        return out

    monkeypatch.setattr("studio.queue.engine.provider_table", table)
    (job,) = queue(sample_copy, ["s02-lace-up"], provider="openai")
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        J.transition(store, conn, job.id, ["queued"], "submitting", submitted_at=1.0)
    asyncio.run(QueueEngine(sample_copy).run(until_idle=True))
    (got,) = jobs_of(sample_copy)
    assert got.status == "submitting"
    assert got.needs_decision
    assert "studio queue decide" in (got.error or "")
    assert decide_job(sample_copy, job.id, resend=True).status == "queued"


def test_cli_add_list_json_and_refusals(sample_copy: Path) -> None:
    from studio.cli import main

    assert main(["queue", "add", str(sample_copy), "--shot", "s01-ridge-dawn", "--shot",
                 "s02-lace-up", "--provider", "openai", "--variants", "2"]) == 0
    # usage errors exit 2 (argparse): neither --shot nor --all, both, --variants < 1
    for bad in ([], ["--all", "--shot", "s01-ridge-dawn"], ["--all", "--variants", "0"],
                ["--all", "--variants", "-3"], ["--all", "--variants", "two"]):
        with pytest.raises(SystemExit) as info:
            main(["queue", "add", str(sample_copy), *bad])
        assert info.value.code == 2, bad
    assert main(["queue", "add", str(sample_copy), "--shot", "nope"]) == 1
    proc = subprocess.run([sys.executable, "-m", "ui.main", "queue", "list", str(sample_copy),
                           "--json"], capture_output=True, text=True, cwd=REPO, timeout=60)
    items = json.loads(proc.stdout)
    assert len(items) == 4
    for key in ("id", "shot", "provider", "status", "remote_id", "result", "error", "cost"):
        assert key in items[0]
    assert items[0]["cost"] == pytest.approx(0.8)
    proc = subprocess.run([sys.executable, "-m", "ui.main", "providers", "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    ids = [p["id"] for p in json.loads(proc.stdout)]
    assert ids[:2] == ["previz", "openai"]
