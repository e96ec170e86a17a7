"""The Queue page: every job of the project, its progress, cost and time; cancel, retry,
remove; a budget meter. A thin Qt adapter over studio.queue (napari style): rows come from
studio.db off the GUI thread, refreshed (coalesced) when the core reports a job change.

Keys: Delete cancels, Ctrl+R retries, Ctrl+Backspace removes a finished job.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import QKeySequence, QPainter, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.events import JOB_CHANGED, Event
from studio.queue import jobs as J
from studio.store import Store
from ui.context import ProjectContext
from ui.tasks import run_task

log = logging.getLogger(__name__)

COLUMNS = (QT_TRANSLATE_NOOP("QueuePage", "Shot"), QT_TRANSLATE_NOOP("QueuePage", "Provider"), QT_TRANSLATE_NOOP("QueuePage", "Status"),
           QT_TRANSLATE_NOOP("QueuePage", "Progress"), QT_TRANSLATE_NOOP("QueuePage", "Cost"), QT_TRANSLATE_NOOP("QueuePage", "Time"), QT_TRANSLATE_NOOP("QueuePage", "Note"))
SHOT, PROVIDER, STATUS, PROGRESS, COST, TIME, NOTE = range(len(COLUMNS))
JobRole = Qt.ItemDataRole.UserRole + 1
ProgressRole = Qt.ItemDataRole.UserRole + 2
REFRESH_MS = 250

STATUS_LABELS = {
    "queued": QT_TRANSLATE_NOOP("QueuePage", "Queued"), "submitting": QT_TRANSLATE_NOOP("QueuePage", "Sending"),
    "running": QT_TRANSLATE_NOOP("QueuePage", "Generating"), "downloading": QT_TRANSLATE_NOOP("QueuePage", "Downloading"),
    "succeeded": QT_TRANSLATE_NOOP("QueuePage", "Done"), "failed": QT_TRANSLATE_NOOP("QueuePage", "Failed"),
    "cancelled": QT_TRANSLATE_NOOP("QueuePage", "Cancelled"), "blocked": QT_TRANSLATE_NOOP("QueuePage", "Blocked"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("QueuePage", text)


def fmt_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


class JobsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:  # noqa: ANN401
        super().__init__(parent)
        self._jobs: list[J.Job] = []
        self._titles: dict[str, str] = {}

    def set_titles(self, titles: dict[str, str]) -> None:
        self._titles = titles

    def set_jobs(self, jobs: list[J.Job]) -> None:
        if [j.id for j in jobs] == [j.id for j in self._jobs]:
            old = self._jobs
            self._jobs = jobs
            for row, (a, b) in enumerate(zip(old, jobs, strict=True)):
                if a != b:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._jobs = jobs
        self.endResetModel()

    def job(self, row: int) -> J.Job:
        return self._jobs[row]

    def jobs(self) -> list[J.Job]:
        return list(self._jobs)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(COLUMNS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        job = self._jobs[index.row()]
        col = index.column()
        if role == JobRole:
            return job.id
        if role == ProgressRole:
            return job.progress
        if role == Qt.ItemDataRole.DisplayRole:
            if col == SHOT:
                title = self._titles.get(job.shot_id)
                base = f"{job.shot_id} — {title}" if title else job.shot_id
                return base + (f" (v{job.variant})" if job.variant > 1 else "")
            if col == PROVIDER:
                return f"{job.provider} · {job.model}" if job.model else job.provider
            if col == STATUS:
                label = _tr(STATUS_LABELS.get(job.status, job.status))
                return label + (_tr(" — decide") if job.needs_decision else "")
            if col == PROGRESS:
                return f"{job.progress * 100:.0f}%"
            if col == COST:
                return f"${job.cost_estimate:.2f}"
            if col == TIME:
                elapsed = job.elapsed()  # stops when the job leaves the active states
                return "" if elapsed is None else fmt_duration(elapsed)
            if col == NOTE:
                return job.error or ("; ".join(job.changes) if job.changes else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [_tr("Job %1").replace("%1", job.id),
                     _tr("Status: %1").replace("%1", job.status)]
            if job.remote_id:
                lines.append(_tr("Remote id: %1").replace("%1", job.remote_id))
            if job.result_id:
                lines.append(_tr("Result: %1").replace("%1", job.result_id))
            if job.error:
                lines.append(job.error)
            lines.extend(_tr("Adapter: %1").replace("%1", c) for c in job.changes)
            return "\n".join(lines)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COST, TIME):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == STATUS:
            from PySide6.QtGui import QColor

            return {"failed": QColor("#c0392b"), "blocked": QColor("#b9770e"),
                    "succeeded": QColor("#1e8449")}.get(job.status)
        return None


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a progress bar."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(ProgressRole)
        if value is None:
            return super().paint(painter, option, index)
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(4, 4, -4, -4))  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(round(float(value) * 100))
        bar.text = f"{bar.progress}%"
        bar.textVisible = True
        bar.state = option.state  # type: ignore[attr-defined]
        style = option.widget.style() if option.widget else QApplication.style()  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
        return None


class QueuePage(QWidget):
    def __init__(self, ctx: ProjectContext, parent: QWidget | None = None,
                 *, start_engine: bool = True):
        super().__init__(parent)
        self.setObjectName("queuePage")
        self.ctx = ctx
        from ui.queue_bridge import bridge_for

        self.bridge = bridge_for(ctx, autostart=start_engine)
        self.model = JobsModel(self)
        self.model.set_titles({s.id: s.title for s in ctx.project.shots})

        title = QLabel("<h2>" + self.tr("Queue") + "</h2>", self)
        self.worker_label = QLabel(self)
        self.budget_bar = QProgressBar(self)
        self.budget_bar.setObjectName("budgetMeter")
        self.budget_bar.setMinimumWidth(200)
        self.budget_bar.setMaximumWidth(280)
        self.budget_bar.setTextVisible(True)
        self.budget_bar.setAccessibleName(self.tr("Budget"))
        self.budget_label = QLabel(self)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.worker_label)
        top.addSpacing(16)
        top.addWidget(QLabel(self.tr("Budget:"), self))
        top.addWidget(self.budget_bar)
        top.addWidget(self.budget_label)

        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setAccessibleName(self.tr("Jobs"))
        self.view.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in ((SHOT, 220), (PROVIDER, 130), (STATUS, 110), (PROGRESS, 130),
                           (COST, 70), (TIME, 70)):
            self.view.setColumnWidth(col, width)
        self.empty = QLabel(self.tr("No jobs yet. Queue a shot from the Shots page "
                                    "(Ctrl+Enter) or all shots (Ctrl+Shift+Enter)."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(mid); padding: 24px;")

        self.cancel_button = QPushButton(self.tr("&Cancel"), self)
        self.cancel_button.setToolTip(self.tr("Cancel the selected jobs (Delete); remote jobs "
                                              "are cancelled on the provider too"))
        self.retry_button = QPushButton(self.tr("&Retry"), self)
        self.retry_button.setToolTip(self.tr("Queue failed, cancelled or blocked jobs again "
                                             "(Ctrl+R); for a job waiting for a decision: "
                                             "send it again"))
        self.abandon_button = QPushButton(self.tr("&Abandon"), self)
        self.abandon_button.setToolTip(self.tr("Give up on a job whose create may or may not "
                                               "have reached the provider"))
        self.remove_button = QPushButton(self.tr("Re&move"), self)
        self.remove_button.setToolTip(self.tr("Remove finished jobs from the list "
                                              "(Ctrl+Backspace); takes stay in the library"))
        buttons = QHBoxLayout()
        for b in (self.cancel_button, self.retry_button, self.abandon_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        self.abandon_button.clicked.connect(self.abandon_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view,
                  activated=self.cancel_selected)
        QShortcut(QKeySequence("Ctrl+R"), self, activated=self.retry_selected)
        QShortcut(QKeySequence("Ctrl+Backspace"), self, activated=self.remove_selected)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._clock = QTimer(self)  # the Time column ticks while jobs run
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._loading = False
        self._again = False
        self._stale = False  # a job changed while another page was shown
        ctx.coreEvent.connect(self._on_event)
        ctx.briefChanged.connect(self._on_brief)
        self.bridge.workerChanged.connect(self._show_worker)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self._show_worker(self.bridge.worker)
        self._update_buttons()
        self._update_budget()
        self.refresh()

    # -- data ------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        if self._loading:
            self._again = True
            return
        self._loading = True
        root = self.ctx.root

        def load() -> list[J.Job]:
            with Store.for_project(root).session() as conn:
                return J.list_jobs(conn)

        run_task(load, self._loaded)

    def _loaded(self, result: list[J.Job] | None, error: BaseException | None) -> None:
        self._loading = False
        if error is not None:
            log.warning("could not read the queue: %s", error)
        elif result is not None:
            selected = set(self.selected_ids())
            self.model.set_jobs(result)
            self._reselect(selected)
            self.empty.setVisible(not result)
            self._update_budget()
            self._update_buttons()
        if self._again:
            self._again = False
            self._refresh_timer.start()

    def _reselect(self, ids: set[str]) -> None:
        if not ids:
            return
        sel = self.view.selectionModel()
        for row, job in enumerate(self.model.jobs()):
            if job.id in ids and not sel.isRowSelected(row, QModelIndex()):
                sel.select(self.model.index(row, 0),
                           sel.SelectionFlag.Select | sel.SelectionFlag.Rows)

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        if event.kind != JOB_CHANGED:
            return
        if self.window().isVisible() and not self.isVisible():
            # another page is shown: read the jobs once when this one comes back, not on
            # every job change of a busy queue (the status bar counts come from the bridge)
            self._stale = True
            return
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    @Slot(str)
    def _on_brief(self, _shot_id: str) -> None:
        self.model.set_titles({s.id: s.title for s in self.ctx.project.shots})
        self._update_budget()

    def _tick(self) -> None:
        rows = [r for r, j in enumerate(self.model.jobs()) if j.status in J.ACTIVE]
        if rows:
            self.model.dataChanged.emit(self.model.index(min(rows), TIME),
                                        self.model.index(max(rows), TIME))

    def _show_worker(self, state: str) -> None:
        self.worker_label.setText({
            "running": self.tr("Worker: running"),
            "elsewhere": self.tr("Worker: another process (studio queue run) runs this queue"),
            "stopped": self.tr("Worker: stopped"),
        }.get(state, state))

    def _update_budget(self) -> None:
        jobs = self.model.jobs()
        spent = sum(j.cost_estimate for j in jobs if j.status in J.SPENDING)
        budget = self.ctx.project.budget_usd
        if budget is None:
            self.budget_bar.setRange(0, 1)
            self.budget_bar.setValue(0)
            self.budget_bar.setFormat(self.tr("no cap"))
            self.budget_label.setText(self.tr("$%1 committed").replace("%1", f"{spent:.2f}"))
            return
        self.budget_bar.setRange(0, max(1, int(round(budget * 100))))
        self.budget_bar.setValue(min(int(round(spent * 100)), int(round(budget * 100))))
        self.budget_bar.setFormat(self.tr("$%1 of $%2").replace("%1", f"{spent:.2f}")
                                  .replace("%2", f"{budget:.2f}"))
        self.budget_label.setText(self.tr("$%1 left").replace(
            "%1", f"{max(0.0, budget - spent):.2f}"))

    # -- actions -----------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.job(r).id for r in rows if r < self.model.rowCount()]

    def _selected_jobs(self) -> list[J.Job]:
        ids = set(self.selected_ids())
        return [j for j in self.model.jobs() if j.id in ids]

    def _update_buttons(self, *_args: Any) -> None:  # noqa: ANN401
        jobs = self._selected_jobs()
        self.cancel_button.setEnabled(any(j.status in (*J.ACTIVE, J.BLOCKED) for j in jobs))
        self.retry_button.setEnabled(any(_retryable(j) for j in jobs))
        self.abandon_button.setVisible(any(j.needs_decision for j in self.model.jobs()))
        self.abandon_button.setEnabled(any(j.needs_decision for j in jobs))
        self.remove_button.setEnabled(any(j.status in J.TERMINAL for j in jobs))

    def _act(self, what: str, func: Any, jobs: list[J.Job]) -> None:  # noqa: ANN401
        if not jobs:
            return
        root, bus = self.ctx.root, self.ctx.bus

        def work() -> list[str]:
            problems = []
            for job in jobs:
                try:
                    func(root, job, bus)
                except Exception as exc:  # noqa: BLE001 - shown to the user
                    problems.append(f"{job.shot_id}: {exc}")
            return problems

        def done(problems: list[str] | None, error: BaseException | None) -> None:
            self.bridge.wake()
            self.refresh()
            lines = problems or ([str(error)] if error else [])
            if lines:
                QMessageBox.warning(self, self.tr("%1 — Brief Studio").replace("%1", what),
                                    "\n".join(lines))

        run_task(work, done)

    @Slot()
    def cancel_selected(self) -> None:
        from studio.queue.control import cancel_job

        jobs = [j for j in self._selected_jobs() if j.status in (*J.ACTIVE, J.BLOCKED)]
        self._act(self.tr("Cancel"), lambda r, j, b: cancel_job(r, j.id, b), jobs)

    @Slot()
    def retry_selected(self) -> None:
        from studio.queue.control import decide_job, retry_job

        def retry(root: Any, job: J.Job, bus: Any) -> None:  # noqa: ANN401
            if job.needs_decision:
                decide_job(root, job.id, resend=True, bus=bus)
            else:
                retry_job(root, job.id, bus)

        jobs = [j for j in self._selected_jobs() if _retryable(j)]
        self._act(self.tr("Retry"), retry, jobs)

    @Slot()
    def abandon_selected(self) -> None:
        from studio.queue.control import decide_job

        jobs = [j for j in self._selected_jobs() if j.needs_decision]
        self._act(self.tr("Abandon"), lambda r, j, b: decide_job(r, j.id, resend=False, bus=b), jobs)

    @Slot()
    def remove_selected(self) -> None:
        from studio.queue.control import remove

        jobs = [j for j in self._selected_jobs() if j.status in J.TERMINAL]
        self._act(self.tr("Remove"), lambda r, j, b: remove(r, j.id, b), jobs)


def _retryable(job: J.Job) -> bool:
    """Failed, cancelled or blocked; waiting for a decision; or held because the provider
    rejected its key (retrying sends it again, e.g. after the key was fixed elsewhere)."""
    held = job.status == J.QUEUED and (job.error or "").startswith("key rejected by ")
    return job.status in (J.FAILED, J.CANCELLED, J.BLOCKED) or job.needs_decision or held
