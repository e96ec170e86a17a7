"""Help > About: app version, the versions and licences of what it is built on, the log file.

``show_about(parent)`` opens (or raises) the dialog; the main window wires it to Help > About.
"Copy details" puts a plain-text report (versions, platform, log file path) on the clipboard
for bug reports; it holds no project data and no secrets.
"""

from __future__ import annotations

import logging
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, Qt, QUrl, qVersion
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QIcon,
    QShowEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio import APP_NAME, __version__
from studio.logsetup import log_file_path
from studio.resources import resources_dir

log = logging.getLogger(__name__)

APP_LICENCE = "MIT"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str
    url: str


def _dist_version(dist: str, module: str | None = None) -> str:
    """A distribution's version from its metadata, or the module's ``__version__``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        pass
    mod = sys.modules.get(module or dist)
    version = getattr(mod, "__version__", None) if mod else None
    return str(version) if version else QCoreApplication.translate("About", "not installed")


def _ffmpeg() -> tuple[str, str]:
    """FFmpeg's version and the licence it reports for the build PyAV ships."""
    try:
        import av
        from av import _core  # library_meta carries FFmpeg's own licence string
    except ImportError:
        return QCoreApplication.translate("About", "not installed"), "LGPL-2.1-or-later"
    version = str(getattr(av, "ffmpeg_version_info", "") or "?")
    meta = getattr(_core, "library_meta", {}).get("libavcodec", {})
    licence = str(meta.get("license") or "LGPL-2.1-or-later or GPL-2.0-or-later, per build")
    return version, licence


def components() -> list[Component]:
    """What the app is built on, in the order the About box lists it."""
    ffmpeg_version, ffmpeg_licence = _ffmpeg()
    return [
        Component(APP_NAME, __version__, APP_LICENCE, "https://brief-studio.example/"),
        Component("Python", f"{platform.python_version()} ({platform.python_implementation()})",
                  "PSF-2.0", "https://www.python.org/"),
        Component("Qt", qVersion(), "LGPL-3.0-only", "https://www.qt.io/"),
        Component("PySide6 (Qt for Python)", pyside_version, "LGPL-3.0-only",
                  "https://doc.qt.io/qtforpython-6/"),
        Component("PyAV", _dist_version("av"), "BSD-3-Clause", "https://pyav.basswood-io.com/"),
        Component("FFmpeg (in PyAV)", ffmpeg_version, ffmpeg_licence, "https://ffmpeg.org/"),
        Component("pydantic", _dist_version("pydantic"), "MIT", "https://docs.pydantic.dev/"),
        Component("httpx", _dist_version("httpx"), "BSD-3-Clause", "https://www.python-httpx.org/"),
        Component("PyYAML", _dist_version("pyyaml", "yaml"), "MIT", "https://pyyaml.org/"),
        Component("keyring", _dist_version("keyring"), "MIT", "https://github.com/jaraco/keyring"),
        Component("platformdirs", _dist_version("platformdirs"), "MIT",
                  "https://github.com/tox-dev/platformdirs"),
        Component("Pillow", _dist_version("pillow", "PIL"), "MIT-CMU", "https://python-pillow.org/"),
        Component("fpdf2", _dist_version("fpdf2", "fpdf"), "LGPL-3.0-only",
                  "https://py-pdf.github.io/fpdf2/"),
        Component("defusedxml", _dist_version("defusedxml"), "PSF-2.0",
                  "https://github.com/tiran/defusedxml"),
        Component("OpenTimelineIO", _dist_version("opentimelineio"), "Apache-2.0",
                  "https://opentimeline.io/"),
        Component("c2pa-python", _dist_version("c2pa-python", "c2pa"), "MIT OR Apache-2.0",
                  "https://github.com/contentauth/c2pa-python"),
    ]


def about_text(items: list[Component] | None = None) -> str:
    """The plain-text report "Copy details" puts on the clipboard."""
    items = components() if items is None else items
    width = max(len(c.name) for c in items)
    lines = [f"{APP_NAME} {__version__}",
             f"Platform: {platform.platform()}",
             f"Qt platform plugin: {QGuiApplication.platformName() or '?'}",
             f"Frozen build: {'yes' if getattr(sys, 'frozen', False) else 'no'}",
             f"Log file: {log_file_path()}",
             ""]
    lines += [f"{c.name:<{width}}  {c.version:<16}  {c.licence}" for c in items]
    return "\n".join(lines) + "\n"


def app_icon() -> QIcon:
    """The app icon from resources/icons/app (SVG plus the rendered PNG sizes)."""
    folder = resources_dir() / "icons" / "app"
    icon = QIcon()
    for size in ICON_SIZES:
        png = folder / f"brief-studio-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    svg = folder / "brief-studio.svg"
    if icon.isNull() and svg.is_file():
        icon.addFile(str(svg))
    return icon


class AboutDialog(QDialog):
    """Versions and licences, the log file, and a "copy details" button for bug reports."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About %1").replace("%1", APP_NAME))
        self.setWindowIcon(app_icon())
        self.items = components()

        icon_label = QLabel()
        icon_label.setPixmap(app_icon().pixmap(96, 96))
        icon_label.setAccessibleName(self.tr("Brief Studio icon"))
        icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)

        title = QLabel(f"<h2 style='margin:0'>{APP_NAME}</h2>")
        title.setAccessibleName(APP_NAME)
        version = QLabel(self.tr("Version %1").replace("%1", __version__))
        version.setObjectName("aboutVersion")
        version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        tagline = QLabel(self.tr("Directorial briefs for AI video — with consent kept, takes "
                                 "reviewed and everything handed over in one bundle."))
        tagline.setWordWrap(True)
        licence = QLabel(self.tr("Free software under the %1 licence. It is built on the "
                                 "components below, each under its own licence.")
                         .replace("%1", APP_LICENCE))
        licence.setWordWrap(True)

        heading = QVBoxLayout()
        heading.setSpacing(4)
        for widget in (title, version, tagline, licence):
            heading.addWidget(widget)
        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(icon_label)
        top.addLayout(heading, 1)

        self.model = QStandardItemModel(0, 3, self)
        self.model.setHorizontalHeaderLabels(
            [self.tr("Component"), self.tr("Version"), self.tr("Licence")])
        for item in self.items:
            row = [QStandardItem(item.name), QStandardItem(item.version),
                   QStandardItem(item.licence)]
            for cell in row:
                cell.setEditable(False)
                cell.setToolTip(item.url)
            self.model.appendRow(row)
        self.table = QTableView()
        self.table.setObjectName("aboutComponents")
        self.table.setAccessibleName(self.tr("Components, versions and licences"))
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._open_component_url)

        self.log_path = log_file_path()
        log_label = QLabel(self.tr("Log file (attach it to a bug report; keys are never "
                                   "written to it):"))
        log_label.setWordWrap(True)
        self.log_value = QLabel(str(self.log_path))
        self.log_value.setObjectName("aboutLogPath")
        self.log_value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_value.setAccessibleName(self.tr("Log file path"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("&Copy Details"))
        self.copy_button.setToolTip(self.tr("Copy versions, platform and log file path for a "
                                            "bug report"))
        self.log_button = QPushButton(self.tr("Open &Log Folder"))
        self.log_button.setToolTip(self.tr("Show the folder holding the log file"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.log_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.copy_button.clicked.connect(self.copy_details)
        self.log_button.clicked.connect(self.open_log_folder)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(log_label)
        layout.addWidget(self.log_value)
        layout.addWidget(buttons)
        self.resize(620, 600)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.close_button.setFocus()  # Enter/Esc close; Tab reaches the table

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(about_text(self.items))
        self.copy_button.setText(self.tr("Copied"))

    def log_folder(self) -> Path:
        return self.log_path.parent

    def open_log_folder(self) -> None:
        folder = self.log_folder()
        folder.mkdir(parents=True, exist_ok=True)  # tiny, local: the folder may not exist yet
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            log.warning("no file manager opened %s", folder)

    def _open_component_url(self, index: object) -> None:
        row = index.row()  # type: ignore[attr-defined]
        if 0 <= row < len(self.items):
            QDesktopServices.openUrl(QUrl(self.items[row].url))


def show_about(parent: QWidget | None = None) -> AboutDialog:
    """Open the About box (window-modal over ``parent``), or raise the one already open."""
    if parent is not None:
        existing = parent.findChild(AboutDialog)
        if existing is not None and existing.isVisible():
            existing.raise_()
            existing.activateWindow()
            return existing
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
