"""Library page: model contract, keyboard review with undo, filters, preview, selected take."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QLoggingCategory, Qt

from studio import results
from studio.events import EventBus
from studio.project import load_project
from tests.unit.test_results import make_mp4
from ui import tasks
from ui.context import ProjectContext

pytestmark = pytest.mark.qt_log_ignore("pipewire", "PulseAudio", "propagateSizeHints",
                                       "va\\(in plugin\\)", "FFmpeg", "No RHI backend")

SHOTS = ["s01-ridge-dawn", "s02-lace-up", "s03-maya-stride"]


@pytest.fixture
def page(qtbot, sample_copy: Path, tmp_path: Path):  # noqa: ANN001, ANN201
    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    tasks.set_synchronous(True)
    for i, shot in enumerate(SHOTS):
        rid = results.ingest(sample_copy, make_mp4(tmp_path / f"{i}.mp4", color=(40 * i, 90, 200)),
                             shot_id=shot, provider="previz", prompt=f"take of {shot} aurora",
                             created_at=1_700_000_000.0 + i)
        if i == 0:
            results.set_tags(sample_copy, rid, ["hero"])
    from ui.pages.library import LibraryPage

    ctx = ProjectContext(load_project(sample_copy), EventBus())
    widget = LibraryPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.shutdown()
    tasks.set_synchronous(False)


def test_model_contract_and_grid(page, qtmodeltester) -> None:  # noqa: ANN001
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 3
    assert page.model.take(0).shot == "s03-maya-stride", "newest first"
    assert page.current_id == page.model.take(0).id
    assert page.details.fields["shot"].text() == "s03-maya-stride"


def test_keyboard_rating_review_and_undo(page, qtbot) -> None:  # noqa: ANN001
    rid = page.current_id
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_4)
    assert results.get_result(page.ctx.root, rid)["rating"] == 4
    assert page.model.take(0).rating == 4
    qtbot.keyClick(page.grid, Qt.Key.Key_P)
    assert results.get_result(page.ctx.root, rid)["review"]["status"] == "approved"
    page.ctx.undo_stack.undo()
    assert results.get_result(page.ctx.root, rid)["review"]["status"] == "pending"
    qtbot.keyClick(page.grid, Qt.Key.Key_X)
    info = results.get_result(page.ctx.root, rid)
    assert info["review"]["status"] == "rejected" and info["rating"] == -1
    from studio.results.xmp import read_xmp
    assert read_xmp(page.ctx.root / "media" / rid / "take.xmp").rating == -1
    qtbot.keyClick(page.grid, Qt.Key.Key_Right)
    assert page.current_id == page.model.take(1).id


def test_filters(page) -> None:  # noqa: ANN001
    page.filters.add_tag("hero")
    assert page.model.rowCount() == 1 and page.model.take(0).shot == "s01-ridge-dawn"
    page.filters.reset()
    assert page.model.rowCount() == 3
    page.filters.search.setText("lace")
    page.filters.emit_changed()
    assert [page.model.take(i).shot for i in range(page.model.rowCount())] == ["s02-lace-up"]


def test_result_added_appears_without_reload(page, tmp_path: Path) -> None:  # noqa: ANN001
    rid = results.ingest(page.ctx.root, make_mp4(tmp_path / "new.mp4"), shot_id="s01-ridge-dawn",
                         created_at=time.time())
    page.model.result_added(rid)
    assert page.model.take(0).id == rid and page.model.rowCount() == 4


def test_set_selected_take_is_undoable(page) -> None:  # noqa: ANN001
    page.set_selected_take()
    shot = page.ctx.project.shot("s03-maya-stride")
    assert shot.selected_take == page.current_id
    page.ctx.undo_stack.undo()
    assert shot.selected_take is None


def test_preview_loads_and_screenshot(page, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    # the video follows the current take after a short pause (not once per arrow key)
    qtbot.waitUntil(lambda: page.preview.player.media.source().isValid(), timeout=20_000)
    source = page.preview.player.media.source().toLocalFile()
    assert source.endswith("take.mp4") and Path(source).is_file()
    # until it plays, the pane shows the take's thumbnail rather than a black video surface
    assert page.preview.screen.currentWidget() is page.preview.poster
    assert page.preview.poster.has_image()
    page.preview.transport.fwd.click()  # a frame step (or play, or scrub) shows the video
    assert page.preview.screen.currentWidget() is page.preview.player.video
    # thumbnails decode on the page's own pool, even with synchronous tasks
    qtbot.waitUntil(lambda: page.thumbs.get(page.model.take(0).thumbnail) is not None,
                    timeout=20_000)
    page.grid.viewport().repaint()
    shot = tmp_path / "library.png"
    assert page.grab().save(str(shot))
    from PySide6.QtGui import QImage
    img = QImage(str(shot))
    # the first grid cell shows the thumbnail (not the grey placeholder)
    assert img.pixelColor(90, 110).name() != "#3a3f44"


def test_arrowing_through_takes_opens_only_the_last_video(page, qtbot) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: page.preview.player.media.source().isValid(), timeout=20_000)
    sources: list[str] = []
    page.preview.player.media.sourceChanged.connect(lambda url: sources.append(url.toLocalFile()))
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_Right)
    qtbot.keyClick(page.grid, Qt.Key.Key_Right)
    last = page.model.take(2).id
    assert page.current_id == last
    assert page.details.fields["id"].value().startswith(last), "details follow at once"
    qtbot.waitUntil(lambda: bool(sources) and last in sources[-1], timeout=20_000)
    assert [s for s in sources if s] == [str(page.ctx.root / "media" / last / "take.mp4")]
