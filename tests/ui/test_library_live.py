"""Library page: takes arriving from the queue in a burst (one query, rows and ids consistent),
and the take delegate paints from the model's row and thumbnail cache."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QLoggingCategory

from studio import events, results
from studio.events import EventBus
from studio.project import load_project
from tests.unit.test_results import make_mp4
from ui import tasks
from ui.context import ProjectContext

pytestmark = pytest.mark.qt_log_ignore("pipewire", "PulseAudio", "propagateSizeHints",
                                       "va\\(in plugin\\)", "FFmpeg", "No RHI backend")


@pytest.fixture
def page(qtbot, sample_copy: Path, tmp_path: Path):  # noqa: ANN001, ANN201
    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    tasks.set_synchronous(True)
    results.ingest(sample_copy, make_mp4(tmp_path / "first.mp4"), shot_id="s01-ridge-dawn",
                   provider="previz", created_at=1_700_000_000.0)
    from ui.pages.library import LibraryPage

    ctx = ProjectContext(load_project(sample_copy), EventBus())
    widget = LibraryPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.shutdown()
    tasks.set_synchronous(False)


def test_a_burst_of_new_takes_is_one_query_newest_on_top(page, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    ids = [results.ingest(page.ctx.root, make_mp4(tmp_path / f"n{i}.mp4", color=(30 * i, 90, 90)),
                          shot_id="s02-lace-up", created_at=time.time() + i) for i in range(3)]
    queries = []
    model = page.model
    real = model.results_added
    model.results_added = lambda rids: (queries.append(list(rids)), real(rids))  # type: ignore[method-assign]
    for rid in reversed(ids):  # arrival order does not matter
        page.ctx.bus.publish(events.RESULT_ADDED, result_id=rid, shot_id="s02-lace-up",
                             job_id=None)
    qtbot.waitUntil(lambda: model.rowCount() == 4, timeout=20_000)
    assert len(queries) == 1
    assert sorted(queries[0]) == sorted(ids)
    assert [model.take(i).id for i in range(3)] == list(reversed(ids))
    # ids map to rows after inserts at the top; edits land on the right row
    for row in range(model.rowCount()):
        assert model.row_of(model.take(row).id) == row
    model.patch(ids[0], rating=4)
    assert model.take(2).id == ids[0]
    assert model.take(2).rating == 4
    model.results_added(ids)  # known already: nothing happens
    assert model.rowCount() == 4


def test_delegate_paints_every_state(page) -> None:  # noqa: ANN001
    from PySide6.QtGui import QImage, QPainter

    from ui.library.delegate import CELL

    model = page.model
    take = model.take(0)
    for changes in ({"rating": -1, "review": "rejected", "consent_flag": "revoked"},
                    {"missing": True}, {"rating": 5, "review": "changes_requested"},
                    {"review": "odd", "duration": None, "shot": None}):
        model._rows[0] = take._replace(**changes)
        image = QImage(CELL, QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QPainter(image)
        from PySide6.QtWidgets import QStyleOptionViewItem

        option = QStyleOptionViewItem()
        option.rect = image.rect()
        option.palette = page.grid.palette()
        page.grid.itemDelegate().paint(painter, option, model.index(0))
        painter.end()
        assert image.pixel(CELL.width() // 2, 40) != 0  # the thumbnail area was drawn
