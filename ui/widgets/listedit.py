"""A one-line editor for a short list of strings (comma separated), committed on Enter/blur."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class ListEdit(QLineEdit):
    listEdited = Signal(list)

    def __init__(self, parent: QWidget | None = None, placeholder: str = ""):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self._value: list[str] = []
        self.editingFinished.connect(self._commit)

    def set_list(self, values: list[str]) -> None:
        self._value = list(values)
        if not self.hasFocus() or split_list(self.text()) != self._value:
            self.setText(", ".join(values))
            self.setCursorPosition(0)  # show the start of a long list, not its tail

    def _commit(self) -> None:
        values = split_list(self.text())
        if values != self._value:
            self._value = values
            self.listEdited.emit(values)


class TextLine(QLineEdit):
    """A line edit that reports text while typing (merged into one undo step)."""

    textEdited_ = Signal(str)

    def __init__(self, parent: QWidget | None = None, placeholder: str = ""):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.textEdited.connect(self.textEdited_)

    def set_text(self, text: str) -> None:
        if self.text() != text:
            pos = self.cursorPosition()
            self.setText(text)
            self.setCursorPosition(min(pos, len(text)))
