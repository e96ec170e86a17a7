"""The first frame of ``studio PROJECT`` is the storyboard painted from a preview of
project.yaml (studio.preview), before pydantic is imported and the brief validated
(ui/mainwindow.py's module doc, docs/performance.md "startup_ratio"). These tests pin that
the preview shows what the validated storyboard shows, that nothing can be edited before
the validated project is in, and that a project failing validation is reported as ever."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from studio.preview import read_preview
from studio.project import load_project
from ui import tasks
from ui.context import ProjectContext
from ui.mainwindow import MainWindow
from ui.pages.shots import ShotsPage
from ui.pages.storyboard import PreviewPage
from ui.settings import Settings
from ui.widgets.shotcard import (
    ConsentRole,
    NumberRole,
    ShotIdRole,
    ShotRole,
    shot_card_data,
    shot_summary,
)

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints", "This plugin does not support")

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
         Qt.ItemDataRole.AccessibleTextRole, ShotIdRole, NumberRole, ConsentRole)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(Settings(path=tmp_path / "settings.json"), interactive=True,
                     restore_geometry=False)
    win.start_queue = False
    qtbot.addWidget(win)
    yield win
    win.interactive = False
    win.close()
    tasks.wait_for_tasks()


def _cards(page: PreviewPage | ShotsPage) -> list[tuple[object, ...]]:
    model = page.model
    out = []
    for row in range(model.rowCount()):
        shot = model.index(row).data(ShotRole)
        # consent problems come from the check run after the first paint: compare without
        out.append((*(shot_card_data(shot, row, role, []) for role in ROLES),
                    shot_summary(shot), bool(shot.cameos), tuple(page.thumb_paths(shot))))
    return out


def test_the_preview_cards_are_the_validated_storyboards(qtbot: QtBot,
                                                         sample_copy: Path) -> None:
    preview = read_preview(sample_copy)
    assert preview is not None
    fast = PreviewPage(preview)
    ctx = ProjectContext(load_project(sample_copy))
    real = ShotsPage(ctx, None, defer=True)
    for page in (fast, real):
        qtbot.addWidget(page)
        page.resize(1072, 760)
    assert _cards(fast) == _cards(real)
    assert len(_cards(fast)) == 6
    assert fast.summary.text() == real.summary.text() == "6 shot(s) · 33s"
    assert fast.current_row() == real.current_row() == 0
    # the preview's consent problems are pending (none shown), as on the real first frame
    assert all(fast.model.index(r).data(ConsentRole) == [] for r in range(6))
    # the strips paint the same pixels (no thumbnail is loaded yet in either)
    assert fast.strip.grab().toImage() == real.strip.grab().toImage()
    ctx.close()


def test_studio_project_paints_the_preview_then_the_validated_page(
        window: MainWindow, sample_copy: Path, qtbot: QtBot) -> None:
    win = window
    with qtbot.waitSignal(win.previewShown, timeout=20_000) as shown:
        win.show()
        win.open_project(sample_copy)
    assert shown.args[0].name == "Aurora Trail 2 — Run Before the Sun"
    page = win.preview_page
    assert page is not None
    assert win.ctx is None
    page.select_row(2)  # selecting is not editing: carried over to the real page
    win.page_buttons["brief"].click()  # remembered until the project is in
    assert win.pages == {}
    with qtbot.waitSignal(win.projectOpened, timeout=20_000):
        pass
    assert win.preview_page is None
    assert win.ctx is not None
    assert win.current_page() == "brief"
    shots = win.pages["shots"]
    assert isinstance(shots, ShotsPage)
    assert shots.current_row() == 2
    assert shots.strip_buttons["add"].isEnabled()
    assert shots.strip.dragEnabled()
    assert win.act_save.isEnabled()
    assert win.act_add_shot.isEnabled()


def test_a_project_failing_validation_shows_the_error_and_nothing_was_editable(
        window: MainWindow, tmp_path: Path, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    # the storyboard's fields are fine (so it is previewed); the usage is not a usage
    content = ("schema_version: 1\nname: Broken\nusage: [television]\nshots:\n"
               "  - id: s1\n    title: One\n    duration: 5\n")
    (root / "project.yaml").write_text(content, encoding="utf-8")
    messages: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        messages.append(box.text() + "\n" + box.informativeText())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    win = window
    with qtbot.waitSignal(win.previewShown, timeout=20_000):
        win.show()
        win.open_project(root)
    page = win.preview_page
    assert page is not None
    assert page.model.index(0).data(Qt.ItemDataRole.DisplayRole) == "One"
    # nothing is editable while the preview is up
    assert win.ctx is None
    assert win.pages == {}
    assert page.editor_scroll.widget() is None  # no shot editor
    assert not any(b.isEnabled() for b in page.strip_buttons.values())
    assert not page.strip.dragEnabled()
    assert not page.strip.acceptDrops()
    for act in (win.act_save, win.act_close, win.act_add_shot, win.act_dup_shot,
                win.act_del_shot, win.act_left, win.act_right, win.act_undo, win.act_redo,
                win.act_export, win.act_queue_shot, win.act_queue_all, win.act_compare):
        assert not act.isEnabled(), act.text()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "take.mp4"))])
    drag = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, drag)
    assert not drag.isAccepted()  # a video dropped now is refused
    win.show_page("shots")
    assert win.pages == {}
    # then validation fails: the usual dialog, the start screen, the file untouched
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=20_000)
    assert "Could not open the project" in messages[0]
    assert "project.yaml:3:" in messages[0]
    assert win.preview_page is None
    assert win.workspace is None
    assert win.ctx is None
    assert win.stack.currentWidget() is win.start
    assert (root / "project.yaml").read_text(encoding="utf-8") == content
    assert sorted(p.name for p in root.iterdir()) == ["project.yaml"]


def test_a_file_needing_migration_is_not_previewed(window: MainWindow, tmp_path: Path,
                                                   qtbot: QtBot) -> None:
    root = tmp_path / "old"
    root.mkdir()
    (root / "project.yaml").write_text(
        "schema_version: 0\nname: Old\nshots:\n  - id: s1\n    camera: {lens: 35mm}\n",
        encoding="utf-8")
    previews: list[object] = []
    win = window
    win.previewShown.connect(previews.append)
    with qtbot.waitSignal(win.projectOpened, timeout=20_000):
        win.show()
        win.open_project(root)
    assert previews == []
    assert win.ctx is not None
    assert win.ctx.project.shots[0].direction.lens_mm == 35


def test_the_first_frame_imports_no_pydantic() -> None:
    code = ("import sys, ui.app, ui.mainwindow, ui.pages.storyboard, studio.preview; "
            "assert 'pydantic' not in sys.modules, 'pydantic imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2],
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def test_a_window_already_on_screen_reads_the_preview_in_a_worker(
        window: MainWindow, sample_copy: Path, qtbot: QtBot) -> None:
    win = window
    win.show()
    qtbot.waitUntil(lambda: win._painted, timeout=10_000)  # e.g. the start screen is up
    with qtbot.waitSignal(win.previewShown, timeout=20_000):
        win.open_project(sample_copy)
        assert win.stack.currentWidget() is win.opening_page  # until the worker is back
    with qtbot.waitSignal(win.projectOpened, timeout=20_000):
        pass
    assert win.ctx is not None
    assert win.pages["shots"].model.rowCount() == 6
