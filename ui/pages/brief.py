"""The Brief page: project name, client, usage, territories, budget, style guide,
characters and guardrails. Every edit is an undo command."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.model import Usage
from studio.vocab import default_vocabulary
from ui import commands
from ui.context import ProjectContext
from ui.models import CharactersModel
from ui.widgets.listedit import ListEdit, TextLine

log = logging.getLogger(__name__)

USAGE_LABELS = {
    Usage.SOCIAL: QT_TRANSLATE_NOOP("BriefPage", "Social (organic)"),
    Usage.PAID_ADS: QT_TRANSLATE_NOOP("BriefPage", "Paid ads"),
    Usage.BROADCAST: QT_TRANSLATE_NOOP("BriefPage", "Broadcast"),
    Usage.INTERNAL: QT_TRANSLATE_NOOP("BriefPage", "Internal"),
    Usage.PITCH: QT_TRANSLATE_NOOP("BriefPage", "Pitch"),
}


def _form(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(14)
    form.setVerticalSpacing(9)
    return box, form


class BriefPage(QWidget):
    def __init__(self, ctx: ProjectContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("briefPage")
        self.ctx = ctx
        self.status_callback: Any = None
        self._loading = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        body.setObjectName("briefBody")
        scroll.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(24, 16, 24, 24)
        lay.setSpacing(14)

        title = QLabel(self.tr("Brief"))
        title.setObjectName("pageTitle")
        lay.addWidget(title)

        columns = QHBoxLayout()
        columns.setSpacing(18)
        left = QVBoxLayout()
        right = QVBoxLayout()
        left.setSpacing(14)
        right.setSpacing(14)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        lay.addLayout(columns)

        # --- Project ------------------------------------------------------------------------
        box, form = _form(self.tr("Project"))
        self.name = TextLine(placeholder=self.tr("Campaign name"))
        self.name.setAccessibleName(self.tr("Project name"))
        self.name.textEdited_.connect(lambda t: self._set(("name",), t, self.tr("Rename project")))
        self.client = TextLine(placeholder=self.tr("Client or brand"))
        self.client.setAccessibleName(self.tr("Client"))
        self.client.textEdited_.connect(lambda t: self._set(("client",), t, self.tr("Edit client")))
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Client"), self.client)
        usage_row = QGridLayout()
        self.usage_boxes: dict[Usage, QCheckBox] = {}
        for i, usage in enumerate(Usage):
            cb = QCheckBox(self.tr(USAGE_LABELS[usage]))
            cb.setAccessibleName(self.tr("Usage: %1").replace("%1", self.tr(USAGE_LABELS[usage])))
            cb.toggled.connect(self._usage_toggled)
            self.usage_boxes[usage] = cb
            usage_row.addWidget(cb, i // 2, i % 2)
        form.addRow(self.tr("Usage"), usage_row)
        self.territories = ListEdit(placeholder=self.tr("e.g. GB, US, worldwide"))
        self.territories.setAccessibleName(self.tr("Territories"))
        self.territories.listEdited.connect(
            lambda v: self._set(("territories",), v, self.tr("Edit territories")))
        form.addRow(self.tr("Territories"), self.territories)
        self.budget = QDoubleSpinBox()
        self.budget.setRange(-1, 1_000_000)
        self.budget.setDecimals(0)
        self.budget.setSingleStep(10)
        self.budget.setPrefix("$ ")
        self.budget.setSpecialValueText(self.tr("No cap"))
        self.budget.setKeyboardTracking(False)
        self.budget.setAccessibleName(self.tr("Budget cap in US dollars"))
        self.budget.setToolTip(self.tr("Generation spend cap for this project; jobs over it are blocked"))
        self.budget.valueChanged.connect(
            lambda v: self._set(("budget_usd",), float(v) if v >= 0 else None,
                                self.tr("Change budget")))
        form.addRow(self.tr("Budget cap"), self.budget)
        left.addWidget(box)

        # --- Style guide ---------------------------------------------------------------------
        box, form = _form(self.tr("Style guide"))
        self.look = QPlainTextEdit()
        self.look.setPlaceholderText(self.tr("The overall look, e.g. naturalistic documentary realism"))
        self.look.setAccessibleName(self.tr("Look"))
        self.look.setMaximumHeight(72)
        self.look.textChanged.connect(
            lambda: self._set(("style", "look"), self.look.toPlainText(), self.tr("Edit look")))
        self.palette_edit = ListEdit(placeholder=self.tr("colour names, comma separated"))
        self.palette_edit.setAccessibleName(self.tr("Palette"))
        self.palette_edit.listEdited.connect(
            lambda v: self._set(("style", "palette"), v, self.tr("Edit palette")))
        self.grade = TextLine(placeholder=self.tr("e.g. soft filmic contrast, warm highlights"))
        self.grade.setAccessibleName(self.tr("Grade"))
        self.grade.textEdited_.connect(
            lambda t: self._set(("style", "grade"), t, self.tr("Edit grade")))
        self.aspect = QComboBox()
        self.aspect.setAccessibleName(self.tr("Default aspect ratio"))
        for term in default_vocabulary().terms("aspects"):
            self.aspect.addItem(term.label, term.id)
            self.aspect.setItemData(self.aspect.count() - 1, term.description,
                                    Qt.ItemDataRole.ToolTipRole)
        self.aspect.currentIndexChanged.connect(
            lambda _i: self._set(("style", "aspect"), self.aspect.currentData(),
                                 self.tr("Change aspect")))
        self.style_refs = ListEdit(placeholder=self.tr("references/… paths, comma separated"))
        self.style_refs.setAccessibleName(self.tr("Style references"))
        self.style_refs.listEdited.connect(
            lambda v: self._set(("style", "references"), v, self.tr("Edit style references")))
        form.addRow(self.tr("Look"), self.look)
        form.addRow(self.tr("Palette"), self.palette_edit)
        form.addRow(self.tr("Grade"), self.grade)
        form.addRow(self.tr("Aspect"), self.aspect)
        form.addRow(self.tr("References"), self.style_refs)
        right.addWidget(box)

        # --- Guardrails ---------------------------------------------------------------------
        box, form = _form(self.tr("Guardrails"))
        self.avoid_terms = ListEdit(placeholder=self.tr("terms no prompt may contain"))
        self.avoid_terms.setAccessibleName(self.tr("Terms to avoid"))
        self.avoid_terms.listEdited.connect(
            lambda v: self._set(("guardrails", "avoid_terms"), v, self.tr("Edit guardrails")))
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(self.tr("Legal and brand notes for everyone on the job"))
        self.notes.setAccessibleName(self.tr("Guardrail notes"))
        self.notes.setMaximumHeight(72)
        self.notes.textChanged.connect(
            lambda: self._set(("guardrails", "notes"), self.notes.toPlainText(),
                              self.tr("Edit notes")))
        form.addRow(self.tr("Avoid"), self.avoid_terms)
        form.addRow(self.tr("Notes"), self.notes)
        left.addWidget(box)
        left.addStretch(1)
        right.addStretch(1)

        # --- Characters -----------------------------------------------------------------------
        box = QGroupBox(self.tr("Characters"))
        blay = QVBoxLayout(box)
        self.characters = CharactersModel(ctx, self)
        self.characters.editRefused.connect(self._status)
        self.char_view = QTableView()
        self.char_view.setModel(self.characters)
        self.char_view.setAccessibleName(self.tr("Characters"))
        self.char_view.verticalHeader().setVisible(False)
        self.char_view.setAlternatingRowColors(True)
        self.char_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.char_view.horizontalHeader()
        for col in (0, 1, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.char_view.setMinimumHeight(140)
        blay.addWidget(self.char_view)
        row = QHBoxLayout()
        add = QToolButton()
        add.setText(self.tr("+ Add character"))
        add.clicked.connect(lambda: self.characters.add_row())
        rm = QToolButton()
        rm.setText(self.tr("− Remove"))
        rm.clicked.connect(lambda: self.char_view.currentIndex().isValid()
                           and self.characters.remove_row(self.char_view.currentIndex().row()))
        row.addWidget(add)
        row.addWidget(rm)
        row.addStretch(1)
        blay.addLayout(row)
        lay.addWidget(box)
        lay.addStretch(1)

        ctx.briefChanged.connect(self._on_brief_changed)
        self.refresh()

    def _status(self, message: str) -> None:
        if self.status_callback:
            self.status_callback(message)

    def _on_brief_changed(self, shot_id: str) -> None:
        if not shot_id:
            self.refresh()

    def refresh(self) -> None:
        p = self.ctx.project
        self._loading = True
        try:
            self.name.set_text(p.name)
            self.client.set_text(p.client)
            for usage, cb in self.usage_boxes.items():
                cb.setChecked(usage in p.usage)
            self.territories.set_list(p.territories)
            self.budget.setValue(p.budget_usd if p.budget_usd is not None else -1)
            if self.look.toPlainText() != p.style.look:
                self.look.setPlainText(p.style.look)
            self.palette_edit.set_list(p.style.palette)
            self.grade.set_text(p.style.grade)
            idx = self.aspect.findData(p.style.aspect)
            if idx < 0:
                self.aspect.addItem(p.style.aspect, p.style.aspect)
                idx = self.aspect.count() - 1
            self.aspect.setCurrentIndex(idx)
            self.style_refs.set_list(p.style.references)
            self.avoid_terms.set_list(p.guardrails.avoid_terms)
            if self.notes.toPlainText() != p.guardrails.notes:
                self.notes.setPlainText(p.guardrails.notes)
        finally:
            self._loading = False

    def _set(self, path: tuple[str, ...], value: Any, text: str) -> None:  # noqa: ANN401
        if self._loading:
            return
        problem = commands.push_set(self.ctx, None, path, value, text)
        if problem:
            self._status(problem)
            self.refresh()

    def _usage_toggled(self, _checked: bool) -> None:
        chosen = [u for u, cb in self.usage_boxes.items() if cb.isChecked()]
        self._set(("usage",), chosen, self.tr("Change usage"))
