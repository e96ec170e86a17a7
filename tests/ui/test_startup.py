"""Fast start: what the first painted frame holds, and what waits until after it.

``studio PROJECT`` paints the storyboard before the shot editor, the queue engine and the
start screen's provider/template sections are built (benchmarks/bench_startup.py measures
the time). These tests pin the order and that everything still arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from ui import tasks
from ui.mainwindow import MainWindow
from ui.settings import Settings
from ui.startscreen import StartScreen
from ui.widgets.thumbs import ThumbnailCache

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints", "This plugin does not support")


class FrameSpy(QObject):
    """Records the window's state at each top-level repaint (UpdateRequest)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.frames: list[dict[str, object]] = []
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.UpdateRequest \
                and self.window.ctx is not None:
            page = self.window.pages.get("shots")
            self.frames.append({
                "storyboard": page is not None and page.strip.isVisible()
                and page.model.rowCount(),
                "editor": getattr(page, "_editor", None) is not None,
                "queue": self.window.queue_indicator is not None,
            })
        return False


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    win = MainWindow(Settings(path=None), interactive=False, restore_geometry=False)
    win.start_queue = False  # the bridge and indicator, without an engine thread
    qtbot.addWidget(win)
    yield win
    win.interactive = False
    win.close()
    tasks.wait_for_tasks()


def test_first_frame_with_the_project_shows_the_storyboard_then_the_rest_arrives(
        window: MainWindow, sample_copy: Path, qtbot: QtBot) -> None:
    win = window
    spy = FrameSpy(win)
    with qtbot.waitSignal(win.projectOpened, timeout=20_000):
        win.show()  # as `studio PROJECT` does: show, then open, in the same turn
        win.open_project(sample_copy)
        # not the start screen: the storyboard's preview (tests/ui/test_startup_preview.py)
        assert win.preview_page is not None
        assert win.stack.currentWidget() is win.workspace
    qtbot.waitUntil(lambda: bool(spy.frames), timeout=5_000)
    first = spy.frames[0]
    assert first["storyboard"] == 6
    assert first["editor"] is False  # built after this frame
    assert first["queue"] is False
    page = win.pages["shots"]
    qtbot.waitUntil(lambda: page._editor is not None and win.queue_indicator is not None,
                    timeout=5_000)
    assert page.editor.shot_id == page.current_shot_id() == "s01-ridge-dawn"
    assert page.editor.title.text() == "Ridge at first light"
    assert page.editor_scroll.widget() is page.editor
    qtbot.waitUntil(lambda: "maya-okafor" in page.editor.cameo_names, timeout=10_000)
    # the start screen was hidden before the event loop ran: nothing of it was built
    assert not win.start._populated


def test_editor_asked_for_before_the_paint_is_built_on_the_spot(
        qtbot: QtBot, sample_copy: Path) -> None:
    from studio.project import load_project
    from ui.context import ProjectContext
    from ui.pages.shots import ShotsPage

    ctx = ProjectContext(load_project(sample_copy))
    page = ShotsPage(ctx, None, defer=True)
    qtbot.addWidget(page)
    assert page._editor is None
    assert page.editor.shot_id == "s01-ridge-dawn"  # first access builds and binds it
    page.select_row(2)
    assert page.editor.shot_id == ctx.project.shots[2].id
    ctx.close()


def test_a_project_that_fails_to_open_returns_to_a_complete_start_screen(
        window: MainWindow, tmp_path: Path, qtbot: QtBot) -> None:
    win = window
    win.show()
    win.open_project(tmp_path / "missing")
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.start, timeout=10_000)
    assert "no such project folder" in win.last_error
    qtbot.waitUntil(lambda: win.start._populated and len(win.start._cards) == 4,
                    timeout=10_000)


def test_start_screen_builds_its_sections_when_shown_or_asked(qtbot: QtBot) -> None:
    hidden = StartScreen(recent=[])
    qtbot.addWidget(hidden)
    assert not hidden._populated  # no keyring probe, no template parsing yet
    shown = StartScreen(recent=[])
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(lambda: shown._populated and len(shown._cards) == 4, timeout=10_000)
    assert shown.provider_setup is not None  # first run: the inline setup
    assert not hidden._populated
    assert hidden.provider_setup is not None  # asking builds it
    assert hidden._populated


def test_thumbnails_asked_for_during_a_paint_load_after_it(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "ref.png"
    image = QImage(64, 36, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366cc"))
    assert image.save(str(path))
    cache = ThumbnailCache(QSize(32, 18))
    assert cache.get([path]) is None
    assert cache.get([path]) is None  # asked twice, loaded once
    assert len(cache._queued) == 1  # nothing started while the caller (a paint) runs
    with qtbot.waitSignal(cache.ready, timeout=10_000):
        pass
    pixmap = cache.get([path])
    assert pixmap is not None
    assert pixmap.width() == 32
    assert cache.get([tmp_path / "nope.png"]) is None
    with qtbot.waitSignal(cache.ready, timeout=10_000):
        pass
    assert cache.get([tmp_path / "nope.png"]) is None
    tasks.wait_for_tasks()


def test_a_sideways_phone_photo_is_shown_upright(qtbot: QtBot, tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "phone.jpg"  # stored landscape + EXIF "turn 90° clockwise"
    img = Image.new("RGB", (80, 40), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 40, 40))  # stored left half = upright top half
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(path, format="JPEG", quality=95, exif=exif)
    cache = ThumbnailCache(QSize(20, 40))
    assert cache.get([path]) is None
    with qtbot.waitSignal(cache.ready, timeout=10_000):
        pass
    pixmap = cache.get([path])
    assert pixmap is not None
    shown = pixmap.toImage()
    assert shown.height() > shown.width()  # portrait, as every viewer shows it
    top, bottom = shown.pixelColor(10, 5), shown.pixelColor(10, shown.height() - 5)
    assert (top.red() > 200 and top.blue() < 60, bottom.blue() > 200 and bottom.red() < 60) \
        == (True, True)
    tasks.wait_for_tasks()


def test_studio_project_builds_the_start_screen_only_when_needed(
        qtbot: QtBot, tmp_path: Path) -> None:
    win = MainWindow(Settings(path=None), interactive=False, restore_geometry=False,
                     start_screen=False)
    qtbot.addWidget(win)
    assert win._start is None  # `studio PROJECT`: nothing of the start screen yet
    win.show()
    win.open_project(tmp_path / "missing")
    assert win._start is None
    assert win.stack.currentWidget() is win.opening_page
    # the project did not open: back to a complete start screen, built now
    qtbot.waitUntil(lambda: win._start is not None
                    and win.stack.currentWidget() is win.start, timeout=10_000)
    assert win.stack.indexOf(win.start) == 0
    qtbot.waitUntil(lambda: win.start._populated and len(win.start._cards) == 4,
                    timeout=10_000)
    win.interactive = False
    win.close()
    tasks.wait_for_tasks()


def test_pyside_import_check_is_quick_and_gives_the_same_answers() -> None:
    import sys

    import ui

    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not hasattr(feature, "_mod_uses_pyside"):
        pytest.skip("this PySide6 has no per-module feature check")
    assert ui.quicken_pyside_import_checks()
    quick = feature._mod_uses_pyside
    assert quick._brief_studio_quick
    original = quick._original  # PySide's own check
    for name in ("ui.mainwindow", "ui.tasks", "studio.model", "json", "sys", "_json"):
        __import__(name)
        module = sys.modules[name]
        assert quick(module) == bool(original(module)), name
    assert quick(sys.modules["ui.mainwindow"]) is True
    assert quick(sys.modules["studio.model"]) is False


def test_startup_gc_threshold_is_restored_once_started() -> None:
    import gc

    import ui

    ui.startup_done()
    ui.startup_done()  # idempotent
    assert ui._default_threshold is None
    assert gc.get_threshold()[0] < ui._STARTUP_THRESHOLD
