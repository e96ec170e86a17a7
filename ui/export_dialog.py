"""The agency bundle in the window: an export dialog and an interactive import.

:class:`ExportDialog` shows which takes go into the bundle (approved and selected takes by
default, or all; any take can be ticked on or off; a take the core flags (consent revoked,
expired, out of scope, unverified, ...) is shown with the core's reason and cannot be ticked),
what else is included, the redaction option and the estimated
size; it exports off the GUI thread with a progress bar and Cancel, then offers "Show in
folder". :func:`import_bundle_interactive` asks for a bundle (unless given one), verifies and
imports it off the GUI thread and shows the verification report.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QEventLoop,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.bundle import ExportCancelled, ExportOptions, ExportPlan, TakeInfo
from studio.bundle.export import export_bundle, plan_export
from studio.bundle.importer import import_bundle
from ui.context import ProjectContext
from ui.tasks import run_task

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate("ExportDialog", text, None, n)


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return (_tr("%1 bytes").replace("%1", f"{n:.0f}") if unit == "bytes"
                    else f"{n:.1f} {unit}")
        n /= 1000
    return f"{n:.1f} GB"


def flagged_text(takes: list[TakeInfo]) -> str:
    """Which takes are left out and why, in the core's words (one line per distinct reason).

    The reason is the take's ``consent_flag`` as :mod:`studio.bundle` / :mod:`studio.consent`
    set it: a revocation, or consent not valid now (expired, pending, out of scope,
    unverified, unreadable ...). Empty when no take is flagged.
    """
    by_reason: dict[str, list[str]] = {}
    for take in takes:
        if take.consent_flag:
            by_reason.setdefault(take.consent_flag, []).append(take.id)
    if not by_reason:
        return ""
    count = sum(len(ids) for ids in by_reason.values())
    lines = [QCoreApplication.translate("ExportDialog", "%n take(s) left out, never exported:",
                                        None, count)]
    for reason, ids in by_reason.items():
        lines.append(f"• {', '.join(ids)}: {reason}")
    return "\n".join(lines)


class TakesModel(QAbstractTableModel):
    """Every take of the project with a tick for "in the bundle"."""

    COLUMNS = (QT_TRANSLATE_NOOP("ExportDialog", "Shot"), QT_TRANSLATE_NOOP("ExportDialog", "Take"),
               QT_TRANSLATE_NOOP("ExportDialog", "Review"), QT_TRANSLATE_NOOP("ExportDialog", "Size"),
               QT_TRANSLATE_NOOP("ExportDialog", "Consent"))
    selectionChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._takes: list[TakeInfo] = []
        self._checked: set[str] = set()

    def set_takes(self, takes: list[TakeInfo], checked: set[str]) -> None:
        self.beginResetModel()
        self._takes = list(takes)
        self._checked = {t.id for t in takes if t.id in checked and not t.consent_flag}
        self.endResetModel()
        self.selectionChanged.emit()

    def checked_ids(self) -> set[str]:
        return set(self._checked)

    def takes(self) -> list[TakeInfo]:
        return list(self._takes)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._takes)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(self.COLUMNS[section])
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        take = self._takes[index.row()]
        if take.consent_flag:
            return Qt.ItemFlag.NoItemFlags  # never shipped: shown, greyed, not tickable
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or not 0 <= index.row() < len(self._takes):
            return None
        take = self._takes[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (take.shot_id or "—", take.id, take.review_status.replace("_", " "),
                    human_size(take.size),
                    QCoreApplication.translate("ExportDialog", "not shipped: %1")
                    .replace("%1", take.consent_flag)
                    if take.consent_flag else "")[col]
        if role == Qt.ItemDataRole.CheckStateRole and col == 0:
            return (Qt.CheckState.Checked if take.id in self._checked
                    else Qt.CheckState.Unchecked)
        if role == Qt.ItemDataRole.ToolTipRole and take.consent_flag:
            return QCoreApplication.translate("ExportDialog", "Never exported: %1").replace(
                "%1", take.consent_flag)
        return None

    def setData(self, index: _Index, value: Any,  # noqa: ANN401, N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (role != Qt.ItemDataRole.CheckStateRole or index.column() != 0
                or not index.isValid()):
            return False
        take = self._takes[index.row()]
        if take.consent_flag:
            return False
        state = Qt.CheckState(value) if not isinstance(value, Qt.CheckState) else value
        if state == Qt.CheckState.Checked:
            self._checked.add(take.id)
        else:
            self._checked.discard(take.id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.selectionChanged.emit()
        return True


class ExportDialog(QDialog):
    """Export the open project as an agency bundle."""

    #: (bytes done, bytes total, entry) — emitted from the export thread, queued to the GUI
    progressed = Signal(int, int, str)
    #: "done" | "failed" | "cancelled"
    finished_export = Signal(str)

    def __init__(self, ctx: ProjectContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.state = "planning"  # planning | ready | exporting | done | failed | cancelled
        self.plan: ExportPlan | None = None
        self.output: Path | None = None
        self._cancel = threading.Event()
        self._last_pct = -1
        self.setWindowTitle(self.tr("Export agency bundle"))
        self.setMinimumSize(640, 560)
        self._build()
        self.progressed.connect(self._on_progress)
        self._replan()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr(
            "One verified zip for the agency: the brief as PDF, the chosen takes with "
            "thumbnails and XMP, the timeline for editors, the consent summary and "
            "provenance."))
        intro.setWordWrap(True)
        layout.addWidget(intro)

        sel = QGroupBox(self.tr("Takes"))
        sel_layout = QVBoxLayout(sel)
        row = QHBoxLayout()
        self.default_radio = QRadioButton(self.tr("Approved and selected takes"))
        self.all_radio = QRadioButton(self.tr("All takes"))
        self.default_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.default_radio)
        group.addButton(self.all_radio)
        self.default_radio.toggled.connect(lambda on: on and self._apply_default())
        self.all_radio.toggled.connect(lambda on: on and self._apply_default())
        row.addWidget(self.default_radio)
        row.addWidget(self.all_radio)
        row.addStretch(1)
        sel_layout.addLayout(row)
        self.model = TakesModel(self)
        self.model.selectionChanged.connect(self._update_summary)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Takes to export"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        sel_layout.addWidget(self.table)
        layout.addWidget(sel, 1)

        inc = QGroupBox(self.tr("Included"))
        inc_layout = QVBoxLayout(inc)
        self.included_label = QLabel()
        self.included_label.setWordWrap(True)
        inc_layout.addWidget(self.included_label)
        self.evidence_box = QCheckBox(self.tr(
            "Include contact details and consent evidence files (only for the agency's "
            "legal team)"))
        self.evidence_box.setToolTip(self.tr(
            "Off: cameo records are shipped without contact details or date of birth, and "
            "evidence files stay here (their sha256 stays in the record)."))
        self.evidence_box.toggled.connect(lambda _on: self._replan())
        inc_layout.addWidget(self.evidence_box)
        layout.addWidget(inc)

        out_row = QHBoxLayout()
        save_label = QLabel(self.tr("Save as"))
        out_row.addWidget(save_label)
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName(self.tr("Bundle file"))
        save_label.setBuddy(self.path_edit)
        root = self.ctx.root
        self.path_edit.setText(str(Path(root).parent / f"{Path(root).name}.briefbundle.zip"))
        self.path_edit.textChanged.connect(lambda _t: self._update_buttons())
        out_row.addWidget(self.path_edit, 1)
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._browse)
        out_row.addWidget(browse)
        layout.addLayout(out_row)

        self.size_label = QLabel(self.tr("Estimating size…"))
        self.size_label.setWordWrap(True)
        layout.addWidget(self.size_label)
        self.flagged_label = QLabel()
        self.flagged_label.setObjectName("exportFlagged")
        self.flagged_label.setWordWrap(True)
        self.flagged_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.flagged_label.setVisible(False)
        layout.addWidget(self.flagged_label)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setAccessibleName(self.tr("Export progress"))
        layout.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        buttons = QHBoxLayout()
        self.show_button = QPushButton(self.tr("Show in folder"))
        self.show_button.setVisible(False)
        self.show_button.clicked.connect(self.show_in_folder)
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        self.cancel_button = QPushButton(self.tr("Close"))
        self.cancel_button.clicked.connect(self.reject)
        self.export_button = QPushButton(self.tr("Export"))
        self.export_button.setDefault(True)
        self.export_button.setToolTip(self.tr("Export the bundle (%1)").replace(
            "%1", QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText)))
        self.export_button.clicked.connect(self.start_export)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.start_export)

    # -- planning -------------------------------------------------------------------------

    def options(self) -> ExportOptions:
        return ExportOptions(
            all_takes=self.all_radio.isChecked(),
            include_consent_evidence=self.evidence_box.isChecked(),
            take_ids=frozenset(self.model.checked_ids()) if self.plan is not None else None,
            skip_flagged=True,
        )

    def _replan(self) -> None:
        self.state = "planning"
        self._update_buttons()
        root = Path(self.ctx.root)
        include = self.evidence_box.isChecked()
        run_task(lambda: plan_export(root, ExportOptions(all_takes=True,
                                                         include_consent_evidence=include)),
                 self._planned)

    def _planned(self, plan: ExportPlan | None, error: BaseException | None) -> None:
        if error is not None or plan is None:
            self.state = "failed"
            self.status.setText(self.tr("Cannot export: %1").replace("%1", str(error)))
            self._update_buttons()
            return
        keep = self.model.checked_ids() if self.plan is not None else None
        self.plan = plan
        self.state = "ready"
        if keep is None:
            self._apply_default()
        else:
            self.model.set_takes(plan.all_takes, keep)
        self._update_buttons()

    def _apply_default(self) -> None:
        if self.plan is None:
            return
        takes = self.plan.all_takes
        if self.all_radio.isChecked():
            checked = {t.id for t in takes}
        else:
            selected = {s.selected_take for s in self.plan.doc.project.shots if s.selected_take}
            checked = {t.id for t in takes if t.review_status == "approved" or t.id in selected}
        self.model.set_takes(takes, checked)

    def _update_summary(self) -> None:
        plan = self.plan
        if plan is None:
            return
        ids = self.model.checked_ids()
        takes = [t for t in plan.all_takes if t.id in ids]
        extra = sum(f.stat().st_size for f in [*plan.cameo_files, *plan.reference_files,
                                                *plan.evidence_files] if f.exists())
        size = sum(t.size for t in takes) + extra + 512 * 1024
        cameos = len(plan.cameo_files)
        redaction = (self.tr("unredacted, with evidence files") if self.evidence_box.isChecked()
                     else self.tr("contact details removed"))
        self.included_label.setText(" · ".join([
            self.tr("brief.pdf (cover + %n shot pages)", "", len(plan.doc.project.shots)),
            "shotlist.csv",
            self.tr("timeline (.otio, .edl, .fcpxml)"),
            "provenance.json", "project.yaml",
            self.tr("%n cameo record(s), %1", "", cameos).replace("%1", redaction),
            "consent-summary.json",
            self.tr("%n reference image(s)", "", len(plan.reference_files)),
            self.tr("%n take(s) with thumbnails and XMP", "", len(takes))]))
        text = self.tr("Estimated size: %1").replace("%1", human_size(size))
        self.flagged_label.setText(flagged_text(plan.all_takes))
        self.flagged_label.setVisible(bool(self.flagged_label.text()))
        if plan.withheld:
            text += "  ·  " + self.tr(
                "%n likeness image(s) withheld: consent not active (%1)", "",
                len(plan.withheld)).replace("%1", ", ".join(w.path for w in plan.withheld))
        if not self.ctx.undo_stack.isClean():
            text += "  ·  " + self.tr("unsaved changes are not in the bundle: save first")
        self.size_label.setText(text)
        self._update_buttons()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save agency bundle"), self.path_edit.text(),
            self.tr("Agency bundles (*.briefbundle.zip);;Zip files (*.zip)"))
        if path:
            self.path_edit.setText(path if path.endswith(".zip") else path + ".briefbundle.zip")

    def _update_buttons(self) -> None:
        running = self.state == "exporting"
        self.export_button.setEnabled(
            self.state in ("ready", "done", "failed", "cancelled") and self.plan is not None
            and bool(self.model.checked_ids() or self.plan.all_takes == [])
            and bool(self.path_edit.text().strip()))
        self.cancel_button.setText(self.tr("Cancel") if running else self.tr("Close"))
        for widget in (self.table, self.default_radio, self.all_radio, self.evidence_box,
                       self.path_edit):
            widget.setEnabled(not running)

    # -- export ---------------------------------------------------------------------------

    def start_export(self) -> None:
        if not self.export_button.isEnabled() or self.plan is None:
            return
        out = Path(self.path_edit.text().strip()).expanduser()
        options = self.options()
        root = Path(self.ctx.root)
        self.output = out
        self._cancel.clear()
        self._last_pct = -1
        self.state = "exporting"
        self.progress.setValue(0)
        self.show_button.setVisible(False)
        self.status.setText(self.tr("Exporting…"))
        self._update_buttons()

        def work() -> Any:  # noqa: ANN401
            return export_bundle(root, out, options, progress=self._emit_progress,
                                 cancel=self._cancel.is_set)

        run_task(work, self._exported)

    def _emit_progress(self, done: int, total: int, label: str) -> None:  # export thread
        pct = int(100 * done / max(total, 1))
        if pct != self._last_pct:
            self._last_pct = pct
            self.progressed.emit(done, total, label)

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setValue(min(100, int(100 * done / max(total, 1))))
        if self.state == "exporting":
            self.status.setText(self.tr("Writing %1").replace("%1", label))

    def _exported(self, result: Any, error: BaseException | None) -> None:  # noqa: ANN401
        if isinstance(error, ExportCancelled):
            self.state = "cancelled"
            self.progress.setValue(0)
            self.status.setText(self.tr("Cancelled; nothing was written."))
        elif error is not None:
            self.state = "failed"
            self.status.setText(self.tr("Export failed: %1").replace("%1", str(error)))
            log.warning("export failed: %s", error)
        else:
            self.state = "done"
            self.progress.setValue(100)
            self.status.setText(
                self.tr("Exported %1: %n take(s), %2. manifest.json sha256 %3…", "",
                        len(result.takes))
                .replace("%1", result.path.name)
                .replace("%2", human_size(result.bytes_written))
                .replace("%3", result.manifest_sha256[:16]))
            self.show_button.setVisible(True)
        self._update_buttons()
        self.finished_export.emit(self.state)

    def cancel_export(self) -> None:
        if self.state == "exporting":
            self._cancel.set()
            self.status.setText(self.tr("Cancelling…"))

    def show_in_folder(self) -> None:
        if self.output is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.output.parent)))

    def reject(self) -> None:
        if self.state == "exporting":  # Esc / Cancel while exporting: cancel, keep open
            self.cancel_export()
            return
        super().reject()

    def closeEvent(self, event: Any) -> None:  # noqa: ANN401, N802
        if self.state == "exporting":
            self.cancel_export()
            event.ignore()
            return
        super().closeEvent(event)


# -- import -------------------------------------------------------------------------------


def _show_report(parent: QWidget | None, ok: bool, text: str) -> None:
    box = QMessageBox(parent)
    box.setWindowTitle(_tr("Bundle imported") if ok else _tr("Bundle refused"))
    box.setIcon(QMessageBox.Icon.Information if ok else QMessageBox.Icon.Warning)
    box.setText(QCoreApplication.translate("ExportDialog", "The bundle was verified and imported.")
                if ok else QCoreApplication.translate(
                    "ExportDialog", "The bundle was refused; nothing was imported."))
    box.setInformativeText(text)
    box.exec()


def _unique_dest(folder: Path, stem: str) -> Path:
    name = stem.removesuffix(".briefbundle").removesuffix("-bundle") or "imported"
    candidate = folder / name
    n = 2
    while candidate.exists():
        candidate = folder / f"{name}-{n}"
        n += 1
    return candidate


def import_bundle_interactive(parent: QWidget | None = None, bundle: Path | None = None,
                              dest: Path | None = None) -> Path | None:
    """Ask for a bundle (unless given), import it beside it or into ``dest``; show the report.

    Returns the new project folder, or None if cancelled or refused.
    """
    if bundle is None:
        path, _ = QFileDialog.getOpenFileName(
            parent, QCoreApplication.translate("ExportDialog", "Import agency bundle"), "",
            QCoreApplication.translate("ExportDialog", "Brief Studio bundles (*.zip)"))
        if not path:
            return None
        bundle = Path(path)
    if dest is None:
        folder = QFileDialog.getExistingDirectory(
            parent, QCoreApplication.translate("ExportDialog", "Import into folder"),
            str(bundle.parent))
        if not folder:
            return None
        dest = _unique_dest(Path(folder), bundle.stem)

    progress = QProgressDialog(
        QCoreApplication.translate("ExportDialog", "Verifying and importing the bundle…"), "",
        0, 0, parent)
    progress.setCancelButton(None)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def done(result: Any, error: BaseException | None) -> None:  # noqa: ANN401
        outcome["result"], outcome["error"] = result, error
        loop.quit()

    target = dest
    run_task(lambda: import_bundle(bundle, target), done)
    if not outcome:
        loop.exec()  # keeps the window responsive while the worker verifies
    progress.close()
    progress.deleteLater()
    error = outcome.get("error")
    if error is not None:
        _show_report(parent, False, str(error))
        return None
    result = outcome["result"]
    entries = len(result.manifest.entries)
    _show_report(parent, True,
                 result.manifest.project_name + "\n" + QCoreApplication.translate(
                     "ExportDialog", "%1 files matched manifest.json (sizes and sha256).")
                 .replace("%1", str(entries)) + "\n" + QCoreApplication.translate(
                     "ExportDialog", "%n take(s) added to the library.", None,
                     len(result.takes)) + "\n" + QCoreApplication.translate(
                     "ExportDialog", "Project folder: %1").replace("%1", str(result.path)))
    return Path(result.path)
