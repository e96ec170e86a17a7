"""Paints one take in the grid: thumbnail, shot, duration, rating, review badge, consent flag,
and a "file missing" band when the take file is gone.

It runs for every visible cell on every frame of a scroll, on the GUI thread, so it keeps
Python work small: colours, flags and alignments are built once, the badge font once per
base font, and the model is asked once (the Take tuple; the thumbnail straight from the
model's cache) instead of once per role through ``QModelIndex.data``.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.library.model import RowRole, Take

CELL = QSize(176, 138)
THUMB = QSize(160, 90)
REVIEW_COLORS = {
    "approved": QColor("#2e9d5b"),
    "rejected": QColor("#c0392b"),
    "changes_requested": QColor("#d68910"),
    "pending": QColor("#7f8c8d"),
}
REVIEW_LABELS = {"approved": "approved", "rejected": "rejected",
                 "changes_requested": "changes", "pending": ""}

_THUMB_W, _THUMB_H = THUMB.width(), THUMB.height()
_SELECTED = QStyle.StateFlag.State_Selected
_FOCUS = QStyle.StateFlag.State_HasFocus
_CENTER = Qt.AlignmentFlag.AlignCenter
_LEFT = Qt.AlignmentFlag.AlignLeft
_LEFT_VCENTER = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight
_HIGHLIGHT = QPalette.ColorRole.Highlight
_TEXT = QPalette.ColorRole.Text
_BLACK_BG = QColor("#111")
_EMPTY_BG = QColor("#3a3f44")
_EMPTY_FG = QColor("#aab")
_REJECT_SHADE = QColor(0, 0, 0, 140)
_OTHER_BADGE = QColor("#555")
_FLAG = QColor("#c0392b")
_WHITE = QColor("white")
_MISSING = QColor(192, 57, 43, 225)
_DURATION_BG = QColor(0, 0, 0, 170)
_STARS = QColor("#e0a800")
_STAR_TEXT = ["★" * n + "☆" * (5 - n) for n in range(6)]


class TakeDelegate(QStyledItemDelegate):
    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._fonts: dict[str, QFont] = {}  # base font key -> the smaller badge font

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL

    def _small_font(self, base: QFont) -> QFont:
        key = base.key()
        font = self._fonts.get(key)
        if font is None:
            font = QFont(base)
            font.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
            self._fonts[key] = font
        return font

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        model = index.model()
        take_at = getattr(model, "take", None)
        take: Take | None = take_at(index.row()) if take_at is not None else index.data(RowRole)
        if take is None:
            return
        painter.save()
        rect = option.rect.adjusted(4, 4, -4, -4)
        pal = option.palette
        state = option.state
        left, top, width = rect.left(), rect.top(), rect.width()
        if state & _SELECTED:
            tint = QColor(pal.color(_HIGHLIGHT))
            tint.setAlpha(90)  # a tint, so the caption keeps the normal text colour
            painter.fillRect(rect, tint)
        tl, tt = left + (width - _THUMB_W) // 2, top + 2
        thumb_rect = QRect(tl, tt, _THUMB_W, _THUMB_H)
        thumbs = getattr(model, "thumbs", None)
        pix = thumbs.get(take.thumbnail) if thumbs is not None else \
            index.data(Qt.ItemDataRole.DecorationRole)
        if pix is not None and not pix.isNull():
            painter.fillRect(thumb_rect, _BLACK_BG)
            painter.drawPixmap(tl + (_THUMB_W - pix.width()) // 2,
                               tt + (_THUMB_H - pix.height()) // 2, pix)
        else:
            painter.fillRect(thumb_rect, _EMPTY_BG)
            painter.setPen(_EMPTY_FG)
            painter.drawText(thumb_rect, _CENTER, "…")
        if take.rating < 0:
            painter.fillRect(thumb_rect, _REJECT_SHADE)
        # review badge (top left), consent flag (top right)
        label = REVIEW_LABELS.get(take.review, take.review)
        painter.setFont(self._small_font(painter.font()))
        metrics = painter.fontMetrics()
        if label:
            badge = QRect(tl + 3, tt + 3, metrics.horizontalAdvance(label) + 8, 15)
            painter.fillRect(badge, REVIEW_COLORS.get(take.review, _OTHER_BADGE))
            painter.setPen(_WHITE)
            painter.drawText(badge, _CENTER, label)
        thumb_right, thumb_bottom = tl + _THUMB_W - 1, tt + _THUMB_H - 1
        if take.consent_flag:
            flag = QRect(thumb_right - 18, tt + 3, 16, 15)
            painter.fillRect(flag, _FLAG)
            painter.setPen(_WHITE)
            painter.drawText(flag, _CENTER, "!")
        if take.missing:
            band = QRect(tl, thumb_bottom - 17, _THUMB_W, 18)
            painter.fillRect(band, _MISSING)
            painter.setPen(_WHITE)
            painter.drawText(band.adjusted(4, 0, -4, 0), _LEFT_VCENTER, "file missing")
        elif take.duration:
            text = f"{take.duration:.1f}s"
            w = metrics.horizontalAdvance(text) + 6
            dur = QRect(thumb_right - w - 2, thumb_bottom - 16, w, 14)
            painter.fillRect(dur, _DURATION_BG)
            painter.setPen(_WHITE)
            painter.drawText(dur, _CENTER, text)
        # caption: shot id, then the rating
        painter.setPen(pal.color(_TEXT))
        line = QRect(left + 4, thumb_bottom + 4, width - 8, 16)
        caption = metrics.elidedText(take.shot or "imported", _ELIDE_RIGHT, width - 8)
        painter.drawText(line, _LEFT_VCENTER, caption)
        stars = QRect(left + 4, thumb_bottom + 20, width - 8, 16)
        if take.rating < 0:
            painter.setPen(REVIEW_COLORS["rejected"])
            painter.drawText(stars, _LEFT, "✕ reject")
        else:
            painter.setPen(_STARS)
            painter.drawText(stars, _LEFT, _STAR_TEXT[min(take.rating, 5)])
        if state & _FOCUS:
            painter.setPen(QPen(pal.color(_HIGHLIGHT), 2))
            painter.drawRect(rect)
        painter.restore()
