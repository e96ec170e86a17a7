"""Help > About: versions and licences, the log file path, copy details, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from studio import __version__
from studio.logsetup import configure_logging, log_file_path
from ui.about import AboutDialog, about_text, components, show_about

REQUIRED = ("Brief Studio", "Python", "Qt", "PySide6 (Qt for Python)", "PyAV", "pydantic", "httpx")


def test_components_have_real_versions_and_licences() -> None:
    items = {c.name: c for c in components()}
    for name in REQUIRED:
        assert name in items, name
        assert items[name].version[0].isdigit(), (name, items[name].version)
        assert items[name].licence, name
    assert items["Brief Studio"].version == __version__
    assert items["PySide6 (Qt for Python)"].licence == "LGPL-3.0-only"
    assert "GPL" in items["FFmpeg (in PyAV)"].licence


# the offscreen platform plugin cannot raise windows or propagate size hints: known noise
@pytest.mark.qt_log_ignore("This plugin does not support")
def test_about_dialog_lists_components_and_log_path(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDIO_LOG_DIR", str(tmp_path / "logs"))
    # the file logging uses: an earlier test (or the app) may have configured it elsewhere
    expected = str(log_file_path())
    window = QMainWindow()
    qtbot.addWidget(window)
    dialog = show_about(window)
    assert isinstance(dialog, AboutDialog)
    assert dialog.isVisible()
    assert show_about(window) is dialog, "a second Help > About raises the open dialog"

    model = dialog.table.model()
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert [n for n in names if n in REQUIRED] == list(REQUIRED)
    assert model.index(0, 1).data() == __version__
    assert dialog.log_value.text() == expected
    assert dialog.windowTitle() == "About Brief Studio"

    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied == about_text(dialog.items)
    assert f"Brief Studio {__version__}" in copied
    assert "PyAV" in copied
    assert expected in copied

    image = dialog.grab().toImage()
    assert image.width() >= 500
    assert image.height() >= 400
    # the icon is drawn in the top-left area: not the plain dialog background
    background = image.pixelColor(4, 4)
    assert any(image.pixelColor(x, y) != background for x in range(24, 110, 8) for y in range(24, 110, 8))
    dialog.close()


def test_about_uses_the_configured_log_file(qtbot: QtBot, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    monkeypatch.setenv("STUDIO_LOG_DIR", str(tmp_path / "configured"))
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = configure_logging()
        dialog = AboutDialog()
        qtbot.addWidget(dialog)
        assert dialog.log_path == path
        assert dialog.log_folder() == tmp_path / "configured"
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
