"""The Shots page: a storyboard strip of shot cards over a shot editor and a live prompt.

Every edit is an undo command (:mod:`ui.commands`). The compiled prompt and the linter's
warnings are recomputed off the GUI thread, debounced, from a copy of the project.

Startup: with ``defer=True`` (the main window on screen) the page paints the storyboard
first; the shot editor (some forty widgets and the vocabulary combos), the cameo names and
the consent check follow one event-loop turn later. ``editor`` always returns a built editor.
The storyboard's layout and the prompt pane live in :mod:`ui.pages.storyboard`, which the
main window also uses to paint the first frame before the brief is validated.
"""

from __future__ import annotations

import importlib
import logging
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QStringListModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QColor,
    QKeySequence,
    QPaintEvent,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from studio.compiler import compile_shot
from studio.events import CONSENT_CHANGED, RESULT_ADDED, RESULT_CHANGED, Event
from studio.linter import lint_shot
from studio.model import Project, Shot, new_id
from studio.project import REFERENCES_DIR
from studio.vocab import default_vocabulary
from ui import commands
from ui.context import ProjectContext
from ui.models import BeatsModel, DialogueModel, ShotListModel
from ui.pages.storyboard import StoryboardPage, new_thumbnail_cache
from ui.tasks import run_task
from ui.widgets.listedit import ListEdit, TextLine
from ui.widgets.thumbs import ThumbnailCache
from ui.widgets.vocab_combo import VocabCombo

log = logging.getLogger(__name__)

REFRESH_MS = 250
DEFER_MAX_MS = 1000  # a deferred editor is built by then even if the page never painted


def load_cameo_names(root: Path) -> dict[str, str]:
    """Cameo ids (cameos/*.yaml) to display names; runs off the GUI thread."""
    from studio.cli import cameo_names

    names = cameo_names(root)
    folder = root / "cameos"
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            names.setdefault(path.stem, path.stem)
    return names


BADGE_TEXT = {
    "active": QT_TRANSLATE_NOOP("ShotEditor", "consent active"),
    "expiring": QT_TRANSLATE_NOOP("ShotEditor", "consent expiring soon"),
    "expired": QT_TRANSLATE_NOOP("ShotEditor", "consent expired"),
    "revoked": QT_TRANSLATE_NOOP("ShotEditor", "consent revoked"),
    "unverified": QT_TRANSLATE_NOOP("ShotEditor", "changed outside the app: confirm it"),
    "invalid": QT_TRANSLATE_NOOP("ShotEditor", "record invalid"),
    "pending": QT_TRANSLATE_NOOP("ShotEditor", "consent pending"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("ShotsPage", text)
BADGE_MARK = {"active": "✓", "expiring": "⚠", "expired": "✕", "revoked": "✕",
              "unverified": "?", "invalid": "✕", "pending": "…"}


def load_cameo_badges(root: Path) -> dict[str, str]:
    """Cameo id -> consent badge (studio.consent); empty if the ledger cannot be read."""
    try:
        from studio.consent import cameo_states

        return {state.id: state.badge for state in cameo_states(root)}
    except Exception as exc:  # noqa: BLE001 - the picker still works without badges
        log.warning("could not read consent states: %s", exc)
        return {}


def consent_problems(root: Path, project: Project) -> dict[str, list[str]]:
    """Per shot, the consent engineer's problems (empty if that module is not there)."""
    try:
        consent = importlib.import_module("studio.consent")
        check = consent.shot_consent_problems
    except (ImportError, AttributeError) as exc:
        log.warning("consent check not available: %s", exc)
        return {s.id: [_tr("consent cannot be checked: %1").replace("%1", str(exc))]
                for s in project.shots if s.cameos}
    out: dict[str, list[str]] = {}
    for shot in project.shots:
        # every shot: a character or a likeness reference can show a cameo not listed
        try:
            problems = check(root, project, shot)
        except Exception as exc:  # noqa: BLE001 - another module's bug must not break the strip
            log.warning("consent check failed for %s: %s", shot.id, exc)
            problems = [_tr("consent cannot be checked: %1").replace("%1", str(exc))]
        if problems:
            out[shot.id] = [str(p) for p in problems]
    return out


def _section(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(8)
    return box, form


class ShotEditor(QWidget):
    """Edits one shot (``set_shot``). Writes through undo commands only."""

    def __init__(self, ctx: ProjectContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.shot_id: str | None = None
        self.cameo_names: dict[str, str] = {}
        self.cameo_badges: dict[str, str] = {}
        self._loading = False
        self.status: Any = None  # callable(str) for refused edits
        vocab = default_vocabulary()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 8, 0)
        outer.setSpacing(14)

        # --- Shot -----------------------------------------------------------------------
        box, form = _section(self.tr("Shot"))
        self.title = TextLine(placeholder=self.tr("Short working title"))
        self.title.setAccessibleName(self.tr("Shot title"))
        self.title.textEdited_.connect(lambda t: self._set(("title",), t, self.tr("Edit title")))
        form.addRow(self.tr("Title"), self.title)
        row = QHBoxLayout()
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.5, 120)
        self.duration.setSingleStep(0.5)
        self.duration.setDecimals(1)
        self.duration.setSuffix(" s")
        self.duration.setKeyboardTracking(False)
        self.duration.setAccessibleName(self.tr("Duration in seconds"))
        self.duration.valueChanged.connect(
            lambda v: self._set(("duration",), round(float(v), 2), self.tr("Change duration")))
        row.addWidget(self.duration)
        row.addSpacing(12)
        row.addWidget(QLabel(self.tr("Aspect")))
        self.aspect = QComboBox()
        self.aspect.setAccessibleName(self.tr("Aspect ratio"))
        self.aspect.addItem("", None)
        for term in vocab.terms("aspects"):
            self.aspect.addItem(term.label, term.id)
            self.aspect.setItemData(self.aspect.count() - 1, term.description,
                                    Qt.ItemDataRole.ToolTipRole)
        self.aspect.currentIndexChanged.connect(self._aspect_changed)
        row.addWidget(self.aspect, 1)
        row.addSpacing(12)
        row.addWidget(QLabel(self.tr("Variants")))
        self.variants = QSpinBox()
        self.variants.setRange(1, 16)
        self.variants.setKeyboardTracking(False)
        self.variants.setAccessibleName(self.tr("Variants"))
        self.variants.valueChanged.connect(
            lambda v: self._set(("variants",), int(v), self.tr("Change variants")))
        row.addWidget(self.variants)
        form.addRow(self.tr("Duration"), row)
        self.prose = QPlainTextEdit()
        self.prose.setPlaceholderText(self.tr("Describe the scene as you would to a cinematographer…"))
        self.prose.setAccessibleName(self.tr("Scene prose"))
        self.prose.setMinimumHeight(84)
        self.prose.setMaximumHeight(120)
        self.prose.textChanged.connect(self._prose_changed)
        form.addRow(self.tr("Scene"), self.prose)
        outer.addWidget(box)

        # --- Camera -----------------------------------------------------------------------
        box = QGroupBox(self.tr("Camera"))
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        self.combos: dict[str, VocabCombo] = {}

        def combo(field: str, category: str, label: str, r: int, c: int) -> None:
            w = VocabCombo(category)
            w.setAccessibleName(label)
            w.termChosen.connect(lambda v, f=field, lab=label: self._set(
                ("direction", f), v, self.tr("Set %1").replace("%1", str(lab.lower()))))
            self.combos[field] = w
            grid.addWidget(QLabel(label), r, c * 2)
            grid.addWidget(w, r, c * 2 + 1)

        combo("shot_size", "shot_sizes", self.tr("Shot size"), 0, 0)
        combo("angle", "angles", self.tr("Angle"), 0, 1)
        combo("movement", "movements", self.tr("Movement"), 1, 0)
        combo("movement_speed", "speeds", self.tr("Speed"), 1, 1)
        self.lens_mm = QSpinBox()
        self.lens_mm.setRange(3, 1200)
        self.lens_mm.setSpecialValueText("—")
        self.lens_mm.setSuffix(" " + self.tr("mm", "lens focal length unit"))
        self.lens_mm.setKeyboardTracking(False)
        self.lens_mm.setAccessibleName(self.tr("Lens focal length"))
        self.lens_mm.valueChanged.connect(
            lambda v: self._set(("direction", "lens_mm"), int(v) if v >= 4 else None,
                                self.tr("Set lens")))
        grid.addWidget(QLabel(self.tr("Lens")), 2, 0)
        grid.addWidget(self.lens_mm, 2, 1)
        combo("lens_type", "lens_types", self.tr("Lens type"), 2, 1)
        self.aperture = QDoubleSpinBox()
        self.aperture.setRange(0.5, 64)
        self.aperture.setDecimals(1)
        self.aperture.setSingleStep(0.1)
        self.aperture.setPrefix("f/")
        self.aperture.setSpecialValueText("—")
        self.aperture.setKeyboardTracking(False)
        self.aperture.setAccessibleName(self.tr("Aperture f-number"))
        self.aperture.valueChanged.connect(
            lambda v: self._set(("direction", "aperture"), round(float(v), 1) if v >= 0.7 else None,
                                self.tr("Set aperture")))
        grid.addWidget(QLabel(self.tr("Aperture")), 3, 0)
        grid.addWidget(self.aperture, 3, 1)
        combo("depth_of_field", "depth_of_field", self.tr("Depth of field"), 3, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        outer.addWidget(box)

        # --- Look & feel --------------------------------------------------------------------
        box = QGroupBox(self.tr("Mood and light"))
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        for field, category, label, c in (("emotion", "emotions", self.tr("Emotion"), 0),
                                          ("lighting", "lighting", self.tr("Lighting"), 1)):
            w = VocabCombo(category)
            w.setAccessibleName(label)
            w.termChosen.connect(lambda v, f=field, lab=label: self._set(
                ("direction", f), v, self.tr("Set %1").replace("%1", str(lab.lower()))))
            self.combos[field] = w
            grid.addWidget(QLabel(label), 0, c * 2)
            grid.addWidget(w, 0, c * 2 + 1)
        self.palette_edit = ListEdit(placeholder=self.tr("inherit the style guide's palette"))
        self.palette_edit.setAccessibleName(self.tr("Shot palette"))
        self.palette_edit.listEdited.connect(
            lambda v: self._set(("direction", "palette"), v, self.tr("Set palette")))
        grid.addWidget(QLabel(self.tr("Palette")), 1, 0)
        grid.addWidget(self.palette_edit, 1, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        outer.addWidget(box)

        # --- Beats and dialogue ---------------------------------------------------------------
        self.beats_model = BeatsModel(ctx, self)
        self.dialogue_model = DialogueModel(ctx, self)
        self.beats_view = self._table_box(outer, self.tr("Action beats"), self.beats_model,
                                          stretch_col=1)
        self.dialogue_view = self._table_box(outer, self.tr("Dialogue"), self.dialogue_model,
                                             stretch_col=1)

        # --- Sound ------------------------------------------------------------------------------
        box, form = _section(self.tr("Sound"))
        self.ambience = TextLine(placeholder=self.tr("e.g. wind over moorland, distant birds"))
        self.ambience.textEdited_.connect(
            lambda t: self._set(("sound", "ambience"), t, self.tr("Edit ambience")))
        self.effects = ListEdit(placeholder=self.tr("comma separated"))
        self.effects.listEdited.connect(
            lambda v: self._set(("sound", "effects"), v, self.tr("Edit effects")))
        self.music = TextLine(placeholder=self.tr("e.g. sparse piano, building"))
        self.music.textEdited_.connect(
            lambda t: self._set(("sound", "music"), t, self.tr("Edit music")))
        self.ambience.setAccessibleName(self.tr("Ambience"))
        self.effects.setAccessibleName(self.tr("Sound effects"))
        self.music.setAccessibleName(self.tr("Music"))
        form.addRow(self.tr("Ambience"), self.ambience)
        form.addRow(self.tr("Effects"), self.effects)
        form.addRow(self.tr("Music"), self.music)
        outer.addWidget(box)

        # --- Cast, references, avoid -----------------------------------------------------------
        box, form = _section(self.tr("Cast and references"))
        self.cameo_model = QStandardItemModel(self)
        self.cameo_view = QListView()
        self.cameo_view.setModel(self.cameo_model)
        self.cameo_view.setFlow(QListView.Flow.LeftToRight)
        self.cameo_view.setWrapping(True)
        self.cameo_view.setMaximumHeight(64)
        self.cameo_view.setAccessibleName(self.tr("Cameos in this shot"))
        self.cameo_model.itemChanged.connect(self._cameo_toggled)
        form.addRow(self.tr("Cameos"), self.cameo_view)
        self.refs_model = QStringListModel(self)
        self.refs_view = QListView()
        self.refs_view.setModel(self.refs_model)
        self.refs_view.setMaximumHeight(76)
        self.refs_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.refs_view.setAccessibleName(self.tr("Reference images"))
        refs_row = QHBoxLayout()
        refs_row.addWidget(self.refs_view, 1)
        buttons = QVBoxLayout()
        add_ref = QPushButton(self.tr("Add…"))
        add_ref.clicked.connect(self.add_reference)
        rm_ref = QPushButton(self.tr("Remove"))
        rm_ref.clicked.connect(self.remove_reference)
        buttons.addWidget(add_ref)
        buttons.addWidget(rm_ref)
        buttons.addStretch(1)
        refs_row.addLayout(buttons)
        form.addRow(self.tr("References"), refs_row)
        self.avoid = ListEdit(placeholder=self.tr("things this shot must not show, comma separated"))
        self.avoid.setAccessibleName(self.tr("Things to avoid"))
        self.avoid.listEdited.connect(lambda v: self._set(("avoid",), v, self.tr("Edit avoid list")))
        form.addRow(self.tr("Avoid"), self.avoid)
        outer.addWidget(box)
        outer.addStretch(1)

        ctx.briefChanged.connect(self._on_brief_changed)
        self.setEnabled(False)

    def _table_box(self, outer: QVBoxLayout, title: str, model: Any, stretch_col: int) -> QTableView:  # noqa: ANN401
        box = QGroupBox(title)
        lay = QVBoxLayout(box)
        view = QTableView()
        view.setModel(model)
        view.setAccessibleName(title)
        view.verticalHeader().setVisible(False)
        view.horizontalHeader().setSectionResizeMode(stretch_col, QHeaderView.ResizeMode.Stretch)
        view.horizontalHeader().setStretchLastSection(False)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setAlternatingRowColors(True)
        view.setMinimumHeight(110)
        view.setMaximumHeight(170)
        view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        lay.addWidget(view)
        row = QHBoxLayout()
        add = QToolButton()
        add.setText(self.tr("+ Add"))
        add.setAccessibleName(self.tr("Add row to %1").replace("%1", str(title)))
        add.clicked.connect(lambda: model.add_row(view.currentIndex().row()
                                                  if view.currentIndex().isValid() else None))
        rm = QToolButton()
        rm.setText(self.tr("− Remove"))
        rm.setAccessibleName(self.tr("Remove row from %1").replace("%1", str(title)))
        rm.clicked.connect(lambda: view.currentIndex().isValid()
                           and model.remove_row(view.currentIndex().row()))
        row.addWidget(add)
        row.addWidget(rm)
        row.addStretch(1)
        lay.addLayout(row)
        model.editRefused.connect(lambda m: self.status and self.status(m))
        outer.addWidget(box)
        return view

    # --- binding ----------------------------------------------------------------------------
    def shot(self) -> Shot | None:
        if not self.shot_id:
            return None
        try:
            return self.ctx.project.shot(self.shot_id)
        except KeyError:
            return None

    def set_shot(self, shot_id: str | None) -> None:
        self.shot_id = shot_id
        self.beats_model.set_shot(shot_id)
        self.dialogue_model.set_shot(shot_id)
        self.refresh()

    def set_cameo_names(self, names: dict[str, str],
                        badges: dict[str, str] | None = None) -> None:
        self.cameo_names = names
        if badges is not None:
            self.cameo_badges = badges
        self.refresh()

    def _on_brief_changed(self, shot_id: str) -> None:
        if not shot_id or shot_id == self.shot_id:
            if self.shot() is None:
                self.shot_id = None
            self.refresh()

    def refresh(self) -> None:
        shot = self.shot()
        self.setEnabled(shot is not None)
        if shot is None:
            return
        self._loading = True
        try:
            d = shot.direction
            self.title.set_text(shot.title)
            self.duration.setValue(shot.duration)
            self.variants.setValue(shot.variants)
            self.aspect.setItemText(0, self.tr("Style guide (%1)").replace("%1", str(self.ctx.project.style.aspect)))
            idx = self.aspect.findData(shot.aspect) if shot.aspect else 0
            if idx < 0:
                self.aspect.addItem(str(shot.aspect), shot.aspect)
                idx = self.aspect.count() - 1
            self.aspect.setCurrentIndex(idx)
            if self.prose.toPlainText() != shot.prose:
                self.prose.setPlainText(shot.prose)
            for field, combo in self.combos.items():
                combo.set_value(getattr(d, field))
            self.lens_mm.setValue(d.lens_mm or 3)
            self.aperture.setValue(d.aperture or 0.5)
            self.palette_edit.set_list(d.palette)
            self.ambience.set_text(shot.sound.ambience)
            self.effects.set_list(shot.sound.effects)
            self.music.set_text(shot.sound.music)
            self.avoid.set_list(shot.avoid)
            self.refs_model.setStringList(shot.references)
            self.cameo_model.clear()
            ids = list(dict.fromkeys([*sorted(self.cameo_names), *shot.cameos]))
            for cid in ids:
                name = self.cameo_names.get(cid, cid)
                badge = self.cameo_badges.get(cid, "")
                mark = BADGE_MARK.get(badge, "")
                item = QStandardItem(f"{name}  {mark}" if mark else name)
                item.setData(cid, Qt.ItemDataRole.UserRole)
                item.setData(badge, Qt.ItemDataRole.UserRole + 1)
                item.setCheckable(True)
                item.setEditable(False)
                item.setCheckState(Qt.CheckState.Checked if cid in shot.cameos
                                   else Qt.CheckState.Unchecked)
                meaning = (self.tr(BADGE_TEXT[badge]) if badge in BADGE_TEXT
                           else self.tr("consent unknown"))
                item.setToolTip(self.tr("%1: %2").replace("%1", cid).replace("%2", meaning))
                item.setAccessibleDescription(meaning)
                if badge and badge not in ("active", "expiring"):
                    item.setForeground(self.palette().brush(self.palette().ColorRole.PlaceholderText)
                                       if badge == "pending" else QColor("#d93f3f"))
                elif badge == "expiring":
                    item.setForeground(QColor("#b9770e"))
                self.cameo_model.appendRow(item)
            if not ids:
                item = QStandardItem(self.tr("No cameos in this project"))
                item.setEnabled(False)
                self.cameo_model.appendRow(item)
        finally:
            self._loading = False

    def _set(self, path: tuple[str, ...], value: Any, text: str) -> None:  # noqa: ANN401
        if self._loading or not self.shot_id:
            return
        problem = commands.push_set(self.ctx, self.shot_id, path, value, text)
        if problem:
            if self.status:
                self.status(problem)
            self.refresh()  # show the model's value again

    def _aspect_changed(self, _i: int) -> None:
        self._set(("aspect",), self.aspect.currentData(), self.tr("Change aspect"))

    def _prose_changed(self) -> None:
        self._set(("prose",), self.prose.toPlainText(), self.tr("Edit scene"))

    def _cameo_toggled(self, _item: QStandardItem) -> None:
        if self._loading:
            return
        chosen = []
        for row in range(self.cameo_model.rowCount()):
            item = self.cameo_model.item(row)
            cid = item.data(Qt.ItemDataRole.UserRole)
            if cid and item.checkState() == Qt.CheckState.Checked:
                chosen.append(str(cid))
        self._set(("cameos",), chosen, self.tr("Change cameos"))

    # --- references ---------------------------------------------------------------------------
    def add_reference(self) -> None:
        if not self.shot_id:
            return
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Add reference images"), str(Path.home()),
            self.tr("Images (*.png *.jpg *.jpeg *.webp)"))
        if files:
            self.import_references([Path(f) for f in files])

    def import_references(self, files: list[Path]) -> None:
        """Copy files into references/ (off the GUI thread), then add them (one undo step)."""
        shot_id = self.shot_id
        root = self.ctx.root

        def copy() -> list[str]:
            out = []
            dest_dir = root / REFERENCES_DIR
            dest_dir.mkdir(parents=True, exist_ok=True)
            for src in files:
                dest = dest_dir / src.name
                if dest.resolve() != src.resolve():
                    n = 2
                    while dest.exists():
                        dest = dest_dir / f"{src.stem}-{n}{src.suffix}"
                        n += 1
                    shutil.copy2(src, dest)
                out.append(f"{REFERENCES_DIR}/{dest.name}")
            return out

        def done(rels: list[str] | None, error: BaseException | None) -> None:
            if error is not None or rels is None:
                if self.status:
                    self.status(self.tr("Could not copy the reference: %1").replace("%1", str(error)))
                return
            try:
                shot = self.ctx.project.shot(shot_id or "")
            except KeyError:
                return
            refs = list(dict.fromkeys([*shot.references, *rels]))
            commands.push_set(self.ctx, shot_id, ("references",), refs,
                              self.tr("Add reference"), merge=False)

        run_task(copy, done)

    def remove_reference(self) -> None:
        shot = self.shot()
        index = self.refs_view.currentIndex()
        if shot is None or not index.isValid():
            return
        refs = [r for i, r in enumerate(shot.references) if i != index.row()]
        self._set(("references",), refs, self.tr("Remove reference"))


class ShotsPage(StoryboardPage):
    """The storyboard (:class:`ui.pages.storyboard.StoryboardPage`) with the shot editor,
    the strip's edits and the live prompt. ``thumbs``: a thumbnail cache to adopt (the
    window's first-frame preview hands over the thumbnails it already loaded)."""

    def __init__(self, ctx: ProjectContext, parent: QWidget | None = None, *,
                 defer: bool = False, thumbs: ThumbnailCache | None = None):
        super().__init__(ctx.root, parent)
        self.ctx = ctx
        self.status_callback: Any = None
        self._generation = 0
        self._names_generation = 0  # newest cameo names/badges read (_load_cameo_names)
        self._consent_generation = 0  # newest consent check (refresh_consent)
        self._cameo_names: dict[str, str] = {}
        self._cameo_badges: dict[str, str] | None = None
        self._editor: ShotEditor | None = None
        self.model = ShotListModel(ctx, self)
        if thumbs is not None:
            thumbs.setParent(self)
            self.thumbs = thumbs
        else:
            self.thumbs = new_thumbnail_cache(self)
        self._build_storyboard()
        for key, slot in (("add", self.add_shot), ("duplicate", self.duplicate_shot),
                          ("delete", self.delete_shot),
                          ("left", lambda: self.move_selected(-1)),
                          ("right", lambda: self.move_selected(1))):
            self.strip_buttons[key].clicked.connect(slot)
        self.strip.setDragEnabled(True)
        self.strip.setAcceptDrops(True)
        self.strip.setDropIndicatorShown(True)
        self.strip.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.strip.setDefaultDropAction(Qt.DropAction.MoveAction)

        self.strip.selectionModel().currentChanged.connect(self._current_changed)
        self.model.rowsInserted.connect(self._update_summary)
        self.model.rowsRemoved.connect(self._update_summary)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh_prompt)
        self._consent_timer = QTimer(self)
        self._consent_timer.setSingleShot(True)
        self._consent_timer.setInterval(600)
        self._consent_timer.timeout.connect(self.refresh_consent)
        ctx.briefChanged.connect(self._on_brief_changed)
        ctx.coreEvent.connect(self._on_core_event)

        QShortcut(QKeySequence.StandardKey.Delete, self.strip, self.delete_shot)

        self._update_summary()
        if self.model.rowCount():
            self.select_row(0)
        self._built = False
        if defer:
            # after the first paint (see paintEvent), or soon anyway if never painted
            QTimer.singleShot(DEFER_MAX_MS, self, self._finish_building)
        else:
            self._finish_building()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._built:
            # a zero timer runs after the window's whole paint (UpdateRequest) has finished
            QTimer.singleShot(0, self, self._finish_building)

    def _finish_building(self) -> None:
        """The parts the storyboard's first paint does not need."""
        if self._built:
            return
        self._built = True
        self._ensure_editor()
        self._load_cameo_names()
        self.refresh_consent()

    def _load_cameo_names(self) -> None:
        # reads can overlap (consent changed twice): only the newest one's answer is shown,
        # an older one answering late must not put a revoked person's old badge back
        self._names_generation += 1
        generation = self._names_generation
        root = self.ctx.root

        def done(result: tuple[dict[str, str], dict[str, str]] | None,
                 error: BaseException | None) -> None:
            if generation == self._names_generation:
                self._names_loaded(result, error)

        run_task(lambda: (load_cameo_names(root), load_cameo_badges(root)), done)

    @property
    def editor(self) -> ShotEditor:
        """The shot editor, built on first use."""
        return self._ensure_editor()

    def _ensure_editor(self) -> ShotEditor:
        if self._editor is None:
            editor = ShotEditor(self.ctx)
            editor.status = self._status
            self._editor = editor
            if self._cameo_names or self._cameo_badges is not None:
                editor.set_cameo_names(self._cameo_names, self._cameo_badges)
            editor.set_shot(self.current_shot_id())
            # bound before it is shown: combo boxes size themselves to their first contents
            self.editor_scroll.setWidget(editor)
        return self._editor

    # --- helpers --------------------------------------------------------------------------
    def _status(self, message: str) -> None:
        log.info("edit refused: %s", message)
        if self.status_callback:
            self.status_callback(message)

    def storyboard_shots(self) -> list[Shot]:
        return self.ctx.project.shots

    def current_shot_id(self) -> str | None:
        row = self.current_row()
        return self.model.shots[row].id if 0 <= row < len(self.model.shots) else None

    def select_shot(self, shot_id: str) -> None:
        self.select_row(self.model.row_of(shot_id))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        shot_id = self.model.shots[current.row()].id if current.isValid() else None
        if self._editor is not None and shot_id != self._editor.shot_id:
            self._editor.set_shot(shot_id)  # a deferred editor binds to the current shot
        self.schedule_refresh()


    def _on_brief_changed(self, shot_id: str) -> None:
        self._update_summary()
        if self.editor.shot_id is None or self.editor.shot() is None:
            row = min(max(self.current_row(), 0), self.model.rowCount() - 1)
            if row >= 0:
                self.select_row(row)
        if not shot_id or shot_id == self.editor.shot_id:
            self.schedule_refresh()
        self._consent_timer.start()

    def _on_core_event(self, event: Event) -> None:
        if event.kind == CONSENT_CHANGED:
            self.refresh_consent()
            self._load_cameo_names()
        elif event.kind in (RESULT_ADDED, RESULT_CHANGED):
            self.thumbs.invalidate()
            self.strip.viewport().update()

    def _names_loaded(self, result: tuple[dict[str, str], dict[str, str]] | None,
                      error: BaseException | None) -> None:
        if not isValid(self) or not isValid(self.editor):
            return  # the project closed meanwhile
        if error is not None or result is None:
            log.warning("could not read cameo names: %s", error)
            return
        names, badges = result
        self._cameo_names = names or {}
        self._cameo_badges = badges
        self.editor.set_cameo_names(self._cameo_names, badges)
        self.schedule_refresh()

    # --- prompt and checks ----------------------------------------------------------------
    def schedule_refresh(self) -> None:
        self._timer.start()

    def refresh_prompt(self) -> None:
        shot = self.editor.shot()
        if shot is None:
            self.prompt.show_result("", "", [])
            return
        self._generation += 1
        generation = self._generation
        project = self.ctx.project.model_copy(deep=True)
        shot_copy = project.shot(shot.id)
        root = self.ctx.root
        names = dict(self._cameo_names)

        def work() -> tuple[str, str, list[tuple[str, str]]]:
            request = compile_shot(project, shot_copy, names=names, root=root)
            lints = [(lint.severity, lint.message) for lint in lint_shot(project, shot_copy, root)]
            meta = " · ".join([_tr("%1s").replace("%1", f"{request.duration:g}"),
                               request.aspect, request.size])
            if request.cameos:
                meta += " · " + _tr("cameos: %1").replace(
                    "%1", ", ".join(names.get(c, c) for c in request.cameos))
            return request.prompt, meta, lints

        def done(result: tuple[str, str, list[tuple[str, str]]] | None,
                 error: BaseException | None) -> None:
            if not isValid(self.prompt) or generation != self._generation:
                return  # a newer refresh is on its way, or the page is gone
            if error is not None or result is None:
                log.warning("prompt refresh failed: %s", error)
                self.prompt.show_result("", "", [("error", _tr("could not compile: %1").replace(
                    "%1", str(error)))])
                return
            self.prompt.show_result(*result)

        run_task(work, done)

    def refresh_consent(self) -> None:
        project = self.ctx.project.model_copy(deep=True)
        root = self.ctx.root
        self._consent_generation += 1
        generation = self._consent_generation

        def done(result: dict[str, list[str]] | None, error: BaseException | None) -> None:
            if generation != self._consent_generation:
                return  # a newer check was started after this one: its answer is shown
            if error is None and result is not None and isValid(self.model):
                self.model.set_consent(result)

        run_task(lambda: consent_problems(root, project), done)

    # --- shot list actions (all undoable) ----------------------------------------------------------
    def add_shot(self) -> None:
        row = self.current_row()
        at = row + 1 if row >= 0 else self.model.rowCount()
        shot = Shot(id=new_id("sh"), title=self.tr("New shot"), duration=4.0)
        self.ctx.undo_stack.push(commands.InsertShotCommand(self.ctx, self.model, at, shot,
                                                            self.tr("Add shot")))
        self.select_row(at)

    def duplicate_shot(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        copy = commands.duplicate_of(self.ctx.project, self.model.shots[row])
        self.ctx.undo_stack.push(commands.InsertShotCommand(self.ctx, self.model, row + 1, copy,
                                                            self.tr("Duplicate shot")))
        self.select_row(row + 1)

    def delete_shot(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        self.ctx.undo_stack.push(commands.RemoveShotCommand(self.ctx, self.model, row,
                                                            self.tr("Delete shot")))
        if self.model.rowCount():
            self.select_row(min(row, self.model.rowCount() - 1))
        else:
            self.editor.set_shot(None)

    def move_selected(self, delta: int) -> None:
        row = self.current_row()
        dest = row + delta
        if row < 0 or not 0 <= dest < self.model.rowCount():
            return
        self.ctx.undo_stack.push(commands.MoveShotCommand(self.ctx, self.model, row, dest,
                                                          self.tr("Move shot")))
        self.select_row(dest)
