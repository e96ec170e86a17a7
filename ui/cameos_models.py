"""Qt models for the Cameos page: the cameo list (with status badges) and the audit table.

Thin adapters over :mod:`studio.consent` data (CameoState, AuditEvent); they hold no
logic of their own beyond formatting.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from studio.consent import AuditEvent, CameoState

IdRole = Qt.ItemDataRole.UserRole + 1
BadgeRole = Qt.ItemDataRole.UserRole + 2
StateRole = Qt.ItemDataRole.UserRole + 3
SubtitleRole = Qt.ItemDataRole.UserRole + 4

#: badge -> (label, background, text colour)
BADGES: dict[str, tuple[str, str, str]] = {
    "active": ("Active", "#dcf3e4", "#1e7a43"),
    "expiring": ("Expiring soon", "#fdf0d5", "#9a6200"),
    "expired": ("Expired", "#e6e7eb", "#555b6b"),
    "revoked": ("Revoked", "#fbe0e0", "#b42323"),
    "unverified": ("Unverified", "#fde6d6", "#b4500f"),
    "invalid": ("Invalid file", "#fbe0e0", "#b42323"),
    "pending": ("Not yet valid", "#e1e8fb", "#3550b8"),
    "new": ("New", "#e3e6fb", "#4a5bd4"),
}


def badge_colours(badge: str) -> tuple[str, QColor, QColor]:
    label, bg, fg = BADGES.get(badge, (badge.title(), "#e6e7eb", "#555b6b"))
    return label, QColor(bg), QColor(fg)


def subtitle(state: CameoState) -> str:
    if state.cameo is None:
        return state.reasons[0] if state.reasons else "cannot be read"
    until = state.cameo.valid_until.isoformat()
    if state.expiring:
        return f"ends {until} ({state.days_left} day(s) left)"
    if state.status == "active":
        return f"valid until {until}"
    return state.reasons[0] if state.reasons else state.status


class CameoListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:  # noqa: ANN401
        super().__init__(parent)
        self.states: list[CameoState] = []

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.states)

    def set_states(self, states: list[CameoState]) -> None:
        self.beginResetModel()
        self.states = list(states)
        self.endResetModel()

    def row_of(self, cameo_id: str) -> int:
        return next((i for i, s in enumerate(self.states) if s.id == cameo_id), -1)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or not 0 <= index.row() < len(self.states):
            return None
        state = self.states[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return state.name
        if role == IdRole:
            return state.id
        if role == BadgeRole:
            return state.badge
        if role == StateRole:
            return state
        if role == SubtitleRole:
            return subtitle(state)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{state.label}: {BADGES.get(state.badge, (state.badge,))[0]}"]
            lines += state.reasons
            return "\n".join(lines)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{state.name}, {BADGES.get(state.badge, (state.badge,))[0]}"
        return None


class CameoDelegate(QStyledItemDelegate):
    """Name, a one-line status detail, and a coloured status pill."""

    ROW_HEIGHT = 54

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(option.rect.width(), self.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter,
                                opt.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        text_colour = pal.color(QPalette.ColorRole.HighlightedText if selected
                                else QPalette.ColorRole.Text)
        muted = QColor(text_colour)
        muted.setAlpha(170)
        rect = option.rect.adjusted(12, 7, -10, -7)
        label, bg, fg = badge_colours(index.data(BadgeRole) or "")
        small = QFont(option.font)
        small.setPointSizeF(max(7.5, option.font.pointSizeF() - 1.5))
        small.setBold(True)
        fm = QFontMetrics(small)
        pill_w = fm.horizontalAdvance(label) + 16
        pill = QRect(rect.right() - pill_w, rect.top() + 2, pill_w, fm.height() + 6)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setPen(fg)
        painter.setFont(small)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        name_font = QFont(option.font)
        name_font.setBold(True)
        painter.setFont(name_font)
        painter.setPen(text_colour)
        name_rect = QRect(rect.left(), rect.top(), rect.width() - pill_w - 8, rect.height() // 2)
        name = QFontMetrics(name_font).elidedText(index.data() or "", Qt.TextElideMode.ElideRight,
                                                 name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         name)
        painter.setFont(option.font)
        painter.setPen(muted)
        sub_rect = QRect(rect.left(), rect.top() + rect.height() // 2, rect.width(),
                         rect.height() // 2)
        sub = QFontMetrics(option.font).elidedText(
            index.data(SubtitleRole) or "", Qt.TextElideMode.ElideRight, sub_rect.width())
        painter.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         sub)
        painter.restore()


AUDIT_COLUMNS = ("#", "When (UTC)", "Action", "By", "Detail", "Content hash")


def describe_detail(event: AuditEvent) -> str:
    d = event.detail
    parts = []
    for key in ("reason", "note", "method", "policy"):
        if d.get(key):
            parts.append(f"{key}: {d[key]}")
    if "grants" in d:
        g = d["grants"]
        parts.append(f"usages {', '.join(g.get('usages', []))}; territories "
                     f"{', '.join(g.get('territories', []))}; voice "
                     f"{'yes' if g.get('voice') else 'no'}")
    if "valid" in d:
        parts.append(f"valid {d['valid'][0]} → {d['valid'][1]}")
    if not parts and d.get("file"):
        parts.append(str(d["file"]))
    return "; ".join(parts) or json.dumps(d, ensure_ascii=False)


class AuditModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:  # noqa: ANN401
        super().__init__(parent)
        self.events: list[AuditEvent] = []
        self.untrusted_from: int | None = None

    def set_events(self, events: list[AuditEvent], untrusted_from: int | None = None) -> None:
        self.beginResetModel()
        self.events = list(reversed(events))  # newest first
        self.untrusted_from = untrusted_from
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(AUDIT_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return AUDIT_COLUMNS[section]
        return None

    def _untrusted(self, event: AuditEvent) -> bool:
        return self.untrusted_from is not None and event.seq >= self.untrusted_from

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or not 0 <= index.row() < len(self.events):
            return None
        event = self.events[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return event.seq
            if col == 1:
                return event.at[:19].replace("T", " ")
            if col == 2:
                return event.action + (" ⚠" if self._untrusted(event) else "")
            if col == 3:
                return event.actor
            if col == 4:
                return describe_detail(event)
            if col == 5:
                return event.content_sha256[:12] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"event sha256 {event.sha256}\ncontent sha256 {event.content_sha256}"
            if self._untrusted(event):
                tip = "The audit chain is broken at or before this event: not trusted.\n" + tip
            return tip
        if role == Qt.ItemDataRole.ForegroundRole and self._untrusted(event):
            return QColor("#b42323")
        if role == Qt.ItemDataRole.ForegroundRole and event.action == "revoked":
            return QColor("#b42323")
        return None
