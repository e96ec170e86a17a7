"""The main window wired to the finished parts: bundle export/import (menu, drop, command
line), queue and compare actions, settings, a damaged studio.db, first-run provider setup,
themes and the About/log actions. Offscreen; dialogs that would block are patched."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDropEvent, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from studio.project import load_project
from studio.results import list_results
from studio.settings import load_settings
from tests.unit.test_bundle_support import add_take, populate
from ui import app as ui_app
from ui import export_dialog, settings_dialog, tasks
from ui.mainwindow import MainWindow, probe_store, store_problem_kind
from ui.provider_setup import ProviderSetupWidget, check_connection
from ui.settings import Settings
from ui.widgets.placeholder import PlaceholderPage
from ui.widgets.theme import DARK, LIGHT

# offscreen dialogs and the library's media backend log these harmlessly
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints", "pipewire", "PulseAudio",
                                       "Couldn't (load|resolve) va", "FFmpeg")


@pytest.fixture
def sync_tasks() -> Iterator[None]:
    tasks.set_synchronous(True)
    yield
    tasks.set_synchronous(False)


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:  # noqa: ANN001
    settings = Settings(path=tmp_path / "ui-settings.json")
    win = MainWindow(settings, restore_geometry=False)
    win.start_queue = False  # no engine thread: these tests do not run jobs
    qtbot.addWidget(win)
    yield win
    win.interactive = False  # no "save changes?" on teardown
    win.close()
    tasks.wait_for_tasks()


def open_doc(win: MainWindow, root: Path) -> None:
    probe_store(root)  # as open_project does: studio.db exists before the pages start
    win.set_document(load_project(root))


def click_button(label: str, seen: list[list[str]]) -> Any:  # noqa: ANN401
    """A QMessageBox.exec stand-in that records the buttons and clicks ``label``."""

    def fake_exec(box: QMessageBox) -> int:
        buttons = [b.text() for b in box.buttons()]
        seen.append(buttons)
        for b in box.buttons():
            if b.text().replace("&", "") == label:
                b.click()
                return 0
        if not buttons:  # an information box (only its default OK): acknowledge it
            seen[-1] = [f"info: {box.text()}"]
            return 0
        raise AssertionError(f"no button {label!r} in {buttons}")

    return fake_exec


# --- menus ------------------------------------------------------------------------------


def test_integrated_actions_are_enabled_and_open_their_dialogs(
        window: MainWindow, sample_copy: Path, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    assert window.act_import.isEnabled()
    assert window.act_settings.isEnabled()
    assert not window.act_export.isEnabled()  # no project yet
    assert window.start.import_button.isEnabled()
    open_doc(window, sample_copy)
    for act in (window.act_export, window.act_import, window.act_queue_shot,
                window.act_queue_all, window.act_compare, window.act_settings):
        assert act.isEnabled(), act.text()
    assert window.act_settings.shortcut().toString() == "Ctrl+,"

    opened: list[str] = []
    monkeypatch.setattr(export_dialog.ExportDialog, "exec",
                        lambda self: opened.append(f"export:{self.ctx.root.name}") or 0)
    monkeypatch.setattr(settings_dialog.SettingsDialog, "exec",
                        lambda self: opened.append("settings") or 0)
    window.act_export.trigger()
    window.act_settings.trigger()
    assert opened == ["export:aurora-launch", "settings"]

    window.page("shots").select_shot("s03-maya-stride")
    window.act_queue_shot.trigger()
    dialog = window.queue_dialog
    assert dialog.isVisible()
    assert dialog.shot_ids == ["s03-maya-stride"]
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=20_000)
    dialog.reject()
    window.act_queue_all.trigger()
    assert window.queue_dialog.shot_ids == [s.id for s in window.ctx.project.shots]
    window.queue_dialog.reject()

    woken: list[bool] = []
    monkeypatch.setattr(window.queue_bridge(), "wake", lambda: woken.append(True))
    window.act_compare.trigger()
    compare = window.compare_dialog
    assert compare.isVisible()
    assert compare.shot_id == "s03-maya-stride"
    compare.queued.emit(["s03-maya-stride on previz: queued"])
    assert woken == [True]
    assert "queued" in window.statusBar().currentMessage()
    compare.reject()

    # the running-jobs indicator sits in the status bar and follows the bridge
    assert window.queue_indicator is not None
    assert window.queue_indicator.text().startswith("Queue:")
    window.queue_bridge().statusTextChanged.emit("Queue: 2 running, 1 waiting")
    assert window.queue_indicator.text() == "Queue: 2 running, 1 waiting"


def test_export_offers_to_save_unsaved_edits_first(
        window: MainWindow, sample_copy: Path, monkeypatch: pytest.MonkeyPatch,
        sync_tasks: None) -> None:
    open_doc(window, sample_copy)
    page = window.page("shots")
    page.select_shot("s01-ridge-dawn")
    from ui import commands

    assert commands.push_set(window.ctx, "s01-ridge-dawn", ("title",), "Dawn, retitled",
                             "Edit title") is None
    assert window.is_dirty()
    seen: list[list[str]] = []
    monkeypatch.setattr(QMessageBox, "exec", click_button("Save and Export", seen))
    exported: list[str] = []
    monkeypatch.setattr(export_dialog.ExportDialog, "exec",
                        lambda self: exported.append(self.ctx.project.shot("s01-ridge-dawn").title) or 0)
    window.act_export.trigger()
    assert seen
    assert "Export Saved Version" in seen[0]
    assert exported == ["Dawn, retitled"]
    assert "Dawn, retitled" in (sample_copy / "project.yaml").read_text(encoding="utf-8")
    assert not window.is_dirty()


def test_theme_menu_switches_and_remembers(window: MainWindow, tmp_path: Path) -> None:
    app = QApplication.instance()
    before_sheet, before_palette = app.styleSheet(), QPalette(app.palette())
    try:
        assert window.theme_actions["system"].isChecked()
        window.theme_actions["dark"].trigger()
        assert app.palette().color(QPalette.ColorRole.Window).name() == DARK["bg"]
        assert DARK["accent"] in app.styleSheet()
        assert window.theme_actions["dark"].isChecked()
        assert Settings.load(tmp_path / "ui-settings.json").theme == "dark"
        window.theme_actions["light"].trigger()
        assert app.palette().color(QPalette.ColorRole.Window).name() == LIGHT["bg"]
        assert Settings.load(tmp_path / "ui-settings.json").theme == "light"
        assert not window.theme_actions["dark"].isChecked()
    finally:
        app.setStyleSheet(before_sheet)
        app.setPalette(before_palette)


def test_about_and_log_folder(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.about

    shown: list[object] = []
    monkeypatch.setattr(ui.about, "show_about", lambda parent: shown.append(parent))
    window.act_about.trigger()
    assert shown == [window]
    urls: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: urls.append(url) or True))
    window.act_log_folder.trigger()
    from studio.logsetup import log_file_path

    assert [Path(u.toLocalFile()) for u in urls] == [log_file_path().parent]
    assert log_file_path().parent.is_dir()


# --- bundles: drop and command line -------------------------------------------------------


def drop(win: MainWindow, files: list[Path]) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    event = QDropEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    win.dropEvent(event)
    return event


def test_dropping_a_bundle_imports_and_opens_it(
        window: MainWindow, sample_copy: Path, tmp_path: Path, qtbot,  # noqa: ANN001
        monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.bundle.export import export_bundle

    populate(sample_copy)
    bundle = tmp_path / "aurora.briefbundle.zip"
    export_bundle(sample_copy, bundle)
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setattr(export_dialog.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(landing)))
    reports: list[tuple[bool, str]] = []
    monkeypatch.setattr(export_dialog, "_show_report",
                        lambda parent, ok, text: reports.append((ok, text)))
    event = drop(window, [bundle])
    assert event.isAccepted()
    qtbot.waitUntil(lambda: window.ctx is not None, timeout=60_000)
    assert reports
    assert reports[0][0] is True
    assert window.ctx.root.parent == landing
    assert window.ctx.project.id == "pr-aurora-rbts"
    assert {r["id"] for r in list_results(window.ctx.root)} >= {"r-s01a", "r-s02b"}


def test_dropping_videos_goes_to_the_library_import(
        window: MainWindow, sample_copy: Path, tmp_path: Path, qtbot,  # noqa: ANN001
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.pages import library

    open_doc(window, sample_copy)
    imported: list[list[Path]] = []
    monkeypatch.setattr(library.LibraryPage, "import_paths",
                        lambda self, paths: imported.append(list(paths)))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not opened here")
    drop(window, [clip, tmp_path / "notes.txt"])
    qtbot.waitUntil(lambda: bool(imported), timeout=5_000)
    assert imported == [[clip]]
    assert window.current_page() == "library"
    # something else entirely is refused
    event = drop(window, [tmp_path / "notes.txt"])
    assert not event.isAccepted()


def test_bundle_path_on_the_command_line_starts_the_import(
        window: MainWindow, tmp_path: Path, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(export_dialog, "import_bundle_interactive",
                        lambda parent, bundle=None, dest=None: calls.append((parent, bundle)))
    bundle = tmp_path / "from-agency.briefbundle.zip"
    bundle.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    opened: list[Path] = []
    monkeypatch.setattr(window, "open_project", lambda path: opened.append(path))
    ui_app.open_argument(window, bundle)
    qtbot.waitUntil(lambda: bool(calls), timeout=5_000)
    assert calls == [(window, bundle)]
    assert opened == []  # never opened as a project folder
    # a folder still opens as a project
    ui_app.open_argument(window, tmp_path)
    assert opened == [tmp_path]


def test_bundle_with_screenshot_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "x.briefbundle.zip"
    bundle.write_bytes(b"PK")
    assert ui_app.run_app([str(bundle), "--screenshot", str(tmp_path / "x.png")]) == 1
    assert "agency bundle" in capsys.readouterr().err


# --- a damaged studio.db ----------------------------------------------------------------


def wreck(root: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(root / "studio.db") + suffix).unlink(missing_ok=True)
    (root / "studio.db").write_bytes(b"this is not a database" * 500)


def test_garbage_studio_db_offers_rebuild_and_it_works(
        window: MainWindow, sample_copy: Path, monkeypatch: pytest.MonkeyPatch,
        sync_tasks: None) -> None:
    add_take(sample_copy, "s01-ridge-dawn", "r-keep1", review_status="approved")
    add_take(sample_copy, "s02-lace-up", "r-keep2")
    brief = (sample_copy / "project.yaml").read_bytes()
    wreck(sample_copy)
    with pytest.raises(Exception, match="unreadable"):
        probe_store(sample_copy)
    seen: list[list[str]] = []
    monkeypatch.setattr(QMessageBox, "exec", click_button("Rebuild the Index of Takes", seen))
    window.open_project(sample_copy)
    assert "Open the Brief Only" in seen[0]
    assert seen[1] == ["info: Index of takes rebuilt"]
    assert window.ctx is not None
    assert window.store_ok
    assert window.last_rebuild.moved_aside is not None
    assert sorted(window.last_rebuild.restored) == ["r-keep1", "r-keep2"]
    assert (sample_copy / "project.yaml").read_bytes() == brief
    assert list(sample_copy.glob("studio.db.corrupt-*"))
    probe_store(sample_copy)
    assert {r["id"]: r["review"]["status"] for r in list_results(sample_copy)} == {
        "r-keep1": "approved", "r-keep2": "pending"}
    assert window.act_queue_all.isEnabled()


def test_garbage_studio_db_can_open_the_brief_only(
        window: MainWindow, sample_copy: Path, monkeypatch: pytest.MonkeyPatch,
        sync_tasks: None) -> None:
    wreck(sample_copy)
    garbage = (sample_copy / "studio.db").read_bytes()
    seen: list[list[str]] = []
    monkeypatch.setattr(QMessageBox, "exec", click_button("Open the Brief Only", seen))
    window.open_project(sample_copy)
    assert window.ctx is not None
    assert not window.store_ok
    assert not window.act_queue_shot.isEnabled()
    assert not window.act_compare.isEnabled()
    assert window.queue_indicator is None
    window.show_page("library")
    for key in ("library", "queue", "cameos"):
        assert isinstance(window.page(key), PlaceholderPage), key
    assert "studio.db" in " ".join(label.text() for label in window.page("queue").findChildren(QLabel))
    assert (sample_copy / "studio.db").read_bytes() == garbage  # untouched until asked
    # cancel leaves nothing open
    window.close_project()
    monkeypatch.setattr(QMessageBox, "exec", click_button("Cancel", seen))
    window.open_project(sample_copy)
    assert window.ctx is None


def test_store_problem_kinds() -> None:
    assert store_problem_kind(Exception("x: the database is locked by another program")) == "locked"
    assert store_problem_kind(Exception("x: written by a newer Brief Studio (schema 9)")) == "newer"
    assert store_problem_kind(Exception("x: the database is unreadable (file is not a database)")) \
        == "corrupt"


# --- first-run provider setup -------------------------------------------------------------


class _KeyCheck(BaseHTTPRequestHandler):
    good = "sk-test-" + "a1b2c3d4" * 4
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(self.path)
        ok = self.headers.get("Authorization") == f"Bearer {self.good}"
        body = b'{"object": "list", "data": []}' if ok else b'{"error": {"message": "bad key"}}'
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def key_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeyCheck)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", url)
    yield url
    server.shutdown()
    server.server_close()
    thread.join(5)


def all_bytes_under(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in folder.rglob("*"):
        if path.is_file():
            with contextlib.suppress(OSError):
                yield path, path.read_bytes()


def test_provider_setup_stores_the_key_in_the_keyring_only_and_tests_it(
        qtbot, memory_keyring, key_server: str, isolated_env: Path, tmp_path: Path) -> None:  # noqa: ANN001
    widget = ProviderSetupWidget(compact=False)
    qtbot.addWidget(widget)
    choices: list[str] = []
    widget.choiceMade.connect(choices.append)
    key = _KeyCheck.good
    widget.key_edits["openai"].setText(key)
    with qtbot.waitSignal(widget.keyStored, timeout=5_000):  # stored off the GUI thread
        assert widget.store_key("openai")
    assert memory_keyring.store[("brief-studio", "openai")] == key
    assert widget.key_edits["openai"].text() == ""
    assert choices == ["keys"]
    qtbot.waitUntil(lambda: widget.states.get("openai", ("", ""))[1] == "ready", timeout=5_000)
    assert "keyring" in widget.state_labels["openai"].text()

    with qtbot.waitSignal(widget.tested, timeout=20_000) as blocker:
        widget.test_buttons["openai"].click()
    assert blocker.args[0] == "openai"
    assert blocker.args[1] is True
    assert "the key works" in widget.results["openai"].text()
    assert _KeyCheck.seen[-1].startswith("/v1/videos?limit=1")
    # a wrong key is reported as refused, without the key
    memory_keyring.store[("brief-studio", "openai")] = "sk-wrong-" + "9" * 20
    result = check_connection("openai")
    assert result.ok is False
    assert "401" in result.message
    assert "sk-wrong" not in result.message
    # previz is always fine; fal has no cheap check
    assert check_connection("previz").ok is True
    memory_keyring.store[("brief-studio", "fal")] = "fal-key-123:abc"
    assert check_connection("fal").message == "Key saved; it will be checked on the first job."
    # the key never reached a file (home, config, data, logs, the test's folder)
    for folder in (isolated_env, tmp_path):
        for path, data in all_bytes_under(folder):
            assert key.encode() not in data, path


def test_provider_setup_without_a_keyring_says_how_to_fix_it(
        qtbot, isolated_env: Path) -> None:  # noqa: ANN001
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        widget = ProviderSetupWidget(compact=True)
        qtbot.addWidget(widget)
        qtbot.waitUntil(lambda: widget.secure is not None, timeout=5_000)  # checked off-thread
        assert not widget.keyring_warning.isHidden()
        assert "keyring" in widget.keyring_warning.text()
        assert "OPENAI_API_KEY" in widget.keyring_warning.text()
        assert not widget.key_edits["openai"].isEnabled()
        widget.key_edits["openai"].setText("sk-plain-text-never")
        assert not widget.store_key("openai")
        assert "never in a plaintext file" in widget.last_result.text()
        for path, data in all_bytes_under(isolated_env):
            assert b"sk-plain-text-never" not in data, path
    finally:
        keyring.set_keyring(previous)


def test_use_previz_only_is_a_complete_first_run_choice(
        window: MainWindow, tmp_path: Path, sync_tasks: None) -> None:
    setup = window.start.provider_setup
    assert setup is not None  # first run: the setup is inline on the start screen
    assert setup.previz_only.accessibleName()
    setup.previz_only.click()
    assert load_settings().default_provider == "previz"
    assert window.settings.providers_setup == "previz"
    assert Settings.load(tmp_path / "ui-settings.json").providers_setup == "previz"
    # the next start shows a one-line summary instead of the setup
    later = MainWindow(Settings.load(tmp_path / "ui-settings.json"), restore_geometry=False)
    try:
        assert later.start.provider_setup is None
        assert "Previz" in later.start.provider_summary.text()
    finally:
        later.interactive = False
        later.close()
        later.deleteLater()


# --- the shot editor's cameo picker ---------------------------------------------------------


def test_cameo_picker_shows_consent_badges(window: MainWindow, sample_copy: Path, qtbot) -> None:  # noqa: ANN001
    from studio.consent import cameo_states

    open_doc(window, sample_copy)
    page = window.page("shots")
    page.select_shot("s03-maya-stride")
    expected = {s.id: s.badge for s in cameo_states(sample_copy)}
    assert "maya-okafor" in expected
    model = page.editor.cameo_model

    def badge_of(cid: str) -> str | None:
        for row in range(model.rowCount()):
            item = model.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == cid:
                return item.data(Qt.ItemDataRole.UserRole + 1)
        return None

    qtbot.waitUntil(lambda: badge_of("maya-okafor") == expected["maya-okafor"], timeout=10_000)
    item = next(model.item(r) for r in range(model.rowCount())
                if model.item(r).data(Qt.ItemDataRole.UserRole) == "maya-okafor")
    assert "consent" in item.toolTip() or "confirm" in item.toolTip()
    assert item.checkState() == Qt.CheckState.Checked


def test_main_controls_have_accessible_names(window: MainWindow, sample_copy: Path) -> None:
    open_doc(window, sample_copy)
    for key in ("brief", "shots"):
        page = window.page(key)
        from PySide6.QtWidgets import QAbstractItemView, QComboBox, QLineEdit, QPlainTextEdit

        controls = [w for cls in (QLineEdit, QComboBox, QPlainTextEdit, QAbstractItemView)
                    for w in page.findChildren(cls)
                    if not isinstance(w.parent(), (QComboBox, QAbstractItemView))
                    and "ComboBox" not in w.parent().metaObject().className()
                    and w.objectName() != "qt_spinbox_lineedit"]
        named = [w for w in controls if w.accessibleName()]
        assert len(named) == len(controls), (key, [w.objectName() for w in controls
                                                         if not w.accessibleName()])

