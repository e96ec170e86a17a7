"""Queue page, queue confirmation, bridge and settings dialog (offscreen)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.project import load_project
from ui import tasks
from ui.context import ProjectContext

# showing a window on the offscreen platform: Qt notes it cannot propagate size hints
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def ctx(qapp, sample_copy: Path) -> Iterator[ProjectContext]:  # type: ignore[no-untyped-def]
    tasks.set_synchronous(True)
    context = ProjectContext(load_project(sample_copy))
    yield context
    bridge = getattr(context, "_queue_bridge", None)
    if bridge is not None:
        bridge.stop()
    context.close()
    tasks.set_synchronous(False)


@pytest.mark.usefixtures("worker_at_test_priority")
def test_confirm_then_watch_previz_takes_arrive(qtbot, qtmodeltester, ctx: ProjectContext,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    from ui.pages.queue import STATUS, QueuePage
    from ui.queue_actions import queue_shots

    page = QueuePage(ctx, start_engine=False)
    qtbot.addWidget(page)
    page.resize(1100, 460)
    assert page.model.rowCount() == 0
    assert not page.empty.isHidden()

    dialog = queue_shots(ctx, [s.id for s in ctx.project.shots], None)
    qtbot.addWidget(dialog)
    dialog.provider_box.setCurrentIndex(dialog.provider_box.findData("openai"))
    assert dialog.plan is not None
    assert dialog.plan.provider == "openai"
    text = dialog.summary.toPlainText()
    assert "6s → 8s" in text
    assert "$0.80" in dialog.summary.toHtml()
    # sora-2 (4, 8, 12 s): 6 s → 8 (tie → longer), 5 s → 4 (nearest): 36 s × $0.10
    assert "estimated $3.60" in dialog.total.text()
    dialog.resize(760, 520)
    dialog.grab().save(str(tmp_path / "queue-dialog.png"))
    if os.environ.get("STUDIO_SHOTS"):
        dialog.grab().save(os.path.join(os.environ["STUDIO_SHOTS"], "queue-dialog.png"))
    dialog.provider_box.setCurrentIndex(dialog.provider_box.findData("previz"))
    assert "estimated $0.00" in dialog.total.text()
    dialog.ok.click()
    page.refresh()
    assert page.model.rowCount() == 6
    qtmodeltester.check(page.model)

    page.bridge.start()
    qtbot.waitUntil(lambda: (page.refresh() or True) and all(
        j.status == "succeeded" for j in page.model.jobs()), timeout=120_000)
    assert page.bridge.worker == "running"
    qtbot.waitUntil(lambda: page.bridge.active_jobs() == 0, timeout=10_000)
    assert page.bridge.status_text() == "Queue: idle"
    page.bridge.stop()
    assert page.model.index(0, STATUS).data() == "Done"
    page.grab().save(str(tmp_path / "queue.png"))
    if os.environ.get("STUDIO_SHOTS"):
        page.grab().save(os.path.join(os.environ["STUDIO_SHOTS"], "queue.png"))


def select_row(page, row: int) -> None:  # type: ignore[no-untyped-def]
    """Select one row as a plain click would. QTableView.selectRow() honours the keyboard
    modifiers Qt believes are held, and an earlier test's Ctrl+Return that closed its dialog
    can leave Ctrl "held" (the release went to a hidden widget), which turns selectRow into a
    toggle."""
    from PySide6.QtCore import QItemSelectionModel

    flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
             | QItemSelectionModel.SelectionFlag.Rows)
    page.view.selectionModel().select(page.model.index(row, 0), flags)


def test_cancel_retry_remove_buttons(qtbot, ctx: ProjectContext) -> None:  # type: ignore[no-untyped-def]
    from studio.queue.enqueue import enqueue, plan
    from ui.pages.queue import QueuePage

    enqueue(ctx.root, plan(ctx.root, ctx.project, ["s01-ridge-dawn", "s02-lace-up"], "openai",
                           variants=1))
    page = QueuePage(ctx, start_engine=False)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 2
    assert page.budget_bar.format() == "$1.20 of $120.00"
    select_row(page, 0)
    assert page.cancel_button.isEnabled()
    assert not page.remove_button.isEnabled()
    page.cancel_button.click()
    assert page.model.job(0).status == "cancelled"
    select_row(page, 0)
    assert page.retry_button.isEnabled()
    assert page.remove_button.isEnabled()
    page.retry_button.click()
    assert page.model.job(0).status == "queued"
    select_row(page, 0)
    page.cancel_selected()
    select_row(page, 0)
    page.remove_selected()
    assert page.model.rowCount() == 1
    assert page.budget_bar.format() == "$0.40 of $120.00"


def test_status_indicator_counts_active_jobs(qtbot, ctx: ProjectContext) -> None:  # type: ignore[no-untyped-def]
    from studio.queue.enqueue import enqueue, plan
    from ui.queue_bridge import QueueIndicator, bridge_for

    bridge = bridge_for(ctx, autostart=False)
    label = QueueIndicator(bridge)
    qtbot.addWidget(label)
    seen: list[int] = []
    bridge.activeJobsChanged.connect(seen.append)
    enqueue(ctx.root, plan(ctx.root, ctx.project, ["s01-ridge-dawn"], "previz"), ctx.bus)
    qtbot.waitUntil(lambda: bridge.active_jobs() == 1, timeout=5000)
    assert label.text() == "Queue: 0 running, 1 waiting"
    assert seen[-1] == 1


def test_settings_dialog_stores_key_in_keyring_only(qtbot, memory_keyring,  # type: ignore[no-untyped-def]
                                                    isolated_env: Path, tmp_path: Path) -> None:
    tasks.set_synchronous(True)
    try:
        from studio.settings import load_settings, settings_path
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog()
        qtbot.addWidget(dialog)
        tab = dialog.provider_tabs["openai"]
        assert "missing" in tab.key_state.text()
        tab.key_edit.setText("sk-dialog-secret-42")
        tab.store_button.click()
        assert memory_keyring.store[("brief-studio", "openai")] == "sk-dialog-secret-42"
        assert "keyring" in tab.key_state.text()
        assert tab.key_edit.text() == ""
        tab.base_url.setText("ftp://nope")
        dialog.accept()
        assert not dialog.error.isHidden()
        assert "http" in dialog.error.text()
        tab.base_url.setText("http://127.0.0.1:8080/v1")
        tab.concurrency.setValue(5)
        tab.prices["sora-2"].setValue(0.2)
        dialog.tabs.setCurrentWidget(tab)
        dialog.resize(560, 420)
        dialog.grab().save(str(tmp_path / "settings.png"))
        if os.environ.get("STUDIO_SHOTS"):
            dialog.grab().save(os.path.join(os.environ["STUDIO_SHOTS"], "settings.png"))
        dialog.accept()
        s = load_settings().provider("openai")
        assert (s.base_url, s.concurrency, s.prices) == ("http://127.0.0.1:8080/v1", 5,
                                                          {"sora-2": 0.2})
        assert b"sk-dialog-secret" not in settings_path().read_bytes()
    finally:
        tasks.set_synchronous(False)


def test_retry_is_offered_for_a_job_held_by_a_rejected_key(qtbot, ctx: ProjectContext) -> None:  # type: ignore[no-untyped-def]
    from studio.queue import jobs as J
    from studio.queue.engine import key_rejected_reason
    from studio.queue.enqueue import enqueue, plan
    from studio.store import Store
    from ui.pages.queue import QueuePage

    enqueue(ctx.root, plan(ctx.root, ctx.project, ["s01-ridge-dawn"], "openai", variants=1))
    store = Store.for_project(ctx.root)
    with store.session() as conn:
        (job,) = J.list_jobs(conn)
        conn.execute("UPDATE jobs SET error = ? WHERE id = ?",
                     (key_rejected_reason("openai"), job.id))
    page = QueuePage(ctx, start_engine=False)
    qtbot.addWidget(page)
    select_row(page, 0)
    assert page.model.job(0).status == "queued"
    assert page.retry_button.isEnabled()
    page.retry_button.click()
    assert page.model.job(0).status == "queued"
    assert not page.model.job(0).error
    select_row(page, 0)
    assert not page.retry_button.isEnabled()  # an ordinary queued job has nothing to retry


def test_hidden_page_reads_the_jobs_once_when_shown_again(qtbot, monkeypatch,  # type: ignore[no-untyped-def]
                                                          ctx: ProjectContext) -> None:
    from PySide6.QtWidgets import QLabel, QStackedWidget

    from studio.queue.enqueue import enqueue, plan
    from ui.pages import queue as Q

    stack = QStackedWidget()
    qtbot.addWidget(stack)
    page = Q.QueuePage(ctx, start_engine=False)
    other = QLabel("another page")
    stack.addWidget(page)
    stack.addWidget(other)
    stack.show()
    qtbot.waitExposed(stack)
    loads: list[int] = []
    real = Q.J.list_jobs
    monkeypatch.setattr(Q.J, "list_jobs", lambda conn: loads.append(1) or real(conn))

    stack.setCurrentWidget(other)
    for shot in ("s01-ridge-dawn", "s02-lace-up"):  # two job changes on a busy queue
        enqueue(ctx.root, plan(ctx.root, ctx.project, [shot], "previz", variants=1), ctx.bus)
    qtbot.wait(Q.REFRESH_MS * 3)
    assert loads == []  # nobody looks at the list: nothing read
    assert page.model.rowCount() == 0

    stack.setCurrentWidget(page)  # shown again: read once, up to date
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    assert len(loads) == 1

    enqueue(ctx.root, plan(ctx.root, ctx.project, ["s04-summit"], "previz", variants=1),
            ctx.bus)  # while shown, changes arrive as before
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5000)
