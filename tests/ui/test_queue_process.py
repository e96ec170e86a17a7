"""The window's queue worker as a child process (ui.queue_bridge, process mode), for real:
previz takes arrive through the child's JSON events, a killed worker is started again and
its jobs finish, and a project whose lock a CLI worker holds is watched instead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.events import JOB_CHANGED, RESULT_ADDED
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.enqueue import enqueue, plan
from studio.store import Store
from ui import tasks
from ui.context import ProjectContext

# the library page loads Qt Multimedia (its player): no audio or VA-API on CI machines
pytestmark = [
    pytest.mark.qt_log_ignore("pipewire", "PulseAudio", "propagateSizeHints", "va-",
                              "va ", "va\\(in plugin\\)", "FFmpeg"),
    pytest.mark.usefixtures("worker_at_test_priority"),
]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ctx(qapp, sample_copy: Path) -> Iterator[ProjectContext]:  # type: ignore[no-untyped-def]
    context = ProjectContext(load_project(sample_copy))
    yield context
    bridge = getattr(context, "_queue_bridge", None)
    if bridge is not None:
        bridge.stop(wait_ms=10_000)
    tasks.wait_for_tasks()
    context.close()


def queue_previz(ctx: ProjectContext, shots: list[str]) -> list[J.Job]:
    return enqueue(ctx.root, plan(ctx.root, ctx.project, shots, "previz", variants=1), ctx.bus)


def statuses(root: Path) -> list[str]:
    with Store.for_project(root).session() as conn:
        return [j.status for j in J.list_jobs(conn)]


def test_takes_arrive_in_queue_page_and_library_from_the_child(qtbot, ctx: ProjectContext) -> None:  # type: ignore[no-untyped-def]
    from ui.pages.library import LibraryPage
    from ui.pages.queue import QueuePage
    from ui.queue_bridge import QueueIndicator

    jobs = queue_previz(ctx, ["s01-ridge-dawn", "s02-lace-up"])
    queue_page = QueuePage(ctx, start_engine=True)  # starts the window's worker process
    qtbot.addWidget(queue_page)
    library = LibraryPage(ctx)
    qtbot.addWidget(library)
    bridge = queue_page.bridge
    assert bridge.mode == "process"
    indicator = QueueIndicator(bridge)
    qtbot.addWidget(indicator)
    events: list[tuple[str, str | None]] = []
    ctx.coreEvent.connect(lambda e: events.append((e.kind, e.data.get("status"))))
    qtbot.waitUntil(lambda: bridge.process is not None and bridge.worker_pid is not None,
                    timeout=30_000)
    assert bridge.worker_pid == bridge.process.processId() != os.getpid()
    qtbot.waitUntil(lambda: library.model.rowCount() == 2, timeout=120_000)
    qtbot.waitUntil(lambda: bridge.active_jobs() == 0, timeout=20_000)
    qtbot.waitUntil(lambda: [j.status for j in queue_page.model.jobs()] == ["succeeded"] * 2,
                    timeout=20_000)
    assert indicator.text() == "Queue: idle"
    assert (RESULT_ADDED, None) in events
    assert [s for k, s in events if k == JOB_CHANGED].count("succeeded") == 2
    assert {j.id for j in jobs} == {j.id for j in queue_page.model.jobs()}


def test_a_killed_worker_is_started_again_and_jobs_finish(qtbot, ctx: ProjectContext) -> None:  # type: ignore[no-untyped-def]
    from ui.queue_bridge import bridge_for

    queue_previz(ctx, ["s01-ridge-dawn", "s02-lace-up", "s05-packshot"])
    bridge = bridge_for(ctx)
    problems: list[str] = []
    bridge.problem.connect(problems.append)
    first_statuses: list[str] = []
    ctx.coreEvent.connect(lambda e: first_statuses.append(e.data.get("status", "")))
    qtbot.waitUntil(lambda: "downloading" in first_statuses, timeout=60_000)
    first_pid = bridge.worker_pid
    assert first_pid
    os.kill(first_pid, signal.SIGKILL)  # mid-render
    qtbot.waitUntil(lambda: any("killed" in p for p in problems), timeout=10_000)
    qtbot.waitUntil(lambda: bridge.worker_pid not in (None, first_pid), timeout=30_000)
    assert bridge.worker == "running"
    qtbot.waitUntil(lambda: statuses(ctx.root) == ["succeeded"] * 3, timeout=180_000)
    qtbot.waitUntil(lambda: bridge.active_jobs() == 0, timeout=20_000)
    with Store.for_project(ctx.root).session() as conn:
        per_job = conn.execute("SELECT job_id, COUNT(*) FROM results GROUP BY job_id").fetchall()
    assert len(per_job) == 3 and all(n == 1 for _, n in per_job)


def test_a_cli_worker_holding_the_lock_is_watched(qtbot, ctx: ProjectContext,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.queue_bridge as QB

    monkeypatch.setattr(QB, "RETRY_LOCK_MS", 500)
    monkeypatch.setattr(QB, "WATCH_MS", 200)
    cli = subprocess.Popen([sys.executable, "-m", "ui.main", "queue", "run", str(ctx.root)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
    try:
        from studio.queue.lock import worker_running

        qtbot.waitUntil(lambda: worker_running(ctx.root), timeout=30_000)
        bridge = QB.bridge_for(ctx)
        events: list[tuple[str, dict]] = []
        ctx.coreEvent.connect(lambda e: events.append((e.kind, dict(e.data))))
        qtbot.waitUntil(lambda: bridge.worker == "elsewhere", timeout=30_000)
        assert "another worker is running this project" in bridge.status_text()
        (job,) = queue_previz(ctx, ["s01-ridge-dawn"])
        bridge.wake()
        # the CLI worker renders it; the window learns it from studio.db
        qtbot.waitUntil(lambda: any(k == JOB_CHANGED and d["job_id"] == job.id
                                    and d["status"] == "succeeded" for k, d in events),
                        timeout=120_000)
        qtbot.waitUntil(lambda: any(k == RESULT_ADDED and d["job_id"] == job.id
                                    for k, d in events), timeout=10_000)
    finally:
        cli.send_signal(signal.SIGTERM)
        cli.communicate(timeout=30)
    # the lock is free: the window takes the queue over
    qtbot.waitUntil(lambda: bridge.worker == "running" and bridge.worker_pid is not None,
                    timeout=30_000)
