"""The main window: start screen or an open project (sidebar + pages), menus, saving.

Saving and autosave
    Ctrl+S writes project.yaml atomically (studio.project.save_project) from a snapshot,
    off the GUI thread. While the brief has unsaved edits, every AUTOSAVE_MS the model is
    written to ``<project>/.studio-autosave.yaml`` (atomic; never over project.yaml). The
    autosave is removed after a successful save and on a clean close; when a project is
    opened and an autosave that differs from project.yaml is found, the user is offered
    to recover it.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import logging
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.errors import ProjectFileError, SaveConflictError, StudioError
from studio.model import SCHEMA_VERSION, Project
from studio.project import ProjectDocument, load_project, save_project
from studio.resources import resources_dir, sample_project
from studio.yamlio import atomic_write, load_model, model_to_yaml
from ui.context import ProjectContext
from ui.settings import Settings
from ui.startscreen import StartScreen
from ui.tasks import run_task
from ui.widgets.placeholder import PlaceholderPage

log = logging.getLogger(__name__)

AUTOSAVE_NAME = ".studio-autosave.yaml"
AUTOSAVE_MS = 30_000

# (key, label, module, class, shortcut)
PAGES = (
    ("brief", "Brief", "ui.pages.brief", "BriefPage", "Ctrl+1"),
    ("shots", "Shots", "ui.pages.shots", "ShotsPage", "Ctrl+2"),
    ("cameos", "Cameos", "ui.pages.cameos", "CameosPage", "Ctrl+3"),
    ("queue", "Queue", "ui.pages.queue", "QueuePage", "Ctrl+4"),
    ("library", "Library", "ui.pages.library", "LibraryPage", "Ctrl+5"),
)
PAGE_KEYS = tuple(p[0] for p in PAGES)


def icon(name: str) -> QIcon:
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def autosave_path(root: Path) -> Path:
    return Path(root) / AUTOSAVE_NAME


def read_autosave(root: Path, current: Project) -> Project | None:
    """The autosaved project if one exists, parses, and differs from ``current``."""
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
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001 - another engineer's module may not exist yet
        log.info("%s.%s not available: %s", module, name, exc)
        return None


class MainWindow(QMainWindow):
    projectOpened = Signal(object)  # ProjectContext
    pageShown = Signal(str)

    def __init__(self, settings: Settings | None = None, *, interactive: bool = True,
                 restore_geometry: bool = True):
        super().__init__()
        self.settings = settings or Settings.load()
        self.interactive = interactive  # False: never show a modal dialog (screenshots)
        self.ctx: ProjectContext | None = None
        self.pages: dict[str, QWidget] = {}
        self._forced_dirty = False
        self._saving = False
        self.setObjectName("mainWindow")
        self.setWindowIcon(QIcon(str(resources_dir() / "icons" / "app" / "brief-studio.svg")))
        self.setMinimumSize(QSize(1024, 680))
        self.resize(1280, 800)

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.start = StartScreen(self.settings.recent,
                                 import_available=_optional("ui.export_dialog",
                                                            "import_bundle_interactive") is not None)
        self.start.openSample.connect(lambda: self.open_project(sample_project()))
        self.start.openProject.connect(self.open_project)
        self.start.openDialog.connect(self.open_dialog)
        self.start.newFromTemplate.connect(self.new_project)
        self.start.importBundle.connect(self.import_bundle)
        self.stack.addWidget(self.start)
        self.workspace: QWidget | None = None

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave_now)

        self._build_menus()
        self.statusBar().setObjectName("statusBar")
        self._update_title()
        if restore_geometry:
            self._restore_window_state()
        self._update_actions()

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
                                       lambda: self.open_project(sample_project()))
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

        m = bar.addMenu(self.tr("&View"))
        self.page_actions: dict[str, QAction] = {}
        for key, label, _mod, _cls, shortcut in PAGES:
            self.page_actions[key] = self._action(m, self.tr(label),
                                                  lambda k=key: self.show_page(k), shortcut)

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
                                           "Ctrl+Return")
        self.act_queue_all = self._action(m, self.tr("Queue &All…"), self.queue_all,
                                          "Ctrl+Shift+Return")

        m = bar.addMenu(self.tr("&Queue"))
        m.setToolTipsVisible(True)
        m.addAction(self.act_queue_shot)
        m.addAction(self.act_queue_all)
        m.addSeparator()
        self._action(m, self.tr("Show &Queue"), lambda: self.show_page("queue"))

        m = bar.addMenu(self.tr("&Help"))
        self._action(m, self.tr("&About Brief Studio"), self.about)

        queue = _optional("ui.queue_actions", "queue_shots")
        for act in (self.act_queue_shot, self.act_queue_all):
            if queue is None:
                act.setToolTip(self.tr("not available yet"))
                act.setStatusTip(self.tr("not available yet"))
        self._queue_available = queue is not None
        self._export_available = _optional("ui.export_dialog", "ExportDialog") is not None
        self._import_available = _optional("ui.export_dialog", "import_bundle_interactive") is not None
        for act, ok in ((self.act_export, self._export_available),
                        (self.act_import, self._import_available)):
            if not ok:
                act.setToolTip(self.tr("not available yet"))
                act.setStatusTip(self.tr("not available yet"))

    def _update_actions(self) -> None:
        has = self.ctx is not None
        for act in (self.act_save, self.act_close, self.act_add_shot, self.act_dup_shot,
                    self.act_del_shot, self.act_left, self.act_right, *self.page_actions.values()):
            act.setEnabled(has)
        self.act_export.setEnabled(has and self._export_available)
        self.act_import.setEnabled(self._import_available)
        self.act_queue_shot.setEnabled(has and self._queue_available)
        self.act_queue_all.setEnabled(has and self._queue_available)
        stack = self.ctx.undo_stack if self.ctx else None
        self.act_undo.setEnabled(bool(stack and stack.canUndo()))
        self.act_redo.setEnabled(bool(stack and stack.canRedo()))
        if stack:
            self.act_undo.setText(self.tr("&Undo %s") % stack.undoText() if stack.canUndo()
                                  else self.tr("&Undo"))
            self.act_redo.setText(self.tr("&Redo %s") % stack.redoText() if stack.canRedo()
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
        self.setWindowTitle(f"{self.ctx.project.name}[*] — Brief Studio")
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

    def open_project(self, path: Path) -> None:
        """Load off the GUI thread; then show it (or the error, leaving files untouched)."""
        if not self._confirm_discard():
            return
        self.show_status(self.tr("Opening %s…") % path, 0)

        def load() -> tuple[ProjectDocument, Project | None]:
            doc = load_project(Path(path))
            return doc, read_autosave(doc.root, doc.project)

        run_task(load, lambda result, error: self._loaded(Path(path), result, error))

    def _loaded(self, path: Path, result: tuple[ProjectDocument, Project | None] | None,
                error: BaseException | None) -> None:
        self.statusBar().clearMessage()
        if error is not None or result is None:
            if isinstance(error, StudioError):
                text = str(error)
            else:
                log.error("opening %s failed", path, exc_info=error)
                text = f"{type(error).__name__}: {error}"
            if isinstance(error, ProjectFileError) and not path.exists():
                self.settings.remove_recent(path)
            self._message("error", self.tr("Could not open the project"), text)
            self.show_status(self.tr("Could not open %s") % path)
            self.last_error = text
            return
        doc, recovered = result
        self.set_document(doc)
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

    def set_document(self, doc: ProjectDocument) -> ProjectContext:
        """Show ``doc`` (already loaded). Replaces any open project without asking."""
        self._teardown_project()
        self.ctx = ProjectContext(doc, parent=self)
        self.ctx.undo_stack.indexChanged.connect(self._on_stack_changed)
        self.ctx.undo_stack.cleanChanged.connect(self._on_stack_changed)
        self.ctx.briefChanged.connect(lambda _s: self._update_title())
        self._forced_dirty = False
        self._build_workspace()
        self.settings.add_recent(doc.root)
        self.settings.save()
        self.start.set_recent(self.settings.recent)
        self._update_title()
        self._update_actions()
        self.show_page("shots")
        self.projectOpened.emit(self.ctx)
        return self.ctx

    def _teardown_project(self) -> None:
        self.autosave_timer.stop()
        self._save_window_state()
        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
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
    def _build_workspace(self) -> None:
        assert self.ctx is not None
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
        self.project_label = QLabel(self.ctx.project.name)
        self.project_label.setObjectName("sidebarProject")
        self.project_label.setWordWrap(True)
        self.client_label = QLabel(self.ctx.project.client or self.ctx.root.name)
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
            b.setToolTip(f"{self.tr(label)} ({shortcut})")
            b.setAccessibleName(self.tr(label))
            b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding,
                            b.sizePolicy().verticalPolicy())
            b.clicked.connect(lambda _c=False, k=key: self.show_page(k))
            self.page_group.addButton(b)
            self.page_buttons[key] = b
            slay.addWidget(b)
        slay.addStretch(1)
        folder = QLabel(str(self.ctx.root.resolve()))
        folder.setObjectName("sidebarPath")
        folder.setWordWrap(True)
        folder.setToolTip(str(self.ctx.root))
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
        try:
            page_cls = getattr(importlib.import_module(module), cls)
            widget = page_cls(self.ctx, None)
        except Exception as exc:  # noqa: BLE001 - a page failing must not take down the window
            if isinstance(exc, ModuleNotFoundError) and exc.name == module:
                log.info("page %s not installed yet", module)
                reason = self.tr("This part of Brief Studio is not available in this build yet.")
            else:
                log.exception("page %s failed to load", module)
                reason = self.tr("This page could not be loaded (%s). Details are in the log.") % exc
            widget = PlaceholderPage(self.tr(label), reason)
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
    def save(self) -> bool:
        """Save synchronously-safe: the write runs off the GUI thread from a snapshot."""
        if self.ctx is None or self._saving:
            return False
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
                self._saving = True
                run_task(lambda: save_project(snapshot, force=True),
                         lambda _r, e: self._saved(ctx, snapshot, index, e))
            elif choice == "reload":
                self._forced_dirty = False
                ctx.undo_stack.clear()
                self.open_project(ctx.root)
            else:
                self.show_status(self.tr("Not saved: the file changed on disk."))
            return
        if error is not None:
            self._message("error", self.tr("Could not save"), str(error))
            self.show_status(self.tr("Not saved"))
            return
        ctx.doc.disk_sha256 = snapshot.disk_sha256
        if ctx.undo_stack.index() == index:
            ctx.undo_stack.setClean()
            self._forced_dirty = False
            self._remove_autosave()
        self._update_title()
        self.show_status(self.tr("Saved %s") % ctx.doc.path)

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
        text = model_to_yaml(self.ctx.project)
        path = autosave_path(self.ctx.root)

        def done(_r: object, error: BaseException | None) -> None:
            if error is not None:
                log.warning("autosave to %s failed: %s", path, error)
                self.show_status(self.tr("Autosave failed: %s") % error)
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
        box.setText(self.tr("Save the changes to “%s”?") % self.ctx.project.name)  # type: ignore[union-attr]
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
        dialog_cls = _optional("ui.export_dialog", "ExportDialog")
        if dialog_cls is None or self.ctx is None:
            return
        dialog_cls(self.ctx, self).exec()

    def import_bundle(self) -> None:
        fn = _optional("ui.export_dialog", "import_bundle_interactive")
        if fn is None:
            return
        path = fn(self)
        if path:
            self.open_project(Path(path))

    def queue_current(self) -> None:
        if self.ctx is None:
            return
        page = self.page("shots")
        shot_id = getattr(page, "current_shot_id", lambda: None)()
        if shot_id:
            self._queue([shot_id])

    def queue_all(self) -> None:
        if self.ctx is not None:
            self._queue([s.id for s in self.ctx.project.shots])

    def _queue(self, shot_ids: list[str]) -> None:
        fn = _optional("ui.queue_actions", "queue_shots")
        if fn is None or self.ctx is None:
            return
        fn(self.ctx, shot_ids, self)

    def about(self) -> None:
        show_about = _optional("ui.about", "show_about")
        if show_about is not None:
            if self.interactive:
                show_about(self)
            return
        import pydantic

        text = (
            f"<h3>Brief Studio {__version__}</h3>"
            "<p>Directorial briefs for AI video, with consent enforcement, a crash-safe "
            "generation queue and verified agency bundles.</p>"
            f"<p>Python {platform.python_version()} · Qt {pyside_version} (PySide6, LGPLv3) · "
            f"pydantic {pydantic.VERSION} (MIT)</p>"
            "<p>Brief Studio is MIT licensed. Qt and PySide6 are used under the LGPLv3; "
            "PyYAML, httpx, keyring, platformdirs, Pillow, fpdf2, OpenTimelineIO and PyAV "
            "under their own open-source licences.</p>"
        )
        if self.interactive:
            QMessageBox.about(self, self.tr("About Brief Studio"), text)

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
