"""Fixtures shared by the window tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
