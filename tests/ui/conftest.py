"""Fixtures shared by the window tests."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

import ui.queue_bridge as queue_bridge
from ui import tasks
from ui.mainwindow import MainWindow
from ui.settings import Settings


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:  # noqa: ANN001
    """A main window with its own settings file and no queue worker; closed afterwards, once
    its background tasks are done."""
    win = MainWindow(Settings(path=tmp_path / "ui-settings.json"), restore_geometry=False)
    win.start_queue = False
    qtbot.addWidget(win)
    yield win
    win.interactive = False
    win.close()
    tasks.wait_for_tasks()


@pytest.fixture
def worker_at_test_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's queue worker process runs at the test's CPU priority, not niced to
    ``WORKER_NICE``. At nice 10 on a loaded CI machine the worker gets about a tenth of the
    share of any other busy process: a few seconds of previz rendering stretched to 80+ s
    with three busy loops on two cores (the waits allow 120 s). The renice itself is
    tested in test_queue_worker_priority.py; these tests are about what the worker does."""
    monkeypatch.setattr(queue_bridge, "lower_priority",
                        functools.partial(queue_bridge.lower_priority, nice=0))
