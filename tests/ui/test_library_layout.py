"""Library page at laptop sizes: no clipped filter combos or buttons; missing takes on the card."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QLoggingCategory, QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QComboBox, QDateEdit, QLineEdit, QWidget

from studio import results
from studio.events import EventBus
from studio.project import load_project
from tests.unit.test_results import make_mp4
from ui import tasks
from ui.context import ProjectContext

pytestmark = pytest.mark.qt_log_ignore("pipewire", "PulseAudio", "propagateSizeHints",
                                       "va\\(in plugin\\)", "FFmpeg")

SHOTS = ["s01-ridge-dawn", "s02-lace-up", "s03-maya-stride"]


@pytest.fixture
def page(qtbot, sample_copy: Path, tmp_path: Path):  # noqa: ANN001, ANN201
    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    tasks.set_synchronous(True)
    for i, shot in enumerate(SHOTS):
        results.ingest(sample_copy, make_mp4(tmp_path / f"{i}.mp4", color=(40 * i, 90, 200)),
                       shot_id=shot, provider="previz", prompt=f"take of {shot}",
                       created_at=1_700_000_000.0 + i)
    from ui.pages.library import LibraryPage

    ctx = ProjectContext(load_project(sample_copy), EventBus())
    widget = LibraryPage(ctx)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()
    tasks.set_synchronous(False)


def controls(page: QWidget) -> list[QWidget]:
    f = page.filters
    return [f.search, f.tag_input, f.order, f.rating, f.status, f.shot, f.provider, f.since,
            f.until, f.clear, page.btn_select, page.btn_compare, page.btn_variations,
            page.btn_remix, page.btn_extend, page.btn_import]


def rect_in(page: QWidget, w: QWidget) -> QRect:
    return QRect(w.mapTo(page, QPoint(0, 0)), w.size())


# (page width, height): the page inside a 1280×800 window (the sidebar takes ~210 px), a
# smaller laptop window, and a wide screen
@pytest.mark.parametrize("size", [(1070, 760), (900, 700), (1700, 1000)])
def test_nothing_is_clipped_or_overlapping(page, qtbot, size: tuple[int, int]) -> None:  # noqa: ANN001
    page.resize(*size)
    page.show()
    qtbot.waitExposed(page)
    qtbot.wait(20)
    left = page.splitter.widget(0)
    pane = rect_in(page, left)
    placed = []
    for w in controls(page):
        assert w.isVisible(), w
        hint = w.sizeHint()
        if isinstance(w, QComboBox | QAbstractButton | QDateEdit):
            # the whole label fits: never narrower than the control asks for
            assert w.width() >= hint.width(), (w.accessibleName() or w.objectName() or
                                               getattr(w, "text", lambda: "")(), w.width(),
                                               hint.width())
        if isinstance(w, QComboBox):
            longest = max(w.fontMetrics().horizontalAdvance(w.itemText(i))
                          for i in range(w.count()))
            assert w.width() > longest, (w.currentText(), w.width(), longest)
        if not isinstance(w, QLineEdit):
            r = rect_in(page, w)
            assert pane.contains(r), (w, r, pane)  # inside the grid's pane, not cut off
            placed.append((w, r))
    for i, (a, ra) in enumerate(placed):
        for b, rb in placed[i + 1:]:
            assert not ra.intersects(rb), (a, ra, b, rb)
    # the full labels are there (nothing elided by the style)
    assert page.btn_select.text() == "Set as selected take"
    assert page.filters.clear.text() == "Clear filters"
    # the grid keeps most of the height
    assert page.grid.height() > size[1] * 0.5


def test_filter_choices_refilled_later_still_fit(page, qtbot) -> None:  # noqa: ANN001
    page.resize(1070, 760)
    page.show()
    qtbot.waitExposed(page)
    page.filters.set_choices(["s01-ridge-dawn", "a-very-long-shot-identifier-indeed"],
                             ["previz", "openai"], [])
    page.filters.shot.setCurrentIndex(2)
    qtbot.wait(20)
    combo = page.filters.shot
    text_w = combo.fontMetrics().horizontalAdvance(combo.currentText())
    assert combo.width() > text_w
    assert rect_in(page, page.splitter.widget(0)).contains(rect_in(page, combo))


def test_missing_take_shows_on_the_grid_card(page, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    page.resize(1070, 760)
    page.show()
    qtbot.waitExposed(page)
    model = page.model
    row = next(i for i in range(model.rowCount()) if model.take(i).shot == "s02-lace-up")
    rid = model.take(row).id
    assert not model.take(row).missing
    (page.ctx.root / "media" / rid / "take.mp4").unlink()
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=20_000)
    row = model.row_of(rid)
    assert model.take(row).missing
    assert not any(model.take(i).missing for i in range(3) if i != row)
    tip = model.data(model.index(row), Qt.ItemDataRole.ToolTipRole)
    assert "the take file is missing" in tip
    # the card paints a red "file missing" band across the bottom of its thumbnail
    page.grid.viewport().repaint()
    shot = tmp_path / "grid.png"
    assert page.grid.viewport().grab().save(str(shot))
    img = QImage(str(shot))
    cell = page.grid.visualRect(model.index(row))
    other = page.grid.visualRect(model.index((row + 1) % 3))
    # bottom strip of the thumbnail: (4 px cell margin + 2 px) + 90 px thumbnail height
    y = cell.top() + 4 + 2 + 90 - 6

    def red(x: int, y: int) -> bool:
        c = img.pixelColor(x, y)
        return c.red() > 150 and c.green() < 100 and c.blue() < 100

    assert red(cell.left() + 30, y), img.pixelColor(cell.left() + 30, y).name()
    assert not red(other.left() + 30, other.top() + 4 + 2 + 90 - 6)
