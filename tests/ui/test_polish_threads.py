"""GUI-thread hygiene: the keyring, task relays at quit, the sample project copy.

A D-Bus Secret Service can take seconds to answer; these tests put a keyring backend whose
``get_password`` sleeps in front of the dialogs and check, with a QTimer heartbeat, that the
event loop keeps turning while the key states load.

The heartbeat's gaps are measured while a slow read (or the sample copy) is in progress: a
read on the GUI thread leaves no tick for its whole length. The GUI thread's own work around
it (building the dialog, opening the project) is not counted: on a loaded CI machine that
alone can take a few hundred ms (0.27 s seen with six busy loops on two cores).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QMessageBox

from studio.errors import StudioError
from studio.project import load_project
from tests.conftest import MemoryKeyring
from ui import app as ui_app
from ui import tasks
from ui.context import ProjectContext
from ui.mainwindow import MainWindow

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

SLOW_S = 2.0
HEARTBEAT_MS = 20
MAX_GAP_S = 0.3  # a blocked GUI thread would show a gap of ~SLOW_S


class SlowKeyring(MemoryKeyring):
    """A keyring whose reads block like a Secret Service that is slow to answer."""

    def __init__(self, delay: float, users: set[str] | None = None) -> None:
        super().__init__()
        self.delay = delay
        self.users = users  # None: every read is slow
        self.reads: list[str] = []
        self.threads: set[str] = set()
        self.slow: list[tuple[float, float]] = []  # (start, end) of each slow read

    def get_password(self, service: str, username: str) -> str | None:
        self.reads.append(username)
        self.threads.add(threading.current_thread().name)
        if self.users is None or username in self.users:
            start = time.monotonic()
            time.sleep(self.delay)
            self.slow.append((start, time.monotonic()))
        return super().get_password(service, username)


@pytest.fixture
def slow_keyring() -> Iterator[SlowKeyring]:
    previous = keyring.get_keyring()
    backend = SlowKeyring(SLOW_S)
    keyring.set_keyring(backend)
    yield backend
    tasks.wait_for_tasks(30_000)  # nothing may still be reading when the keyring is swapped
    keyring.set_keyring(previous)


class Heartbeat:
    """Counts QTimer ticks and the longest gap between two of them."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.monotonic()))

    def __enter__(self) -> Heartbeat:
        self.ticks.append(time.monotonic())
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.stop()
        self.ticks.append(time.monotonic())

    def max_gap(self, during: list[tuple[float, float]]) -> float:
        """The longest time without a tick within any of the ``during`` intervals (the slow
        operations that ran while the heartbeat was on; there must be at least one)."""
        spans = [(a, b) for a, b in during if self.ticks[0] <= a and b <= self.ticks[-1]]
        assert spans, "no slow operation ran while the heartbeat was on"
        gaps = []
        for a, b in spans:
            points = [a, *(t for t in self.ticks if a < t < b), b]
            gaps.append(max(y - x for x, y in zip(points, points[1:], strict=False)))
        return max(gaps)


def test_settings_dialog_opens_at_once_and_reads_keys_off_the_gui_thread(
        qtbot, slow_keyring: SlowKeyring) -> None:  # noqa: ANN001
    from ui.settings_dialog import SettingsDialog

    slow_keyring.store[("brief-studio", "openai")] = "sk-slow-1"
    with Heartbeat() as beat:
        started = time.monotonic()
        dialog = SettingsDialog()
        qtbot.addWidget(dialog)
        dialog.show()
        opened = time.monotonic() - started
        tab = dialog.provider_tabs["openai"]
        assert tab.checking
        assert "checking" in tab.key_state.text()
        qtbot.waitUntil(lambda: not any(t.checking for t in dialog.provider_tabs.values()),
                        timeout=30_000)
    assert opened < SLOW_S / 2, f"the dialog took {opened:.2f} s to open"
    assert "keyring" in tab.key_state.text()
    assert "missing" in dialog.provider_tabs["luma"].key_state.text()
    gap = beat.max_gap(slow_keyring.slow)
    assert gap < MAX_GAP_S, f"GUI thread stalled {gap:.2f} s"
    assert len(beat.ticks) > SLOW_S * 1000 / HEARTBEAT_MS / 3
    assert threading.main_thread().name not in slow_keyring.threads

    # storing a key goes off the GUI thread too, and the field is cleared at once
    with Heartbeat() as beat:
        tab.key_edit.setText("sk-slow-new")
        tab.store_button.click()
        assert tab.key_edit.text() == ""
        with qtbot.waitSignal(tab.keyStateChanged, timeout=10_000):
            pass
    assert slow_keyring.store[("brief-studio", "openai")] == "sk-slow-new"
    assert "keyring" in tab.key_state.text()
    assert beat.max_gap(slow_keyring.slow) < MAX_GAP_S


def test_queue_dialog_lists_providers_without_blocking(
        qtbot, slow_keyring: SlowKeyring, sample_copy: Path) -> None:  # noqa: ANN001
    from ui.queue_actions import QueueDialog

    slow_keyring.users = {"openai"}  # one slow lookup is enough to show a stall
    ctx = ProjectContext(load_project(sample_copy))
    try:
        with Heartbeat() as beat:
            started = time.monotonic()
            dialog = QueueDialog(ctx, ["s01-ridge-dawn"])
            qtbot.addWidget(dialog)
            dialog.show()
            opened = time.monotonic() - started
            assert not dialog.provider_box.isEnabled()
            assert "Checking" in dialog.provider_box.currentText()
            assert not dialog.ok.isEnabled()
            qtbot.waitUntil(lambda: dialog.plan is not None, timeout=20_000)
        assert opened < SLOW_S / 2
        gap = beat.max_gap(slow_keyring.slow)
        assert gap < MAX_GAP_S, f"GUI thread stalled {gap:.2f} s"
        assert dialog.provider_box.isEnabled()
        assert dialog.provider() == "previz"
        assert "(no key)" in dialog.provider_box.itemText(dialog.provider_box.findData("openai"))
        assert dialog.ok.isEnabled()
        dialog.reject()
    finally:
        tasks.wait_for_tasks()
        ctx.close()


def test_provider_setup_checks_the_keyring_off_the_gui_thread(
        qtbot, slow_keyring: SlowKeyring) -> None:  # noqa: ANN001
    from ui.provider_setup import ProviderSetupWidget

    slow_keyring.users = {"openai"}
    with Heartbeat() as beat:
        started = time.monotonic()
        widget = ProviderSetupWidget(compact=False)
        qtbot.addWidget(widget)
        widget.show()
        opened = time.monotonic() - started
        assert widget.secure is None
        assert not widget.key_edits["openai"].isEnabled()  # not before we know keys can be kept
        assert "checking" in widget.state_labels["openai"].text()
        with qtbot.waitSignal(widget.keysChecked, timeout=20_000) as checked:
            pass
    assert opened < SLOW_S / 2
    assert checked.args == [True]
    gap = beat.max_gap(slow_keyring.slow)
    assert gap < MAX_GAP_S, f"GUI thread stalled {gap:.2f} s"
    assert widget.key_edits["openai"].isEnabled()
    assert widget.keyring_warning.isHidden()
    assert widget.states["openai"] == ("no key", "missing")

    with Heartbeat() as beat:
        widget.key_edits["fal"].setText("fal-key-1:abc")
        with qtbot.waitSignal(widget.keyStored, timeout=10_000) as stored:
            assert widget.store_key("fal")
        assert widget.key_edits["fal"].text() == ""
        qtbot.waitUntil(lambda: widget.states.get("fal", ("", ""))[1] == "ready", timeout=20_000)
    assert stored.args == ["fal", True]
    assert slow_keyring.store[("brief-studio", "fal")] == "fal-key-1:abc"
    assert beat.max_gap(slow_keyring.slow) < MAX_GAP_S


def test_provider_setup_keeps_the_newest_key_states(qtbot) -> None:  # noqa: ANN001
    """A key-state read that started before a key was stored and answers after the read the
    store started is stale: it must not overwrite the newer one (the row said "no key" for a
    key just stored when the first read's thread was descheduled on a loaded machine)."""
    from ui.provider_setup import ProviderSetupWidget

    first_read = threading.Event()
    release = threading.Event()

    class LateFirstRead(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            value = super().get_password(service, username)
            if username == "openai" and not first_read.is_set():
                first_read.set()
                release.wait(30)  # read before the store, answered after it
            return value

    previous = keyring.get_keyring()
    keyring.set_keyring(LateFirstRead())
    try:
        widget = ProviderSetupWidget(compact=False)
        qtbot.addWidget(widget)
        assert first_read.wait(10)
        widget.key_edits["openai"].setText("sk-stored-meanwhile-1")
        with qtbot.waitSignal(widget.keyStored, timeout=20_000):
            assert widget.store_key("openai")
        qtbot.waitUntil(lambda: widget.states.get("openai", ("", ""))[1] == "ready",
                        timeout=20_000)
        release.set()
        assert tasks.wait_for_tasks(30_000)  # the stale answer is posted to the GUI thread
        QCoreApplication.processEvents()  # ... and delivered
        assert widget.states["openai"][1] == "ready"
        assert widget.secure is True
    finally:
        release.set()
        tasks.wait_for_tasks(30_000)
        keyring.set_keyring(previous)


# --- ui.tasks at quit ---------------------------------------------------------------------


def test_a_task_finishing_after_its_relay_is_deleted_stays_quiet(
        qtbot, capfd: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    release = threading.Event()
    delivered: list[object] = []
    tasks.run_task(lambda: release.wait(5) and 42, lambda r, e: delivered.append((r, e)))
    relay = next(iter(tasks._live))
    tasks._live.discard(relay)
    shiboken6.delete(relay)  # what quitting does to a relay whose task still runs
    release.set()
    assert tasks.wait_for_tasks(5_000)
    qtbot.wait(50)
    captured = capfd.readouterr()
    assert "Signal source has been deleted" not in captured.err
    assert "Traceback" not in captured.err
    assert delivered == []


def test_results_are_delivered_and_relays_released(qtbot) -> None:  # noqa: ANN001
    got: list[tuple[object, object]] = []
    before = tasks.pending_tasks()
    tasks.run_task(lambda: 7, lambda r, e: got.append((r, e)))
    tasks.run_task(lambda: 1 / 0, lambda r, e: got.append((r, type(e))))
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5_000)
    assert sorted(got, key=str) == sorted([(7, None), (None, ZeroDivisionError)], key=str)
    assert tasks.pending_tasks() == before


def test_shutdown_waits_briefly_for_running_tasks(caplog: pytest.LogCaptureFixture) -> None:
    tasks.run_task(lambda: time.sleep(0.3))
    started = time.monotonic()
    assert ui_app.finish_tasks(5_000)
    assert time.monotonic() - started < 2.0
    release = threading.Event()
    tasks.run_task(lambda: release.wait(5))
    with caplog.at_level(logging.WARNING, logger="ui.app"):
        started = time.monotonic()
        assert not ui_app.finish_tasks(100)  # a stuck task never hangs the quit
        assert time.monotonic() - started < 1.0
    assert "still running" in caplog.text
    release.set()
    assert tasks.wait_for_tasks(5_000)


# --- Open the sample project ----------------------------------------------------------------


def test_open_sample_copies_off_the_gui_thread(window: MainWindow, qtbot, sample_copy: Path,  # noqa: ANN001
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    copying: list[tuple[float, float]] = []

    def copy() -> Path:
        threads.append(threading.current_thread().name)
        start = time.monotonic()
        time.sleep(2 * MAX_GAP_S)  # on the GUI thread: a gap of at least this long
        copying.append((start, time.monotonic()))
        return sample_copy

    monkeypatch.setattr("ui.mainwindow.sample_project", copy)
    with Heartbeat() as beat:
        window.act_sample.trigger()
        assert "sample" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: window.ctx is not None, timeout=20_000)
    assert threads and threads[0] != threading.main_thread().name
    assert beat.max_gap(copying) < MAX_GAP_S
    assert window.ctx.root == sample_copy


def test_open_sample_failure_is_shown(window: MainWindow, qtbot,  # noqa: ANN001
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Path:
        raise StudioError("/nowhere/projects/aurora-launch: could not copy the sample "
                          "project (disk full)")

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr("ui.mainwindow.sample_project", broken)
    monkeypatch.setattr(QMessageBox, "exec",
                        lambda box: shown.append((box.text(), box.informativeText())) or 0)
    window.start.openSample.emit()
    qtbot.waitUntil(lambda: bool(shown), timeout=5_000)
    assert shown[0][0] == "Could not open the sample project"
    assert "disk full" in shown[0][1]
    assert "/nowhere/projects/aurora-launch" in shown[0][1]
    assert window.statusBar().currentMessage() == "Could not open the sample project"
    assert window.ctx is None
