"""The Shots page's storyboard layout, shared by the page and the window's first frame.

:class:`StoryboardPage` builds what the Shots page shows before its editor exists: the
header (title, shot count and total duration, the strip's buttons), the strip of shot cards
and the splitter with the (still empty) editor area and the prompt pane.
:class:`ui.pages.shots.ShotsPage` adds the editing on top of it.

:class:`PreviewPage` is the same layout over a :class:`studio.preview.ProjectPreview`: the
main window paints it as the first frame of ``studio PROJECT`` before the brief is validated
(docs/performance.md "startup_ratio"), then replaces it with the real Shots page. It is read
only: the strip's buttons are disabled, shots cannot be dragged, there is no editor and no
undo stack; only the selection (carried over to the real page) can change.

This module must not import pydantic, the brief's models or anything that does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QCoreApplication,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.preview import MEDIA_DIR, ProjectPreview
from ui.widgets.shotcard import CARD_H, CARD_W, MARGIN, ShotCardDelegate, shot_card_data
from ui.widgets.thumbs import ThumbnailCache

SEVERITY_TEXT = {"error": QT_TRANSLATE_NOOP("PromptPane", "error"),
                 "warning": QT_TRANSLATE_NOOP("PromptPane", "warning"),
                 "info": QT_TRANSLATE_NOOP("PromptPane", "info")}


def new_thumbnail_cache(parent: QWidget | None = None) -> ThumbnailCache:
    """The storyboard's thumbnail cache (the preview hands its cache to the real page)."""
    return ThumbnailCache(QSize(CARD_W * 2, 234), parent)


class PromptPane(QWidget):
    """The compiled prompt and the linter's findings for the current shot."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 0, 0, 0)
        head = QLabel(self.tr("Compiled prompt"))
        head.setObjectName("paneTitle")
        self.meta = QLabel("")
        self.meta.setObjectName("paneMeta")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("promptText")
        self.text.setAccessibleName(self.tr("Compiled prompt"))
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        lint_head = QLabel(self.tr("Checks"))
        lint_head.setObjectName("paneTitle")
        self.lints = QLabel("")
        self.lints.setObjectName("lintList")
        self.lints.setWordWrap(True)
        self.lints.setTextFormat(Qt.TextFormat.RichText)
        self.lints.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.lints.setAccessibleName(self.tr("Linter warnings"))
        lay.addWidget(head)
        lay.addWidget(self.meta)
        lay.addWidget(self.text, 3)
        lay.addWidget(lint_head)
        lay.addWidget(self.lints, 1)

    def show_result(self, prompt: str, meta: str, lints: list[tuple[str, str]]) -> None:
        if self.text.toPlainText() != prompt:
            self.text.setPlainText(prompt)
        self.meta.setText(meta)
        if not lints:
            self.lints.setText("<span style='color:#2e8b57'>✓ " + self.tr("No problems found")
                               + "</span>")
            return
        rows = []
        for severity, message in lints:
            colour = "#d93f3f" if severity == "error" else "#c77700"
            mark = "●"
            safe = message.replace("&", "&amp;").replace("<", "&lt;")
            rows.append(f"<div style='margin-bottom:4px'><span style='color:{colour}'>{mark}</span> "
                        f"<b>{self._severity(severity)}</b>: {safe}</div>")
        self.lints.setText("".join(rows))

    def _severity(self, severity: str) -> str:
        return self.tr(SEVERITY_TEXT[severity]) if severity in SEVERITY_TEXT else severity


class StoryboardPage(QWidget):
    """The Shots page's layout. Subclasses set ``self.model`` (a list model answering
    :func:`ui.widgets.shotcard.shot_card_data`'s roles) and ``self.thumbs``, then call
    :meth:`_build_storyboard`."""

    model: QAbstractListModel
    thumbs: ThumbnailCache

    def __init__(self, root: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shotsPage")
        self.project_root = Path(root)

    def _build_storyboard(self) -> None:
        # translation context "ShotsPage", where these strings have always been
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        lay.setSpacing(8)
        header = QHBoxLayout()
        title = QLabel(QCoreApplication.translate("ShotsPage", "Storyboard"))
        title.setObjectName("pageTitle")
        self.summary = QLabel("")
        self.summary.setObjectName("pageMeta")
        header.addWidget(title)
        header.addSpacing(10)
        header.addWidget(self.summary)
        header.addStretch(1)
        #: the strip's buttons by action: add, duplicate, delete, left, right
        self.strip_buttons: dict[str, QPushButton] = {}
        for key, text, tip in (
            ("add", QCoreApplication.translate("ShotsPage", "+ Add shot"),
             QCoreApplication.translate("ShotsPage", "Add a shot after the selected one (Ctrl+Shift+N)")),
            ("duplicate", QCoreApplication.translate("ShotsPage", "Duplicate"),
             QCoreApplication.translate("ShotsPage", "Duplicate the selected shot (Ctrl+D)")),
            ("delete", QCoreApplication.translate("ShotsPage", "Delete"),
             QCoreApplication.translate("ShotsPage", "Delete the selected shot (Del)")),
            ("left", "◀", QCoreApplication.translate("ShotsPage", "Move the shot left (Ctrl+Alt+Left)")),
            ("right", "▶", QCoreApplication.translate("ShotsPage", "Move the shot right (Ctrl+Alt+Right)")),
        ):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setAccessibleName(tip.split(" (")[0])
            b.setObjectName("stripButton")
            self.strip_buttons[key] = b
            header.addWidget(b)
        lay.addLayout(header)

        self.strip = QListView()
        self.strip.setObjectName("storyboard")
        self.strip.setAccessibleName(QCoreApplication.translate("ShotsPage",
                                                                 "Storyboard: shots in order"))
        self.strip.setModel(self.model)
        self.strip.setViewMode(QListView.ViewMode.ListMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setUniformItemSizes(True)
        self.strip.setMouseTracking(True)
        self.strip.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setFixedHeight(CARD_H + 2 * MARGIN + 22)
        self.strip.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.strip.setItemDelegate(ShotCardDelegate(self.thumbs, self.thumb_paths, self.strip))
        self.thumbs.ready.connect(lambda _k: self.strip.viewport().update())
        lay.addWidget(self.strip)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("shotsSplitter")
        self.editor_scroll = QScrollArea()
        self.editor_scroll.setObjectName("editorScroll")
        self.editor_scroll.setWidgetResizable(True)
        self.editor_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.prompt = PromptPane()
        self.splitter.addWidget(self.editor_scroll)
        self.splitter.addWidget(self.prompt)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([720, 480])
        lay.addWidget(self.splitter, 1)

    # --- shared helpers --------------------------------------------------------------------
    def storyboard_shots(self) -> list[Any]:  # noqa: ANN401 - Shot or ShotPreview
        raise NotImplementedError

    def thumb_paths(self, shot: Any) -> list[Path]:  # noqa: ANN401 - Shot or ShotPreview
        root = self.project_root
        paths = []
        if shot.selected_take:
            paths.append(root / MEDIA_DIR / shot.selected_take / "thumb.jpg")
        paths.extend(root / r for r in shot.references)
        return paths

    def current_row(self) -> int:
        idx = self.strip.currentIndex()
        return idx.row() if idx.isValid() else -1

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row)
        self.strip.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.strip.scrollTo(index)

    def _update_summary(self, *_args: Any) -> None:  # noqa: ANN401
        shots = self.storyboard_shots()
        total = sum(s.duration for s in shots)
        self.summary.setText(QCoreApplication.translate("ShotsPage", "%n shot(s)", "", len(shots))
                             + " · " + QCoreApplication.translate("ShotsPage", "%1s")
                             .replace("%1", f"{total:g}"))


class PreviewShotModel(QAbstractListModel):
    """The preview's shots for the strip: the same roles and answers as
    :class:`ui.models.ShotListModel` before the consent check has run. Read only."""

    def __init__(self, preview: ProjectPreview, parent: QWidget | None = None):
        super().__init__(parent)
        self.shots = list(preview.shots)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.shots)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or not 0 <= index.row() < len(self.shots):
            return None
        # consent problems are pending: the real page checks them after its first paint
        return shot_card_data(self.shots[index.row()], index.row(), role, [])


class PreviewPage(StoryboardPage):
    """The storyboard of a project that is still being validated (see the module doc)."""

    def __init__(self, preview: ProjectPreview, parent: QWidget | None = None):
        super().__init__(preview.root, parent)
        self.preview = preview
        self.model = PreviewShotModel(preview, self)
        self.thumbs = new_thumbnail_cache(self)
        self._build_storyboard()
        for button in self.strip_buttons.values():
            button.setEnabled(False)  # no edit before the validated model is in
        self.strip.setDragEnabled(False)
        self.strip.setAcceptDrops(False)
        self._update_summary()
        if self.model.rowCount():
            self.select_row(0)

    def storyboard_shots(self) -> list[Any]:  # noqa: ANN401
        return self.model.shots

    def take_thumbnails(self) -> ThumbnailCache:
        """Hand the loaded thumbnails to the real page (no reload, no flicker at the swap)."""
        thumbs = self.thumbs
        thumbs.ready.disconnect()  # from this page's strip, which goes away
        thumbs.setParent(None)
        return thumbs
