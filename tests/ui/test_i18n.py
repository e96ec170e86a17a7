"""Translation and accessibility: lupdate finds the UI's strings, a .qm for the locale is
loaded and changes what the user sees, and every text-less control on every page of the
open sample project has an accessible name (or a QLabel buddy). Offscreen."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QSlider,
    QWidget,
)

from studio.project import load_project
from ui import tasks
from ui.i18n import install_translator
from ui.mainwindow import PAGE_KEYS, MainWindow, probe_store

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints", "pipewire", "PulseAudio",
                                       "Couldn't (load|resolve) va", "FFmpeg")


def _script():  # noqa: ANN202 - the module object of scripts/update_translations.py
    spec = importlib.util.spec_from_file_location(
        "update_translations", REPO / "scripts" / "update_translations.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lupdate_finds_the_ui_strings() -> None:
    n = _script().count_strings()
    assert n > 300, f"lupdate found only {n} translatable strings in ui/"


def test_template_is_current() -> None:
    """resources/i18n/brief-studio_en.ts lists what lupdate finds (rerun the script)."""
    template = REPO / "resources" / "i18n" / "brief-studio_en.ts"
    assert template.is_file()
    assert template.read_text(encoding="utf-8").count("<message") >= 300


GERMAN_TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>Transport</name>
    <message>
        <source>Loop</source>
        <translation>Schleife</translation>
    </message>
</context>
</TS>
"""


@pytest.fixture
def german_qm(tmp_path: Path) -> Path:
    ts = tmp_path / "brief-studio_de.ts"
    ts.write_text(GERMAN_TS, encoding="utf-8")
    qm = _script().lrelease(ts)
    assert qm.is_file()
    return tmp_path


def test_german_catalogue_changes_a_label(qtbot, german_qm: Path) -> None:  # noqa: ANN001
    from ui.library.preview import Transport

    app = QApplication.instance()
    assert app is not None
    translator = install_translator(app, QLocale("de_DE"), german_qm)
    assert translator is not None
    try:
        transport = Transport()
        qtbot.addWidget(transport)
        assert transport.loop.text() == "Schleife"
        assert transport.mute.text() == "Mute"  # untranslated strings stay English
    finally:
        QCoreApplication.removeTranslator(translator)
    english = Transport()
    qtbot.addWidget(english)
    assert english.loop.text() == "Loop"


def test_no_catalogue_for_the_locale_falls_back_silently(qapp, german_qm: Path) -> None:  # noqa: ANN001
    app = QApplication.instance()
    assert app is not None
    assert install_translator(app, QLocale("fr_FR"), german_qm) is None
    assert install_translator(app, QLocale("de_DE"), german_qm / "missing") is None


# --- accessibility -------------------------------------------------------------------


CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QSlider)


def _has_text(w: QWidget) -> bool:
    if isinstance(w, QAbstractButton):
        return bool(w.text().replace("&", "").strip()) and any(c.isalnum() for c in w.text())
    if isinstance(w, QComboBox):
        return False  # the current item is a value, not a name
    return False


def _buddied(root: QWidget) -> set[int]:
    return {id(label.buddy()) for label in root.findChildren(QLabel) if label.buddy()}


def unnamed_controls(root: QWidget, seen: set[int] | None = None) -> list[str]:
    buddied = _buddied(root.window())
    bad = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or not w.isVisibleTo(root.window()):
            continue
        if type(w).__name__ in ("QLineEdit",) and isinstance(w.parent(), (QComboBox,
                                                                          QAbstractSpinBox)):
            continue  # a combo's / spin box's own editor: the parent carries the name
        if w.parent() is not None and type(w.parent()).__name__ in (
                "QScrollBar", "QTabBar", "QCalendarWidget", "QHeaderView", "QToolBar",
                "QDialogButtonBox"):
            continue
        if type(w).__name__ in ("QScrollBar",):
            continue
        if seen is not None:
            seen.add(id(w))
        if _has_text(w) or w.accessibleName().strip() or id(w) in buddied:
            continue
        bad.append(f"{type(w).__name__} {w.objectName() or '?'} "
                   f"(tooltip {w.toolTip()!r}) in {type(w.parent()).__name__}")
    return bad


def test_every_control_on_every_page_has_a_name(window: MainWindow, sample_copy: Path,
                                                qtbot) -> None:  # noqa: ANN001
    probe_store(sample_copy)
    window.set_document(load_project(sample_copy))
    window.resize(1280, 800)
    window.show()
    problems: dict[str, list[str]] = {}
    seen: set[int] = set()
    for key in PAGE_KEYS:
        window.show_page(key)
        qtbot.wait(50)
        tasks.wait_for_tasks(5_000)
        QApplication.processEvents()
        page = window.pages[key]
        bad = unnamed_controls(page, seen)
        if bad:
            problems[key] = bad
    side = unnamed_controls(window)  # the sidebar, the start screen's leftovers, ...
    if side:
        problems["window"] = sorted(set(side) - {b for v in problems.values() for b in v})
    assert len(seen) > 40, f"only {len(seen)} controls were checked: are the pages shown?"
    assert not any(problems.values()), problems


def test_packaging_bundles_i18n() -> None:
    spec = (REPO / "packaging" / "brief-studio.spec").read_text(encoding="utf-8")
    assert 'tree(ROOT / "resources", "resources")' in spec  # resources/i18n rides along
    assert "i18n" in spec


def test_the_check_catches_a_glyph_button_without_a_name(qtbot) -> None:  # noqa: ANN001
    from ui.library.preview import Transport

    transport = Transport()
    qtbot.addWidget(transport)
    transport.show()
    assert unnamed_controls(transport) == []
    assert "Space" in transport.play.toolTip()
    transport.play.setAccessibleName("")
    assert len(unnamed_controls(transport)) == 1
