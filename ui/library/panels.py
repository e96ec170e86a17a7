"""Filter bar, details side panel and lineage view of the Library page."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QDate,
    QMargins,
    QPoint,
    QRect,
    QSize,
    QStringListModel,
    Qt,
    QTime,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QStandardItem,
    QStandardItemModel,
    QTextOption,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from studio.results.records import ORDERS, REVIEW_STATUSES, ResultFilter

ANY = "any"
ZWSP = "\u200b"
_LONG_TOKEN = re.compile(r"\S{20,}")


def breakable(text: str, every: int = 12) -> str:
    """``text`` with zero-width break opportunities inside long unbroken tokens (hashes,
    ids, paths), so a word-wrapped label can wrap them instead of growing sideways."""
    return _LONG_TOKEN.sub(
        lambda m: ZWSP.join(m.group(0)[i:i + every] for i in range(0, len(m.group(0)), every)),
        text)


class ValueLabel(QLabel):
    """A selectable, word-wrapped value that never forces its panel wider.

    Long tokens wrap (see :func:`breakable`); copying — Ctrl+C or the context menu — gives
    the original text without the invisible break marks.
    """

    def __init__(self, text: str = "—", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse |
                                     Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self._raw = ""
        self.set_value(text)

    def set_value(self, text: str) -> None:
        self._raw = text
        super().setText(breakable(text))

    def value(self) -> str:
        return self._raw

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 60), hint.height())

    def copy(self) -> None:
        chosen = self.selectedText().replace(ZWSP, "") if self.hasSelectedText() else self._raw
        QGuiApplication.clipboard().setText(chosen)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        menu = QMenu(self)
        menu.addAction(self.tr("Copy"), self.copy)
        menu.exec(event.globalPos())


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps onto further rows when the width runs out.

    Every item keeps at least its size hint, so a narrow pane gets an extra row instead of
    clipped combo boxes and elided button labels. Height-for-width, so the parent layout
    gives it the rows it needs.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        # one row when there is room for it
        visible = [i for i in self._items if not i.isEmpty()]
        width = sum(i.sizeHint().width() for i in visible) + \
            self._spacing * max(0, len(visible) - 1)
        height = max((i.sizeHint().height() for i in visible), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize().expandedTo(item.sizeHint()))
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m: QMargins = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_height = area.x(), area.y(), 0
        row: list[tuple[QLayoutItem, QSize]] = []

        def place_row() -> None:
            for item, size in row:
                if apply:
                    # vertically centred in the row
                    top = item_y + (row_height - size.height()) // 2
                    item.setGeometry(QRect(QPoint(item_x[id(item)], top), size))

        item_x: dict[int, int] = {}
        item_y = y
        for item in self._items:
            if item.isEmpty():
                continue
            size = item.sizeHint().expandedTo(item.minimumSize())
            if row and x + size.width() > area.right() + 1:
                place_row()
                y += row_height + self._spacing
                x, row_height, row = area.x(), 0, []
                item_y = y
            item_x[id(item)] = x
            row.append((item, size))
            x += size.width() + self._spacing
            row_height = max(row_height, size.height())
        place_row()
        return y + row_height - rect.y() + m.bottom()


def _keep_size(widget: QWidget) -> QWidget:
    """Never squeeze ``widget`` below its size hint (no clipped text)."""
    widget.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    return widget


class FilterBar(QWidget):
    """Search text (FTS5), tag chips with completion, rating ≥, status, shot, provider,
    date range and sort. Emits :attr:`changed` with a :class:`ResultFilter`."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.search = QLineEdit(placeholderText=self.tr("Search prompts, tags, notes…  (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search takes"))
        self.search.setClearButtonEnabled(True)
        self.tag_input = QLineEdit(placeholderText=self.tr("+ tag"))
        self.tag_input.setAccessibleName(self.tr("Filter by tag"))
        self.tag_input.setMaximumWidth(130)
        self.tag_model = QStringListModel(self)
        completer = QCompleter(self.tag_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.tag_input.setCompleter(completer)
        self.rating = QComboBox()
        self.rating.setAccessibleName(self.tr("Minimum rating"))
        self.rating.addItem(self.tr("rating: any"), None)
        for n in range(1, 6):
            self.rating.addItem(f"≥ {'★' * n}", n)
        self.rating.addItem(self.tr("not rejected"), 0)
        self.status = QComboBox()
        self.status.setAccessibleName(self.tr("Review status"))
        self.status.addItem(self.tr("status: any"), None)
        for s in REVIEW_STATUSES:
            self.status.addItem(s.replace("_", " "), s)
        self.shot = QComboBox()
        self.shot.setAccessibleName(self.tr("Shot"))
        self.shot.addItem(self.tr("shot: any"), None)
        self.provider = QComboBox()
        self.provider.setAccessibleName(self.tr("Provider"))
        self.provider.addItem(self.tr("provider: any"), None)
        self.order = QComboBox()
        for key in ORDERS:
            self.order.addItem(self.tr("sort: %1").replace("%1", key), key)
        self.order.setAccessibleName(self.tr("Sort order"))
        self.since = QDateEdit(calendarPopup=True)
        self.until = QDateEdit(calendarPopup=True)
        for d, name in ((self.since, self.tr("Made from")),
                        (self.until, self.tr("Made until"))):
            d.setSpecialValueText("—")
            d.setMinimumDate(QDate(2000, 1, 1))
            d.setDate(d.minimumDate())
            d.setDisplayFormat("yyyy-MM-dd")
            d.setAccessibleName(name)
        self.clear = QToolButton(text=self.tr("Clear filters"))
        # every control keeps its full text: the combos are as wide as their longest entry
        # (the shot list is refilled later, so they adjust to contents), nothing is squeezed
        for combo in (self.rating, self.status, self.shot, self.provider, self.order):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            _keep_size(combo)
        for w in (self.tag_input, self.since, self.until, self.clear):
            _keep_size(w)
        # row 1: what to find (search, tag, sort); then the narrowing controls and tag
        # chips, wrapping onto as many rows as the pane's width needs
        row.addWidget(self.search, 1)
        row.addWidget(self.tag_input)
        row.addWidget(self.order)
        outer.addLayout(row)
        self.flow = FlowLayout()
        for w in (self.rating, self.status, self.shot, self.provider):
            self.flow.addWidget(w)
        for label, edit in (("from", self.since), ("to", self.until)):
            pair = QWidget()
            pl = QHBoxLayout(pair)
            pl.setContentsMargins(0, 0, 0, 0)
            pl.setSpacing(4)
            pl.addWidget(QLabel(label))
            pl.addWidget(edit)
            _keep_size(pair)
            self.flow.addWidget(pair)
        self.flow.addWidget(self.clear)
        chips = QWidget()
        self.chips = QHBoxLayout(chips)
        self.chips.setContentsMargins(0, 0, 0, 0)
        self.chips.setSpacing(4)
        _keep_size(chips)
        self.flow.addWidget(chips)
        outer.addLayout(self.flow)
        self.tags: list[str] = []
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self.emit_changed)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.tag_input.returnPressed.connect(self._add_tag_from_input)
        completer.activated.connect(lambda _t: QTimer.singleShot(0, self._add_tag_from_input))
        for combo in (self.rating, self.status, self.shot, self.provider, self.order):
            combo.currentIndexChanged.connect(lambda _i: self.emit_changed())
        self.since.dateChanged.connect(lambda _d: self.emit_changed())
        self.until.dateChanged.connect(lambda _d: self.emit_changed())
        self.clear.clicked.connect(self.reset)

    def set_choices(self, shots: list[str], providers: list[str], tags: list[str]) -> None:
        for combo, values in ((self.shot, shots), (self.provider, providers)):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for v in values:
                combo.addItem(v, v)
            i = combo.findData(current)
            combo.setCurrentIndex(max(0, i))
            combo.blockSignals(False)
        self.tag_model.setStringList(tags)

    def add_tag(self, tag: str) -> None:
        tag = " ".join(tag.split()).lower()
        if not tag or tag in self.tags:
            return
        self.tags.append(tag)
        chip = QToolButton(text=f"{tag}  ✕")
        chip.setObjectName("tagChip")
        chip.setToolTip(self.tr("Remove the tag filter “%1”").replace("%1", tag))
        chip.setAccessibleName(self.tr("Remove tag filter %1").replace("%1", tag))
        chip.clicked.connect(lambda: self._remove_chip(tag, chip))
        self.chips.addWidget(chip)
        self.emit_changed()

    def _add_tag_from_input(self) -> None:
        text = self.tag_input.text()
        self.tag_input.clear()
        self.add_tag(text)

    def _remove_chip(self, tag: str, chip: QToolButton) -> None:
        if tag in self.tags:
            self.tags.remove(tag)
        chip.deleteLater()
        self.emit_changed()

    def reset(self) -> None:
        for combo in (self.rating, self.status, self.shot, self.provider):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        for d in (self.since, self.until):
            d.blockSignals(True)
            d.setDate(d.minimumDate())
            d.blockSignals(False)
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.tags.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.emit_changed()

    def current(self) -> ResultFilter:
        def stamp(d: QDateEdit, add_day: bool) -> float | None:
            if d.date() == d.minimumDate():
                return None
            date = d.date().addDays(1) if add_day else d.date()
            return datetime.combine(date.toPython(), QTime(0, 0).toPython()).timestamp()

        return ResultFilter(
            tags=list(self.tags), status=self.status.currentData(),
            text=self.search.text().strip() or None, shot=self.shot.currentData(),
            provider=self.provider.currentData(), min_rating=self.rating.currentData(),
            since=stamp(self.since, False), until=stamp(self.until, True),
            order=self.order.currentData() or "newest",
        )

    def emit_changed(self) -> None:
        self._debounce.stop()
        self.changed.emit(self.current())


KIND_HELP = {
    "generate": QT_TRANSLATE_NOOP("LineageView", "made from the brief"),
    "remix": QT_TRANSLATE_NOOP("LineageView", "remixed from the take above it (new prompt, "
                                              "same length and size)"),
    "extend": QT_TRANSLATE_NOOP("LineageView", "the take above it, extended"),
    "imported": QT_TRANSLATE_NOOP("LineageView", "imported from a file"),
}


class LineageView(QTreeView):
    """The remix / extend tree of the current take; activating a node selects that take."""

    resultActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree_model = QStandardItemModel(self)
        self.tree_model.setHorizontalHeaderLabels(
            [self.tr("Take"), self.tr("How"), self.tr("Shot"), self.tr("Rating"), self.tr("Review")])
        self.setAccessibleName(self.tr("Lineage"))
        self.setModel(self.tree_model)
        self.setEditTriggers(QTreeView.EditTrigger.NoEditTriggers)
        self.activated.connect(self._activated)
        self.setMinimumHeight(90)

    def show_tree(self, tree: dict[str, Any] | None, current: str | None) -> None:
        self.tree_model.removeRows(0, self.tree_model.rowCount())
        if not tree:
            return

        def add(parent: QStandardItem, node: dict[str, Any]) -> None:
            item = QStandardItem(node["id"] + ("  ◀" if node["id"] == current else ""))
            item.setData(node["id"], Qt.ItemDataRole.UserRole)
            rating = self.tr("reject") if node["rating"] < 0 else "★" * node["rating"]
            how = QStandardItem(str(node.get("how") or ""))
            help_text = KIND_HELP.get(str(node.get("how")), "")
            how.setToolTip(self.tr(help_text) if help_text else "")
            row = [item, how, QStandardItem(node["shot"] or "—"), QStandardItem(rating),
                   QStandardItem(str(node["review"]).replace("_", " "))]
            parent.appendRow(row)
            for child in node["children"]:
                add(item, child)

        add(self.tree_model.invisibleRootItem(), tree)
        self.expandAll()
        for column in range(self.tree_model.columnCount()):
            self.resizeColumnToContents(column)

    def _activated(self, index: Any) -> None:  # noqa: ANN401
        rid = index.siblingAtColumn(0).data(Qt.ItemDataRole.UserRole)
        if rid:
            self.resultActivated.emit(rid)


class DetailsPanel(QWidget):
    """Provenance, probe, C2PA, consent, lineage, and the review controls of one take."""

    tagsEdited = Signal(list)
    notesEdited = Signal(str)
    reviewEdited = Signal(str, str, str)  # status, reviewer, note

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, ValueLabel] = {}
        for key, label in (("id", self.tr("Take")), ("shot", self.tr("Shot")),
                           ("made", self.tr("Made by")), ("created", self.tr("Created")),
                           ("probe", self.tr("Picture")), ("cost", self.tr("Cost")),
                           ("c2pa", "C2PA"), ("consent", self.tr("Consent")),
                           ("review", self.tr("Review")), ("sha", "SHA-256")):
            w = ValueLabel("—")
            self.fields[key] = w
            form.addRow(label, w)
        self.prompt = QPlainTextEdit(readOnly=True)
        self.prompt.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.prompt.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.prompt.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.prompt.setMinimumWidth(60)
        self.prompt.setMaximumHeight(110)
        form.addRow(self.tr("Prompt"), self.prompt)
        self.tags = QLineEdit(placeholderText=self.tr("tags, comma separated (Enter to save)"))
        self.tag_model = QStringListModel(self)
        comp = QCompleter(self.tag_model, self)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags.setCompleter(comp)
        form.addRow(self.tr("Tags"), self.tags)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(self.tr("Notes on this take (saved when you leave the box)"))
        self.notes.setMaximumHeight(60)
        form.addRow(self.tr("Notes"), self.notes)
        review_box = QVBoxLayout()
        review_top, review_bottom = QHBoxLayout(), QHBoxLayout()
        self.status = QComboBox()
        for s in REVIEW_STATUSES:
            self.status.addItem(s.replace("_", " "), s)
        self.status.setAccessibleName(self.tr("New review status"))
        self.reviewer = QLineEdit(placeholderText=self.tr("reviewer"))
        self.reviewer.setAccessibleName(self.tr("Reviewer"))
        self.review_note = QLineEdit(placeholderText=self.tr("review note"))
        self.review_note.setAccessibleName(self.tr("Review note"))
        self.apply_review = QPushButton(self.tr("Save review"))
        for w in (self.reviewer, self.review_note):
            w.setMinimumWidth(60)
        review_top.addWidget(self.status)
        review_top.addWidget(self.reviewer, 1)
        review_bottom.addWidget(self.review_note, 1)
        review_bottom.addWidget(self.apply_review)
        review_box.addLayout(review_top)
        review_box.addLayout(review_bottom)
        form.addRow(self.tr("Set review"), review_box)
        lay.addLayout(form)
        lay.addWidget(QLabel(self.tr("Lineage")))
        self.lineage = LineageView(self)
        lay.addWidget(self.lineage, 1)
        self.tags.returnPressed.connect(self._tags)
        self.notes.installEventFilter(self)
        self.apply_review.clicked.connect(lambda: self.reviewEdited.emit(
            self.status.currentData(), self.reviewer.text().strip(),
            self.review_note.text().strip()))
        self._notes_text = ""
        self.setEnabled(False)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: ANN401, N802
        from PySide6.QtCore import QEvent

        if obj is self.notes and event.type() == QEvent.Type.FocusOut:
            text = self.notes.toPlainText()
            if text != self._notes_text:
                self._notes_text = text
                self.notesEdited.emit(text)
        return False

    def _tags(self) -> None:
        tags = [t.strip() for t in self.tags.text().split(",") if t.strip()]
        self.tagsEdited.emit(tags)

    def show_result(self, info: dict[str, Any] | None) -> None:
        self.setEnabled(info is not None)
        if info is None:
            for w in self.fields.values():
                w.set_value("—")
            self.prompt.setPlainText("")
            self.tags.clear()
            self.notes.setPlainText("")
            self.lineage.show_tree(None, None)
            return
        f = self.fields
        f["id"].set_value(info["id"] + (self.tr("  (imported)") if info["imported"] else ""))
        f["shot"].set_value(info["shot"] or self.tr("— (not attached to a shot)"))
        made = " · ".join(x for x in (info["provider"], info["model"]) if x) or self.tr("imported file")
        if info["remote_id"]:
            made += " · " + self.tr("remote %1").replace("%1", str(info["remote_id"]))
        if info["parent"]:
            made += " · " + self.tr("from %1").replace("%1", str(info["parent"]))
        f["made"].set_value(made)
        f["created"].set_value(info["created"] or "—")
        dur = f"{info['duration']:.2f}s" if info["duration"] is not None else "?"
        f["probe"].set_value(f"{info['width']}×{info['height']} · {dur} · "
                           f"{(info['fps'] or 0):.3g} fps · {info['codec']} · "
                           + (self.tr("audio") if info["has_audio"] else self.tr("no audio")))
        f["cost"].set_value(f"${info['cost']:.2f}" if info["cost"] is not None else "—")
        c2pa = info["c2pa"]
        if c2pa is None:
            f["c2pa"].set_value(self.tr("no manifest"))
        else:
            text = " · ".join([
                str(c2pa.get("validation_state")),
                self.tr("issuer %1").replace("%1", str(c2pa.get("issuer") or "?")),
                str(c2pa.get("claim_generator") or "?")])
            if c2pa.get("error"):
                text += f"\n{c2pa['error']}"
            f["c2pa"].set_value(text)
        cameos = ", ".join(info["cameos"]) or self.tr("no real people shown")
        if info["consent_flag"]:
            f["consent"].set_value(f"⚠ {cameos}: {info['consent_flag']}")
            f["consent"].setStyleSheet("color: #c0392b; font-weight: bold")
        else:
            f["consent"].set_value(cameos)
            f["consent"].setStyleSheet("")
        rv = info["review"]
        who = self.tr(" by %1").replace("%1", rv["reviewer"]) if rv["reviewer"] else ""
        note = f": {rv['note']}" if rv["note"] else ""
        when = f" ({rv['at']})" if rv["at"] else ""
        f["review"].set_value(f"{rv['status'].replace('_', ' ')}{who}{when}{note}")
        f["sha"].set_value(info["sha256"])
        self.prompt.setPlainText(info["prompt"] or "")
        params = info["params"]
        if params:
            self.prompt.appendPlainText("\n— " + self.tr("parameters:") + " " + json.dumps(params, sort_keys=True))
        self.tags.setText(", ".join(info["tags"]))
        self._notes_text = info["notes"] or ""
        self.notes.setPlainText(self._notes_text)
        i = self.status.findData(rv["status"])
        self.status.setCurrentIndex(max(0, i))
        self.review_note.setText(rv["note"] or "")
        if rv["reviewer"]:
            self.reviewer.setText(rv["reviewer"])
