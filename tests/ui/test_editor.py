"""The shot editor, storyboard strip, undo/redo, saving, autosave and broken projects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, Qt
from pytestqt.qtbot import QtBot

from studio.project import load_project
from ui import tasks
from ui.mainwindow import AUTOSAVE_NAME, MainWindow
from ui.models import SHOT_MIME, BeatsModel, CharactersModel, DialogueModel, ShotListModel
from ui.pages.shots import ShotsPage
from ui.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture(autouse=True)
def synchronous_tasks() -> Iterator[None]:
    tasks.set_synchronous(True)
    yield
    tasks.set_synchronous(False)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, sample_copy: Path) -> MainWindow:
    win = MainWindow(Settings(path=tmp_path / "settings.json"), interactive=False)
    qtbot.addWidget(win)
    win.set_document(load_project(sample_copy))
    return win


def shots_page(win: MainWindow) -> ShotsPage:
    page = win.page("shots")
    assert isinstance(page, ShotsPage)
    return page


def prompt_text(page: ShotsPage) -> str:
    page.refresh_prompt()
    return page.prompt.text.toPlainText()


def test_direction_edit_updates_prompt_and_undo_restores(window: MainWindow) -> None:
    page = shots_page(window)
    assert page.editor.shot_id == "s01-ridge-dawn"
    assert "crane, slow and deliberate" in prompt_text(page)
    combo = page.editor.combos["movement"]
    combo.setCurrentIndex(combo.findData("dolly-in"))
    shot = window.ctx.project.shot("s01-ridge-dawn")
    assert shot.direction.movement == "dolly-in"
    text = prompt_text(page)
    assert "dolly in, slow and deliberate" in text
    assert "crane, slow" not in text
    assert window.is_dirty()
    assert window.isWindowModified()
    # the combo carries the term's description as its tooltip
    assert "toward the subject" in combo.toolTip()
    window.act_undo.trigger()
    assert window.ctx.project.shot("s01-ridge-dawn").direction.movement == "crane"
    assert combo.currentData() == "crane"
    assert "crane, slow and deliberate" in prompt_text(page)
    assert not window.is_dirty()
    window.act_redo.trigger()
    assert window.ctx.project.shot("s01-ridge-dawn").direction.movement == "dolly-in"


def test_linter_warnings_shown_for_current_shot(window: MainWindow) -> None:
    page = shots_page(window)
    combo = page.editor.combos["movement"]
    combo.setCurrentIndex(combo.findData("static"))  # conflicts with the crane beat
    page.refresh_prompt()
    assert "static" in page.prompt.lints.text().lower()


def test_typing_a_title_is_one_undo_step(window: MainWindow, qtbot: QtBot) -> None:
    page = shots_page(window)
    title = page.editor.title
    title.selectAll()
    qtbot.keyClicks(title, "Dawn")
    assert window.ctx.project.shot("s01-ridge-dawn").title == "Dawn"
    assert window.ctx.undo_stack.count() == 1
    window.ctx.undo_stack.undo()
    assert window.ctx.project.shot("s01-ridge-dawn").title == "Ridge at first light"
    assert title.text() == "Ridge at first light"


def test_refused_edit_changes_nothing(window: MainWindow) -> None:
    page = shots_page(window)
    messages: list[str] = []
    page.status_callback = messages.append
    page.editor.duration.setValue(2.0)  # s01 has a beat at 3.5 s
    assert window.ctx.project.shot("s01-ridge-dawn").duration == 6
    assert window.ctx.undo_stack.count() == 0
    assert messages
    assert "after the shot ends" in messages[-1]
    assert page.editor.duration.value() == 6.0


def test_reorder_by_model_move_and_drop_then_undo(window: MainWindow) -> None:
    page = shots_page(window)
    model = page.model
    ids = [s.id for s in window.ctx.project.shots]
    assert model.request_move(0, 3)  # in front of the shot now at row 3
    assert [s.id for s in window.ctx.project.shots] == [ids[1], ids[2], ids[0], *ids[3:]]
    window.ctx.undo_stack.undo()
    assert [s.id for s in window.ctx.project.shots] == ids
    # the same through drag-and-drop mime data: drop row 4 onto the first card
    mime = model.mimeData([model.index(4)])
    assert mime.hasFormat(SHOT_MIME)
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, 0, model.index(0))
    assert [s.id for s in window.ctx.project.shots][0] == ids[4]
    window.ctx.undo_stack.undo()
    assert [s.id for s in window.ctx.project.shots] == ids
    bad = QMimeData()
    bad.setData(SHOT_MIME, QByteArray(b"nope"))
    assert not model.dropMimeData(bad, Qt.DropAction.MoveAction, 0, 0, QModelIndex())


def test_move_left_right_duplicate_delete_add_are_undoable(window: MainWindow) -> None:
    page = shots_page(window)
    stack = window.ctx.undo_stack
    ids = [s.id for s in window.ctx.project.shots]
    page.select_row(1)
    window.act_right.trigger()
    assert [s.id for s in window.ctx.project.shots][2] == ids[1]
    assert page.current_shot_id() == ids[1]
    stack.undo()
    assert [s.id for s in window.ctx.project.shots] == ids

    page.select_row(2)
    window.act_dup_shot.trigger()
    shots = window.ctx.project.shots
    assert len(shots) == 7
    assert shots[3].id == f"{ids[2]}-2"
    assert shots[3].direction == shots[2].direction
    assert shots[3].title.endswith("(copy)")
    assert page.current_shot_id() == shots[3].id
    window.act_del_shot.trigger()
    assert [s.id for s in window.ctx.project.shots] == ids
    page.select_row(0)
    window.act_del_shot.trigger()
    assert [s.id for s in window.ctx.project.shots] == ids[1:]
    assert page.editor.shot_id == ids[1]
    window.act_add_shot.trigger()
    assert len(window.ctx.project.shots) == 6
    assert window.ctx.project.shots[1].title == "New shot"
    for _ in range(4):
        stack.undo()
    assert [s.id for s in window.ctx.project.shots] == ids
    assert page.model.rowCount() == 6


def test_beats_and_dialogue_tables_edit_through_undo(window: MainWindow) -> None:
    page = shots_page(window)
    page.select_shot("s03-maya-stride")
    beats = page.editor.beats_model
    assert beats.rowCount() == 3
    assert beats.setData(beats.index(1, 1), "She smiles at the trail")
    assert window.ctx.project.shot("s03-maya-stride").beats[1].action == "She smiles at the trail"
    assert not beats.setData(beats.index(1, 0), "99")  # after the 8 s shot ends
    assert not beats.setData(beats.index(1, 0), "soon")
    assert beats.add_row()
    assert beats.rowCount() == 4
    window.ctx.undo_stack.undo()
    window.ctx.undo_stack.undo()
    assert window.ctx.project.shot("s03-maya-stride").beats[1].action == \
        "She glances down at the trail and smiles"
    dialogue = page.editor.dialogue_model
    assert dialogue.rowCount() == 1
    assert dialogue.setData(dialogue.index(0, 3), "whispered")
    assert 'Maya (whispered) [1s]: "Every morning' in prompt_text(page)
    assert dialogue.remove_row(0)
    assert dialogue.rowCount() == 0
    assert "Dialogue:" not in prompt_text(page)


def test_item_models_pass_qtmodeltester(window: MainWindow, qtmodeltester) -> None:  # noqa: ANN001
    page = shots_page(window)
    page.select_shot("s03-maya-stride")
    for model in (page.model, page.editor.beats_model, page.editor.dialogue_model):
        qtmodeltester.check(model, force_py=True)
    assert isinstance(page.model, ShotListModel)
    assert isinstance(page.editor.beats_model, BeatsModel)
    assert isinstance(page.editor.dialogue_model, DialogueModel)
    qtmodeltester.check(CharactersModel(window.ctx), force_py=True)


def test_save_writes_project_yaml_and_clears_dirty(window: MainWindow, sample_copy: Path) -> None:
    page = shots_page(window)
    page.editor.combos["emotion"].setCurrentIndex(page.editor.combos["emotion"].findData("serene"))
    assert "*" in window.windowTitle()
    assert window.isWindowModified()
    window.act_save.trigger()
    assert not window.is_dirty()
    assert not window.isWindowModified()
    reloaded = load_project(sample_copy)
    assert reloaded.project.shot("s01-ridge-dawn").direction.emotion == "serene"
    assert reloaded.project == window.ctx.project


def test_save_conflict_asks_and_never_overwrites_on_cancel(
    window: MainWindow, sample_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(window, "_ask_conflict", lambda msg: asked.append(msg) or "cancel")
    path = sample_copy / "project.yaml"
    edited = path.read_text(encoding="utf-8").replace("Ridge at first light", "Edited by hand")
    path.write_text(edited, encoding="utf-8")
    window.page("brief")
    shots_page(window).editor.variants.setValue(3)
    window.save()
    assert asked
    assert "changed on disk" in asked[0]
    assert path.read_text(encoding="utf-8") == edited
    assert window.is_dirty()
    monkeypatch.setattr(window, "_ask_conflict", lambda msg: "overwrite")
    window.save()
    assert load_project(sample_copy).project.shot("s01-ridge-dawn").variants == 3
    assert not window.is_dirty()


def test_autosave_written_and_recovery_offered(
    qtbot: QtBot, window: MainWindow, sample_copy: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = (sample_copy / "project.yaml").read_bytes()
    page = shots_page(window)
    page.editor.title.setText("Recovered title")
    page.editor.title.textEdited.emit("Recovered title")
    window.autosave_now()
    autosave = sample_copy / AUTOSAVE_NAME
    assert autosave.is_file()
    assert (sample_copy / "project.yaml").read_bytes() == original
    assert "Recovered title" in autosave.read_text(encoding="utf-8")

    # "crash": a second window opens the project and is offered the autosave
    offered: list[bool] = []
    monkeypatch.setattr(MainWindow, "_ask_recover", lambda self: offered.append(True) or True)
    second = MainWindow(Settings(path=tmp_path / "s2.json"), interactive=False)
    qtbot.addWidget(second)
    second.open_project(sample_copy)
    assert offered == [True]
    assert second.ctx is not None
    assert second.ctx.project.shot("s01-ridge-dawn").title == "Recovered title"
    assert second.is_dirty()
    assert shots_page(second).editor.title.text() == "Recovered title"
    second.act_save.trigger()
    assert not autosave.exists()
    assert load_project(sample_copy).project.shot("s01-ridge-dawn").title == "Recovered title"
    window.ctx.undo_stack.setClean()  # the first window gives up its copy


def test_no_recovery_offer_when_autosave_matches(qtbot: QtBot, sample_copy: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (sample_copy / AUTOSAVE_NAME).write_bytes((sample_copy / "project.yaml").read_bytes())
    offered: list[bool] = []
    monkeypatch.setattr(MainWindow, "_ask_recover", lambda self: offered.append(True) or True)
    win = MainWindow(Settings(path=tmp_path / "s.json"), interactive=False)
    qtbot.addWidget(win)
    win.open_project(sample_copy)
    assert win.ctx is not None
    assert offered == []


def test_clean_close_removes_autosave(qtbot: QtBot, window: MainWindow, sample_copy: Path) -> None:
    (sample_copy / AUTOSAVE_NAME).write_text("stale", encoding="utf-8")
    window.close()
    assert not (sample_copy / AUTOSAVE_NAME).exists()


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("name: [unclosed\n", "project.yaml:2:1: YAML syntax error"),
        ("schema_version: 1\nname: X\nshots:\n  - id: s1\n    duration: -3\n", "project.yaml:5:"),
        ("schema_version: 99\nname: X\n", "project.yaml"),
    ],
)
def test_broken_project_shows_error_and_file_untouched(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, where: str
) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    (root / "project.yaml").write_text(content, encoding="utf-8")
    shown: list[str] = []
    from PySide6.QtWidgets import QMessageBox

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box.text() + "\n" + box.informativeText())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    win = MainWindow(Settings(path=tmp_path / "s.json"), interactive=True)
    qtbot.addWidget(win)
    win.open_project(root)
    assert win.ctx is None
    assert len(shown) == 1
    assert "Could not open the project" in shown[0]
    assert where in shown[0]
    assert (root / "project.yaml").read_text(encoding="utf-8") == content
    assert sorted(p.name for p in root.iterdir()) == ["project.yaml"]


def test_unreadable_folder_is_reported(qtbot: QtBot, tmp_path: Path) -> None:
    win = MainWindow(Settings(path=tmp_path / "s.json"), interactive=False)
    qtbot.addWidget(win)
    win.open_project(tmp_path / "missing")
    assert win.ctx is None
    assert "no such project folder" in win.last_error


def test_brief_page_edits_are_undoable(window: MainWindow) -> None:
    from ui.pages.brief import BriefPage

    page = window.page("brief")
    assert isinstance(page, BriefPage)
    page.usage_boxes[next(iter(page.usage_boxes))].setChecked(False)  # social off
    assert [u.value for u in window.ctx.project.usage] == ["paid_ads"]
    page.territories.setText("GB, FR")
    page.territories.editingFinished.emit()
    assert window.ctx.project.territories == ["GB", "FR"]
    page.budget.setValue(-1)
    assert window.ctx.project.budget_usd is None
    window.ctx.undo_stack.undo()
    window.ctx.undo_stack.undo()
    window.ctx.undo_stack.undo()
    assert window.ctx.project.territories == ["GB", "IE", "US"]
    assert window.ctx.project.budget_usd == 120
    assert page.territories.text() == "GB, IE, US"


# other engineers' pages may load Qt Multimedia, which probes optional system libraries
@pytest.mark.qt_log_ignore("Couldn't (load|resolve)", "PulseAudioService", "Using Qt multimedia")
def test_other_pages_load_or_get_a_placeholder(window: MainWindow) -> None:
    import importlib.util

    for key, module in (("cameos", "ui.pages.cameos"), ("queue", "ui.pages.queue"),
                        ("library", "ui.pages.library")):
        window.show_page(key)
        assert window.current_page() == key
        widget = window.page(key)
        if importlib.util.find_spec(module) is None:
            assert widget.objectName() == "placeholderPage"


def test_settings_remember_recent_and_geometry(qtbot: QtBot, tmp_path: Path, sample_copy: Path) -> None:
    path = tmp_path / "settings.json"
    win = MainWindow(Settings(path=path), interactive=False)
    qtbot.addWidget(win)
    win.open_project(sample_copy)
    win.resize(1300, 820)
    win.close()
    settings = Settings.load(path)
    assert settings.recent[0] == str(sample_copy.resolve())
    assert "geometry" in settings.window
    assert "shots_splitter" in settings.window


def test_older_consent_reads_answering_late_are_not_shown(window: MainWindow,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Two consent changes in a row start two reads; the first may answer last. The
    storyboard's consent problems and the editor's cameo badges show the newest read."""
    import ui.pages.shots as shots_module
    from studio.events import CONSENT_CHANGED, Event

    page = shots_page(window)
    page.editor  # noqa: B018 - built, so the badges have somewhere to go
    started: list[tuple[object, object]] = []
    monkeypatch.setattr(shots_module, "run_task", lambda work, done: started.append((work, done)))
    page._on_core_event(Event(CONSENT_CHANGED, {}))  # revoked …
    page._on_core_event(Event(CONSENT_CHANGED, {}))  # … and confirmed again
    (old_consent, old_names), (new_consent, new_names) = started[:2], started[2:4]
    new_consent[1]({}, None)  # type: ignore[operator]
    new_names[1](({"maya-okafor": "Maya Okafor"}, {"maya-okafor": "active"}), None)  # type: ignore[operator]
    old_consent[1]({"s03-maya-stride": ["consent revoked"]}, None)  # type: ignore[operator]
    old_names[1](({"maya-okafor": "Maya Okafor"}, {"maya-okafor": "revoked"}), None)  # type: ignore[operator]
    assert page.model.consent == {}
    assert page.editor.cameo_badges == {"maya-okafor": "active"}
