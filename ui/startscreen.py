"""The start screen (no project open): sample project, new from a template, recent, import.

Startup cost: the provider section (keyring detection, httpx through ui.provider_setup) and
the template cards (four templates parsed and validated) are built on first real use — the
first time the screen is shown and still visible once the event loop runs, or when code asks
for ``cards`` / ``provider_setup`` / ``provider_summary`` — never while ``studio PROJECT``
opens a project straight away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QShowEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.resources import resources_dir
from ui.tasks import run_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TemplateCard:
    id: str
    name: str
    aspect: str
    shots: int
    seconds: float
    summary: str


TEMPLATE_BLURBS = {
    "social-ad": QT_TRANSLATE_NOOP(
        "StartScreen", "Vertical hook-to-packshot ad for Reels, TikTok and Shorts."),
    "product-demo": QT_TRANSLATE_NOOP(
        "StartScreen", "A calm, premium reveal of a product and the feature that matters."),
    "brand-film": QT_TRANSLATE_NOOP(
        "StartScreen", "A cinematic human story in scope widescreen; the brand arrives last."),
    "training-module": QT_TRANSLATE_NOOP(
        "StartScreen", "A friendly explainer with a trainer, a demonstration and a recap."),
}


def load_template_cards() -> list[TemplateCard]:
    """Read resources/templates (off the GUI thread)."""
    from studio.templates import list_templates, load_template

    cards = []
    for info in list_templates():
        project = load_template(info.id)
        cards.append(TemplateCard(
            info.id, info.name, project.style.aspect, len(project.shots),
            sum(s.duration for s in project.shots),
            QCoreApplication.translate("StartScreen", TEMPLATE_BLURBS[info.id])
            if info.id in TEMPLATE_BLURBS else project.guardrails.notes or "",
        ))
    return cards


class StartScreen(QWidget):
    openSample = Signal()
    openProject = Signal(Path)
    openDialog = Signal()
    newFromTemplate = Signal(str)  # template id ("" = blank project)
    importBundle = Signal()
    loaded = Signal()  # templates are listed (screenshots wait for this)
    providerChoice = Signal(str)  # "previz" or "keys": the first-run provider setup is done

    def __init__(self, recent: list[str], import_available: bool = True,
                 parent: QWidget | None = None, *, setup_state: str = ""):
        super().__init__(parent)
        self.setObjectName("startScreen")
        self._cards: list[TemplateCard] = []
        self.setup_state = setup_state
        self._provider_setup: QWidget | None = None
        self._provider_summary: QLabel | None = None
        self._populated = False  # providers and templates are built on first use
        outer = QVBoxLayout(self)
        outer.setContentsMargins(56, 28, 56, 24)
        outer.setSpacing(18)

        head = QHBoxLayout()
        icon = QLabel()
        icon_path = resources_dir() / "icons" / "app" / "brief-studio.svg"
        if icon_path.is_file():
            icon.setPixmap(QIcon(str(icon_path)).pixmap(QSize(56, 56)))
        head.addWidget(icon)
        titles = QVBoxLayout()
        title = QLabel(self.tr("Brief Studio"))
        title.setObjectName("startTitle")
        tagline = QLabel(self.tr("Direct AI video like a film: write the brief, keep every "
                                 "consent, review the takes, hand over one bundle."))
        tagline.setObjectName("startTagline")
        tagline.setWordWrap(True)
        titles.addWidget(title)
        titles.addWidget(tagline)
        head.addLayout(titles, 1)
        outer.addLayout(head)

        body = QWidget()
        body.setObjectName("startBody")
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(28)
        scroll = QScrollArea()
        scroll.setObjectName("startScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        # --- left: start actions + provider setup ------------------------------------------
        left = QVBoxLayout()
        left.setSpacing(10)
        columns.addLayout(left, 2)
        section = QLabel(self.tr("Start"))
        section.setObjectName("startSection")
        left.addWidget(section)
        self.sample_button = QPushButton(self.tr("Open the sample project"))
        self.sample_button.setObjectName("primaryButton")
        self.sample_button.setToolTip(self.tr("Aurora Trail 2 — a six-shot trail-running launch "
                                              "with a cameo and references"))
        self.sample_button.clicked.connect(self.openSample)
        self.sample_button.setAccessibleName(self.tr("Open the sample project"))
        left.addWidget(self.sample_button)
        blank = QPushButton(self.tr("New blank project…"))
        blank.setAccessibleName(self.tr("New blank project"))
        blank.clicked.connect(lambda: self.newFromTemplate.emit(""))
        left.addWidget(blank)
        open_button = QPushButton(self.tr("Open project…"))
        open_button.setAccessibleName(self.tr("Open a project folder"))
        open_button.clicked.connect(self.openDialog)
        left.addWidget(open_button)
        self.import_button = QPushButton(self.tr("Import agency bundle…"))
        self.import_button.clicked.connect(self.importBundle)
        self.import_button.setAccessibleName(self.tr("Import an agency bundle"))
        self.import_button.setEnabled(import_available)
        self.import_button.setToolTip(
            self.tr("Verify and open a .briefbundle.zip (or drop it on this window)")
            if import_available else self.tr("not available in this build"))
        left.addWidget(self.import_button)

        section = QLabel(self.tr("Generation providers"))
        section.setObjectName("startSection")
        left.addSpacing(12)
        left.addWidget(section)
        self.providers_box = QVBoxLayout()
        self.providers_box.setSpacing(6)
        left.addLayout(self.providers_box)
        left.addStretch(1)

        # --- right: templates + recent ------------------------------------------------------
        right = QVBoxLayout()
        right.setSpacing(10)
        columns.addLayout(right, 3)
        section = QLabel(self.tr("New from a template"))
        section.setObjectName("startSection")
        right.addWidget(section)
        self.template_grid = QGridLayout()
        self.template_grid.setSpacing(12)
        right.addLayout(self.template_grid)

        section = QLabel(self.tr("Recent"))
        section.setObjectName("startSection")
        right.addSpacing(12)
        right.addWidget(section)
        self.recent_model = QStandardItemModel(self)
        self.recent_view = QListView()
        self.recent_view.setObjectName("recentList")
        self.recent_view.setAccessibleName(self.tr("Recent projects"))
        self.recent_view.setModel(self.recent_model)
        self.recent_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.recent_view.activated.connect(self._recent_activated)
        self.recent_view.clicked.connect(self._recent_activated)
        self.recent_view.setMinimumHeight(120)
        right.addWidget(self.recent_view, 1)
        self.set_recent(recent)

    # --- lazy parts -------------------------------------------------------------------------
    def ensure_populated(self) -> None:
        """Build the provider section and start listing the templates (once)."""
        if self._populated:
            return
        self._populated = True
        self._build_providers()
        run_task(load_template_cards, self._templates_loaded)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._populated:
            # after the pending work of this turn: a project opened at startup hides the
            # screen before it is ever painted, and then nothing is built
            QTimer.singleShot(0, self, self._populate_if_visible)

    def _populate_if_visible(self) -> None:
        if self.isVisible():
            self.ensure_populated()

    @property
    def cards(self) -> list[TemplateCard]:
        self.ensure_populated()
        return self._cards

    @property
    def provider_setup(self) -> QWidget | None:
        """The inline first-run setup (None once a choice was made)."""
        self.ensure_populated()
        return self._provider_setup

    @property
    def provider_summary(self) -> QLabel | None:
        """The one-line provider summary (None on first run)."""
        self.ensure_populated()
        return self._provider_summary

    # --- providers ------------------------------------------------------------------------
    def _build_providers(self) -> None:
        """First run: the setup inline. Later: a one-line summary and a button."""
        while self.providers_box.count():
            item = self.providers_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        from ui.provider_setup import ProviderSetupWidget, key_state_text, providers

        if not self.setup_state:
            intro = QLabel(self.tr("First run: where should shots be generated? Previz is "
                                   "offline and free; paste keys for the AI providers you use."))
            intro.setObjectName("templateBlurb")
            intro.setWordWrap(True)
            self.providers_box.addWidget(intro)
            self._provider_setup = ProviderSetupWidget(self, compact=True)
            self._provider_setup.choiceMade.connect(self._provider_choice)
            self.providers_box.addWidget(self._provider_setup)
            self._provider_summary = None
            return
        self._provider_setup = None
        row = QHBoxLayout()
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        self._provider_summary = QLabel(self.tr("Checking provider keys…"))
        self._provider_summary.setObjectName("templateBlurb")
        self._provider_summary.setWordWrap(True)
        button = QPushButton(self.tr("Provider keys…"))
        button.setAccessibleName(self.tr("Set up provider keys"))
        button.clicked.connect(self.open_provider_dialog)
        row.addWidget(self._provider_summary, 1)
        row.addWidget(button)
        self.providers_box.addWidget(holder)
        summary = self._provider_summary

        def work() -> list[str]:
            return [caps.name.split(" (")[0] for caps in providers()
                    if key_state_text(caps)[1] != "missing"]

        def done(names: list[str] | None, error: BaseException | None) -> None:
            try:
                summary.setText(self.tr("Ready: %1. Add or test keys here or in Settings "
                                        "(Ctrl+,).").replace("%1", str(", ".join(names or ["Previz"])))
                                if error is None else self.tr("Provider keys could not be read."))
            except RuntimeError:  # rebuilt meanwhile
                pass

        run_task(work, done)

    def _provider_choice(self, choice: str) -> None:
        self.setup_state = choice
        self.providerChoice.emit(choice)

    def open_provider_dialog(self) -> None:
        from ui.provider_setup import ProviderSetupDialog

        dialog = ProviderSetupDialog(self)
        dialog.setup.choiceMade.connect(self._provider_choice)
        self.provider_dialog = dialog
        dialog.exec()
        self.refresh_providers()

    def refresh_providers(self) -> None:
        if not self._populated:
            return  # built fresh when first shown
        if self._provider_setup is not None:
            self._provider_setup.refresh()  # type: ignore[attr-defined]
        else:
            self._build_providers()

    def set_recent(self, recent: list[str]) -> None:
        self.recent_model.clear()
        for path in recent:
            item = QStandardItem(Path(path).name)
            item.setToolTip(path)
            item.setData(path, Qt.ItemDataRole.UserRole)
            item.setData(f"{Path(path).name}\n{path}", Qt.ItemDataRole.DisplayRole)
            self.recent_model.appendRow(item)
        if not recent:
            item = QStandardItem(self.tr("Projects you open appear here."))
            item.setEnabled(False)
            self.recent_model.appendRow(item)

    def _recent_activated(self, index: object) -> None:
        path = index.data(Qt.ItemDataRole.UserRole)  # type: ignore[attr-defined]
        if path:
            self.openProject.emit(Path(path))

    def _templates_loaded(self, cards: list[TemplateCard] | None, error: BaseException | None) -> None:
        if error is not None:
            log.warning("could not list templates: %s", error)
            label = QLabel(self.tr("Templates could not be read: %1").replace("%1", str(error)))
            label.setWordWrap(True)
            self.template_grid.addWidget(label, 0, 0)
        self._cards = cards or []
        for i, card in enumerate(self._cards):
            self.template_grid.addWidget(self._card(card), i // 2, i % 2)
        self.loaded.emit()

    def _card(self, card: TemplateCard) -> QWidget:
        frame = QFrame()
        frame.setObjectName("templateCard")
        frame.setMinimumHeight(112)
        lay = QVBoxLayout(frame)
        lay.setContentsMargins(16, 14, 16, 14)
        top = QHBoxLayout()
        name = QLabel(card.name)
        name.setObjectName("templateName")
        aspect = QLabel(card.aspect)
        aspect.setObjectName("aspectChip")
        top.addWidget(name, 1)
        top.addWidget(aspect)
        lay.addLayout(top)
        blurb = QLabel(card.summary)
        blurb.setObjectName("templateBlurb")
        blurb.setWordWrap(True)
        lay.addWidget(blurb, 1)
        bottom = QHBoxLayout()
        meta = QLabel(self.tr("%1 shots · %2 s").replace("%1", str(card.shots))
                      .replace("%2", f"{card.seconds:g}"))
        meta.setObjectName("templateMeta")
        use = QPushButton(self.tr("Use template"))
        use.setAccessibleName(self.tr("New project from %1").replace("%1", str(card.name)))
        use.clicked.connect(lambda: self.newFromTemplate.emit(card.id))
        bottom.addWidget(meta, 1)
        bottom.addWidget(use)
        lay.addLayout(bottom)
        return frame
