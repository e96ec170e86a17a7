"""The Library page: every take of the project, found, previewed, reviewed and compared.

Grid: a QListView in icon mode over :class:`ui.library.model.ResultsModel` (SQL, paged,
thumbnails loaded lazily off the GUI thread). Keys on the grid: 1–5 rate, 0 clear the
rating, X reject, P approve, Space play/pause, arrows move, Ctrl+F search. Rating, review and
tag edits are undoable (the window's undo stack); each write runs on a worker and rewrites
the take's XMP sidecar. Video files dropped on the page are imported.

Remix… and Extend… open :class:`ui.library.derive.DeriveDialog` (prompt, length, estimated
cost) and queue a job whose take points to the current one; they are enabled only where the
take's provider can do it (:func:`studio.queue.enqueue.derivations`, which also gives the
tooltip saying why not). The lineage tree in the details follows new takes of the shot.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
    QUndoCommand,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio import events
from studio.results import records
from studio.results.importer import import_files
from studio.store import Store
from ui import commands
from ui.context import ProjectContext
from ui.library.delegate import CELL, TakeDelegate
from ui.library.derive import DeriveDialog, lineage_with_kinds
from ui.library.model import ResultsModel, Take, ThumbnailCache, thumbnail_pool
from ui.library.panels import DetailsPanel, FilterBar, FlowLayout
from ui.library.preview import CompareView, PreviewPlayer
from ui.tasks import run_task

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".mkv"}
VIDEO_DELAY_MS = 150
#: takes arriving from the queue within this long are shown with one query and followed by one
#: refresh of the filter choices and the lineage (100 finishing jobs: a few worker tasks on
#: this process's GIL, not 300)
ADDED_COALESCE_MS = 300
RATING_KEYS = {Qt.Key.Key_0: 0, Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3,
               Qt.Key.Key_4: 4, Qt.Key.Key_5: 5}


class ResultEditCommand(QUndoCommand):
    """One undoable change of a take (rating, review or tags); writes run on a worker."""

    def __init__(self, page: LibraryPage, result_id: str, kind: str, old: Any,  # noqa: ANN401
                 new: Any, text: str):  # noqa: ANN401
        super().__init__(text)
        self.page, self.result_id, self.kind, self.old, self.new = page, result_id, kind, old, new

    def redo(self) -> None:
        self.page.apply_edit(self.result_id, self.kind, self.new)

    def undo(self) -> None:
        self.page.apply_edit(self.result_id, self.kind, self.old)


class GridView(QListView):
    """A wrapping list of uniform cells; review keys go to the page, the rest to QListView.

    List mode with left-to-right flow and wrapping, not icon mode: icon mode keeps a
    spatial tree of every item and relays it all out when a page of rows arrives, while
    list mode with uniform sizes places a cell by arithmetic.
    """

    def __init__(self, page: LibraryPage):
        super().__init__(page)
        self.page = page
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setGridSize(CELL)
        self.setIconSize(QSize(160, 90))
        self.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.setSpacing(0)
        self.setWrapping(True)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                 Qt.KeyboardModifier.KeypadModifier) and \
                self.page.review_key(event.key()):
            event.accept()
            return
        super().keyPressEvent(event)


class LibraryPage(QWidget):
    def __init__(self, ctx: ProjectContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setAcceptDrops(True)
        self.current_id: str | None = None
        self.current_info: dict[str, Any] | None = None
        self._query_ms = 0.0
        # the video follows the current take after a short pause: arrowing through the grid
        # or changing a filter does not open a media file per step
        self._pending_video: tuple[Path, str, float | None] | None = None
        self._video_timer = QTimer(self, singleShot=True, interval=VIDEO_DELAY_MS)
        self._video_timer.timeout.connect(self._load_pending_video)
        self._added_ids: list[str] = []
        self._added_shots: set[str | None] = set()
        self._added_timer = QTimer(self, singleShot=True, interval=ADDED_COALESCE_MS)
        self._added_timer.timeout.connect(self._takes_added)
        self._choices: tuple[list[str], list[str], list[str]] | None = None

        self.filters = FilterBar(self)
        self.thumbs = ThumbnailCache(ctx.root, parent=self, pool=thumbnail_pool(self))
        self.model = ResultsModel(ctx.root, self, thumbs=self.thumbs)
        self.grid = GridView(self)
        self.grid.setModel(self.model)
        self.grid.setItemDelegate(TakeDelegate(self.grid))
        self.status = QLabel(self.tr("Loading takes…"))
        self.status.setObjectName("libraryStatus")
        # long messages ("Imported 3 take(s)…", errors) wrap instead of widening the pane
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # the actions keep their full labels and wrap onto a second row in a narrow pane
        bar = FlowLayout()
        self.btn_select = QToolButton(text=self.tr("Set as selected take"))
        self.btn_select.setToolTip(self.tr("Show this take on the shot's storyboard card"))
        self.btn_compare = QToolButton(text=self.tr("Compare A/B"))
        self.btn_compare.setToolTip(self.tr("Select two takes (Ctrl+click) and compare them in sync"))
        self.btn_variations = QToolButton(text=self.tr("Variations"))
        self.btn_variations.setToolTip(
            self.tr("Queue another take of this shot with the same provider"))
        self.btn_remix = QToolButton(text=self.tr("Remix…"))
        self.btn_extend = QToolButton(text=self.tr("Extend…"))
        self.btn_remix.setAccessibleName(self.tr("Remix take"))
        self.btn_extend.setAccessibleName(self.tr("Extend take"))
        #: why remix / extend cannot start from the current take (None: they can), and the
        #: extension lengths its model allows; read with the details, off the GUI thread
        self._derive: dict[str, str | None] = {}
        self._durations: list[float] = []
        self.derive_dialog: DeriveDialog | None = None
        self.btn_import = QToolButton(text=self.tr("Import…"))
        self.btn_import.setToolTip(self.tr("Import video files (or drop them on this page)"))
        for b in (self.btn_select, self.btn_compare, self.btn_variations, self.btn_remix,
                  self.btn_extend, self.btn_import):
            b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        for b in (self.btn_select, self.btn_compare, self.btn_variations, self.btn_remix,
                  self.btn_extend):
            bar.addWidget(b)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.btn_import, 0, Qt.AlignmentFlag.AlignTop)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.filters)
        lv.addWidget(self.grid, 1)
        lv.addLayout(bar)
        lv.addLayout(status_row)

        self.preview = PreviewPlayer(self)
        self.details = DetailsPanel(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        # the details wrap (long hashes and ids included): they scroll down, never sideways
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_scroll = scroll
        scroll.setWidget(self.details)
        self.compare = CompareView(self)
        self.tabs = QTabWidget()
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.preview)
        side.addWidget(scroll)
        side.setSizes([300, 400])
        self.tabs.addTab(side, self.tr("Preview"))
        self.tabs.addTab(self.compare, self.tr("Compare A/B"))

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.splitter = split
        self._sized = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(split)

        self.filters.changed.connect(self.model.set_filter)
        self.model.loaded.connect(self._loaded)
        self.model.counted.connect(lambda _n: self._show_count())
        self.model.loadFailed.connect(lambda msg: self.status.setText(
            self.tr("Cannot read takes: %1").replace("%1", str(msg))))
        self.model.rowsInserted.connect(lambda *_: self._show_count())
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        self.details.tagsEdited.connect(self._edit_tags)
        self.details.notesEdited.connect(self._edit_notes)
        self.details.reviewEdited.connect(self._edit_review)
        self.details.lineage.resultActivated.connect(self.select_result)
        self.btn_select.clicked.connect(self.set_selected_take)
        self.btn_compare.clicked.connect(self.compare_selected)
        self.btn_variations.clicked.connect(self.queue_variations)
        self.btn_remix.clicked.connect(lambda: self.open_derive("remix"))
        self.btn_extend.clicked.connect(lambda: self.open_derive("extend"))
        self.btn_import.clicked.connect(self._import_dialog)
        ctx.coreEvent.connect(self._core_event)
        sc = QShortcut(QKeySequence.StandardKey.Find, self)
        sc.activated.connect(self.filters.search.setFocus)
        self._update_actions()
        self.model.reload()
        self.refresh_choices()

    # --- loading ------------------------------------------------------------------------
    def refresh_choices(self) -> None:
        root = self.ctx.root
        shots = [s.id for s in self.ctx.project.shots]

        def read() -> tuple[list[str], list[str]]:
            with contextlib.closing(Store.for_project(root).connect()) as conn:
                providers = [p for (p,) in conn.execute(
                    "SELECT DISTINCT provider FROM results WHERE provider IS NOT NULL "
                    "ORDER BY provider")]
                tags = [t for (t,) in conn.execute(
                    "SELECT tag FROM tags GROUP BY tag ORDER BY count(*) DESC LIMIT 2000")]
            return providers, tags

        def done(res: Any, err: BaseException | None) -> None:  # noqa: ANN401
            if err is None:
                choices = (shots, res[0], sorted(res[1]))
                if choices == self._choices:
                    return  # nothing new: leave the combos and completers alone
                self._choices = choices
                self.filters.set_choices(*choices)
                self.details.tag_model.setStringList(choices[2])

        run_task(read, done)

    def _loaded(self, _rows: int, seconds: float) -> None:
        self._query_ms = seconds * 1000
        self._show_count()
        if self.model.rowCount() and not self.grid.currentIndex().isValid():
            self.grid.setCurrentIndex(self.model.index(0))
        elif not self.model.rowCount():
            self._show(None)

    def _show_count(self) -> None:
        total = self.model.total
        if not total:
            self.status.setText(self.tr("No takes match. Queue a shot, or drop video files "
                                        "here to import them."))
            return
        more = "" if self.model.total_known else "+"
        count = f"{total:,}{more}"
        text = (self.tr("%1 take") if total == 1 and not more
                else self.tr("%1 takes")).replace("%1", count)
        self.status.setText(self.tr("%1 · %2 ms").replace("%1", text)
                            .replace("%2", f"{self._query_ms:.0f}"))

    def _core_event(self, event: events.Event) -> None:
        if event.kind == events.RESULT_ADDED:
            self._added_ids.append(str(event.data.get("result_id")))
            self._added_shots.add(event.data.get("shot_id"))
            if not self._added_timer.isActive():
                self._added_timer.start()
        elif event.kind in (events.RESULT_CHANGED, events.CONSENT_CHANGED):
            rid = event.data.get("result_id")
            if rid:
                self.model.result_changed(str(rid))
                if rid == self.current_id:
                    self._load_details(rid, reload_video=False)
            elif event.kind == events.CONSENT_CHANGED:
                self.model.reload()

    def _takes_added(self) -> None:
        ids, self._added_ids = self._added_ids, []
        shots, self._added_shots = self._added_shots, set()
        self.model.results_added(ids)
        self.refresh_choices()
        info = self.current_info
        if info and info["shot"] and info["shot"] in shots:
            self._refresh_lineage(info["id"])  # a remix/extension of it may have arrived

    # --- current take -------------------------------------------------------------------
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        take = self.model.take(current.row()) if current.isValid() else None
        self._show(take)

    def _show(self, take: Take | None) -> None:
        self.current_id = take.id if take else None
        self._update_actions()
        if take is None:
            self.current_info = None
            self.details.show_result(None)
            self._video_timer.stop()
            self._pending_video = None
            self.preview.load(None)
            return
        self._load_details(take.id, reload_video=True)

    def _load_details(self, rid: str, reload_video: bool) -> None:
        root = self.ctx.root

        def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, str | None], list[float]]:
            info = records.get_result(root, rid)
            derive, durations = derive_options(info)
            return info, lineage_with_kinds(root, rid), derive, durations

        def done(res: Any, err: BaseException | None) -> None:  # noqa: ANN401
            if rid != self.current_id:
                return
            if err is not None:
                self.status.setText(str(err))
                return
            info, tree, self._derive, self._durations = res
            self.current_info = info
            self.details.show_result(info)
            self.details.lineage.show_tree(tree, rid)
            if reload_video:
                self._pending_video = (Path(info["path"]),
                                       f"{info['id']} · {info['shot'] or ''}", info["fps"])
                self._video_timer.start()
            self._update_actions()

        run_task(read, done)

    def _refresh_lineage(self, rid: str) -> None:
        root = self.ctx.root

        def done(tree: Any, err: BaseException | None) -> None:  # noqa: ANN401
            if err is None and rid == self.current_id:
                self.details.lineage.show_tree(tree, rid)

        run_task(lambda: lineage_with_kinds(root, rid), done)

    def _load_pending_video(self) -> None:
        pending, self._pending_video = self._pending_video, None
        if pending is not None:
            self.preview.load(*pending)

    def select_result(self, result_id: str) -> None:
        row = self.model.row_of(result_id)
        if row is None:
            self.status.setText(
                self.tr("%1 is not shown with the current filters").replace("%1", result_id))
            return
        self.grid.setCurrentIndex(self.model.index(row))

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.grid.selectionModel().selectedIndexes())
        return [t.id for r in rows if (t := self.model.take(r))]

    def _update_actions(self) -> None:
        info = self.current_info if self.current_info and \
            self.current_info["id"] == self.current_id else None
        self.btn_select.setEnabled(bool(info and info["shot"]))
        self.btn_variations.setEnabled(bool(info and info["shot"] and info["provider"]))
        self.btn_compare.setEnabled(self.current_id is not None)
        for kind, button in (("remix", self.btn_remix), ("extend", self.btn_extend)):
            if info is None:
                button.setEnabled(False)
                button.setToolTip(self.tr("Select a take to remix it") if kind == "remix"
                                  else self.tr("Select a take to extend it"))
                continue
            reason = self._derive.get(kind, self.tr("Checking what this take's provider can do…"))
            button.setEnabled(reason is None)
            if reason is None:
                tip = (self.tr("Queue a remix of %1 on %2: a new prompt, same length and "
                               "size; its take points back to this one") if kind == "remix" else
                       self.tr("Queue an extension of %1 on %2: it continues for a few more "
                               "seconds; its take points back to this one"))
                button.setToolTip(tip.replace("%1", info["id"]).replace("%2", info["provider"]))
            else:
                button.setToolTip(reason)

    # --- review keys and edits ----------------------------------------------------------
    def review_key(self, key: int) -> bool:
        """Handle a review key from the grid; False if it is not one."""
        rid = self.current_id
        take = self.model.take(self.grid.currentIndex().row())
        if key == Qt.Key.Key_Space:
            self.preview.player.toggle()
            return True
        if rid is None or take is None:
            return False
        if key in RATING_KEYS:
            self.push(rid, "rating", take.rating, RATING_KEYS[key], self.tr("Rate take"))
            return True
        if key == Qt.Key.Key_X:
            self.push(rid, "review", (take.review, take.rating), ("rejected", -1),
                      self.tr("Reject take"))
            return True
        if key == Qt.Key.Key_P:
            self.push(rid, "review", (take.review, take.rating), ("approved", take.rating),
                      self.tr("Approve take"))
            return True
        return False

    def push(self, rid: str, kind: str, old: Any, new: Any, text: str) -> None:  # noqa: ANN401
        if old == new:
            return
        self.ctx.undo_stack.push(ResultEditCommand(self, rid, kind, old, new, text))

    def apply_edit(self, rid: str, kind: str, value: Any) -> None:  # noqa: ANN401
        """Show the change now, write it on a worker (XMP sidecar included)."""
        root, bus = self.ctx.root, self.ctx.bus
        reviewer = self.details.reviewer.text().strip() or None
        if kind == "rating":
            self.model.patch(rid, rating=value)
            work = lambda: records.set_rating(root, rid, value, bus=bus)  # noqa: E731
        elif kind == "review":
            status, rating = value
            self.model.patch(rid, review=status, rating=rating)

            def work() -> None:
                records.set_review(root, rid, status, reviewer=reviewer, bus=bus)
                records.set_rating(root, rid, rating, bus=bus)
        elif kind == "tags":
            work = lambda: records.set_tags(root, rid, value, bus=bus)  # noqa: E731
        else:  # pragma: no cover - programming error
            raise ValueError(kind)

        def done(_res: Any, err: BaseException | None) -> None:  # noqa: ANN401
            if err is not None:
                self.status.setText(self.tr("Could not save: %1").replace("%1", str(err)))
                self.model.result_changed(rid)
            elif kind == "tags":
                self.refresh_choices()

        run_task(work, done)

    def _edit_tags(self, tags: list[str]) -> None:
        if self.current_info is None:
            return
        try:
            clean = sorted(dict.fromkeys(records.normalize_tag(t) for t in tags))
        except records.ResultError as exc:
            self.status.setText(str(exc))
            return
        self.push(self.current_info["id"], "tags", self.current_info["tags"], clean,
                  self.tr("Tag take"))
        self.current_info["tags"] = clean

    def _edit_notes(self, text: str) -> None:
        if self.current_info is None:
            return
        rid, root, bus = self.current_info["id"], self.ctx.root, self.ctx.bus
        run_task(lambda: records.set_notes(root, rid, text, bus=bus),
                 lambda _r, e: e and self.status.setText(
                     self.tr("Could not save notes: %1").replace("%1", str(e))))

    def _edit_review(self, status: str, reviewer: str, note: str) -> None:
        if self.current_info is None:
            return
        rid, root, bus = self.current_info["id"], self.ctx.root, self.ctx.bus
        self.model.patch(rid, review=status)
        run_task(lambda: records.set_review(root, rid, status, reviewer or None, note or None,
                                            bus=bus),
                 lambda _r, e: e and self.status.setText(
                     self.tr("Could not save the review: %1").replace("%1", str(e))))

    # --- actions ------------------------------------------------------------------------
    def set_selected_take(self) -> None:
        info = self.current_info
        if not info or not info["shot"]:
            return
        shot_id = info["shot"]
        try:
            self.ctx.project.shot(shot_id)
        except KeyError:
            self.status.setText(self.tr("Shot %1 is no longer in the brief").replace("%1", shot_id))
            return
        error = commands.push_set(self.ctx, shot_id, ("selected_take",), info["id"],
                                  self.tr("Select take for %1").replace("%1", shot_id),
                                  merge=False)
        if error:
            self.status.setText(error)
            return
        self.ctx.brief_changed(shot_id)
        self.status.setText(self.tr("%1 is now the selected take of %2")
                            .replace("%1", info["id"]).replace("%2", shot_id))

    def compare_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) < 2:
            self.status.setText(self.tr("Select two takes (Ctrl+click) to compare them"))
            return
        root = self.ctx.root
        a, b = ids[0], ids[1]

        def read() -> tuple[dict[str, Any], dict[str, Any]]:
            return records.get_result(root, a), records.get_result(root, b)

        def done(res: Any, err: BaseException | None) -> None:  # noqa: ANN401
            if err is not None:
                self.status.setText(str(err))
                return
            ia, ib = res
            self.preview.player.media.pause()
            def caption(info: dict[str, Any]) -> str:
                stars = "reject" if info["rating"] < 0 else "★" * info["rating"]
                return " · ".join(x for x in (info["shot"] or "imported", stars,
                                              info["review"]["status"].replace("_", " ")) if x)

            self.compare.load((ia["id"], Path(ia["path"]), ia["fps"]),
                              (ib["id"], Path(ib["path"]), ib["fps"]),
                              (caption(ia), caption(ib)))
            self.tabs.setCurrentWidget(self.compare)

        run_task(read, done)

    def queue_variations(self) -> None:
        info = self.current_info
        if not info or not info["shot"] or not info["provider"]:
            return
        root, bus, project = self.ctx.root, self.ctx.bus, self.ctx.project
        shot, provider = info["shot"], info["provider"]

        def work() -> int:
            from studio.queue.enqueue import enqueue, plan

            jobs = enqueue(root, plan(root, project, [shot], provider, variants=1), bus=bus)
            return len(jobs)

        def done(n: Any, err: BaseException | None) -> None:  # noqa: ANN401
            self.status.setText(
                self.tr("Could not queue: %1").replace("%1", str(err)) if err else
                self.tr("Queued %n new take(s) of %1 on %2", "", int(n or 0))
                .replace("%1", str(shot)).replace("%2", str(provider)))

        run_task(work, done)

    def open_derive(self, kind: str) -> DeriveDialog | None:
        """Open the Remix… / Extend… dialog for the current take (non-blocking)."""
        info = self.current_info
        if not info or self._derive.get(kind, "unknown") is not None:
            return None
        if self.derive_dialog is not None:
            self.derive_dialog.close()
        dialog = DeriveDialog(self.ctx, info, kind, self._durations, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.queued.connect(self._derived)
        dialog.destroyed.connect(lambda *_: setattr(self, "derive_dialog", None))
        self.derive_dialog = dialog
        dialog.open()
        return dialog

    def _derived(self, job_id: str, status: str, error: str) -> None:
        if status == "queued":
            self.status.setText(self.tr("Queued %1; its take will appear here with this one "
                                        "as its parent").replace("%1", job_id))
        else:
            self.status.setText(self.tr("%1 is %2: %3").replace("%1", job_id)
                                .replace("%2", status).replace("%3", error))

    def _import_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Import video files"), str(Path.home()),
            self.tr("Video (*.mp4 *.mov *.m4v *.webm *.mkv);;All files (*)"))
        if files:
            self.import_paths([Path(f) for f in files])

    def import_paths(self, paths: list[Path]) -> None:
        root, bus = self.ctx.root, self.ctx.bus
        shots = {s.id for s in self.ctx.project.shots}
        self.status.setText(self.tr("Importing %n file(s)…", "", len(paths)))

        def done(outcomes: Any, err: BaseException | None) -> None:  # noqa: ANN401
            if err is not None:
                self.status.setText(self.tr("Import failed: %1").replace("%1", str(err)))
                return
            ok = [o for o in outcomes if o.result_id and not o.duplicate]
            bad = [o for o in outcomes if o.error]
            text = self.tr("Imported %n take(s)", "", len(ok))
            if bad:
                text += self.tr("; %1 refused: %2").replace("%1", str(len(bad))).replace(
                    "%2", str(bad[0].error))
            self.status.setText(text)

        run_task(lambda: import_files(root, paths, known_shots=shots, bus=bus), done)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._sized:  # grid 3 : preview 2 at first; the splitter keeps it from there
            self._sized = True
            width = max(self.splitter.width(), 800)
            self.splitter.setSizes([width * 3 // 5, width * 2 // 5])

    # --- drag and drop ------------------------------------------------------------------
    @staticmethod
    def _video_urls(event: QDragEnterEvent | QDropEvent) -> list[Path]:
        md = event.mimeData()
        if not md.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in md.urls()
                if u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in VIDEO_SUFFIXES]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._video_urls(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self._video_urls(event)
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    def shutdown(self) -> None:
        """Stop the players (call before the window closes)."""
        self._video_timer.stop()
        self.preview.shutdown()
        self.compare.shutdown()
        self.thumbs.shutdown()


def derive_options(info: dict[str, Any]) -> tuple[dict[str, str | None], list[float]]:
    """(why remix/extend cannot start from this take, extension lengths) — reads the
    provider table and settings, so call it off the GUI thread."""
    from studio.errors import StudioError
    from studio.providers.registry import get_caps
    from studio.queue.enqueue import derivations

    try:
        derive = derivations(info)
    except StudioError as exc:
        return {"remix": str(exc), "extend": str(exc)}, []
    durations: list[float] = []
    if derive.get("extend") is None and info.get("provider"):
        try:
            durations = [float(d) for d in get_caps(info["provider"]).model(info["model"]).durations]
        except StudioError:
            durations = []
    return derive, durations


__all__ = ["LibraryPage", "derive_options"]
