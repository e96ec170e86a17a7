"""Paints one take in the grid: thumbnail, shot, duration, rating, review badge, consent flag,
and a "file missing" band when the take file is gone."""

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


class TakeDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        take: Take | None = index.data(RowRole)
        if take is None:
            return
        painter.save()
        rect = option.rect.adjusted(4, 4, -4, -4)
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        focus = bool(option.state & QStyle.StateFlag.State_HasFocus)
        if selected:
            tint = QColor(pal.color(QPalette.ColorRole.Highlight))
            tint.setAlpha(90)  # a tint, so the caption keeps the normal text colour
            painter.fillRect(rect, tint)
        thumb_rect = QRect(rect.left() + (rect.width() - THUMB.width()) // 2, rect.top() + 2,
                           THUMB.width(), THUMB.height())
        pix = index.data(Qt.ItemDataRole.DecorationRole)
        if pix is not None and not pix.isNull():
            x = thumb_rect.left() + (thumb_rect.width() - pix.width()) // 2
            y = thumb_rect.top() + (thumb_rect.height() - pix.height()) // 2
            painter.fillRect(thumb_rect, QColor("#111"))
            painter.drawPixmap(x, y, pix)
        else:
            painter.fillRect(thumb_rect, QColor("#3a3f44"))
            painter.setPen(QColor("#aab"))
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter, "…")
        if take.rating < 0:
            painter.fillRect(thumb_rect, QColor(0, 0, 0, 140))
        # review badge (top left), consent flag (top right)
        label = REVIEW_LABELS.get(take.review, take.review)
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        if label:
            badge = QRect(thumb_rect.left() + 3, thumb_rect.top() + 3,
                          painter.fontMetrics().horizontalAdvance(label) + 8, 15)
            painter.fillRect(badge, REVIEW_COLORS.get(take.review, QColor("#555")))
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        if take.consent_flag:
            flag = QRect(thumb_rect.right() - 18, thumb_rect.top() + 3, 16, 15)
            painter.fillRect(flag, QColor("#c0392b"))
            painter.setPen(QColor("white"))
            painter.drawText(flag, Qt.AlignmentFlag.AlignCenter, "!")
        if take.missing:
            band = QRect(thumb_rect.left(), thumb_rect.bottom() - 17, thumb_rect.width(), 18)
            painter.fillRect(band, QColor(192, 57, 43, 225))
            painter.setPen(QColor("white"))
            painter.drawText(band.adjusted(4, 0, -4, 0),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             "file missing")
        elif take.duration:
            text = f"{take.duration:.1f}s"
            w = painter.fontMetrics().horizontalAdvance(text) + 6
            dur = QRect(thumb_rect.right() - w - 2, thumb_rect.bottom() - 16, w, 14)
            painter.fillRect(dur, QColor(0, 0, 0, 170))
            painter.setPen(QColor("white"))
            painter.drawText(dur, Qt.AlignmentFlag.AlignCenter, text)
        # caption: shot id, then the rating
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        line = QRect(rect.left() + 4, thumb_rect.bottom() + 4, rect.width() - 8, 16)
        caption = painter.fontMetrics().elidedText(take.shot or "imported",
                                                   Qt.TextElideMode.ElideRight, line.width())
        painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         caption)
        stars = QRect(rect.left() + 4, line.bottom() + 1, rect.width() - 8, 16)
        if take.rating < 0:
            painter.setPen(REVIEW_COLORS["rejected"])
            painter.drawText(stars, Qt.AlignmentFlag.AlignLeft, "✕ reject")
        else:
            painter.setPen(QColor("#e0a800"))
            painter.drawText(stars, Qt.AlignmentFlag.AlignLeft,
                             "★" * take.rating + "☆" * (5 - take.rating))
        if focus:
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(rect)
        painter.restore()
