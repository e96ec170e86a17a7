"""The export dialog (offscreen): selection, redaction, export off the GUI thread, import."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt

from studio.bundle import verify_bundle
from studio.events import EventBus
from studio.project import load_project
from studio.results import list_results
from tests.unit.test_bundle_support import add_take, populate
from ui import export_dialog, tasks
from ui.context import ProjectContext
from ui.export_dialog import ExportDialog, import_bundle_interactive


@pytest.fixture
def dialog(qtbot, sample_copy: Path, tmp_path: Path):  # noqa: ANN001, ANN201
    populate(sample_copy)
    add_take(sample_copy, "s04-summit", "r-s04flag", review_status="approved",
             consent_flag="consent revoked: maya-okafor")
    ctx = ProjectContext(load_project(sample_copy), EventBus())
    dlg = ExportDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.resize(760, 640)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.state == "ready", timeout=20_000)
    yield dlg
    tasks.wait_for_tasks()
    ctx.close()


def _checked(dlg: ExportDialog) -> set[str]:
    return dlg.model.checked_ids()


def test_selection_defaults_and_flagged_takes(dialog: ExportDialog, qtmodeltester) -> None:  # noqa: ANN001
    qtmodeltester.check(dialog.model)
    assert dialog.model.rowCount() == 7
    assert _checked(dialog) == {"r-s01a", "r-s02b", "r-s03a", "r-s05a"}
    dialog.all_radio.setChecked(True)
    assert _checked(dialog) == {"r-s01a", "r-s02a", "r-s02b", "r-s03a", "r-s04a", "r-s05a"}
    row = [t.id for t in dialog.model.takes()].index("r-s04flag")
    index = dialog.model.index(row, 0)
    assert not dialog.model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable
    assert not dialog.model.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert "consent revoked: maya-okafor" in dialog.model.data(dialog.model.index(row, 4))
    assert "r-s04flag: consent revoked: maya-okafor" in dialog.flagged_label.text()
    assert dialog.flagged_label.isVisible()
    assert "Estimated size" in dialog.size_label.text()
    assert dialog.model.rowCount(QModelIndex()) == 7


def test_flagged_takes_say_the_real_reason(qtbot, sample_copy: Path) -> None:  # noqa: ANN001
    """A take left out because consent does not cover the usage (not a revocation) says so,
    in the core's words, and never claims a revocation."""
    from studio.model import Usage
    from studio.project import save_project

    populate(sample_copy)
    doc = load_project(sample_copy)
    doc.project.usage.append(Usage.BROADCAST)  # Maya granted social and paid ads only
    save_project(doc)
    ctx = ProjectContext(load_project(sample_copy), EventBus())
    dlg = ExportDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.state == "ready", timeout=20_000)
    try:
        takes = {t.id: t for t in dlg.model.takes()}
        flag = takes["r-s03a"].consent_flag
        assert flag and "consent does not cover usage broadcast" in flag
        row = list(takes).index("r-s03a")
        cell = dlg.model.data(dlg.model.index(row, 4))
        tip = dlg.model.data(dlg.model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
        text = dlg.flagged_label.text() + dlg.size_label.text()
        for shown in (cell, tip, text):
            assert "consent does not cover usage broadcast" in shown
            assert "revoked" not in shown
        assert "r-s03a" in dlg.flagged_label.text()
        assert "r-s03a" not in dlg.model.checked_ids()
    finally:
        tasks.wait_for_tasks()
        ctx.close()


def test_export_runs_off_thread_and_offers_show_in_folder(dialog: ExportDialog, qtbot,  # noqa: ANN001
                                                          tmp_path: Path) -> None:
    row = [t.id for t in dialog.model.takes()].index("r-s05a")
    dialog.model.setData(dialog.model.index(row, 0), Qt.CheckState.Unchecked,
                         Qt.ItemDataRole.CheckStateRole)
    out = tmp_path / "agency.zip"
    dialog.path_edit.setText(str(out))
    seen: list[int] = []
    dialog.progressed.connect(lambda done, total, label: seen.append(done))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert dialog.state == "exporting"
        assert dialog.cancel_button.text() == "Cancel"
    assert blocker.args == ["done"], dialog.status.text()
    assert seen
    assert dialog.progress.value() == 100
    assert dialog.show_button.isVisible()
    assert verify_bundle(out).ok
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert "takes/s03-maya-stride/r-s03a.mp4" in names
    assert not any("r-s05a" in n or "r-s04flag" in n for n in names)
    dialog.grab().save(str(tmp_path / "export-dialog.png"))
    import os
    if os.environ.get("STUDIO_SHOTS"):
        dialog.grab().save(os.environ["STUDIO_SHOTS"])
    assert (tmp_path / "export-dialog.png").stat().st_size > 0


def test_cancel_while_exporting(dialog: ExportDialog, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "agency.zip"
    dialog.path_edit.setText(str(out))
    dialog.start_export()
    dialog.cancel_export()
    dialog.reject()  # Esc while exporting cancels and keeps the dialog open
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as blocker:
        pass
    assert blocker.args == ["cancelled"]
    assert dialog.isVisible()
    assert not out.exists()
    assert "nothing was written" in dialog.status.text()


def test_import_interactive_shows_report(dialog: ExportDialog, qtbot, tmp_path: Path,  # noqa: ANN001
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "agency.zip"
    dialog.path_edit.setText(str(out))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        dialog.start_export()
    reports: list[tuple[bool, str]] = []
    monkeypatch.setattr(export_dialog, "_show_report", lambda p, ok, text: reports.append((ok, text)))
    dest = import_bundle_interactive(dialog, out, tmp_path / "imported")
    assert dest == tmp_path / "imported"
    assert reports[0][0] is True
    assert "matched manifest.json" in reports[0][1]
    assert load_project(dest).project.id == "pr-aurora-rbts"
    assert {r["id"] for r in list_results(dest)} == {"r-s01a", "r-s02b", "r-s03a", "r-s05a"}
    # a tampered bundle is refused and the report says why
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data + b"x" if info.filename == "README.txt" else data)
    assert import_bundle_interactive(dialog, bad, tmp_path / "imported-2") is None
    assert reports[1][0] is False
    assert "README.txt" in reports[1][1]
    assert not (tmp_path / "imported-2").exists()
    # file dialogs cancelled: nothing happens
    monkeypatch.setattr(export_dialog.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: ("", "")))
    assert import_bundle_interactive(dialog) is None
