"""Thumbnails loaded off the GUI thread and cached by candidate paths."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap
from shiboken6 import isValid

from ui.tasks import run_task

log = logging.getLogger(__name__)


def _load(paths: list[Path], size: QSize) -> QImage | None:
    """The first of ``paths`` that exists and decodes, scaled to cover ``size``."""
    for path in paths:
        if not path.is_file():
            continue
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)  # a phone photo's EXIF orientation: shown upright
        image = reader.read()
        if image.isNull():
            log.info("not an image: %s", path)
            continue
        return image.scaled(size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                            Qt.TransformationMode.SmoothTransformation)
    return None


class ThumbnailCache(QObject):
    """``get(paths)`` returns a pixmap or None (and starts loading); ``ready`` fires later.

    ``paths`` are candidates in order of preference (selected take, then reference).
    Loads asked for while a view paints start once that paint is over (a zero timer): a
    worker decoding a JPEG holds the interpreter and would stall the paint that asked.
    """

    ready = Signal(str)

    def __init__(self, size: QSize, parent: QObject | None = None):
        super().__init__(parent)
        self.size = size
        self._cache: dict[str, QPixmap | None] = {}
        self._pending: set[str] = set()
        self._queued: list[tuple[str, list[Path]]] = []

    def get(self, paths: Sequence[Path]) -> QPixmap | None:
        if not paths:
            return None
        key = "|".join(str(p) for p in paths)
        if key in self._cache:
            return self._cache[key]
        if key not in self._pending:
            self._pending.add(key)
            if not self._queued:
                QTimer.singleShot(0, self, self._start_queued)
            self._queued.append((key, [Path(p) for p in paths]))
        return None

    def _start_queued(self) -> None:
        queued, self._queued = self._queued, []
        size = self.size
        for key, candidates in queued:
            run_task(lambda c=candidates: _load(c, size),
                     lambda result, error, key=key: self._done(key, result, error))

    def _done(self, key: str, result: QImage | None, error: BaseException | None) -> None:
        if not isValid(self):
            return  # the page closed while the thumbnail loaded
        self._pending.discard(key)
        if error is not None:
            log.warning("thumbnail %s failed: %s", key, error)
        self._cache[key] = QPixmap.fromImage(result) if result is not None else None
        self.ready.emit(key)

    def invalidate(self) -> None:
        self._cache.clear()
