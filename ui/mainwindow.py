"""The main window: start screen or an open project (sidebar + pages), menus, saving.

Saving and autosave
    Ctrl+S writes project.yaml atomically (studio.project.save_project) from a snapshot,
    off the GUI thread. While the brief has unsaved edits, every AUTOSAVE_MS the model is
    written to ``<project>/.studio-autosave.yaml`` (atomic; never over project.yaml). The
    autosave is removed after a successful save and on a clean close; when a project is
    opened and an autosave that differs from project.yaml is found, the user is offered
    to recover it.

The first frame of ``studio PROJECT``
    pydantic and the brief's models cost ≈ 85 ms to import and build, more than half of
    what the window adds to a bare Qt window (docs/performance.md "startup_ratio"). So when
    the window opens its first project on screen, it paints the storyboard from a preview
    (:mod:`studio.preview`: project.yaml read without the models, only when it is in the
    current schema's plain shape) and loads and validates the project right after that
    frame. Until the validated project replaces the preview nothing can be edited: there is
    no ProjectContext yet (``ctx`` is None, so every editing action is disabled and drops
    are refused), the preview's strip buttons are disabled and its shots cannot be dragged.
    If validation fails, the preview goes and the same error dialog as ever is shown; the
    file is never written. This module, and everything it imports at module level, must
    not import pydantic.
"""

from __future__ import annotations

import base64
import contextlib
import html
import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from studio import __version__
from studio.errors import ProjectFileError, SaveConflictError, StoreError, StudioError
from studio.preview import project_file
from studio.resources import resources_dir, user_guide
from studio.resources import sample_project_copy as sample_project  # never the shipped one
from studio.yamlio import atomic_write
from ui import startup_done
from ui.context import ProjectContext
from ui.settings import Settings
from ui.tasks import run_task
from ui.widgets.placeholder import PlaceholderPage

if TYPE_CHECKING:
    # studio.model and studio.project import pydantic: imported where used, after the
    # first frame (see the module doc)
    from studio.model import Project
    from studio.preview import ProjectPreview
    from studio.project import ProjectDocument
    from ui.pages.storyboard import PreviewPage
    from ui.startscreen import StartScreen
    from ui.widgets.thumbs import ThumbnailCache

log = logging.getLogger(__name__)

AUTOSAVE_NAME = ".studio-autosave.yaml"
BUNDLE_SUFFIXES = (".zip",)  # *.briefbundle.zip and plain *.zip
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv"})
STORE_PAGES = ("cameos", "queue", "library")  # pages that read studio.db
THEMES = (("system", QT_TRANSLATE_NOOP("MainWindow", "&System")), ("light", QT_TRANSLATE_NOOP("MainWindow", "&Light")),
          ("dark", QT_TRANSLATE_NOOP("MainWindow", "&Dark")))
AUTOSAVE_MS = 30_000
AFTER_PAINT_MAX_MS = 1000
#: before the window's first frame, a project.yaml up to this size is previewed on the GUI
#: thread (a few ms) rather than in a worker (see open_project)
PREVIEW_INLINE_MAX_BYTES = 64 * 1024
STARTUP_GC_MS = 2000  # ui.startup_done at the latest this long after the window was made

# (key, label, module, class, shortcut)
PAGES = (
    ("brief", QT_TRANSLATE_NOOP("MainWindow", "Brief"), "ui.pages.brief", "BriefPage", "Ctrl+1"),
    ("shots", QT_TRANSLATE_NOOP("MainWindow", "Shots"), "ui.pages.shots", "ShotsPage", "Ctrl+2"),
    ("cameos", QT_TRANSLATE_NOOP("MainWindow", "Cameos"), "ui.pages.cameos", "CameosPage", "Ctrl+3"),
    ("queue", QT_TRANSLATE_NOOP("MainWindow", "Queue"), "ui.pages.queue", "QueuePage", "Ctrl+4"),
    ("library", QT_TRANSLATE_NOOP("MainWindow", "Library"), "ui.pages.library", "LibraryPage", "Ctrl+5"),
)
PAGE_KEYS = tuple(p[0] for p in PAGES)


def icon(name: str) -> QIcon:
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def autosave_path(root: Path) -> Path:
    return Path(root) / AUTOSAVE_NAME


def read_autosave(root: Path, current: Project) -> Project | None:
    """The autosaved project if one exists, parses, and differs from ``current``."""
    from studio.model import SCHEMA_VERSION, Project
    from studio.yamlio import load_model

    path = autosave_path(root)
    if not path.is_file():
        return None
    try:
        project, _ = load_model(path, Project, current_version=SCHEMA_VERSION, kind="autosave")
    except StudioError as exc:
        log.warning("ignoring unreadable autosave %s: %s", path, exc)
        return None
    return None if project == current else project


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` if that part of the app is installed, else None (action disabled)."""
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except ModuleNotFoundError as exc:
        if exc.name == module:
            log.info("%s not installed: %s", module, exc)
        else:
            log.warning("%s.%s not available: %s", module, name, exc)
        return None
    except Exception as exc:  # noqa: BLE001 - a broken part must not stop the window
        log.warning("%s.%s not available: %s", module, name, exc, exc_info=exc)
        return None


def _installed(module: str) -> bool:
    """Whether that part of the app is installed, without importing it (startup cost: the
    export, queue and compare modules pull in httpx, PyAV, fpdf2 and OpenTimelineIO). A module
    that is present but broken is caught by :func:`_optional` when it is used."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def is_bundle_path(path: Path) -> bool:
    """A file that looks like an agency bundle (``*.briefbundle.zip`` or ``*.zip``)."""
    return path.suffix.lower() in BUNDLE_SUFFIXES and not path.is_dir()


def probe_store(root: Path) -> None:
    """Open studio.db once and read every table the pages use; raise StoreError if unusable.

    Runs off the GUI thread. A locked database waits the store's busy timeout first.
    """
    import sqlite3

    from studio.store import DB_NAME, Store

    db = Path(root) / DB_NAME
    with contextlib.closing(Store.for_project(root).connect()) as conn:
        try:
            for table in ("jobs", "results", "tags", "audit"):
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()  # noqa: S608
            row = conn.execute("PRAGMA quick_check(1)").fetchone()
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise StoreError(f"{db}: the database is locked by another program") from None
            raise StoreError(f"{db}: the database is unreadable ({text}). Your brief "
                             "(project.yaml) is untouched.") from None
    if row is None or row[0] != "ok":
        detail = row[0] if row else "no answer"
        raise StoreError(f"{db}: the database is damaged ({detail}). Your brief "
                         "(project.yaml) is untouched.")


def store_problem_kind(error: BaseException) -> str:
    """"locked" or "corrupt" (a newer schema counts as "newer": no rebuild offered)."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return "locked"
    if "newer Brief Studio" in text:
        return "newer"
    return "corrupt"


def _small_file(path: Path, limit: int) -> bool:
    try:
        return path.stat().st_size <= limit
    except OSError:
        return False


def read_preview_for_window(path: Path) -> ProjectPreview | None:
    """Off the GUI thread: the project's first-frame preview (None: take the normal path),
    and the vocabulary its cards' movement labels need."""
    from studio.preview import read_preview
    from studio.vocab import default_vocabulary

    preview = read_preview(path)
    if preview is not None:
        default_vocabulary()
    return preview


class MainWindow(QMainWindow):
    projectOpened = Signal(object)  # ProjectContext
    #: the first frame of a project is a preview, read but not yet validated (module doc)
    previewShown = Signal(object)  # studio.preview.ProjectPreview
    pageShown = Signal(str)

    def __init__(self, settings: Settings | None = None, *, interactive: bool = True,
                 restore_geometry: bool = True, start_screen: bool = True):
        """``start_screen=False`` (``studio PROJECT``): the start screen is built only when
        it is first needed (the project did not open, or was closed), not before the first
        frame, which shows the project."""
        super().__init__()
        self.settings = settings or Settings.load()
        self.interactive = interactive  # False: never show a modal dialog (screenshots)
        self.ctx: ProjectContext | None = None
        self.pages: dict[str, QWidget] = {}
        self._forced_dirty = False
        self._saving = False
        self._after_save: Callable[[], None] | None = None
        self.store_ok = True  # False: studio.db unusable, the brief is open on its own
        self.queue_indicator: QWidget | None = None
        self.start_queue = interactive  # run the queue engine while a project is open
        self.setObjectName("mainWindow")
        self.setWindowIcon(QIcon(str(resources_dir() / "icons" / "app" / "brief-studio.svg")))
        self.setMinimumSize(QSize(1024, 680))
        self.resize(1280, 800)

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self._start: StartScreen | None = None
        if start_screen:
            self._build_start()
        self.workspace: QWidget | None = None
        self.opening_page: QLabel | None = None  # "Opening …" while the first project loads
        # the first project's storyboard before validation (module doc); a page asked for
        # meanwhile, shown once the project is in; the preview's thumbnails, for the real page
        self.preview_page: PreviewPage | None = None
        self._pending_page: str | None = None
        self._preview_thumbs: ThumbnailCache | None = None
        self._open_serial = 0  # a load that a later open_project superseded is dropped
        self._painted = False  # the window has painted a frame

        self._after_paint: list[Callable[[], object]] = []
        self._after_paint_timer = QTimer(self)
        self._after_paint_timer.setSingleShot(True)
        self._after_paint_timer.setInterval(AFTER_PAINT_MAX_MS)
        self._after_paint_timer.timeout.connect(self._run_after_paint)
        QTimer.singleShot(STARTUP_GC_MS, startup_done)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave_now)

        self._build_menus()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._system_scheme_changed)
        self.statusBar().setObjectName("statusBar")
        self._update_title()
        if restore_geometry:
            self._restore_window_state()
        self._update_actions()

    @property
    def start(self) -> StartScreen:
        """The start screen (built on first use when the window was made without it)."""
        return self._start if self._start is not None else self._build_start()

    def _build_start(self) -> StartScreen:
        from ui.startscreen import StartScreen

        start = StartScreen(self.settings.recent,
                            import_available=_installed("ui.export_dialog"),
                            setup_state=self.settings.providers_setup)
        start.providerChoice.connect(self._provider_choice)
        start.openSample.connect(self.open_sample)
        start.openProject.connect(self.open_project)
        start.openDialog.connect(self.open_dialog)
        start.newFromTemplate.connect(self.new_project)
        start.importBundle.connect(self.import_bundle)
        self._start = start
        self.stack.insertWidget(0, start)  # the current page stays current
        return start

    # ------------------------------------------------------------------ menus
    def _action(self, menu: Any, text: str, slot: Callable[..., Any] | None = None,  # noqa: ANN401
                shortcut: QKeySequence | str | QKeySequence.StandardKey | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu(self.tr("&File"))
        m.setToolTipsVisible(True)
        self.act_new = self._action(m, self.tr("&New…"), lambda: self.new_project(""),
                                    QKeySequence.StandardKey.New)
        self.act_open = self._action(m, self.tr("&Open…"), self.open_dialog,
                                     QKeySequence.StandardKey.Open)
        self.recent_menu = m.addMenu(self.tr("Open &Recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.act_sample = self._action(m, self.tr("Open &Sample Project"),
                                       self.open_sample)
        m.addSeparator()
        self.act_save = self._action(m, self.tr("&Save"), self.save, QKeySequence.StandardKey.Save)
        self.act_close = self._action(m, self.tr("&Close Project"), self.close_project,
                                      "Ctrl+W")
        m.addSeparator()
        self.act_export = self._action(m, self.tr("&Export Bundle…"), self.export_bundle, "Ctrl+E")
        self.act_import = self._action(m, self.tr("&Import Bundle…"), self.import_bundle)
        m.addSeparator()
        self.act_quit = self._action(m, self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)

        m = bar.addMenu(self.tr("&Edit"))
        self.act_undo = self._action(m, self.tr("&Undo"), self._undo, QKeySequence.StandardKey.Undo)
        self.act_redo = self._action(m, self.tr("&Redo"), self._redo, "Ctrl+Shift+Z")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        m.addSeparator()
        self.act_settings = self._action(
            m, self.tr("Se&ttings…"), self.open_settings, "Ctrl+,",
            self.tr("Provider keys, base URLs, concurrency and prices"))
        self.act_settings.setMenuRole(QAction.MenuRole.PreferencesRole)

        m = bar.addMenu(self.tr("&View"))
        self.page_actions: dict[str, QAction] = {}
        for key, label, _mod, _cls, shortcut in PAGES:
            self.page_actions[key] = self._action(m, self.tr(label),
                                                  lambda k=key: self.show_page(k), shortcut)
        m.addSeparator()
        theme_menu = m.addMenu(self.tr("&Theme"))
        self.theme_group = QActionGroup(self)
        self.theme_group.setExclusive(True)
        self.theme_actions: dict[str, QAction] = {}
        for key, label in THEMES:
            act = self._action(theme_menu, self.tr(label), lambda k=key: self.set_theme(k))
            act.setCheckable(True)
            act.setChecked(key == self.settings.theme)
            self.theme_group.addAction(act)
            self.theme_actions[key] = act

        m = bar.addMenu(self.tr("&Shot"))
        m.setToolTipsVisible(True)
        self.act_add_shot = self._action(m, self.tr("&Add Shot"), lambda: self._shots("add_shot"),
                                         "Ctrl+Shift+N")
        self.act_dup_shot = self._action(m, self.tr("&Duplicate Shot"),
                                         lambda: self._shots("duplicate_shot"), "Ctrl+D")
        self.act_del_shot = self._action(m, self.tr("De&lete Shot"),
                                         lambda: self._shots("delete_shot"), "Ctrl+Backspace")
        m.addSeparator()
        self.act_left = self._action(m, self.tr("Move &Left"),
                                     lambda: self._shots("move_selected", -1), "Ctrl+Alt+Left")
        self.act_right = self._action(m, self.tr("Move &Right"),
                                      lambda: self._shots("move_selected", 1), "Ctrl+Alt+Right")
        m.addSeparator()
        self.act_queue_shot = self._action(m, self.tr("&Queue Shot…"), self.queue_current,
                                           "Ctrl+Return",
                                           self.tr("Queue the selected shot (cost shown first)"))
        self.act_queue_all = self._action(m, self.tr("Queue &All…"), self.queue_all,
                                          "Ctrl+Shift+Return",
                                          self.tr("Queue every shot (cost shown first)"))
        self.act_compare = self._action(
            m, self.tr("&Compare Providers…"), self.compare_providers, "Ctrl+Shift+P",
            self.tr("The selected shot fitted to each provider, with changes and cost"))

        m = bar.addMenu(self.tr("&Queue"))
        m.setToolTipsVisible(True)
        m.addAction(self.act_queue_shot)
        m.addAction(self.act_queue_all)
        m.addAction(self.act_compare)
        m.addSeparator()
        self.act_show_queue = self._action(m, self.tr("Show &Queue"),
                                           lambda: self.show_page("queue"))

        m = bar.addMenu(self.tr("&Help"))
        self.act_guide = self._action(m, self.tr("User &Guide"), self.open_guide, "F1")
        self.act_log_folder = self._action(
            m, self.tr("Open &Log Folder"), self.open_log_folder,
            tip=self.tr("The log file to attach to a bug report (it never holds keys)"))
        m.addSeparator()
        self.act_about = self._action(m, self.tr("&About Brief Studio"), self.about)
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)

        self._queue_available = _installed("ui.queue_actions")
        self._compare_available = _installed("ui.compare_view")
        self._settings_available = _installed("ui.settings_dialog")
        self._export_available = _installed("ui.export_dialog")
        self._import_available = self._export_available
        for act, ok in ((self.act_export, self._export_available),
                        (self.act_import, self._import_available),
                        (self.act_queue_shot, self._queue_available),
                        (self.act_queue_all, self._queue_available),
                        (self.act_compare, self._compare_available),
                        (self.act_settings, self._settings_available)):
            if not ok:
                act.setToolTip(self.tr("not available in this build"))
                act.setStatusTip(self.tr("not available in this build"))
        self.setAcceptDrops(True)

    def _update_actions(self) -> None:
        has = self.ctx is not None
        for act in (self.act_save, self.act_close, self.act_add_shot, self.act_dup_shot,
                    self.act_del_shot, self.act_left, self.act_right, self.act_show_queue,
                    *self.page_actions.values()):
            act.setEnabled(has)
        self.act_export.setEnabled(has and self._export_available)
        self.act_import.setEnabled(self._import_available)
        self.act_settings.setEnabled(self._settings_available)
        queue_ok = has and self._queue_available and self.store_ok
        self.act_queue_shot.setEnabled(queue_ok)
        self.act_queue_all.setEnabled(queue_ok)
        self.act_compare.setEnabled(has and self._compare_available and self.store_ok)
        stack = self.ctx.undo_stack if self.ctx else None
        self.act_undo.setEnabled(bool(stack and stack.canUndo()))
        self.act_redo.setEnabled(bool(stack and stack.canRedo()))
        if stack:
            self.act_undo.setText(self.tr("&Undo %1").replace("%1", str(stack.undoText())) if stack.canUndo()
                                  else self.tr("&Undo"))
            self.act_redo.setText(self.tr("&Redo %1").replace("%1", str(stack.redoText())) if stack.canRedo()
                                  else self.tr("&Redo"))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent:
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_project(Path(p)))
        if not self.settings.recent:
            act = self.recent_menu.addAction(self.tr("No recent projects"))
            act.setEnabled(False)

    # ------------------------------------------------------------------ state
    def is_dirty(self) -> bool:
        return self.ctx is not None and (self._forced_dirty or not self.ctx.undo_stack.isClean())

    def _update_title(self) -> None:
        if self.ctx is None:
            self.setWindowTitle("Brief Studio")
            self.setWindowModified(False)
            return
        self.setWindowTitle(self.tr("%1[*] — Brief Studio").replace("%1", self.ctx.project.name))
        self.setWindowModified(self.is_dirty())
        if hasattr(self, "project_label"):
            self.project_label.setText(self.ctx.project.name)
            self.client_label.setText(self.ctx.project.client or self.ctx.root.name)

    def _on_stack_changed(self, *_args: Any) -> None:  # noqa: ANN401
        self._update_title()
        self._update_actions()
        if self.is_dirty() and not self.autosave_timer.isActive():
            self.autosave_timer.start()

    def _undo(self) -> None:
        if self.ctx:
            self.ctx.undo_stack.undo()

    def _redo(self) -> None:
        if self.ctx:
            self.ctx.undo_stack.redo()

    def show_status(self, message: str, msecs: int = 6000) -> None:
        self.statusBar().showMessage(message, msecs)

    def _message(self, kind: str, title: str, text: str) -> None:
        log.log(logging.WARNING if kind != "info" else logging.INFO, "%s: %s", title, text)
        if not self.interactive:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Critical if kind == "error" else
                    QMessageBox.Icon.Warning if kind == "warning" else QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setText(title)
        box.setInformativeText(text)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.exec()

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a project folder"),
                                                  str(Path.home()))
        if folder:
            self.open_project(Path(folder))

    def open_sample(self) -> None:
        """Open the user's copy of the sample project. The first time, the shipped sample is
        copied (~100 KB, with fsyncs) off the GUI thread; a failure is shown, not swallowed."""
        self.show_status(self.tr("Preparing the sample project…"), 0)

        def done(path: Path | None, error: BaseException | None) -> None:
            self.statusBar().clearMessage()
            if error is not None or path is None:
                if isinstance(error, StudioError):
                    text = str(error)
                else:
                    log.error("copying the sample project failed", exc_info=error)
                    text = f"{type(error).__name__}: {error}"
                self.last_error = text
                self.show_status(self.tr("Could not open the sample project"))
                self._message("error", self.tr("Could not open the sample project"), text)
                return
            self.open_project(path)

        run_task(sample_project, done)

    def open_project(self, path: Path) -> None:
        """Load off the GUI thread; then show it (or the error, leaving files untouched)."""
        if not self._confirm_discard():
            return
        path = Path(path)
        self._open_serial += 1
        serial = self._open_serial
        self.show_status(self.tr("Opening %1…").replace("%1", str(path)), 0)
        if self.ctx is not None:
            self._load(serial, path)  # the open project stays up until this one is in
            return
        if not self.isVisible():
            self._show_opening(path)
            self._load(serial, path)  # no frame to hurry (tests, a window not shown yet)
            return

        def previewed(preview: ProjectPreview | None, error: BaseException | None) -> None:
            if serial != self._open_serial:
                return  # another open_project came since
            if error is not None or preview is None or self.ctx is not None:
                if error is not None:
                    log.warning("no preview of %s: %s", path, error)
                self._show_opening(path)
                self._load(serial, path)
                return
            self._show_preview(preview)
            # validate once the preview is on screen (not competing with its paint)
            self.after_paint(lambda: serial == self._open_serial and self._load(serial, path))

        if not self._painted and _small_file(project_file(path), PREVIEW_INLINE_MAX_BYTES):
            # `studio PROJECT`: nothing is on screen yet. Reading a small project.yaml here
            # (≈ 3 ms with the vocabulary) makes the preview the window's first frame,
            # instead of an "Opening …" frame painted while a worker reads it (≈ 10 ms of
            # CPU more before the storyboard shows; docs/performance.md "startup_ratio").
            try:
                preview = read_preview_for_window(path)
            except Exception as exc:  # noqa: BLE001 - the normal load reports it
                previewed(None, exc)
            else:
                previewed(preview, None)
            return
        self._show_opening(path)
        run_task(lambda: read_preview_for_window(path), previewed)

    def _load(self, serial: int, path: Path) -> None:
        """Load and validate ``path`` off the GUI thread, then :meth:`_loaded`."""

        def load() -> tuple[ProjectDocument, Project | None, StoreError | None]:
            from studio.project import load_project
            from studio.vocab import default_vocabulary

            doc = load_project(path)
            default_vocabulary()
            recovered = read_autosave(doc.root, doc.project)
            try:
                probe_store(doc.root)
            except StoreError as exc:
                return doc, recovered, exc
            return doc, recovered, None

        def done(result: tuple[ProjectDocument, Project | None, StoreError | None] | None,
                 error: BaseException | None) -> None:
            if serial == self._open_serial:  # else superseded by a later open_project
                self._loaded(path, result, error)

        run_task(load, done)

    def _show_preview(self, preview: ProjectPreview) -> None:
        """Paint ``preview``'s storyboard as the Shots page will show it; read only."""
        from ui.pages.storyboard import PreviewPage

        self._discard_preview()
        self._build_workspace(preview.name, preview.client, preview.root)
        page = PreviewPage(preview)
        self.preview_page = page
        self.page_holders["shots"].layout().addWidget(page)
        self._restore_splitter(page)
        self.page_stack.setCurrentWidget(self.page_holders["shots"])
        self.page_buttons["shots"].setChecked(True)
        self.setWindowTitle(self.tr("%1[*] — Brief Studio").replace("%1", preview.name))
        self.setWindowModified(False)
        self.previewShown.emit(preview)

    def _discard_preview(self) -> None:
        """Remove the preview's workspace (validation failed, or another project opens)."""
        self._pending_page = None
        if self.preview_page is None:
            return
        self.preview_page = None
        if self.ctx is None and self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
            self._update_title()

    def _show_opening(self, path: Path) -> None:
        """A plain "Opening …" page instead of the start screen while no project is open
        (``studio PROJECT`` never builds or paints the start screen's templates)."""
        if self.opening_page is None:
            self.opening_page = QLabel()
            self.opening_page.setObjectName("openingPage")
            self.opening_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.stack.addWidget(self.opening_page)
        self.opening_page.setText(self.tr("Opening %1…").replace("%1", str(path.name or str(path))))
        self.stack.setCurrentWidget(self.opening_page)

    def _leave_opening(self) -> None:
        """Back to the start screen when the project did not open."""
        self._discard_preview()
        if self.ctx is None and self.stack.currentWidget() is not self.start:
            self.stack.setCurrentWidget(self.start)

    def _loaded(self, path: Path,
                result: tuple[ProjectDocument, Project | None, StoreError | None] | None,
                error: BaseException | None) -> None:
        self.statusBar().clearMessage()
        if error is not None or result is None:
            self._leave_opening()
            if isinstance(error, StudioError):
                text = str(error)
            else:
                log.error("opening %s failed", path, exc_info=error)
                text = f"{type(error).__name__}: {error}"
            if isinstance(error, ProjectFileError) and not path.exists():
                self.settings.remove_recent(path)
            self._message("error", self.tr("Could not open the project"), text)
            self.show_status(self.tr("Could not open %1").replace("%1", str(path)))
            self.last_error = text
            return
        doc, recovered, store_error = result
        if store_error is not None:
            self._store_problem(doc, recovered, store_error)
            return
        self._show_loaded(doc, recovered)

    def _show_loaded(self, doc: ProjectDocument, recovered: Project | None,
                     store_ok: bool = True) -> None:
        self.set_document(doc, store_ok=store_ok)
        if recovered is not None and self._ask_recover():
            doc.project = recovered
            self._forced_dirty = True
            self._rebuild_pages()
            self._on_stack_changed()
            self.show_status(self.tr("Recovered unsaved changes from the autosave. Save to keep them."))

    def _ask_recover(self) -> bool:
        if not self.interactive:
            return False
        answer = QMessageBox.question(
            self, self.tr("Recover unsaved changes?"),
            self.tr("Brief Studio found changes to this project that were never saved "
                    "(the app may have quit unexpectedly).\n\nRecover them? They stay unsaved "
                    "until you save."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ studio.db problems
    def _store_problem(self, doc: ProjectDocument, recovered: Project | None,
                       error: StoreError) -> None:
        """studio.db is corrupt, locked or too new: say so and offer a way out."""
        kind = store_problem_kind(error)
        log.warning("studio.db problem (%s): %s", kind, error)
        choice = self._ask_store_problem(kind, str(error)) if self.interactive else "brief"
        if choice == "rebuild":
            self.rebuild_index(doc, recovered)
        elif choice == "retry":
            self.open_project(doc.root)
        elif choice == "brief":
            self._show_loaded(doc, recovered, store_ok=False)
            self.show_status(self.tr("studio.db is unusable: takes, queue and consent "
                                     "history are unavailable until it is repaired."), 0)
        else:
            self._leave_opening()
            self.show_status(self.tr("Not opened: %1").replace("%1", str(doc.root)))

    def _ask_store_problem(self, kind: str, text: str) -> str:
        """"rebuild", "retry", "brief" (open the brief without studio.db) or "cancel"."""
        box = QMessageBox(self)
        box.setObjectName("storeProblemBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("The project's database needs attention"))
        buttons: dict[QWidget, str] = {}
        if kind == "locked":
            box.setText(self.tr("studio.db is locked by another program."))
            box.setInformativeText(self.tr(
                "Another Brief Studio window or a `studio queue run` worker is using this "
                "project. Close it and try again. Your brief (project.yaml) is untouched.")
                + "\n\n" + text)
            default = box.addButton(self.tr("Try Again"), QMessageBox.ButtonRole.AcceptRole)
            buttons[default] = "retry"
        elif kind == "newer":
            box.setText(self.tr("studio.db was written by a newer Brief Studio."))
            box.setInformativeText(self.tr("Update Brief Studio to use its takes and queue. "
                                           "Nothing was changed.") + "\n\n" + text)
            default = None
        else:
            box.setText(self.tr("studio.db (the index of takes, the queue and the consent "
                                "history) cannot be read."))
            box.setInformativeText(self.tr(
                "Your brief (project.yaml), cameo records and media files are untouched. "
                "Rebuilding moves the damaged studio.db aside and re-creates the index of takes "
                "from media/ and their XMP sidecars; queued jobs and the consent audit history "
                "in the old file are not recovered (confirm cameos again on the Cameos page).")
                + "\n\n" + text)
            default = box.addButton(self.tr("Rebuild the Index of Takes"),
                                    QMessageBox.ButtonRole.AcceptRole)
            buttons[default] = "rebuild"
        brief = box.addButton(self.tr("Open the Brief Only"), QMessageBox.ButtonRole.ActionRole)
        buttons[brief] = "brief"
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        buttons[cancel] = "cancel"
        box.setDefaultButton(default or brief)  # type: ignore[arg-type]
        box.exec()
        return buttons.get(box.clickedButton(), "cancel")  # type: ignore[arg-type]

    def rebuild_index(self, doc: ProjectDocument, recovered: Project | None = None) -> None:
        """Move the damaged studio.db aside and rebuild it from media/ (off the GUI thread)."""
        from studio.results import rebuild

        root = doc.root
        busy = QProgressDialog(self.tr("Rebuilding the index of takes from media/…"), "", 0, 0,
                               self)
        busy.setObjectName("rebuildProgress")
        busy.setWindowTitle(self.tr("Rebuilding — Brief Studio"))
        busy.setCancelButton(None)
        busy.setWindowModality(Qt.WindowModality.WindowModal)
        busy.setMinimumDuration(0)
        self.rebuild_progress = busy
        if self.interactive:
            busy.show()
        self.show_status(self.tr("Rebuilding the index of takes…"), 0)

        def done(report: Any, error: BaseException | None) -> None:  # noqa: ANN401
            busy.close()
            busy.deleteLater()
            self.rebuild_progress = None
            self.statusBar().clearMessage()
            if error is not None:
                log.warning("rebuild of %s failed: %s", root, error)
                self._message("error", self.tr("Could not rebuild the index of takes"),
                              str(error))
                self._show_loaded(doc, recovered, store_ok=False)
                return
            self.last_rebuild = report
            self._show_loaded(doc, recovered)
            lines = [self.tr("%n take(s) restored from media/.", "", len(report.restored))]
            if report.moved_aside is not None:
                lines.append(self.tr("The damaged database was kept as %1.").replace("%1", str(Path(report.moved_aside).name)))
            lines.extend(report.problems[:10])
            self._message("info", self.tr("Index of takes rebuilt"), "\n".join(lines))

        run_task(lambda: rebuild(root), done)

    def set_document(self, doc: ProjectDocument, *, store_ok: bool = True) -> ProjectContext:
        """Show ``doc`` (already loaded). Replaces any open project without asking."""
        preview, self.preview_page = self.preview_page, None
        pending_page, self._pending_page = self._pending_page, None
        row = 0
        if preview is not None and isValid(preview) and preview.project_root == doc.root:
            # the validated page takes over the preview's thumbnails and selection
            self._preview_thumbs = preview.take_thumbnails()
            row = max(preview.current_row(), 0)
        self._teardown_project()
        self.store_ok = store_ok
        self.ctx = ProjectContext(doc, parent=self)
        self.ctx.undo_stack.indexChanged.connect(self._on_stack_changed)
        self.ctx.undo_stack.cleanChanged.connect(self._on_stack_changed)
        self.ctx.briefChanged.connect(lambda _s: self._update_title())
        self._forced_dirty = False
        self._build_workspace(doc.project.name, doc.project.client, doc.root)
        self.settings.add_recent(doc.root)
        if self.isVisible():
            self.after_paint(self.settings.save)  # an fsync: not before the first frame
        else:
            self.settings.save()
        if self._start is not None:
            self._start.set_recent(self.settings.recent)
        self._update_title()
        self._update_actions()
        if self.isVisible():
            # on screen: the storyboard paints before the queue engine (and its imports:
            # httpx, the providers, PyAV) starts competing for the interpreter
            ctx = self.ctx
            self.after_paint(lambda: ctx is self.ctx and self._attach_queue())
            self.after_paint(startup_done)  # the first frame with the project is out
        else:
            self._attach_queue()
        self.show_page("shots")
        self._preview_thumbs = None  # adopted by the Shots page (or not needed)
        if row:
            self._shots("select_row", row)
        if pending_page is not None:
            self.show_page(pending_page)  # clicked in the sidebar while the preview was up
        self.projectOpened.emit(self.ctx)
        return self.ctx

    def after_paint(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the GUI thread once the window has painted its next frame (within
        AFTER_PAINT_MAX_MS at the latest): work the first picture does not need."""
        self._after_paint.append(fn)
        if not self._after_paint_timer.isActive():
            self._after_paint_timer.start()

    def _run_after_paint(self) -> None:
        self._after_paint_timer.stop()
        pending, self._after_paint = self._after_paint, []
        for fn in pending:
            try:
                fn()
            except Exception:  # noqa: BLE001 - one failing step must not skip the others
                log.exception("deferred startup step failed")

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.UpdateRequest:
            self._painted = True
        # (events arrive while QMainWindow.__init__ runs, before _after_paint exists)
        if getattr(self, "_after_paint", None) and event.type() == QEvent.Type.UpdateRequest:
            # a posted call runs after this paint has been flushed
            QTimer.singleShot(0, self, self._run_after_paint)
        return handled

    def queue_bridge(self) -> Any:  # noqa: ANN401 - ui.queue_bridge.QueueBridge | None
        return getattr(self.ctx, "_queue_bridge", None) if self.ctx is not None else None

    def _attach_queue(self) -> None:
        """Run the project's queue engine and show the running-jobs indicator."""
        if self.ctx is None or not self.store_ok:
            return
        bridge_for = _optional("ui.queue_bridge", "bridge_for")
        indicator_cls = _optional("ui.queue_bridge", "QueueIndicator")
        if bridge_for is None:
            return
        try:
            bridge = bridge_for(self.ctx, autostart=self.start_queue)
        except Exception:  # noqa: BLE001 - the brief stays usable without the queue
            log.exception("could not start the queue for %s", self.ctx.root)
            return
        if indicator_cls is not None:
            indicator = indicator_cls(bridge)
            indicator.setAccessibleName(self.tr("Generation queue status"))
            indicator.setCursor(Qt.CursorShape.PointingHandCursor)
            indicator.mousePressEvent = lambda _e: self.show_page("queue")  # type: ignore[method-assign]
            self.statusBar().addPermanentWidget(indicator)
            self.queue_indicator = indicator

    def _teardown_project(self) -> None:
        self.autosave_timer.stop()
        self._save_window_state()
        if self.queue_indicator is not None:
            self.statusBar().removeWidget(self.queue_indicator)
            self.queue_indicator.deleteLater()
            self.queue_indicator = None
        bridge = self.queue_bridge()
        if bridge is not None:
            bridge.stop()  # jobs resume when the project is opened again
        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
        self.preview_page = None  # it lived in that workspace
        self.pages.clear()
        if self.ctx is not None:
            self.ctx.close()
            self.ctx.deleteLater()
            self.ctx = None

    def close_project(self) -> bool:
        if not self._confirm_discard():
            return False
        if self.ctx is not None and not self.is_dirty():
            self._remove_autosave()
        self._teardown_project()
        self.stack.setCurrentWidget(self.start)
        self._update_title()
        self._update_actions()
        return True

    # ------------------------------------------------------------------ workspace
    def _build_workspace(self, name: str, client: str, root: Path) -> None:
        """The sidebar and the page stack (pages are built on first use)."""
        ws = QWidget()
        ws.setObjectName("workspace")
        lay = QHBoxLayout(ws)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        side = QFrame()
        side.setObjectName("sidebar")
        side.setFixedWidth(208)
        slay = QVBoxLayout(side)
        slay.setContentsMargins(12, 18, 12, 14)
        slay.setSpacing(4)
        self.project_label = QLabel(name)
        self.project_label.setObjectName("sidebarProject")
        self.project_label.setWordWrap(True)
        self.client_label = QLabel(client or root.name)
        self.client_label.setObjectName("sidebarClient")
        self.client_label.setWordWrap(True)
        slay.addWidget(self.project_label)
        slay.addWidget(self.client_label)
        slay.addSpacing(16)
        self.page_group = QButtonGroup(side)
        self.page_group.setExclusive(True)
        self.page_buttons: dict[str, QToolButton] = {}
        for key, label, _mod, _cls, shortcut in PAGES:
            b = QToolButton()
            b.setObjectName("sidebarButton")
            b.setText(self.tr(label))
            b.setIcon(icon(key))
            b.setIconSize(QSize(18, 18))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setCheckable(True)
            b.setToolTip(self.tr("%1 (%2)").replace("%1", self.tr(label)).replace(
                "%2", QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)))
            b.setAccessibleName(self.tr(label))
            b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding,
                            b.sizePolicy().verticalPolicy())
            b.clicked.connect(lambda _c=False, k=key: self.show_page(k))
            self.page_group.addButton(b)
            self.page_buttons[key] = b
            slay.addWidget(b)
        slay.addStretch(1)
        folder = QLabel(str(root.resolve()))
        folder.setObjectName("sidebarPath")
        folder.setWordWrap(True)
        folder.setToolTip(str(root))
        slay.addWidget(folder)
        lay.addWidget(side)
        self.page_stack = QStackedWidget()
        self.page_stack.setObjectName("pageStack")
        self.page_holders: dict[str, QWidget] = {}
        for key, *_rest in PAGES:
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.page_holders[key] = holder
            self.page_stack.addWidget(holder)
        lay.addWidget(self.page_stack, 1)
        self.workspace = ws
        self.stack.addWidget(ws)
        self.stack.setCurrentWidget(ws)

    def _rebuild_pages(self) -> None:
        current = self.current_page()
        for key, page in list(self.pages.items()):
            page.setParent(None)
            page.deleteLater()
            del self.pages[key]
        if current:
            self.show_page(current)

    def current_page(self) -> str | None:
        if self.ctx is None or not hasattr(self, "page_stack"):
            return None
        idx = self.page_stack.currentIndex()
        return PAGE_KEYS[idx] if 0 <= idx < len(PAGE_KEYS) else None

    def page(self, key: str) -> QWidget:
        """The page widget for ``key``, built on first use (placeholder if unavailable)."""
        if key not in PAGE_KEYS:
            raise KeyError(key)
        if self.ctx is None:
            raise RuntimeError("no project is open")
        if key in self.pages:
            return self.pages[key]
        _key, label, module, cls, _sc = PAGES[PAGE_KEYS.index(key)]
        widget: QWidget
        if not self.store_ok and key in STORE_PAGES:
            widget = PlaceholderPage(self.tr(label), self.tr(
                "This page needs studio.db, which cannot be used right now. The brief and the "
                "shots can still be edited and saved. Close the project and open it again to "
                "rebuild the index of takes."))
            return self._install_page(key, widget)
        try:
            page_cls = getattr(importlib.import_module(module), cls)
            if key == "shots" and self.isVisible():
                # on screen: paint the storyboard first, build the editor a moment later
                widget = page_cls(self.ctx, None, defer=True, thumbs=self._preview_thumbs)
            else:
                widget = page_cls(self.ctx, None)
        except Exception as exc:  # noqa: BLE001 - a page failing must not take down the window
            if isinstance(exc, StoreError):
                log.warning("page %s: %s", module, exc)
                reason = self.tr("studio.db cannot be used: %1\n\nReopen the project to "
                                 "rebuild the index of takes.").replace("%1", str(exc))
                self.store_ok = False
                self._update_actions()
            elif isinstance(exc, ModuleNotFoundError) and exc.name == module:
                log.info("page %s not installed yet", module)
                reason = self.tr("This part of Brief Studio is not available in this build yet.")
            else:
                log.exception("page %s failed to load", module)
                reason = self.tr("This page could not be loaded (%1). Details are in the log.").replace("%1", str(exc))
            widget = PlaceholderPage(self.tr(label), reason)
        return self._install_page(key, widget)

    def _install_page(self, key: str, widget: QWidget) -> QWidget:
        if hasattr(widget, "status_callback"):
            widget.status_callback = self.show_status
        self.pages[key] = widget
        holder = self.page_holders[key]
        holder.layout().addWidget(widget)
        if key == "shots":
            self._restore_splitter(widget)
        return widget

    def show_page(self, key: str) -> None:
        if self.ctx is None:
            if self.preview_page is not None and key in PAGE_KEYS:
                self._pending_page = key  # shown once the validated project is in
            return
        self.page(key)
        self.page_stack.setCurrentWidget(self.page_holders[key])
        self.page_buttons[key].setChecked(True)
        self.pageShown.emit(key)

    def _shots(self, method: str, *args: Any) -> None:  # noqa: ANN401
        if self.ctx is None:
            return
        if self.current_page() != "shots":
            self.show_page("shots")
        page = self.page("shots")
        fn = getattr(page, method, None)
        if fn is not None:
            fn(*args)

    # ------------------------------------------------------------------ saving
    def save(self, then: Callable[[], None] | None = None) -> bool:
        """Save from a snapshot, off the GUI thread; ``then`` runs after a successful save."""
        if self.ctx is None or self._saving:
            return False
        self._after_save = then
        from studio.project import ProjectDocument, save_project

        ctx = self.ctx
        snapshot = ProjectDocument(ctx.root, ctx.project.model_copy(deep=True),
                                   disk_sha256=ctx.doc.disk_sha256)
        index = ctx.undo_stack.index()
        self._saving = True
        self.show_status(self.tr("Saving…"), 0)
        run_task(lambda: save_project(snapshot),
                 lambda _r, error: self._saved(ctx, snapshot, index, error))
        return True

    def _saved(self, ctx: ProjectContext, snapshot: ProjectDocument, index: int,
               error: BaseException | None, force: bool = False) -> None:
        self._saving = False
        if ctx is not self.ctx:
            return
        if isinstance(error, SaveConflictError):
            choice = self._ask_conflict(str(error))
            if choice == "overwrite":
                from studio.project import save_project

                self._saving = True
                run_task(lambda: save_project(snapshot, force=True),
                         lambda _r, e: self._saved(ctx, snapshot, index, e))
            elif choice == "reload":
                self._forced_dirty = False
                ctx.undo_stack.clear()
                self.open_project(ctx.root)
            else:
                self._after_save = None
                self.show_status(self.tr("Not saved: the file changed on disk."))
            return
        if error is not None:
            self._after_save = None
            self._message("error", self.tr("Could not save"), str(error))
            self.show_status(self.tr("Not saved"))
            return
        ctx.doc.disk_sha256 = snapshot.disk_sha256
        if ctx.undo_stack.index() == index:
            ctx.undo_stack.setClean()
            self._forced_dirty = False
            self._remove_autosave()
        self._update_title()
        self.show_status(self.tr("Saved %1").replace("%1", str(ctx.doc.path)))
        then, self._after_save = self._after_save, None
        if then is not None:
            then()

    def _ask_conflict(self, message: str) -> str:
        if not self.interactive:
            return "cancel"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("project.yaml changed on disk"))
        box.setText(self.tr("project.yaml changed on disk since you opened it."))
        box.setInformativeText(message)
        reload = box.addButton(self.tr("Reload from disk"), QMessageBox.ButtonRole.DestructiveRole)
        overwrite = box.addButton(self.tr("Overwrite"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "reload" if clicked is reload else "overwrite" if clicked is overwrite else "cancel"

    def save_blocking(self) -> bool:
        """Save on the GUI thread (used when closing: the window is going away anyway)."""
        if self.ctx is None:
            return True
        from studio.project import save_project

        try:
            save_project(self.ctx.doc)
        except SaveConflictError as exc:
            if self._ask_conflict(str(exc)) != "overwrite":
                return False
            try:
                save_project(self.ctx.doc, force=True)
            except StudioError as exc2:
                self._message("error", self.tr("Could not save"), str(exc2))
                return False
        except StudioError as exc:
            self._message("error", self.tr("Could not save"), str(exc))
            return False
        self.ctx.undo_stack.setClean()
        self._forced_dirty = False
        self._remove_autosave()
        return True

    def autosave_now(self) -> None:
        """Write the model to the autosave file (off the GUI thread) if there are edits."""
        if self.ctx is None or not self.is_dirty():
            self.autosave_timer.stop()
            return
        from studio.yamlio import model_to_yaml

        text = model_to_yaml(self.ctx.project)
        path = autosave_path(self.ctx.root)

        def done(_r: object, error: BaseException | None) -> None:
            if error is not None:
                log.warning("autosave to %s failed: %s", path, error)
                self.show_status(self.tr("Autosave failed: %1").replace("%1", str(error)))
            else:
                log.info("autosaved %s", path)

        run_task(lambda: atomic_write(path, text), done)

    def _remove_autosave(self) -> None:
        if self.ctx is None:
            return
        path = autosave_path(self.ctx.root)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove %s: %s", path, exc)

    def _confirm_discard(self) -> bool:
        """True when it is fine to drop the open project (saved, discarded, or clean)."""
        if not self.is_dirty():
            return True
        if not self.interactive:
            return False
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Unsaved changes"))
        box.setText(self.tr("Save the changes to “%1”?").replace("%1", str(self.ctx.project.name)))  # type: ignore[union-attr]
        box.setInformativeText(self.tr("Your changes are lost if you don't save them."))
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save_blocking()
        if answer == QMessageBox.StandardButton.Discard:
            self._remove_autosave()
            self._forced_dirty = False
            if self.ctx is not None:
                self.ctx.undo_stack.setClean()
            return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._confirm_discard():
            event.ignore()
            return
        if self.ctx is not None and not self.is_dirty():
            self._remove_autosave()
        self._save_window_state()
        self.settings.save()
        self._teardown_project()
        event.accept()

    # ------------------------------------------------------------------ new / import / export / queue
    def new_project(self, template_id: str) -> None:
        if not self._confirm_discard():
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Create a project folder"), str(Path.home() / "New brief"),
            self.tr("Project folder (*)"))
        if path:
            self.create_from_template(Path(path), template_id)

    def create_from_template(self, path: Path, template_id: str) -> None:
        from studio.project import create_project
        from studio.templates import load_template

        def work() -> Path:
            template = load_template(template_id) if template_id else None
            name = path.name.replace("-", " ").replace("_", " ").strip() or None
            return create_project(path, name, template).root

        def done(root: Path | None, error: BaseException | None) -> None:
            if error is not None or root is None:
                self._message("error", self.tr("Could not create the project"), str(error))
                return
            self.open_project(root)

        run_task(work, done)

    def export_bundle(self) -> None:
        """File > Export bundle: offer to save unsaved edits first (the bundle holds project.yaml)."""
        dialog_cls = _optional("ui.export_dialog", "ExportDialog")
        if dialog_cls is None or self.ctx is None:
            return
        if self.is_dirty() and self.interactive:
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Question)
            box.setWindowTitle(self.tr("Save before exporting?"))
            box.setText(self.tr("The brief has unsaved changes."))
            box.setInformativeText(self.tr(
                "The bundle holds project.yaml as it is on disk. Save first so the agency "
                "gets your latest brief?"))
            save = box.addButton(self.tr("Save and Export"), QMessageBox.ButtonRole.AcceptRole)
            box.addButton(self.tr("Export Saved Version"), QMessageBox.ButtonRole.DestructiveRole)
            cancel = box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(save)
            box.exec()
            clicked = box.clickedButton()
            if clicked is cancel or clicked is None:
                return
            if clicked is save:
                self.save(then=self._open_export_dialog)
                return
        self._open_export_dialog()

    def _open_export_dialog(self) -> None:
        dialog_cls = _optional("ui.export_dialog", "ExportDialog")
        if dialog_cls is None or self.ctx is None:
            return
        self.export_dialog = dialog_cls(self.ctx, self)
        self.export_dialog.exec()

    def import_bundle(self, bundle: Path | None = None) -> Path | None:
        """Verify and import an agency bundle (asking for it unless given), then open it."""
        fn = _optional("ui.export_dialog", "import_bundle_interactive")
        if fn is None or not self.interactive:
            return None
        if self.ctx is not None and not self._confirm_discard():
            return None
        path = fn(self, bundle)
        if path:
            self.open_project(Path(path))
            return Path(path)
        return None

    def current_shot_id(self) -> str | None:
        if self.ctx is None:
            return None
        page = self.page("shots")
        shot_id = getattr(page, "current_shot_id", lambda: None)()
        if shot_id is None and self.ctx.project.shots:
            return str(self.ctx.project.shots[0].id)
        return shot_id  # type: ignore[no-any-return]

    def queue_current(self) -> None:
        shot_id = self.current_shot_id()
        if shot_id:
            self._queue([shot_id])

    def queue_all(self) -> None:
        if self.ctx is not None and self.ctx.project.shots:
            self._queue([s.id for s in self.ctx.project.shots])

    def _queue(self, shot_ids: list[str]) -> None:
        fn = _optional("ui.queue_actions", "queue_shots")
        if fn is None or self.ctx is None or not self.store_ok:
            return
        self.queue_dialog = fn(self.ctx, shot_ids, self)

    def compare_providers(self) -> None:
        """Shot > Compare providers: the current shot fitted to each provider."""
        dialog_cls = _optional("ui.compare_view", "CompareProvidersDialog")
        shot_id = self.current_shot_id()
        if dialog_cls is None or self.ctx is None or not shot_id or not self.store_ok:
            return
        ctx = self.ctx
        dialog = dialog_cls(ctx, shot_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.queued.connect(lambda lines: self._compare_queued(ctx, lines))
        self.compare_dialog = dialog
        dialog.open()

    def _compare_queued(self, ctx: ProjectContext, lines: list[str]) -> None:
        if ctx is not self.ctx:
            return
        bridge = self.queue_bridge()
        if bridge is not None:
            bridge.wake()
        if lines:
            self.show_status("; ".join(str(line) for line in lines))

    def open_settings(self) -> None:
        dialog_cls = _optional("ui.settings_dialog", "SettingsDialog")
        if dialog_cls is None:
            return
        self.settings_dialog = dialog_cls(self)
        if self.settings_dialog.exec():
            self.show_status(self.tr("Settings saved"))
            if self._start is not None:  # else it reads the settings when it is built
                self._start.refresh_providers()

    def _provider_choice(self, choice: str) -> None:
        self.settings.providers_setup = choice
        self.settings.save()

    def set_theme(self, theme: str) -> str:
        """View > Theme: apply and remember system / light / dark."""
        from ui.widgets.theme import apply_theme

        if theme not in dict(THEMES):
            raise ValueError(theme)
        used = apply_theme(application(), theme)
        self.settings.theme = theme
        self.settings.save()
        act = self.theme_actions.get(theme)
        if act is not None and not act.isChecked():
            act.setChecked(True)
        name = self.tr(dict(THEMES)[theme]).replace("&", "")
        if theme == "system":
            name = self.tr("%1 (%2)").replace("%1", name).replace(
                "%2", self.tr(dict(THEMES).get(used, used)).replace("&", "").lower())
        self.show_status(self.tr("Theme: %1").replace("%1", name))
        return used

    def _system_scheme_changed(self, *_args: Any) -> None:  # noqa: ANN401
        if self.settings.theme == "system":
            from ui.widgets.theme import apply_theme

            apply_theme(application(), "system")

    def open_log_folder(self) -> None:
        from studio.logsetup import log_file_path

        folder = log_file_path().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._message("error", self.tr("No log folder"), f"{folder}: {exc}")
            return
        self.show_status(str(folder))
        if self.interactive:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def guide_path(self) -> Path | None:
        return user_guide()  # the checkout's docs/ or the packaged app's _MEIPASS/docs

    def open_guide(self) -> None:
        path = self.guide_path()
        if path is None:
            self.show_status(self.tr("The user guide is not installed with this build."))
            return
        if self.interactive:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def about(self) -> None:
        show_about = _optional("ui.about", "show_about")
        if show_about is not None:
            if self.interactive:
                self.about_dialog = show_about(self)
            return
        import platform

        import pydantic

        text = (
            f"<h3>Brief Studio {__version__}</h3>"
            "<p>" + html.escape(self.tr(
                "Directorial briefs for AI video, with consent enforcement, a crash-safe "
                "generation queue and verified agency bundles.")) + "</p>"
            f"<p>Python {platform.python_version()} · Qt {pyside_version} (PySide6, LGPLv3) · "
            f"pydantic {pydantic.VERSION} (MIT)</p>"
        )
        if self.interactive:
            QMessageBox.about(self, self.tr("About Brief Studio"), text)

    # ------------------------------------------------------------------ drag and drop
    @staticmethod
    def _dropped_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def _wanted_drop(self, files: list[Path]) -> tuple[Path | None, list[Path]]:
        bundle = next((f for f in files if is_bundle_path(f)), None)
        videos = [f for f in files if f.suffix.lower() in VIDEO_SUFFIXES]
        if self.ctx is None or not self.store_ok:
            videos = []
        return bundle, videos

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        bundle, videos = self._wanted_drop(self._dropped_files(event))
        if bundle is not None or videos:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: ANN401, N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        bundle, videos = self._wanted_drop(self._dropped_files(event))
        if bundle is None and not videos:
            event.ignore()
            return
        event.acceptProposedAction()
        # finish the drop before any dialog opens (the source waits for it)
        if bundle is not None:
            QTimer.singleShot(0, lambda: self.import_bundle(bundle))
        elif videos:
            QTimer.singleShot(0, lambda: self.import_videos(videos))

    def import_videos(self, files: list[Path]) -> None:
        """Videos dropped anywhere on the window go to the Library's import."""
        if self.ctx is None or not self.store_ok:
            return
        self.show_page("library")
        page = self.page("library")
        fn = getattr(page, "import_paths", None)
        if fn is None:
            self.show_status(self.tr("The library cannot import files in this build."))
            return
        fn(list(files))

    # ------------------------------------------------------------------ window state
    def _save_window_state(self) -> None:
        self.settings.window["geometry"] = base64.b64encode(bytes(self.saveGeometry().data())).decode()
        shots = self.pages.get("shots")
        splitter = getattr(shots, "splitter", None)
        if splitter is not None:
            self.settings.window["shots_splitter"] = base64.b64encode(
                bytes(splitter.saveState().data())).decode()

    def _restore_window_state(self) -> None:
        blob = self.settings.window.get("geometry")
        if blob:
            with contextlib.suppress(ValueError):
                self.restoreGeometry(QByteArray(base64.b64decode(blob)))

    def _restore_splitter(self, page: QWidget) -> None:
        splitter = getattr(page, "splitter", None)
        blob = self.settings.window.get("shots_splitter")
        if splitter is not None and blob:
            with contextlib.suppress(ValueError):
                splitter.restoreState(QByteArray(base64.b64decode(blob)))


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    return app  # type: ignore[return-value]
