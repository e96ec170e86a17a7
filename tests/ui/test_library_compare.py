"""Library page: A/B compare of two takes (loaded side by side, one transport, kept in sync)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QLoggingCategory
from PySide6.QtMultimedia import QMediaPlayer

from studio import results
from studio.events import EventBus
from studio.project import load_project
from tests.unit.test_results import make_mp4
from ui import tasks
from ui.context import ProjectContext

pytestmark = pytest.mark.qt_log_ignore("pipewire", "PulseAudio", "propagateSizeHints",
                                       "va\\(in plugin\\)", "FFmpeg")


@pytest.fixture
def page(qtbot, sample_copy: Path, tmp_path: Path) -> Iterator:  # noqa: ANN001
    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    tasks.set_synchronous(True)
    for i, (shot, color) in enumerate((("s01-ridge-dawn", (200, 40, 40)),
                                       ("s02-lace-up", (40, 200, 40)))):
        # 6 s at 12 fps: long enough to seek and step inside, and for playing from ~1 s
        # not to reach the end before a loaded machine's GUI thread pauses it again
        results.ingest(sample_copy, make_mp4(tmp_path / f"{i}.mp4", color=color, frames=72),
                       shot_id=shot, provider="previz", prompt=f"take of {shot}",
                       created_at=1_700_000_000.0 + i)
    from ui.pages.library import LibraryPage

    ctx = ProjectContext(load_project(sample_copy), EventBus())
    widget = LibraryPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.shutdown()
    tasks.set_synchronous(False)


def _select_both(page) -> list[str]:  # noqa: ANN001
    sel = page.grid.selectionModel()
    for row in (0, 1):
        sel.select(page.model.index(row), QItemSelectionModel.SelectionFlag.Select)
    return page.selected_ids()


def test_compare_needs_two_takes(page) -> None:  # noqa: ANN001
    page.grid.selectionModel().clearSelection()
    page.grid.selectionModel().select(page.model.index(0),
                                      QItemSelectionModel.SelectionFlag.Select)
    page.compare_selected()
    assert "Select two takes" in page.status.text()
    assert page.tabs.currentWidget() is not page.compare
    assert page.compare.ids == (None, None)


def test_compare_loads_both_and_keeps_them_in_sync(page, qtbot) -> None:  # noqa: ANN001
    ids = _select_both(page)
    assert len(ids) == 2
    page.btn_compare.click()
    cmp = page.compare
    assert page.tabs.currentWidget() is cmp
    assert cmp.ids == (ids[0], ids[1])
    assert cmp.label_a.text() == f"A: {ids[0]} · s02-lace-up · pending"
    assert cmp.label_b.text() == f"B: {ids[1]} · s01-ridge-dawn · pending"
    for player, rid in ((cmp.a, ids[0]), (cmp.b, ids[1])):
        src = Path(player.media.source().toLocalFile())
        assert src == page.ctx.root / "media" / rid / "take.mp4" and src.is_file()
    assert cmp.b.audio.isMuted(), "one soundtrack at a time"

    loaded = {QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia}
    qtbot.waitUntil(lambda: cmp.a.media.mediaStatus() in loaded
                    and cmp.b.media.mediaStatus() in loaded, timeout=30_000)
    qtbot.waitUntil(lambda: cmp.a.media.duration() > 1500, timeout=20_000)

    # scrubbing moves both
    cmp.seek(1000)
    qtbot.waitUntil(lambda: abs(cmp.a.media.position() - 1000) < 90
                    and abs(cmp.b.media.position() - 1000) < 90, timeout=20_000)

    # B drifting away from A is pulled back on A's next position report
    cmp.b.media.setPosition(200)
    qtbot.waitUntil(lambda: cmp.b.media.position() < 400, timeout=20_000)
    cmp._sync(cmp.a.media.position())
    qtbot.waitUntil(lambda: abs(cmp.b.media.position() - cmp.a.media.position()) <= 90,
                    timeout=20_000)

    # a frame step pauses both and moves B with A
    before = cmp.a.media.position()
    cmp.step(1)
    qtbot.waitUntil(lambda: cmp.a.media.position() > before, timeout=20_000)
    qtbot.waitUntil(lambda: abs(cmp.b.media.position() - cmp.a.media.position()) <= 90,
                    timeout=20_000)
    assert cmp.a.media.playbackState() != QMediaPlayer.PlaybackState.PlayingState
    assert cmp.b.media.playbackState() != QMediaPlayer.PlaybackState.PlayingState

    # one transport plays and pauses both
    cmp.toggle()
    qtbot.waitUntil(lambda: cmp.a.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
                    and cmp.b.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState,
                    timeout=20_000)
    assert cmp.transport.play.text() == "❚❚"
    cmp.toggle()
    qtbot.waitUntil(lambda: cmp.b.media.playbackState() != QMediaPlayer.PlaybackState.PlayingState,
                    timeout=20_000)
    assert cmp.transport.play.text() == "▶"


def test_compare_screenshot_shows_both_takes(page, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    _select_both(page)
    page.compare_selected()
    cmp = page.compare
    loaded = {QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia}
    qtbot.waitUntil(lambda: cmp.a.media.mediaStatus() in loaded
                    and cmp.b.media.mediaStatus() in loaded, timeout=30_000)
    shot = tmp_path / "compare.png"
    assert page.grab().save(str(shot))
    assert cmp.a.video.isVisible() and cmp.b.video.isVisible()
    # side by side: B's surface starts to the right of A's, both the same height
    a_geo = cmp.a.video.geometry()
    b_geo = cmp.b.video.geometry()
    assert b_geo.left() >= a_geo.right() and a_geo.height() == b_geo.height() > 90
