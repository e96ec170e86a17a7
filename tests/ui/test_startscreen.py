"""The start screen: sample, templates, recent projects, import availability."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from studio.project import load_project
from studio.resources import sample_project
from ui import tasks
from ui.mainwindow import MainWindow
from ui.settings import Settings
from ui.startscreen import StartScreen

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture(autouse=True)
def synchronous_tasks() -> Iterator[None]:
    tasks.set_synchronous(True)
    yield
    tasks.set_synchronous(False)


def test_start_screen_lists_the_four_templates(qtbot: QtBot) -> None:
    screen = StartScreen(recent=[])
    qtbot.addWidget(screen)
    ids = {c.id for c in screen.cards}
    assert ids == {"social-ad", "product-demo", "brand-film", "training-module"}
    aspects = {c.id: c.aspect for c in screen.cards}
    assert aspects["social-ad"] == "9:16"
    assert aspects["product-demo"] == "16:9"
    chosen: list[str] = []
    screen.newFromTemplate.connect(chosen.append)
    buttons = [b for b in screen.findChildren(QPushButton) if b.text() == "Use template"]
    assert len(buttons) == 4
    buttons[0].click()
    assert chosen
    assert chosen[0] in ids


def test_new_project_from_template_opens_it(qtbot: QtBot, tmp_path: Path) -> None:
    win = MainWindow(Settings(path=tmp_path / "s.json"), interactive=False)
    qtbot.addWidget(win)
    target = tmp_path / "summer-drop"
    win.create_from_template(target, "social-ad")
    assert win.ctx is not None
    assert win.ctx.project.style.aspect == "9:16"
    assert win.ctx.project.name == "summer drop"
    assert 3 <= len(win.ctx.project.shots) <= 5
    assert load_project(target).project == win.ctx.project
    assert win.settings.recent[0] == str(target.resolve())
    assert win.current_page() == "shots"


def test_new_project_into_non_empty_folder_is_refused(qtbot: QtBot, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    win = MainWindow(Settings(path=tmp_path / "s.json"), interactive=False)
    qtbot.addWidget(win)
    win.create_from_template(target, "brand-film")
    assert win.ctx is None
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]


def test_sample_button_and_recent_list(qtbot: QtBot, tmp_path: Path, sample_copy: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.mainwindow.sample_project", lambda: sample_copy)
    win = MainWindow(Settings(path=tmp_path / "s.json"), interactive=False)
    qtbot.addWidget(win)
    assert win.stack.currentWidget() is win.start
    win.start.sample_button.click()
    assert win.ctx is not None
    assert win.ctx.root == sample_copy
    assert win.close_project()
    assert win.stack.currentWidget() is win.start
    model = win.start.recent_model
    assert model.rowCount() == 1
    index = model.index(0, 0)
    assert str(sample_copy.resolve()) in index.data()
    win.start.recent_view.activated.emit(index)
    assert win.ctx is not None
    assert win.ctx.root.resolve() == sample_copy.resolve()
    assert sample_project().name == "aurora-launch"


def test_settings_file_from_the_future_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"version": 99, "recent": ["/x"]}', encoding="utf-8")
    settings = Settings.load(path)
    assert settings.read_only
    assert settings.recent == []
    settings.add_recent(tmp_path)
    settings.save()
    assert path.read_text(encoding="utf-8") == '{"version": 99, "recent": ["/x"]}'
    path.write_text("{not json", encoding="utf-8")
    assert Settings.load(path).recent == []
