"""A QComboBox over one vocabulary category, with each term's description as tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from studio.vocab import Vocabulary, default_vocabulary

NONE_LABEL = "—"


class VocabCombo(QComboBox):
    """Pick a term id (or none). ``termChosen`` fires only on user changes."""

    termChosen = Signal(object)  # str | None

    def __init__(self, category: str, parent: QWidget | None = None,
                 vocab: Vocabulary | None = None, none_label: str = NONE_LABEL):
        super().__init__(parent)
        self.category = category
        self._vocab = vocab or default_vocabulary()
        self.addItem(none_label, None)
        self.setItemData(0, self.tr("Not specified"), Qt.ItemDataRole.ToolTipRole)
        for term in self._vocab.terms(category):
            self.addItem(term.label, term.id)
            self.setItemData(self.count() - 1, term.description, Qt.ItemDataRole.ToolTipRole)
        self.setMaxVisibleItems(20)
        self._setting = False
        self.currentIndexChanged.connect(self._changed)

    def value(self) -> str | None:
        data = self.currentData()
        return str(data) if data is not None else None

    def set_value(self, term_id: str | None) -> None:
        """Show ``term_id`` without emitting termChosen; unknown ids are kept, marked."""
        self._setting = True
        try:
            idx = self.findData(term_id) if term_id is not None else 0
            if idx < 0:
                self.addItem(self.tr("%1 (unknown)").replace("%1", term_id), term_id)
                self.setItemData(self.count() - 1, self.tr("Not in the vocabulary"),
                                 Qt.ItemDataRole.ToolTipRole)
                idx = self.count() - 1
            self.setCurrentIndex(idx)
            self._update_tooltip()
        finally:
            self._setting = False

    def _update_tooltip(self) -> None:
        tip = self.itemData(self.currentIndex(), Qt.ItemDataRole.ToolTipRole)
        self.setToolTip(str(tip) if tip else "")

    def _changed(self, _index: int) -> None:
        self._update_tooltip()
        if not self._setting:
            self.termChosen.emit(self.value())
