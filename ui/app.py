"""``studio [PROJECT] [--screenshot PNG] [--page PAGE]``: open the window.

With ``--screenshot`` the window renders offscreen at 1280x800, waits for its first paint
(and for the project to load), saves a grab and exits 0. Any problem is printed to stderr
and exits 1; no dialog is ever shown in that mode.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ui.mainwindow import MainWindow

log = logging.getLogger(__name__)

SCREENSHOT_SIZE = (1280, 800)
SCREENSHOT_TIMEOUT_MS = 20_000
#: on quit, how long to let background tasks (loads, saves, thumbnails) finish
SHUTDOWN_WAIT_MS = 3_000


def build_parser() -> argparse.ArgumentParser:
    from ui.mainwindow import PAGE_KEYS

    parser = argparse.ArgumentParser(prog="studio", description="Open Brief Studio.")
    parser.add_argument("project", nargs="?",
                        help="project folder (or its project.yaml), or an agency bundle "
                             "(*.briefbundle.zip) to import")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="render the window offscreen, save it as PNG and exit")
    parser.add_argument("--page", metavar="PAGE",
                        help=f"page to show first: {', '.join(PAGE_KEYS)}")
    parser.add_argument("--theme", choices=("system", "light", "dark"),
                        help="colour theme (default: the saved choice, else the system's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    return parser


def _configure_logging(verbose: bool) -> None:
    try:
        from studio.logsetup import configure_logging

        configure_logging(verbose)
    except Exception:  # noqa: BLE001 - logging must never stop the app starting
        logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)


def run_app(args: Sequence[str]) -> int:
    import PySide6.QtCore  # noqa: F401 - then PySide6's import hook is there to quicken

    from ui import quicken_pyside_import_checks

    quicken_pyside_import_checks()  # before the window's ~250 modules are imported
    argv = list(args)
    if "--screenshot" in argv and not os.environ.get("DISPLAY") \
            and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = build_parser()
    opts = parser.parse_args(argv)
    _configure_logging(opts.verbose)
    from ui.mainwindow import PAGE_KEYS

    if opts.page is not None and opts.page not in PAGE_KEYS:
        return _fail(f"unknown page {opts.page!r} (choose from {', '.join(PAGE_KEYS)})")
    if opts.screenshot:
        return _screenshot(opts)
    return _interactive(opts)


def _interactive(opts: argparse.Namespace) -> int:
    from ui.mainwindow import MainWindow, application
    from ui.settings import Settings
    from ui.widgets.theme import apply_theme

    app = application()
    from ui.i18n import install_translator

    install_translator(app)  # the system locale's catalogue, before any widget exists
    app.setApplicationName("Brief Studio")
    app.setOrganizationName("brief-studio")
    app.setDesktopFileName("brief-studio")
    settings = Settings.load()
    apply_theme(app, opts.theme or settings.theme)
    # with a project to open, the first frame shows it: the start screen waits until needed
    window = MainWindow(settings, start_screen=not opts.project)
    if opts.theme:
        window.theme_actions[opts.theme].setChecked(True)
    window.show()
    if opts.project:
        open_argument(window, Path(opts.project), opts.page)
    else:
        from ui import startup_done

        window.after_paint(startup_done)
    code = int(app.exec())
    finish_tasks()
    return code


def finish_tasks(msecs: int = SHUTDOWN_WAIT_MS) -> bool:
    """After the event loop ends: give running background tasks a short while to finish
    (an atomic save in flight completes), without hanging the quit on a slow disk or the
    network. Results that arrive later are dropped quietly by ui.tasks."""
    from ui.tasks import wait_for_tasks

    if wait_for_tasks(msecs):
        return True
    log.warning("quitting with background tasks still running after %d ms", msecs)
    return False


def open_argument(window: MainWindow, path: Path, page: str | None = None) -> None:
    """``studio PATH``: a bundle (a double-clicked *.briefbundle.zip) opens the import flow,
    anything else opens as a project."""
    from PySide6.QtCore import QTimer

    from ui.mainwindow import is_bundle_path

    if is_bundle_path(path):
        # after the event loop starts, so the window is up behind the dialogs
        QTimer.singleShot(0, lambda: window.import_bundle(path))
        return
    window.open_project(path)
    if page:
        window.projectOpened.connect(lambda _ctx: window.show_page(page))


def _fail(message: str) -> int:
    sys.stderr.write(message.rstrip() + "\n")
    return 1


def _screenshot(opts: argparse.Namespace) -> int:
    from studio.errors import StudioError
    from studio.project import load_project

    out = Path(opts.screenshot)
    if out.suffix.lower() != ".png":
        return _fail(f"{out}: the screenshot must be a .png file")
    if not out.parent.is_dir():
        return _fail(f"{out}: folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        return _fail(f"{out}: folder {out.parent} is not writable")
    doc = None
    store_ok = True
    if opts.project and Path(opts.project).suffix.lower() == ".zip":
        return _fail(f"{opts.project}: an agency bundle is imported, not screenshotted; "
                     "open it without --screenshot (or use `studio import BUNDLE DEST`)")
    if opts.project:
        try:
            doc = load_project(Path(opts.project))
        except StudioError as exc:
            return _fail(str(exc))
        from ui.mainwindow import probe_store

        try:
            probe_store(doc.root)  # create/migrate studio.db before the pages read it
        except StudioError as exc:
            log.warning("screenshot of a project with an unusable studio.db: %s", exc)
            store_ok = False
    elif opts.page:
        return _fail(f"--page {opts.page} needs a PROJECT")

    from PySide6.QtCore import QEventLoop, QTimer

    from ui.mainwindow import MainWindow, application
    from ui.settings import Settings
    from ui.tasks import wait_for_tasks
    from ui.widgets.theme import apply_theme

    app = application()
    settings = Settings(path=None)  # screenshots neither read nor write user settings
    apply_theme(app, opts.theme or "light")
    window = MainWindow(settings, interactive=False, restore_geometry=False)
    window.resize(*SCREENSHOT_SIZE)
    try:
        if doc is not None:
            window.set_document(doc, store_ok=store_ok)
            if opts.page:
                window.show_page(opts.page)
    except Exception as exc:  # noqa: BLE001 - report, never hang or show a dialog
        log.exception("screenshot setup failed")
        return _fail(f"could not open the window: {exc}")
    window.show()

    # Let background work (templates, thumbnails, prompt, consent) finish and paint.
    loop = QEventLoop()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(SCREENSHOT_TIMEOUT_MS)
    settle = QTimer()
    settle.setInterval(50)
    rounds = {"n": 0}

    def tick() -> None:
        app.processEvents()
        if wait_for_tasks(0) and rounds["n"] > 12:  # ~600 ms: debounce timers have fired
            loop.quit()
        rounds["n"] += 1

    settle.timeout.connect(tick)
    settle.start()
    loop.exec()
    settle.stop()
    wait_for_tasks(5_000)
    app.processEvents()
    image = window.grab()
    if image.width() < 900 or image.height() < 600:
        return _fail(f"window rendered too small ({image.width()}x{image.height()})")
    if not image.save(str(out), "PNG"):
        return _fail(f"{out}: could not write the PNG")
    window.interactive = False
    window.close()
    sys.stdout.write(f"saved {out} ({image.width()}x{image.height()})\n")
    return 0
