"""The storyboard card: thumbnail, number, title, duration, size/movement, consent badge.

A card reads only a shot's id, title, duration, direction (shot size, movement, lens),
cameos, references and selected take, so it paints a :class:`studio.model.Shot` and the
window's first-frame :class:`studio.preview.ShotPreview` alike; :func:`shot_card_data` is
what both storyboard models (ui.models.ShotListModel, ui.pages.storyboard.PreviewShotModel)
answer per role. This module must not import pydantic or the brief's models
(docs/performance.md "startup_ratio").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from studio.vocab import default_vocabulary
from ui.widgets.thumbs import ThumbnailCache

ShotIdRole = Qt.ItemDataRole.UserRole + 1
ShotRole = Qt.ItemDataRole.UserRole + 2  # the shot (studio.model.Shot or a ShotPreview)
ConsentRole = Qt.ItemDataRole.UserRole + 3  # list[str] of consent problems
NumberRole = Qt.ItemDataRole.UserRole + 4

CARD_W = 208
THUMB_H = 117
CARD_H = THUMB_H + 62
MARGIN = 6
BADGE_RED = QColor("#d93f3f")


def _tr(text: str) -> str:
    return QCoreApplication.translate("ShotCardDelegate", text)


def _tr_models(text: str) -> str:
    return QCoreApplication.translate("ShotModels", text)


def shot_card_data(shot: Any, row: int, role: int, problems: list[str]) -> Any:  # noqa: ANN401
    """What a storyboard model answers for ``shot`` at ``row`` (``problems``: its consent
    problems, empty until checked) for ``role``; None for other roles."""
    if role == Qt.ItemDataRole.DisplayRole:
        return shot.title or shot.id
    if role == Qt.ItemDataRole.ToolTipRole:
        tip = f"{shot.id} · " + _tr_models("%1s").replace("%1", f"{shot.duration:g}")
        return tip + ("\n" + "\n".join(problems) if problems else "")
    if role == Qt.ItemDataRole.AccessibleTextRole:
        return (_tr_models("Shot %1: %2, %3 seconds").replace("%1", str(row + 1))
                .replace("%2", shot.title or shot.id).replace("%3", f"{shot.duration:g}"))
    if role == ShotIdRole:
        return shot.id
    if role == ShotRole:
        return shot
    if role == ConsentRole:
        return list(problems)
    if role == NumberRole:
        return row + 1
    return None


def shot_summary(shot: Any) -> str:  # noqa: ANN401 - a Shot or a ShotPreview
    vocab = default_vocabulary()
    d = shot.direction
    bits = [_tr("%1s").replace("%1", f"{shot.duration:g}")]
    if d.shot_size:
        bits.append(d.shot_size)
    if d.movement:
        term = vocab.get("movements", d.movement)
        bits.append(term.label if term else d.movement)
    if d.lens_mm:
        bits.append(_tr("%1mm").replace("%1", str(d.lens_mm)))
    return " · ".join(bits)


class ShotCardDelegate(QStyledItemDelegate):
    """Paints one shot card. ``thumb_for(shot)`` names the image to show, if any."""

    def __init__(self, thumbs: ThumbnailCache, thumb_for: Callable[[Any], list[Path]],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.thumbs = thumbs
        self.thumb_for = thumb_for

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(CARD_W + 2 * MARGIN, CARD_H + 2 * MARGIN)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        shot = index.data(ShotRole)
        if shot is None:
            return
        pal = QApplication.palette()  # the view's palette is transparent under the style sheet
        rect: QRect = option.rect.adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)

        card = QPainterPath()
        card.addRoundedRect(QRectF(rect), 10, 10)
        base = pal.color(QPalette.ColorRole.Base)
        painter.fillPath(card, base)
        accent = pal.color(QPalette.ColorRole.Highlight)
        border = accent if selected else pal.color(QPalette.ColorRole.Mid)
        if hovered and not selected:
            border = pal.color(QPalette.ColorRole.Dark)
        painter.setPen(QPen(border, 2.5 if selected else 1))
        painter.drawPath(card)

        thumb_rect = QRect(rect.left() + 1, rect.top() + 1, rect.width() - 2, THUMB_H)
        painter.save()
        painter.setClipRect(thumb_rect)
        painter.setClipPath(card, Qt.ClipOperation.IntersectClip)
        pix = self.thumbs.get(self.thumb_for(shot))
        if pix is not None and not pix.isNull():
            src = QRect(0, 0, pix.width(), pix.height())
            target_ratio = thumb_rect.width() / thumb_rect.height()
            if src.width() / max(src.height(), 1) > target_ratio:
                w = int(src.height() * target_ratio)
                src = QRect((src.width() - w) // 2, 0, w, src.height())
            else:
                h = int(src.width() / target_ratio)
                src = QRect(0, (src.height() - h) // 2, src.width(), h)
            painter.drawPixmap(thumb_rect, pix, src)
        else:
            painter.fillRect(thumb_rect, pal.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter,
                             shot.direction.shot_size or _tr("No reference"))
        painter.restore()

        # number chip
        number = int(index.data(NumberRole) or 0)
        chip = QRectF(thumb_rect.left() + 8, thumb_rect.top() + 8, 30, 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(chip, 6, 6)
        font = QFont(option.font)  # type: ignore[attr-defined]
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, f"{number:02d}")

        problems = index.data(ConsentRole) or []
        if problems:
            badge = QRectF(thumb_rect.right() - 82, thumb_rect.top() + 8, 74, 22)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BADGE_RED)
            painter.drawRoundedRect(badge, 11, 11)
            small = QFont(option.font)  # type: ignore[attr-defined]
            small.setBold(True)
            small.setPointSizeF(max(small.pointSizeF() - 1.5, 7))
            painter.setFont(small)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, _tr("CONSENT"))
        elif shot.cameos:
            badge = QRectF(thumb_rect.right() - 70, thumb_rect.top() + 8, 62, 22)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 150))
            painter.drawRoundedRect(badge, 11, 11)
            small = QFont(option.font)  # type: ignore[attr-defined]
            small.setPointSizeF(max(small.pointSizeF() - 1.5, 7))
            painter.setFont(small)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, _tr("CAMEO"))

        text_rect = QRect(rect.left() + 12, thumb_rect.bottom() + 8, rect.width() - 24, 22)
        title_font = QFont(option.font)  # type: ignore[attr-defined]
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        title = QFontMetrics(title_font).elidedText(shot.title or shot.id,
                                                    Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)

        meta_rect = text_rect.translated(0, 22)
        meta_font = QFont(option.font)  # type: ignore[attr-defined]
        meta_font.setPointSizeF(max(meta_font.pointSizeF() - 1, 7))
        painter.setFont(meta_font)
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        meta = QFontMetrics(meta_font).elidedText(shot_summary(shot), Qt.TextElideMode.ElideRight,
                                                  meta_rect.width())
        painter.drawText(meta_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, meta)
        painter.restore()
