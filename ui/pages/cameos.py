"""The Cameos page: every real person in the project, their consent, and its audit trail.

Left: the cameo list with status badges (active, expiring within 30 days, expired,
revoked, unverified). Right: the record's editor (identity, likeness thumbnails,
verification with an evidence file copied into the project, grants, validity,
restrictions, signature), the shots using the cameo, Revoke (with a reason and a
confirmation dialog) and the audit history.

Saving goes through :func:`studio.consent.save_cameo`, so every edit is an audited event;
loading, hashing, copying and saving run off the GUI thread (:func:`ui.tasks.run_task`).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QT_TRANSLATE_NOOP, QDate, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio import consent, events
from studio.consent import CameoState
from studio.consent.records import ledger_report
from studio.consent.shown import describe
from studio.model import Usage
from ui.cameos_models import AuditModel, CameoDelegate, CameoListModel, IdRole, badge_colours
from ui.context import ProjectContext
from ui.tasks import run_task
from ui.widgets.listedit import split_list
from ui.widgets.thumbs import ThumbnailCache

log = logging.getLogger(__name__)

USAGE_LABELS = {
    Usage.SOCIAL: QT_TRANSLATE_NOOP("CameosPage", "Social"), Usage.PAID_ADS: QT_TRANSLATE_NOOP("CameosPage", "Paid ads"),
    Usage.BROADCAST: QT_TRANSLATE_NOOP("CameosPage", "Broadcast"), Usage.INTERNAL: QT_TRANSLATE_NOOP("CameosPage", "Internal"),
    Usage.PITCH: QT_TRANSLATE_NOOP("CameosPage", "Pitch"),
}
THUMB = QSize(84, 84)


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> str:
    return f"{q.year():04d}-{q.month():02d}-{q.day():02d}"


def _form(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(7)
    return box, form


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class RevokeDialog(QDialog):
    """Asks for the reason and makes the consequence plain before revoking."""

    def __init__(self, name: str, shots: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Revoke consent — %1").replace("%1", name))
        layout = QVBoxLayout(self)
        text = QLabel(self.tr(
            "<b>Revoke %1's consent?</b><br>Queued jobs that show %1 will be "
            "blocked, and every take that used the likeness will be flagged. "
            "%n shot(s) show %1. This cannot be undone: new consent has to be "
            "recorded as a new cameo.", "", len(shots)).replace("%1", escape(name)))
        text.setWordWrap(True)
        layout.addWidget(text)
        reason_label = QLabel(self.tr("Reason (kept in the audit log):"))
        layout.addWidget(reason_label)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(self.tr("e.g. Talent withdrew consent by email on 21 Nov"))
        self.reason.setAccessibleName(self.tr("Reason"))
        self.reason.setFixedHeight(70)
        layout.addWidget(self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.revoke_button = self.buttons.addButton(self.tr("Revoke consent"),
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.revoke_button.setObjectName("dangerButton")
        self.revoke_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason.textChanged.connect(
            lambda: self.revoke_button.setEnabled(bool(self.reason.toPlainText().strip())))
        layout.addWidget(self.buttons)

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()


class CameosPage(QWidget):
    #: emitted after a load/save/revoke finishes (tests wait on it)
    refreshed = Signal()

    def __init__(self, ctx: ProjectContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.states: list[CameoState] = []
        self.current_id: str | None = None
        self.is_new = False
        self.dirty = False
        self._loading = False
        self._likeness: list[str] = []
        self._evidence: tuple[str | None, str | None] = (None, None)
        self._chain_problems: list[str] = []
        self._chain: Any = None
        self._signature_file: tuple[str | None, str | None] = (None, None)
        self._appearances: list[consent.Appearance] = []
        self._shots_generation = 0
        self._load_generation = 0  # only the newest refresh is shown (see refresh)
        self.thumbs = ThumbnailCache(THUMB, self)
        self.thumbs.ready.connect(lambda _key: self._show_thumbs())
        self._build()
        ctx.coreEvent.connect(self._on_core_event)
        ctx.briefChanged.connect(lambda _shot: self._show_shots())
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 12)
        header = QHBoxLayout()
        title = QLabel(self.tr("Cameos"))
        title.setObjectName("pageTitle")
        header.addWidget(title)
        self.meta = QLabel()
        self.meta.setObjectName("pageMeta")
        header.addWidget(self.meta, 1)
        outer.addLayout(header)
        self.chain_banner = QLabel()
        self.chain_banner.setWordWrap(True)
        self.chain_banner.setStyleSheet(
            "background:#fbe0e0; color:#8a1c1c; border-radius:6px; padding:8px;")
        self.chain_banner.hide()
        outer.addWidget(self.chain_banner)

        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split, 1)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.model = CameoListModel(self)
        self.list = QListView()
        self.list.setObjectName("cameoList")
        self.list.setAccessibleName(self.tr("Cameos"))
        self.list.setModel(self.model)
        self.list.setItemDelegate(CameoDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.selectionModel().currentChanged.connect(self._on_current)
        lv.addWidget(self.list, 1)
        self.new_button = QPushButton(self.tr("New cameo"))
        self.new_button.setToolTip(self.tr("Record a new person's consent (Ctrl+Shift+N)"))
        self.new_button.clicked.connect(self.new_cameo)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, self.new_cameo,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        lv.addWidget(self.new_button)
        split.addWidget(left)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 0, 0, 0)
        top = QHBoxLayout()
        self.name_title = QLabel()
        self.name_title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        top.addWidget(self.name_title)
        self.badge = QLabel()
        top.addWidget(self.badge)
        top.addStretch(1)
        self.confirm_button = QPushButton(self.tr("Confirm file…"))
        self.confirm_button.setToolTip(self.tr(
            "Accept the cameo file as it is now, after it was edited or added outside the app "
            "(recorded in the audit log)"))
        self.confirm_button.clicked.connect(self.confirm_current)
        top.addWidget(self.confirm_button)
        self.revert_button = QPushButton(self.tr("Revert"))
        self.revert_button.clicked.connect(self._revert)
        top.addWidget(self.revert_button)
        self.save_button = QPushButton(self.tr("Save cameo"))
        self.save_button.setDefault(True)
        self.save_button.setToolTip(self.tr("Save and record the change in the audit log "
                                            "(Ctrl+Return)"))
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.save,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        top.addWidget(self.save_button)
        self.revoke_button = QPushButton(self.tr("Revoke…"))
        self.revoke_button.setObjectName("dangerButton")
        self.revoke_button.setStyleSheet(
            "QPushButton:enabled { color: #b42323; font-weight: 600; }")
        self.revoke_button.clicked.connect(self.request_revoke)
        top.addWidget(self.revoke_button)
        rv.addLayout(top)
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setStyleSheet("color: #b4500f;")
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rv.addWidget(self.reasons)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b42323; font-weight: 600;")
        self.error.hide()
        rv.addWidget(self.error)

        vsplit = QSplitter(Qt.Orientation.Vertical)
        rv.addWidget(vsplit, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_host = QWidget()
        scroll.setWidget(self.form_host)
        self._build_form(self.form_host)
        vsplit.addWidget(scroll)

        history = QWidget()
        hv = QVBoxLayout(history)
        hv.setContentsMargins(0, 6, 0, 0)
        label = QLabel(self.tr("Audit history"))
        label.setObjectName("paneTitle")
        hv.addWidget(label)
        self.audit_model = AuditModel(self)
        self.audit_view = QTableView()
        self.audit_view.setModel(self.audit_model)
        self.audit_view.setAccessibleName(self.tr("Audit history"))
        self.audit_view.verticalHeader().hide()
        self.audit_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.audit_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.audit_view.setWordWrap(False)
        head = self.audit_view.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        hv.addWidget(self.audit_view)
        vsplit.addWidget(history)
        vsplit.setSizes([540, 150])
        split.addWidget(right)
        split.setSizes([250, 980])
        split.setStretchFactor(1, 1)

    def _build_form(self, host: QWidget) -> None:
        layout = QVBoxLayout(host)
        layout.setContentsMargins(0, 0, 8, 0)
        cols = QHBoxLayout()
        layout.addLayout(cols)
        col1 = QVBoxLayout()
        col2 = QVBoxLayout()
        cols.addLayout(col1, 1)
        cols.addLayout(col2, 1)

        box, f = _form(self.tr("Person"))
        self.f_name = QLineEdit()
        self.f_id = QLineEdit()
        self.f_id.setPlaceholderText(self.tr("lowercase-id"))
        self.f_email = QLineEdit()
        self.f_phone = QLineEdit()
        self.f_agent = QLineEdit()
        self.f_dob = QLineEdit()
        self.f_dob.setPlaceholderText(self.tr("YYYY-MM-DD (optional)"))
        self.f_minor = QCheckBox(self.tr("Minor (needs a guardian)"))
        self.f_guardian = QLineEdit()
        self.f_guardian.setPlaceholderText(self.tr("name, relationship, signed YYYY-MM-DD"))
        for label, w in ((self.tr("Name"), self.f_name), (self.tr("Id"), self.f_id), (self.tr("Email"), self.f_email),
                         (self.tr("Phone"), self.f_phone), (self.tr("Agent"), self.f_agent),
                         (self.tr("Date of birth"), self.f_dob), ("", self.f_minor),
                         (self.tr("Guardian"), self.f_guardian)):
            f.addRow(label, w)
        col1.addWidget(box)

        box, f = _form(self.tr("Likeness"))
        self.thumb_row = QHBoxLayout()
        self.thumb_row.setSpacing(6)
        thumbs = QWidget()
        thumbs.setLayout(self.thumb_row)
        self.thumb_row.setContentsMargins(0, 0, 0, 0)
        thumbs.setMinimumHeight(THUMB.height() + 4)
        f.addRow(thumbs)
        add_img = QPushButton(self.tr("Add image…"))
        add_img.clicked.connect(self._pick_likeness)
        f.addRow(add_img)
        col1.addWidget(box)

        box, f = _form(self.tr("Verification"))
        self.f_method = QComboBox()
        for method, label in consent.METHOD_LABELS.items():
            self.f_method.addItem(label, method.value)
        self.f_verified_by = QLineEdit()
        self.f_verified_on = _date_edit()
        self.f_evidence = QLabel(self.tr("no evidence file"))
        self.f_evidence.setWordWrap(True)
        self.f_evidence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        attach = QPushButton(self.tr("Attach evidence…"))
        attach.setToolTip(self.tr("Copy a signed release / ID check record into the project; "
                                  "its sha256 is recorded"))
        attach.clicked.connect(self._pick_evidence)
        self.f_provider_char = QLineEdit()
        self.f_provider_char.setPlaceholderText(self.tr("for provider-verified characters"))
        self.f_ver_notes = QLineEdit()
        for label, w in ((self.tr("Method"), self.f_method), (self.tr("Verified by"), self.f_verified_by),
                         (self.tr("Verified on"), self.f_verified_on), (self.tr("Evidence"), self.f_evidence),
                         ("", attach), (self.tr("Provider character"), self.f_provider_char),
                         (self.tr("Notes"), self.f_ver_notes)):
            f.addRow(label, w)
        col1.addWidget(box)
        col1.addStretch(1)

        box, f = _form(self.tr("Grants"))
        self.f_projects = QLineEdit()
        self.f_projects.setPlaceholderText(self.tr("project ids, or any"))
        usage_row = QGridLayout()
        usage_row.setHorizontalSpacing(10)
        self.f_usages: dict[Usage, QCheckBox] = {}
        for n, (usage, label) in enumerate(USAGE_LABELS.items()):
            cb = QCheckBox(self.tr(label))
            self.f_usages[usage] = cb
            usage_row.addWidget(cb, n // 3, n % 3)
        usages = QWidget()
        usages.setLayout(usage_row)
        usage_row.setContentsMargins(0, 0, 0, 0)
        self.f_territories = QLineEdit()
        self.f_territories.setPlaceholderText(self.tr("GB, IE, US or worldwide"))
        self.f_voice = QCheckBox(self.tr("Voice allowed"))
        self.f_remix = QCheckBox(self.tr("Remix allowed"))
        vr = QHBoxLayout()
        vr.setContentsMargins(0, 0, 0, 0)
        vr.addWidget(self.f_voice)
        vr.addWidget(self.f_remix)
        vr.addStretch(1)
        vrw = QWidget()
        vrw.setLayout(vr)
        self.f_from = _date_edit()
        self.f_until = _date_edit()
        for label, w in ((self.tr("Projects"), self.f_projects), (self.tr("Usages"), usages),
                         (self.tr("Territories"), self.f_territories), ("", vrw),
                         (self.tr("Valid from"), self.f_from), (self.tr("Valid until"), self.f_until)):
            f.addRow(label, w)
        col2.addWidget(box)

        box, f = _form(self.tr("Restrictions"))
        self.f_restrictions = QPlainTextEdit()
        self.f_restrictions.setFixedHeight(76)
        self.f_restrictions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.f_topics = QLineEdit()
        self.f_topics.setPlaceholderText(self.tr("topics to avoid, comma separated"))
        f.addRow(self.tr("Written"), self.f_restrictions)
        f.addRow(self.tr("Avoid topics"), self.f_topics)
        col2.addWidget(box)

        box, f = _form(self.tr("Signature"))
        self.f_sig_name = QLineEdit()
        self.f_sig_on = _date_edit()
        self.f_notes = QLineEdit()
        f.addRow(self.tr("Typed name"), self.f_sig_name)
        f.addRow(self.tr("Signed on"), self.f_sig_on)
        f.addRow(self.tr("Notes"), self.f_notes)
        col2.addWidget(box)

        box, f = _form(self.tr("Shots using this cameo"))
        self.shots_label = QLabel()
        self.shots_label.setWordWrap(True)
        f.addRow(self.shots_label)
        col2.addWidget(box)
        col2.addStretch(1)

        for w in (self.f_name, self.f_id, self.f_email, self.f_phone, self.f_agent, self.f_dob,
                  self.f_guardian, self.f_verified_by, self.f_provider_char, self.f_ver_notes,
                  self.f_projects, self.f_territories, self.f_topics, self.f_sig_name,
                  self.f_notes):
            w.textEdited.connect(self._mark_dirty)
        for cb in (self.f_minor, self.f_voice, self.f_remix, *self.f_usages.values()):
            cb.toggled.connect(self._mark_dirty)
        for d in (self.f_verified_on, self.f_from, self.f_until, self.f_sig_on):
            d.dateChanged.connect(self._mark_dirty)
        self.f_method.currentIndexChanged.connect(self._mark_dirty)
        self.f_restrictions.textChanged.connect(self._mark_dirty)

    # ------------------------------------------------------------------ loading
    def refresh(self, select: str | None = None) -> None:
        root = Path(self.ctx.root)

        def work() -> tuple[list[CameoState], Any]:
            report = consent.audit(root)
            return report.cameos, (report, ledger_report(root))

        # two refreshes can overlap (a save, then a revoke): one that started earlier may
        # answer later, and must not put the older consent state back on screen
        self._load_generation += 1
        generation = self._load_generation

        def done(result: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if generation == self._load_generation:
                self._loaded(result, error, select)

        run_task(work, done)

    def _loaded(self, result: Any, error: BaseException | None, select: str | None) -> None:  # noqa: ANN401
        if error is not None:
            log.warning("cameos: could not load: %s", error)
            self._show_error(str(error))
            self.refreshed.emit()
            return
        states, (audit_result, chain) = result
        self.states = states
        self._chain = chain
        self._chain_problems = [p for p in audit_result.problems if p.startswith("audit log")]
        keep = select or self.current_id
        self.model.set_states(states)
        active = sum(1 for s in states if s.status == "active")
        self.meta.setText("  " + self.tr("%1 people · %2 with active consent · %3 audit events")
                          .replace("%1", str(len(states))).replace("%2", str(active))
                          .replace("%3", str(audit_result.events)))
        if self._chain_problems:
            self.chain_banner.setText("⚠ " + " ".join(self._chain_problems) + " "
                                      + self.tr("Affected cameos count as unverified."))
            self.chain_banner.show()
        else:
            self.chain_banner.hide()
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and states:
            row = 0
        if row >= 0 and not (self.is_new and self.dirty):
            self.list.setCurrentIndex(self.model.index(row))
            self._show_state(self.states[row])
        elif not states:
            self.new_cameo()
        self.refreshed.emit()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        cameo_id = current.data(IdRole)
        state = next((s for s in self.states if s.id == cameo_id), None)
        if state is not None and (state.id != self.current_id or not self.dirty):
            self._show_state(state)

    def _on_core_event(self, event: events.Event) -> None:
        if event.kind == events.CONSENT_CHANGED:
            self.refresh()

    def state(self) -> CameoState | None:
        return next((s for s in self.states if s.id == self.current_id), None)

    # ------------------------------------------------------------------ the form
    def _show_state(self, state: CameoState) -> None:
        self.current_id = state.id
        self.is_new = False
        self._show_header(state.name, state.badge, state.reasons)
        cameo = state.cameo
        self._loading = True
        try:
            self.f_id.setText(state.id)
            self.f_id.setReadOnly(True)
            if cameo is not None:
                self._fill(cameo)
            self.form_host.setEnabled(cameo is not None and state.status != "revoked")
        finally:
            self._loading = False
        self.dirty = False
        self.error.hide()
        if self._chain is not None:
            events_ = [e for e in self._chain.events if e.cameo_id == state.id]
            self.audit_model.set_events(events_, self._chain.broken_from)
        self.save_button.setEnabled(cameo is not None and state.status != "revoked")
        self.revert_button.setEnabled(False)
        self.revoke_button.setEnabled(state.status != "revoked")
        editable = state.status != "revoked"  # a revoked record is read-only for good
        for button in (self.save_button, self.revert_button, self.revoke_button):
            button.setVisible(editable)
        can_confirm = state.status == "unverified" and cameo is not None and not any(
            "tampered" in r or "evidence" in r or "signed file" in r for r in state.reasons)
        self.confirm_button.setVisible(can_confirm)
        self._show_shots()

    def _show_header(self, name: str, badge: str, reasons: list[str]) -> None:
        self.name_title.setText(name)
        label, bg, fg = badge_colours(badge)
        self.badge.setText(label)
        self.badge.setStyleSheet(
            f"background:{bg.name()}; color:{fg.name()}; border-radius:9px; padding:2px 10px;"
            " font-weight:600;")
        self.reasons.setText("\n".join(f"• {r}" for r in reasons))
        self.reasons.setVisible(bool(reasons))

    def _fill(self, cameo: consent.Cameo) -> None:
        self.f_name.setText(cameo.name)
        self.f_email.setText(cameo.contact.email)
        self.f_phone.setText(cameo.contact.phone)
        self.f_agent.setText(cameo.contact.agent)
        self.f_dob.setText(cameo.date_of_birth.isoformat() if cameo.date_of_birth else "")
        self.f_minor.setChecked(cameo.minor)
        g = cameo.guardian
        self.f_guardian.setText(f"{g.name}, {g.relationship}, {g.signed_on}" if g else "")
        self.f_method.setCurrentIndex(max(0, self.f_method.findData(cameo.verification.method.value)))
        self.f_verified_by.setText(cameo.verification.verified_by)
        self.f_verified_on.setDate(_qdate(cameo.verification.verified_on))
        self._set_evidence(cameo.verification.evidence, cameo.verification.evidence_sha256)
        self.f_provider_char.setText(cameo.verification.provider_character_id or "")
        self.f_ver_notes.setText(cameo.verification.notes)
        self.f_projects.setText(", ".join(cameo.grants.projects))
        for usage, cb in self.f_usages.items():
            cb.setChecked(usage in cameo.grants.usages)
        self.f_territories.setText(", ".join(cameo.grants.territories))
        self.f_voice.setChecked(cameo.grants.voice)
        self.f_remix.setChecked(cameo.grants.remix)
        self.f_from.setDate(_qdate(cameo.valid_from))
        self.f_until.setDate(_qdate(cameo.valid_until))
        self.f_restrictions.setPlainText(cameo.restrictions.text)
        self.f_topics.setText(", ".join(cameo.restrictions.avoid_topics))
        self.f_sig_name.setText(cameo.signature.typed_name)
        self.f_sig_on.setDate(_qdate(cameo.signature.signed_on))
        self.f_notes.setText(cameo.notes)
        for edit in self.form_host.findChildren(QLineEdit):
            edit.setCursorPosition(0)
        self._likeness = list(cameo.likeness)
        self._signature_file = (cameo.signature.file, cameo.signature.file_sha256)
        self._show_thumbs()

    def _set_evidence(self, rel: str | None, sha: str | None) -> None:
        self._evidence = (rel, sha)
        if rel:
            self.f_evidence.setText(f"{rel}\nsha256 {sha[:16] if sha else '?'}…")
        else:
            self.f_evidence.setText(self.tr("no evidence file"))

    def _show_thumbs(self) -> None:
        while self.thumb_row.count():
            item = self.thumb_row.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        root = Path(self.ctx.root)
        for rel in self._likeness:
            label = QLabel()
            label.setFixedSize(THUMB)
            label.setToolTip(rel)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("border: 1px solid #d9dce3; border-radius: 6px;")
            pix: QPixmap | None = self.thumbs.get([root / rel])
            if pix is not None:
                label.setPixmap(pix.copy(0, 0, THUMB.width(), THUMB.height()))
            else:
                label.setText("…" if (root / rel).is_file() else self.tr("missing"))
            self.thumb_row.addWidget(label)
        if not self._likeness:
            self.thumb_row.addWidget(QLabel(self.tr("No likeness images yet")))
        self.thumb_row.addStretch(1)

    def _show_shots(self) -> None:
        """The shots that show this person, as the consent gate sees them (studio.consent
        appearances: listed, a character they play, a likeness reference), and where they
        speak (voice consent needed). Worked out off the GUI thread (it may hash images)."""
        self._shots_generation += 1
        generation = self._shots_generation
        cameo_id = self.current_id
        if cameo_id is None:
            self._appearances = []
            self.shots_label.setText("")
            return
        root = Path(self.ctx.root)
        project = self.ctx.project.model_copy(deep=True)

        def done(found: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if generation != self._shots_generation:
                return  # another cameo or brief edit since
            if error is not None:
                log.warning("cannot work out the shots showing %s: %s", cameo_id, error)
                self._appearances = []
                self.shots_label.setText(self.tr("Cannot tell which shots show this person: ")
                                         + str(error))
                return
            self._appearances = list(found)
            self._render_shots()

        run_task(lambda: consent.appearances(root, project, cameo_id), done)

    def _render_shots(self) -> None:
        found = self._appearances
        if not found:
            self.shots_label.setText(self.tr("No shot shows this person yet."))
            return
        lines = []
        for a in found:
            how = describe(list(a.via))
            line = f"<b>{escape(a.shot_id)}</b> — {escape(a.title or 'untitled')}"
            if how:
                line += f" · via {escape(how)}"
            if a.speaks:
                line += " · speaks"
            lines.append(line)
        self.shots_label.setText("<br>".join(lines))

    def _mark_dirty(self, *_args: Any) -> None:  # noqa: ANN401
        if self._loading:
            return
        self.dirty = True
        self.revert_button.setEnabled(True)

    def _revert(self) -> None:
        state = self.state()
        if state is not None:
            self._show_state(state)

    def new_cameo(self) -> None:
        """Start a new record, pre-filled with this project's usage and territories."""
        project = self.ctx.project
        today = datetime.now(UTC).date()
        self.current_id = None
        self.is_new = True
        self.list.clearSelection()
        self._loading = True
        try:
            for w in (self.f_name, self.f_id, self.f_email, self.f_phone, self.f_agent,
                      self.f_dob, self.f_guardian, self.f_verified_by, self.f_provider_char,
                      self.f_ver_notes, self.f_topics, self.f_sig_name, self.f_notes):
                w.clear()
            self.f_id.setReadOnly(False)
            self.f_restrictions.clear()
            self.f_minor.setChecked(False)
            self.f_method.setCurrentIndex(self.f_method.findData("in_person_id"))
            self.f_verified_on.setDate(_qdate(today))
            self.f_projects.setText(project.id)
            for usage, cb in self.f_usages.items():
                cb.setChecked(usage in project.usage)
            self.f_territories.setText(", ".join(project.territories))
            self.f_voice.setChecked(False)
            self.f_remix.setChecked(False)
            self.f_from.setDate(_qdate(today))
            self.f_until.setDate(_qdate(today + timedelta(days=365)))
            self.f_sig_on.setDate(_qdate(today))
            self._set_evidence(None, None)
            self._signature_file = (None, None)
            self._likeness = []
            self._show_thumbs()
        finally:
            self._loading = False
        self.form_host.setEnabled(True)
        self.dirty = False
        self.error.hide()
        self.audit_model.set_events([])
        self._show_header(self.tr("New cameo"), "new", [])
        self.save_button.setEnabled(True)
        self.revoke_button.setEnabled(False)
        for button in (self.save_button, self.revert_button, self.revoke_button):
            button.setVisible(True)
        self.confirm_button.hide()
        self._shots_generation += 1
        self._appearances = []
        self.shots_label.setText("")
        self.f_name.setFocus()

    def form_data(self) -> dict[str, Any]:
        """The record as the form shows it (validated by the core on save)."""
        guardian = None
        parts = [p.strip() for p in self.f_guardian.text().split(",")]
        if any(parts):
            signed = parts[2].removeprefix("signed").strip() if len(parts) > 2 else ""
            guardian = {"name": parts[0], "relationship": parts[1] if len(parts) > 1 else "",
                        "signed_on": signed or None}
        evidence, sha = self._evidence
        sig_file, sig_sha = self._signature_file
        state = self.state()
        return {
            "schema_version": consent.CAMEO_SCHEMA_VERSION,
            "id": self.f_id.text().strip(),
            "name": self.f_name.text().strip(),
            "contact": {"email": self.f_email.text().strip(), "phone": self.f_phone.text().strip(),
                        "agent": self.f_agent.text().strip(),
                        "address": state.cameo.contact.address if state and state.cameo else ""},
            "likeness": list(self._likeness),
            "date_of_birth": self.f_dob.text().strip() or None,
            "minor": self.f_minor.isChecked(),
            "guardian": guardian,
            "verification": {
                "method": self.f_method.currentData(),
                "verified_by": self.f_verified_by.text().strip(),
                "verified_on": _pydate(self.f_verified_on.date()),
                "evidence": evidence, "evidence_sha256": sha,
                "provider_character_id": self.f_provider_char.text().strip() or None,
                "notes": self.f_ver_notes.text().strip(),
            },
            "grants": {
                "projects": split_list(self.f_projects.text()),
                "usages": [u.value for u, cb in self.f_usages.items() if cb.isChecked()],
                "territories": split_list(self.f_territories.text()),
                "voice": self.f_voice.isChecked(), "remix": self.f_remix.isChecked(),
            },
            "restrictions": {"text": self.f_restrictions.toPlainText().strip(),
                             "avoid_topics": split_list(self.f_topics.text())},
            "valid_from": _pydate(self.f_from.date()),
            "valid_until": _pydate(self.f_until.date()),
            "signature": {"typed_name": self.f_sig_name.text().strip(),
                          "signed_on": _pydate(self.f_sig_on.date()),
                          "file": sig_file, "file_sha256": sig_sha},
            "status": "active",
            "revocation": None,
            "notes": self.f_notes.text().strip(),
        }

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # ------------------------------------------------------------------ actions
    def save(self) -> None:
        try:
            cameo = consent.Cameo.model_validate(self.form_data())
        except ValidationError as exc:
            lines = []
            for e in exc.errors():
                where = ".".join(str(p) for p in e["loc"])
                msg = e["msg"].removeprefix("Value error, ")
                lines.append(f"{where}: {msg}" if where else msg)
            self._show_error(self.tr("Not saved: ") + "; ".join(lines))
            return
        if self.is_new and any(s.id == cameo.id for s in self.states):
            self._show_error(self.tr("Not saved: a cameo with id %1 already exists")
                             .replace("%1", repr(cameo.id)))
            return
        root = Path(self.ctx.root)
        bus = self.ctx.bus
        self.save_button.setEnabled(False)
        run_task(lambda: consent.save_cameo(root, cameo, consent.default_actor(), bus=bus),
                 lambda result, error: self._after_change(cameo.id, result, error))

    def _after_change(self, cameo_id: str, result: Any, error: BaseException | None) -> None:  # noqa: ANN401
        self.save_button.setEnabled(True)
        if error is not None:
            self._show_error(self.tr("Not saved: ") + str(error))
            self.refreshed.emit()
            return
        self.dirty = False
        self.is_new = False
        self.error.hide()
        self.ctx.brief_changed("")  # shot cards re-check consent
        self.refresh(select=cameo_id)

    def confirm_current(self) -> None:
        state = self.state()
        if state is None:
            return
        root, bus = Path(self.ctx.root), self.ctx.bus
        run_task(lambda: consent.confirm(root, state.id, consent.default_actor(),
                                         "confirmed in the Cameos page", bus),
                 lambda result, error: self._after_change(state.id, result, error))

    def request_revoke(self) -> None:
        state = self.state()
        if state is None:
            return
        shots = [a.shot_id for a in self._appearances] if self.current_id == state.id else [
            s.id for s in self.ctx.project.shots if state.id in s.cameos]
        dialog = RevokeDialog(state.name, shots, self)
        self._revoke_dialog = dialog
        dialog.accepted.connect(lambda: self.revoke_current(dialog.reason_text()))
        dialog.open()

    def revoke_current(self, reason: str) -> None:
        state = self.state()
        if state is None or not reason.strip():
            return
        root, bus = Path(self.ctx.root), self.ctx.bus
        run_task(lambda: consent.revoke(root, state.id, reason, consent.default_actor(), bus),
                 lambda result, error: self._after_revoke(state.id, result, error))

    def _after_revoke(self, cameo_id: str, report: Any, error: BaseException | None) -> None:  # noqa: ANN401
        if error is None and report is not None:
            self.last_revoke = report
            window = self.window()
            bar = getattr(window, "statusBar", None)
            if callable(bar):
                bar().showMessage(
                    self.tr("Consent revoked: %n queued job(s) blocked", "", report.jobs_blocked)
                    + ", " + self.tr("%n take(s) flagged", "", report.results_flagged), 8000)
        self._after_change(cameo_id, None, error)

    def _pick_evidence(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Attach evidence"), "",
                                              self.tr("Documents (*.pdf *.png *.jpg *.jpeg);;"
                                                      "All files (*)"))
        if path:
            self.attach_evidence(Path(path))

    def attach_evidence(self, source: Path) -> None:
        root = Path(self.ctx.root)
        run_task(lambda: consent.attach_file(root, source),
                 lambda result, error: self._evidence_done(result, error))

    def _evidence_done(self, result: Any, error: BaseException | None) -> None:  # noqa: ANN401
        if error is not None:
            self._show_error(str(error))
            return
        rel, sha = result
        self._set_evidence(rel, sha)
        self._mark_dirty()

    def _pick_likeness(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Add likeness image"), "",
                                              self.tr("Images (*.png *.jpg *.jpeg *.webp)"))
        if path:
            self.add_likeness(Path(path))

    def add_likeness(self, source: Path) -> None:
        root = Path(self.ctx.root)
        run_task(lambda: consent.attach_file(root, source, "references"),
                 lambda result, error: self._likeness_done(result, error))

    def _likeness_done(self, result: Any, error: BaseException | None) -> None:  # noqa: ANN401
        if error is not None:
            self._show_error(str(error))
            return
        rel, _sha = result
        if rel not in self._likeness:
            self._likeness.append(rel)
        self._show_thumbs()
        self._mark_dirty()
