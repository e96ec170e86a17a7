"""Library page: drag-and-drop import, the details panel on long values, lazy counting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLoggingCategory, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication

from studio import results
from studio.events import EventBus
from studio.project import load_project
from studio.store import Store
from tests.unit.test_results import make_mp4
from ui import tasks
from ui.context import ProjectContext

pytestmark = pytest.mark.qt_log_ignore("pipewire", "PulseAudio", "propagateSizeHints",
                                       "va\\(in plugin\\)", "FFmpeg")


@pytest.fixture
def page(qtbot, sample_copy: Path, tmp_path: Path) -> Iterator:  # noqa: ANN001
    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    tasks.set_synchronous(True)
    results.ingest(sample_copy, make_mp4(tmp_path / "first.mp4"), shot_id="s01-ridge-dawn",
                   provider="previz", prompt="a first take", created_at=1_700_000_000.0)
    from ui.pages.library import LibraryPage

    ctx = ProjectContext(load_project(sample_copy), EventBus())
    widget = LibraryPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.shutdown()
    tasks.set_synchronous(False)


def _mime(*paths: Path) -> QMimeData:
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return md


def _drop(page, md: QMimeData) -> tuple[bool, bool]:  # noqa: ANN001
    """Drag ``md`` over the page and drop it; (enter accepted, drop accepted)."""
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPoint(300, 300), actions, md, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    enter.setAccepted(False)
    QGuiApplication.sendEvent(page, enter)
    drop = QDropEvent(QPointF(300, 300), actions, md, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    drop.setAccepted(False)
    if enter.isAccepted():
        QGuiApplication.sendEvent(page, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_videos_imports_them(page, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    clip = make_mp4(tmp_path / "drop" / "clip.mp4", color=(10, 200, 90))
    (tmp_path / "drop" / "clip.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        '<rdf:Description xmp:Rating="4"><dc:subject><rdf:Bag><rdf:li>dropped</rdf:li>'
        '</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>', encoding="utf-8")
    notes = tmp_path / "drop" / "notes.txt"
    notes.write_text("not a video", encoding="utf-8")
    assert _drop(page, _mime(clip, notes)) == (True, True)
    assert page.status.text().startswith("Imported 1 take(s)")
    # the imported take appears without a reload (RESULT_ADDED through the context)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=20_000)
    imported = results.list_results(page.ctx.root, tag="dropped")
    assert len(imported) == 1 and imported[0]["imported"] and imported[0]["rating"] == 4
    assert Path(imported[0]["path"]).is_file() and clip.is_file(), "copied, never moved"
    assert page.model.take(0).id == imported[0]["id"]


def test_drag_of_non_video_files_is_refused(page, tmp_path: Path) -> None:  # noqa: ANN001
    doc = tmp_path / "brief.pdf"
    doc.write_bytes(b"%PDF-1.4")
    assert _drop(page, _mime(doc)) == (False, False)
    text = QMimeData()
    text.setText("just text")
    assert _drop(page, text) == (False, False)
    assert len(results.list_results(page.ctx.root)) == 1


def test_dropped_file_that_does_not_decode_is_reported(page, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    good = make_mp4(tmp_path / "good.mp4", color=(90, 90, 200))
    assert _drop(page, _mime(bad, good)) == (True, True)
    text = page.status.text()
    assert text.startswith("Imported 1 take(s); 1 refused:") and "broken.mp4" in text
    assert len(results.list_results(page.ctx.root)) == 2
    assert not any(p.name.startswith(".") for p in (page.ctx.root / "media").iterdir()), \
        "no half-written take left behind"


def test_details_wrap_long_values_instead_of_scrolling_sideways(page, qtbot) -> None:  # noqa: ANN001
    rid = page.current_id
    long_word = "x" * 300
    with Store.for_project(page.ctx.root).session() as conn:
        conn.execute("UPDATE results SET remote_id = ?, prompt = ?, params_json = ? WHERE id = ?",
                     ("video_" + "f" * 120, "a dolly over the ridge " + long_word,
                      json.dumps({"k": "v" * 400}), rid))
    results.set_review(page.ctx.root, rid, "changes_requested", "Dana",
                       "see https://example.com/" + "a" * 200)
    page._load_details(rid, reload_video=False)
    page.resize(900, 700)
    qtbot.wait(50)
    scroll = page.details_scroll
    assert scroll.horizontalScrollBar().maximum() == 0
    assert page.details.width() <= scroll.viewport().width()
    assert page.details.minimumSizeHint().width() < 420
    sha = page.details.fields["sha"]
    info = results.get_result(page.ctx.root, rid)
    assert sha.value() == info["sha256"]
    assert sha.height() > sha.fontMetrics().height() * 1.5 or \
        sha.fontMetrics().horizontalAdvance(info["sha256"]) <= sha.width(), "wraps or fits"
    assert page.details.fields["made"].geometry().right() <= page.details.width()
    # copying gives the value itself, without the invisible break marks
    sha.copy()
    assert QGuiApplication.clipboard().text() == info["sha256"]
    assert page.details.prompt.horizontalScrollBar().maximum() == 0


def test_count_arrives_after_the_first_page(qtbot, sample_copy: Path) -> None:  # noqa: ANN001
    """The grid shows its first page before the total is counted, then learns it."""
    from ui.library.model import PAGE_SIZE, ResultsModel

    n = PAGE_SIZE + 60
    store = Store.for_project(sample_copy)
    with store.session() as conn, store.transaction(conn):
        conn.executemany(
            "INSERT INTO results (id, shot_id, path, sha256, size, created_at) "
            "VALUES (?, 's01', ?, '0', 1, ?)",
            [(f"rs-{i:05d}", f"media/rs-{i:05d}/take.mp4", 1.7e9 + i) for i in range(n)])
    tasks.set_synchronous(True)
    try:
        model = ResultsModel(sample_copy)
        seen: list[tuple[str, int, bool]] = []
        model.loaded.connect(lambda rows, _s: seen.append(("loaded", rows, model.total_known)))
        model.counted.connect(lambda total: seen.append(("counted", total, model.total_known)))
        model.reload()
        assert seen == [("loaded", PAGE_SIZE, False), ("counted", n, True)]
        assert model.rowCount() == PAGE_SIZE and model.total == n
        assert model.canFetchMore()
        model.fetchMore()
        assert model.rowCount() == n and not model.canFetchMore()
        assert model.take(0).id == f"rs-{n - 1:05d}", "newest first"
        # a filter with one short page is known at once, no separate count
        seen.clear()
        from studio.results.records import ResultFilter

        model.set_filter(ResultFilter(text="nothing matches this"))
        assert seen == [("loaded", 0, True), ("counted", 0, True)]
    finally:
        tasks.set_synchronous(False)
