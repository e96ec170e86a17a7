"""The compare-providers dialog: fitted requests side by side, queue on several."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.store import Store
from ui import tasks
from ui.compare_view import COLUMNS, CompareProvidersDialog
from ui.context import ProjectContext


@pytest.fixture
def dialog(qtbot, sample_copy: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
           ) -> Iterator[CompareProvidersDialog]:
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-ui-test-key")
    tasks.set_synchronous(True)
    ctx = ProjectContext(load_project(sample_copy), EventBus())
    dlg = CompareProvidersDialog(ctx, "s01-ridge-dawn")
    qtbot.addWidget(dlg)
    yield dlg
    tasks.set_synchronous(False)
    ctx.close()


def cell(dlg: CompareProvidersDialog, provider: str, column: str) -> str:
    for r in range(dlg.model.rowCount()):
        if dlg.model.item(r, 0).data(Qt.ItemDataRole.UserRole + 1) == provider:
            return dlg.model.item(r, COLUMNS.index(column)).text()
    raise AssertionError(provider)


def test_shows_each_providers_fitted_request(dialog: CompareProvidersDialog, tmp_path: Path) -> None:
    providers = [r.provider for r in dialog.rows]
    assert providers == ["previz", "openai", "veo", "runway", "luma", "fal"]
    # s01 is 6 s, 16:9 with the style reference
    assert cell(dialog, "openai", "Duration") == "8 s"       # sora-2: 4, 8, 12
    assert cell(dialog, "veo", "Duration") == "6 s"          # veo: 4, 6, 8
    assert cell(dialog, "luma", "Duration") == "5 s"         # luma: 5s, 9s (5 is nearer)
    assert cell(dialog, "fal", "Duration") == "5 s"          # pika: 5, 10 (5 is nearer)
    assert cell(dialog, "fal", "Model") == "fal-ai/pika/v2.2/image-to-video"
    assert "6s → 5s (the nearest allowed" in cell(dialog, "luma", "What changes")
    assert "references dropped" in cell(dialog, "luma", "What changes")
    assert cell(dialog, "veo", "Est. cost") == "$2.40"       # 6 s x $0.40
    assert cell(dialog, "previz", "Est. cost") == "$0.00"
    assert "(no key)" in cell(dialog, "runway", "Provider")
    assert not dialog.model.item(providers.index("runway"), 0).isCheckable()
    dialog.grab().save(str(tmp_path / "compare.png"))
    assert (tmp_path / "compare.png").stat().st_size > 0


def test_queue_on_several_enqueues_one_job_each(dialog: CompareProvidersDialog,
                                                sample_copy: Path) -> None:
    assert not dialog.queue_button.isEnabled()
    dialog.set_checked("previz")
    dialog.set_checked("veo")
    dialog.set_checked("runway")          # no key: not checkable, ignored
    assert dialog.checked() == ["previz", "veo"]
    assert "$2.40" in dialog.total.text()
    assert dialog.queue_button.isEnabled()
    dialog.queue_button.click()
    with Store.for_project(sample_copy).session() as conn:
        jobs = J.list_jobs(conn)
    assert sorted((j.provider, j.shot_id, j.status) for j in jobs) == [
        ("previz", "s01-ridge-dawn", "queued"), ("veo", "s01-ridge-dawn", "queued")]
    assert "veo: 1 job(s) queued" in dialog.status.text()
