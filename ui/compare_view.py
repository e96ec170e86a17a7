"""Compare providers: one shot, every provider's fitted request, changes and cost, side by side.

Fitting reads settings and compiles the shot, so it runs through :func:`ui.tasks.run_task`;
"Queue on several" plans and enqueues on each checked provider (studio.queue.enqueue, the
same path as ``studio queue add``) off the GUI thread too, then tells the user what happened.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.context import ProjectContext
from ui.tasks import run_task

log = logging.getLogger(__name__)

COLUMNS = [QT_TRANSLATE_NOOP("CompareProvidersDialog", "Provider"),
           QT_TRANSLATE_NOOP("CompareProvidersDialog", "Model"),
           QT_TRANSLATE_NOOP("CompareProvidersDialog", "Duration"),
           QT_TRANSLATE_NOOP("CompareProvidersDialog", "Size / aspect"),
           QT_TRANSLATE_NOOP("CompareProvidersDialog", "References"),
           QT_TRANSLATE_NOOP("CompareProvidersDialog", "Audio"),
           QT_TRANSLATE_NOOP("CompareProvidersDialog", "Est. cost"),
           QT_TRANSLATE_NOOP("CompareProvidersDialog", "What changes")]
ProviderRole = Qt.ItemDataRole.UserRole + 1


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate("CompareProvidersDialog", text, None, n)


@dataclass
class Row:
    provider: str
    name: str
    available: bool
    key_hint: str
    model: str
    params: dict[str, Any]
    changes: list[str]
    cost: float
    error: str | None = None


def compute_rows(ctx_root: Any, project: Any, shot_id: str) -> list[Row]:  # noqa: ANN401
    """Fit the shot to every provider (runs off the GUI thread)."""
    from studio.cli import cameo_names
    from studio.compiler import compile_shot
    from studio.keys import env_var_names
    from studio.providers.registry import fit_request, is_available, provider_table

    shot = project.shot(shot_id)
    request = compile_shot(project, shot, names=cameo_names(ctx_root), root=ctx_root)
    rows = []
    for pid, caps in provider_table().items():
        hint = "" if caps.local else _tr("no key: `studio key set %1` or %2").replace(
            "%1", pid).replace("%2", " / ".join(env_var_names(pid)))
        try:
            fitted = fit_request(pid, request)
            rows.append(Row(pid, caps.name, is_available(caps), hint, fitted.model,
                            fitted.params, list(fitted.changes), fitted.cost))
        except Exception as exc:  # noqa: BLE001 - one broken entry must not hide the others
            rows.append(Row(pid, caps.name, False, hint, "", {}, [], 0.0, str(exc)))
    return rows


def queue_on(root: Any, project: Any, shot_id: str, providers: list[str],  # noqa: ANN401
             bus: Any) -> list[str]:  # noqa: ANN401
    """Plan and enqueue the shot on each provider; one summary line per provider."""
    from studio.queue.enqueue import enqueue, plan

    lines = []
    for pid in providers:
        jobs = enqueue(root, plan(root, project, [shot_id], pid), bus)
        blocked = [j for j in jobs if j.status == "blocked"]
        if blocked:
            lines.append(_tr("%1: blocked — %2").replace("%1", pid).replace(
                "%2", str(blocked[0].error)))
        else:
            lines.append(_tr("%1: %n job(s) queued", len(jobs)).replace("%1", pid))
    return lines


class CompareProvidersDialog(QDialog):
    """One shot fitted to each provider; check several and queue them to A/B the shot."""

    rowsReady = Signal()
    queued = Signal(list)   # summary lines

    def __init__(self, ctx: ProjectContext, shot_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.shot_id = shot_id
        self.rows: list[Row] = []
        shot = ctx.project.shot(shot_id)
        self.setWindowTitle(self.tr("Compare providers — %1").replace("%1", shot.title or shot_id))
        self.resize(1180, 520)

        self.intro = QLabel(self.tr(
            "<b>%1</b> — %2s, %3. Each provider gets the request below, fitted to what it "
            "accepts, before any money is spent.").replace("%1", html.escape(shot.title or shot_id))
            .replace("%2", f"{shot.duration:g}").replace("%3", shot.aspect or ctx.project.style.aspect))
        self.intro.setWordWrap(True)
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels([_tr(c) for c in COLUMNS])
        self.model.itemChanged.connect(self._update_total)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        # fitted to their contents once the rows are in (capped, so one long fal.ai model
        # name cannot squeeze "What changes" into an elided sliver); the notes stretch
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(self._column_resized)
        self.table.setAccessibleName(self.tr("Fitted requests per provider"))

        self.total = QLabel(self.tr("Fitting…"))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.queue_button = QPushButton(self.tr("&Queue on selected providers"), self)
        self.queue_button.setToolTip(self.tr(
            "Queue this shot once on every checked provider (%1)").replace(
            "%1", QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText)))
        self.queue_button.setEnabled(False)
        buttons.addButton(self.queue_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.queue_button.clicked.connect(self.queue_checked)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.queue_checked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.total)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.refresh()

    # -- data ------------------------------------------------------------------------
    def refresh(self) -> None:
        root, project, shot_id = self.ctx.root, self.ctx.project, self.shot_id
        run_task(lambda: compute_rows(root, project, shot_id), self._rows_done)

    def _rows_done(self, rows: list[Row] | None, error: BaseException | None) -> None:
        if error is not None or rows is None:
            self.total.setText(self.tr("Could not fit the shot: %1").replace("%1", str(error)))
            return
        self.rows = rows
        self.model.blockSignals(True)
        self.model.removeRows(0, self.model.rowCount())
        for row in rows:
            self.model.appendRow(self._items(row))
        self.model.blockSignals(False)
        self.model.layoutChanged.emit()
        self._fit_columns()
        self.table.resizeRowsToContents()
        self._update_total()
        self.rowsReady.emit()

    #: widest a column other than "What changes" may start (the user can still drag it)
    MAX_COLUMN = 230

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS) - 1):
            self.table.resizeColumnToContents(col)
            header.resizeSection(col, min(header.sectionSize(col), self.MAX_COLUMN))

    def _column_resized(self, *_args: object) -> None:
        # wrapped notes need their rows re-measured whenever a column's width changes
        if self.rows:
            self.table.resizeRowsToContents()

    @staticmethod
    def _items(row: Row) -> list[QStandardItem]:
        p = row.params
        first = QStandardItem(row.name)
        first.setData(row.provider, ProviderRole)
        first.setCheckable(row.available and row.error is None)
        first.setCheckState(Qt.CheckState.Unchecked)
        if not row.available:
            first.setToolTip(row.key_hint or _tr("not available"))
            first.setText(_tr("%1 (no key)").replace("%1", row.name))
        if row.error:
            return [first, QStandardItem(row.error)] + [QStandardItem("") for _ in COLUMNS[2:]]
        refs = p.get("references") or []
        changes = "\n".join(row.changes) if row.changes else _tr("nothing — sent as written")
        cells = [
            first,
            QStandardItem(row.model),
            QStandardItem(_tr("%1 s").replace("%1", f"{float(p.get('duration', 0)):g}")),
            QStandardItem(f"{p.get('size', '')}  ({p.get('aspect', '')})"),
            QStandardItem(str(len(refs))),
            QStandardItem(_tr("yes") if p.get("audio") else _tr("no")),
            QStandardItem(f"${row.cost:.2f}"),
            QStandardItem(changes),
        ]
        cells[-1].setToolTip(changes)
        cells[1].setToolTip(row.model)
        first.setToolTip(first.toolTip() or row.name)
        cells[6].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return cells

    def checked(self) -> list[str]:
        out = []
        for r in range(self.model.rowCount()):
            item = self.model.item(r, 0)
            if item.isCheckable() and item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(ProviderRole)))
        return out

    def set_checked(self, provider: str, on: bool = True) -> None:
        for r in range(self.model.rowCount()):
            item = self.model.item(r, 0)
            if item.data(ProviderRole) == provider and item.isCheckable():
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _update_total(self, *_: object) -> None:
        chosen = self.checked()
        cost = sum(r.cost for r in self.rows if r.provider in chosen)
        self.queue_button.setEnabled(bool(chosen))
        if chosen:
            self.total.setText(self.tr("%n provider(s) checked — estimated $%1 for one take each",
                                       "", len(chosen)).replace("%1", f"{cost:.2f}"))
        else:
            self.total.setText(self.tr("Check the providers to A/B this shot on, then queue."))

    # -- actions ---------------------------------------------------------------------
    def queue_checked(self) -> None:
        chosen = self.checked()
        if not chosen:
            return
        self.queue_button.setEnabled(False)
        self.status.setText(self.tr("Queueing on %1…").replace("%1", ", ".join(chosen)))
        root, project, shot_id, bus = self.ctx.root, self.ctx.project, self.shot_id, self.ctx.bus
        run_task(lambda: queue_on(root, project, shot_id, chosen, bus), self._queued)

    def _queued(self, lines: list[str] | None, error: BaseException | None) -> None:
        self.queue_button.setEnabled(bool(self.checked()))
        if error is not None or lines is None:
            self.status.setText(self.tr("Could not queue: %1").replace("%1", str(error)))
            return
        self.status.setText("\n".join(lines))
        self.queued.emit(lines)
