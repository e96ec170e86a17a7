"""The take grid's model: a QAbstractListModel over SQL, paged with canFetchMore/fetchMore.

Queries run off the GUI thread (``ui.tasks.run_task``); each answer carries a generation
number so an answer to an older filter is dropped. Rows are compact tuples (a few hundred
bytes each), thumbnails come from :class:`ThumbnailCache` on demand, so 100,000 takes never
become 100,000 objects with pixmaps, let alone widgets.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThread,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QImage, QImageReader, QPixmap

from studio.results.records import ResultFilter
from studio.store import Store
from ui.tasks import run_task

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 240
THUMB_SIZE = QSize(160, 90)

IdRole = Qt.ItemDataRole.UserRole + 1
RowRole = Qt.ItemDataRole.UserRole + 2      # the Take tuple
RatingRole = Qt.ItemDataRole.UserRole + 3
ReviewRole = Qt.ItemDataRole.UserRole + 4
ShotRole = Qt.ItemDataRole.UserRole + 5
ThumbPathRole = Qt.ItemDataRole.UserRole + 6
ConsentRole = Qt.ItemDataRole.UserRole + 7


class Take(NamedTuple):
    id: str
    shot: str | None
    thumbnail: str | None
    rating: int
    review: str
    duration: float | None
    provider: str | None
    consent_flag: str | None
    created_at: float
    missing: bool = False  # the take file is not on disk (checked when the page is read)


_COLUMNS = ("r.id, r.shot_id, r.thumbnail, r.rating, r.review_status, r.duration, r.provider, "
            "r.consent_flag, r.created_at, r.path")


def _take(row: Any, root: Path) -> Take:  # noqa: ANN401
    """A Take from a _COLUMNS row; the last column (the take's path) becomes ``missing``."""
    values = tuple(row)
    rel = values[-1]
    return Take(*values[:-1], missing=not rel or not (root / rel).is_file())


def query_page(store: Store, flt: ResultFilter, offset: int, limit: int) -> list[Take]:
    """One page of takes (see :meth:`ResultFilter.page_sql`). Runs on a worker thread."""
    sql, params = flt.page_sql(_COLUMNS, limit, offset)
    with contextlib.closing(store.connect()) as conn:
        rows = conn.execute(sql, params).fetchall()
    root = store.path.parent
    return [_take(r, root) for r in rows]


def query_count(store: Store, flt: ResultFilter) -> int:
    """How many takes match; asked for after the first page is shown. Worker thread."""
    sql, params = flt.count_sql()
    with contextlib.closing(store.connect()) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


def query_one(store: Store, flt: ResultFilter, result_id: str) -> Take | None:
    where, params, _order = flt.sql()
    clause = f"{where} AND r.id = ?" if where else " WHERE r.id = ?"
    with contextlib.closing(store.connect()) as conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM results r{clause}",
                           [*params, result_id]).fetchone()
    return _take(row, store.path.parent) if row else None


def query_many(store: Store, flt: ResultFilter, result_ids: list[str]) -> list[Take]:
    """The takes among ``result_ids`` that match ``flt``, oldest first. Worker thread."""
    where, params, _order = flt.sql()
    rows: list[Any] = []
    with contextlib.closing(store.connect()) as conn:
        for i in range(0, len(result_ids), 500):  # well under SQLite's variable limit
            part = result_ids[i:i + 500]
            marks = ",".join("?" * len(part))
            clause = f"{where} AND r.id IN ({marks})" if where else f" WHERE r.id IN ({marks})"
            rows += conn.execute(f"SELECT {_COLUMNS} FROM results r{clause}",
                                 [*params, *part]).fetchall()
    rows.sort(key=lambda r: (r[8], r[0]))  # created_at, id
    root = store.path.parent
    return [_take(r, root) for r in rows]


class _ThumbJob(QRunnable):
    def __init__(self, cache: ThumbnailCache, rel: str, path: Path):
        super().__init__()
        self.cache, self.rel, self.path = cache, rel, path

    def run(self) -> None:
        try:
            image = _load_image(self.path)
        except Exception:  # noqa: BLE001 - a bad file is a missing thumbnail
            log.debug("thumbnail %s failed", self.path, exc_info=True)
            image = None
        try:
            self.cache.decoded.emit(self.rel, image)
        except RuntimeError:  # the cache was deleted meanwhile (page closed)
            pass


class ThumbnailCache(QObject):
    """Decoded thumbnails, LRU by count; loads run off the GUI thread, newest request first.

    QImage is decoded and scaled on a worker; the QPixmap is made on the GUI thread. While
    the grid scrolls fast, requests for items already scrolled past are dropped. With a
    ``pool`` of its own, decoding never queues in front of the library's queries on the
    global pool; without one it goes through ``ui.tasks.run_task`` (synchronous in tests).
    """

    loaded = Signal(str)
    decoded = Signal(str, object)  # from _ThumbJob, delivered queued on the GUI thread

    def __init__(self, root: Path, capacity: int = 800, in_flight: int = 4,
                 parent: QObject | None = None, pool: QThreadPool | None = None):
        super().__init__(parent)
        self.root = Path(root)
        self.capacity = capacity
        self.max_in_flight = in_flight
        self.pool = pool
        self.decoded.connect(lambda rel, img: self._done(rel, img, None),
                             Qt.ConnectionType.QueuedConnection)
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._wanted: OrderedDict[str, None] = OrderedDict()  # newest last
        self._running: set[str] = set()
        self._failed: set[str] = set()

    def get(self, rel: str | None) -> QPixmap | None:
        if not rel:
            return None
        pix = self._cache.get(rel)
        if pix is not None:
            self._cache.move_to_end(rel)
            return pix
        if rel not in self._failed and rel not in self._running:
            self._wanted[rel] = None
            self._wanted.move_to_end(rel)
            while len(self._wanted) > 2 * self.capacity:
                self._wanted.popitem(last=False)
            self._pump()
        return None

    def _pump(self) -> None:
        while self._wanted and len(self._running) < self.max_in_flight:
            rel, _ = self._wanted.popitem(last=True)  # newest request first
            self._running.add(rel)
            path = self.root / rel
            if self.pool is not None:
                self.pool.start(_ThumbJob(self, rel, path))
            else:
                run_task(lambda p=path: _load_image(p),
                         lambda img, e, r=rel: self._done(r, img, e))

    def _done(self, rel: str, image: QImage | None, error: BaseException | None) -> None:
        self._running.discard(rel)
        if error is not None or image is None:
            self._failed.add(rel)
        else:
            self._cache[rel] = QPixmap.fromImage(image)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            self.loaded.emit(rel)
        self._pump()

    def clear_failed(self) -> None:
        self._failed.clear()

    def shutdown(self) -> None:
        """Drop queued loads and wait for running ones (before the owner goes away)."""
        self._wanted.clear()
        if self.pool is not None:
            self.pool.clear()
            self.pool.waitForDone(5000)


def thumbnail_pool(parent: QObject | None = None) -> QThreadPool:
    """A small pool of low-priority threads for thumbnail decoding."""
    pool = QThreadPool(parent)
    pool.setMaxThreadCount(2)
    pool.setThreadPriority(QThread.Priority.LowPriority)
    return pool


def _load_image(path: Path) -> QImage | None:
    """Decode a thumbnail at grid size: the JPEG decoder scales while decoding (about half
    the work of decoding in full and scaling after)."""
    if not path.is_file():
        return None
    reader = QImageReader(str(path))
    size = reader.size()
    if size.isValid() and (size.width() > THUMB_SIZE.width()
                           or size.height() > THUMB_SIZE.height()):
        reader.setScaledSize(size.scaled(THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return None
    return image


# built once: the view asks for every painted cell, and combining enum flags is Python work
_ITEM_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
    Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


class ResultsModel(QAbstractListModel):
    """Takes matching :attr:`filter`, loaded page by page as the view asks.

    A (re)load asks for the first page only; when that page is full, the number of all
    matches is counted afterwards on a worker (:attr:`counted`), so a filter shows its first
    rows without waiting for a count over the whole library.
    """

    #: (rows shown, seconds the first page took) after each (re)load
    loaded = Signal(int, float)
    #: the number of all matching takes, once counted
    counted = Signal(int)
    loadFailed = Signal(str)

    def __init__(self, root: Path, parent: QObject | None = None,
                 thumbs: ThumbnailCache | None = None):
        super().__init__(parent)
        self.root = Path(root)
        self.store = Store.for_project(self.root)
        self.filter = ResultFilter()
        self.thumbs = thumbs or ThumbnailCache(self.root, parent=self)
        self.thumbs.loaded.connect(self._thumb_loaded)
        self._rows: list[Take] = []
        # take id -> row - self._shift: a take added at the top shifts every row by one
        # without rewriting this map (O(1) per live take, not O(rows loaded))
        self._row_of: dict[str, int] = {}
        self._shift = 0
        self._total: int | None = 0  # None: more pages exist, count not known yet
        self._exhausted = True          # the last page was short: no more rows
        self._generation = 0
        self._fetching = False
        self._started = 0.0

    # --- loading ----------------------------------------------------------------------
    def set_filter(self, flt: ResultFilter) -> None:
        self.filter = flt
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation, flt = self._generation, self.filter
        self._fetching = True
        self._started = time.perf_counter()
        run_task(lambda: query_page(self.store, flt, 0, PAGE_SIZE),
                 lambda res, err: self._first_page(generation, res, err))

    def _first_page(self, generation: int, res: Any, err: BaseException | None) -> None:  # noqa: ANN401
        if generation != self._generation:
            return
        self._fetching = False
        if err is not None:
            log.warning("library query failed: %s", err)
            self.loadFailed.emit(str(err))
            return
        self.beginResetModel()
        self._rows = list(res)
        self._row_of = {t.id: i for i, t in enumerate(self._rows)}
        self._shift = 0
        self._exhausted = len(self._rows) < PAGE_SIZE
        self._total = len(self._rows) if self._exhausted else None
        self.endResetModel()
        self.loaded.emit(len(self._rows), time.perf_counter() - self._started)
        if self._total is None:
            flt = self.filter
            run_task(lambda: query_count(self.store, flt),
                     lambda n, e: self._counted(generation, n, e))
        else:
            self.counted.emit(self._total)

    def _counted(self, generation: int, n: Any, err: BaseException | None) -> None:  # noqa: ANN401
        if generation != self._generation:
            return
        if err is not None:
            log.warning("library count failed: %s", err)
            return
        if self._total is None:
            self._total = max(int(n), len(self._rows))
            self.counted.emit(self._total)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self._fetching and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        generation, flt, offset = self._generation, self.filter, len(self._rows)
        run_task(lambda: query_page(self.store, flt, offset, PAGE_SIZE),
                 lambda res, err: self._more(generation, offset, res, err))

    def _more(self, generation: int, offset: int, res: Any, err: BaseException | None) -> None:  # noqa: ANN401
        if generation != self._generation:
            return
        self._fetching = False
        if err is not None:
            self.loadFailed.emit(str(err))
            return
        if offset != len(self._rows):
            return  # rows were added meanwhile; the view will ask again
        if len(res) < PAGE_SIZE:
            self._exhausted = True
            if self._total is None:
                self._total = len(self._rows) + len(res)
                self.counted.emit(self._total)
        rows = [t for t in res if t.id not in self._row_of]
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        for i, t in enumerate(rows):
            self._row_of[t.id] = first + i - self._shift
        self._rows.extend(rows)
        self.endInsertRows()

    @property
    def total(self) -> int:
        """All matching takes when counted, else the rows loaded so far (a lower bound)."""
        return len(self._rows) if self._total is None else self._total

    @property
    def total_known(self) -> bool:
        return self._total is not None

    @property
    def busy(self) -> bool:
        return self._fetching

    # --- live updates -----------------------------------------------------------------
    def result_added(self, result_id: str) -> None:
        """A new take: show it at the top (newest order) if it matches the filter."""
        if result_id in self._row_of:
            return
        generation, flt = self._generation, self.filter
        run_task(lambda: query_one(self.store, flt, result_id),
                 lambda take, err: self._added(generation, take, err))

    def results_added(self, result_ids: list[str]) -> None:
        """Several new takes (a burst from the queue): one query, then each as
        :meth:`result_added` shows it."""
        ids = [r for r in dict.fromkeys(result_ids) if r not in self._row_of]
        if not ids:
            return
        if len(ids) == 1:
            self.result_added(ids[0])
            return
        generation, flt = self._generation, self.filter

        def done(takes: list[Take] | None, err: BaseException | None) -> None:
            for take in takes or [None]:  # oldest first: the newest ends on top
                self._added(generation, take, err)

        run_task(lambda: query_many(self.store, flt, ids), done)

    def _added(self, generation: int, take: Take | None, err: BaseException | None) -> None:
        if generation != self._generation or err is not None or take is None \
                or take.id in self._row_of:
            return
        if self._total is not None:
            self._total += 1
        if self.filter.order != "newest":
            if not self._exhausted:
                return  # it will arrive with a later page
            pos = len(self._rows)
        else:
            pos = 0
        self.beginInsertRows(QModelIndex(), pos, pos)
        self._rows.insert(pos, take)
        if pos == 0:
            self._shift += 1
        self._row_of[take.id] = pos - self._shift
        self.endInsertRows()

    def result_changed(self, result_id: str) -> None:
        """Re-read one take (it may stop matching the filter: then it stays until reload)."""
        if result_id not in self._row_of:
            return
        generation = self._generation
        run_task(lambda: query_one(self.store, ResultFilter(), result_id),
                 lambda take, err: self._changed(generation, take, err))

    def _changed(self, generation: int, take: Take | None, err: BaseException | None) -> None:
        if generation != self._generation or err is not None or take is None:
            return
        row = self.row_of(take.id)
        if row is not None:
            self._rows[row] = take
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    def patch(self, result_id: str, **changes: Any) -> None:  # noqa: ANN401
        """Show an edit at once (optimistic); the write runs on a worker."""
        row = self.row_of(result_id)
        if row is None:
            return
        self._rows[row] = self._rows[row]._replace(**changes)
        idx = self.index(row)
        self.dataChanged.emit(idx, idx)

    def _thumb_loaded(self, _rel: str) -> None:
        # one signal for the whole range: the view repaints only what is visible
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1),
                                  [Qt.ItemDataRole.DecorationRole])

    # --- reading ----------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def take(self, row: int) -> Take | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, result_id: str) -> int | None:
        key = self._row_of.get(result_id)
        return None if key is None else key + self._shift

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        t = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return t.shot or "imported"
        if role == Qt.ItemDataRole.ToolTipRole:
            dur = f"{t.duration:.1f}s" if t.duration else "?"
            flag = f"\nconsent: {t.consent_flag}" if t.consent_flag else ""
            gone = "\nthe take file is missing" if t.missing else ""
            return f"{t.id}\nshot {t.shot or '-'} · {dur} · {t.provider or 'imported'}\n" \
                   f"rating {t.rating} · {t.review.replace('_', ' ')}{flag}{gone}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbs.get(t.thumbnail)
        if role == IdRole:
            return t.id
        if role == RowRole:
            return t
        if role == RatingRole:
            return t.rating
        if role == ReviewRole:
            return t.review
        if role == ShotRole:
            return t.shot
        if role == ThumbPathRole:
            return t.thumbnail
        if role == ConsentRole:
            return t.consent_flag
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else _NO_FLAGS

    def roleNames(self) -> dict[int, bytes]:  # noqa: N802
        names = dict(super().roleNames())
        names.update({IdRole: b"resultId", RatingRole: b"rating", ReviewRole: b"review",
                      ShotRole: b"shot", ThumbPathRole: b"thumbnail",
                      ConsentRole: b"consentFlag"})
        return names
