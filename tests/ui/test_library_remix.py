"""Library Remix… / Extend…: offered per the take's provider, dialog with cost, enqueue, lineage."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QLoggingCategory, Qt

from studio import results
from studio.events import EventBus
from studio.project import load_project
from studio.queue import jobs as J
from studio.store import Store
from tests.unit.test_results import make_mp4
from ui import tasks
from ui.context import ProjectContext

pytestmark = pytest.mark.qt_log_ignore("pipewire", "PulseAudio", "propagateSizeHints",
                                       "va\\(in plugin\\)", "FFmpeg")

S01, S02, S03 = "s01-ridge-dawn", "s02-lace-up", "s03-maya-stride"


def sora_take(root: Path, tmp: Path, shot: str, name: str, created: float,
              cameos: tuple[str, ...] = (), parent: str | None = None) -> str:
    return results.ingest(
        root, make_mp4(tmp / f"{name}.mp4", color=(30, 120, 200)), shot_id=shot,
        provider="openai", model="sora-2", prompt=f"{shot} on sora", remote_id=f"video_{name}",
        params={"model": "sora-2", "duration": 8.0, "size": "1280x720", "aspect": "16:9"},
        cost=0.8, cameos=cameos, parent_id=parent, created_at=created)


@pytest.fixture
def takes(sample_copy: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "previz": results.ingest(sample_copy, make_mp4(tmp_path / "p.mp4"), shot_id=S02,
                                 provider="previz", model="previz-1", prompt="previz take",
                                 created_at=1_700_000_000.0),
        "maya": sora_take(sample_copy, tmp_path, S03, "maya", 1_700_000_001.0,
                          cameos=("maya-okafor",)),
        "sora": sora_take(sample_copy, tmp_path, S01, "ridge", 1_700_000_002.0),
    }


@pytest.fixture
def page(qtbot, sample_copy: Path, takes: dict[str, str]):  # noqa: ANN001, ANN201
    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    tasks.set_synchronous(True)
    from ui.pages.library import LibraryPage

    ctx = ProjectContext(load_project(sample_copy), EventBus())
    widget = LibraryPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    yield widget
    widget.shutdown()
    tasks.set_synchronous(False)


def jobs(root: Path) -> list[J.Job]:
    with Store.for_project(root).session() as conn:
        return J.list_jobs(conn)


def test_actions_follow_the_takes_provider(page, takes) -> None:  # noqa: ANN001
    page.select_result(takes["sora"])
    assert page.current_id == takes["sora"]
    assert page.btn_remix.isEnabled()
    assert page.btn_extend.isEnabled()
    assert "openai" in page.btn_remix.toolTip()
    page.select_result(takes["previz"])
    assert page.current_id == takes["previz"]
    assert not page.btn_remix.isEnabled()
    assert not page.btn_extend.isEnabled()
    assert "Previz" in page.btn_remix.toolTip()
    assert "cannot remix" in page.btn_remix.toolTip()
    assert "OpenAI" in page.btn_remix.toolTip()  # says where it would work
    assert "cannot extend" in page.btn_extend.toolTip()
    assert page.open_derive("remix") is None
    assert page.btn_variations.isEnabled()  # previz takes still get variations


def test_remix_dialog_shows_cost_and_queues_a_child_job(page, takes, qtbot) -> None:  # noqa: ANN001
    page.select_result(takes["sora"])
    qtbot.mouseClick(page.btn_remix, Qt.MouseButton.LeftButton)
    dialog = page.derive_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.prompt_text() == f"{S01} on sora"  # starts from the take's prompt
    assert "$0.80" in dialog.summary.text()
    assert dialog.ok.isEnabled()
    dialog.prompt.setPlainText("")
    dialog.replan()
    assert not dialog.ok.isEnabled()
    dialog.prompt.setPlainText("The ridge at dusk, violet sky")
    dialog.replan()
    assert dialog.ok.isEnabled()
    qtbot.keyClick(dialog.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    # the dialog closed on the press: release Ctrl where Qt can see it, so later tests do
    # not inherit a "held" modifier
    qtbot.keyRelease(page, Qt.Key.Key_Control)
    (job,) = jobs(page.ctx.root)
    assert (job.kind, job.parent_result_id, job.status) == ("remix", takes["sora"], "queued")
    assert job.prompt == "The ridge at dusk, violet sky"
    assert job.cost_estimate == pytest.approx(0.8)
    assert "Queued" in page.status.text()
    assert not dialog.isVisible()


def test_extend_dialog_length_changes_the_cost(page, takes) -> None:  # noqa: ANN001
    page.select_result(takes["sora"])
    dialog = page.open_derive("extend")
    assert dialog is not None
    assert [dialog.seconds.itemData(i) for i in range(dialog.seconds.count())] == [4.0, 8.0, 12.0]
    assert not dialog.ok.isEnabled()  # an extension needs a prompt
    dialog.prompt.setPlainText("She crests the ridge")
    dialog.replan()
    assert "$0.40" in dialog.summary.text()
    dialog.seconds.setCurrentIndex(2)
    assert "$1.20" in dialog.summary.text()
    dialog.accept()
    (job,) = jobs(page.ctx.root)
    assert (job.kind, job.parent_result_id) == ("extend", takes["sora"])
    assert job.params["duration"] == 12.0


def test_dialog_refuses_when_consent_does_not_allow_remixing(page, takes) -> None:  # noqa: ANN001
    page.select_result(takes["maya"])
    assert page.btn_remix.isEnabled()  # the provider can; consent decides in the dialog
    dialog = page.open_derive("remix")
    assert dialog is not None
    assert "Refused" in dialog.summary.text()
    assert "does not allow remixing" in dialog.summary.text()
    assert not dialog.ok.isEnabled()
    dialog.accept()
    assert jobs(page.ctx.root) == []


def test_lineage_follows_a_new_child(page, takes, qtbot, sample_copy: Path,  # noqa: ANN001
                                     tmp_path: Path) -> None:
    from studio.queue.enqueue import enqueue, plan_from_take

    page.select_result(takes["sora"])
    assert page.details.lineage.tree_model.rowCount() == 1
    (job,) = enqueue(sample_copy, plan_from_take(sample_copy, page.ctx.project, takes["sora"],
                                                 "extend", "and on", seconds=4))
    # the engine's ingest of the finished extension, as it records it
    child = results.ingest(sample_copy, make_mp4(tmp_path / "child.mp4"), shot_id=S01,
                           job_id=job.id, provider="openai", model="sora-2", prompt="and on",
                           remote_id="video_child", parent_id=takes["sora"])
    page.ctx.bus.publish("result_added", result_id=child, shot_id=S01, job_id=None)
    tree = page.details.lineage.tree_model

    def child_ids() -> list[str]:
        top = tree.item(0)
        return [top.child(i).data(Qt.ItemDataRole.UserRole) for i in range(top.rowCount())]

    qtbot.waitUntil(lambda: child_ids() == [child], timeout=20_000)
    assert tree.item(0).data(Qt.ItemDataRole.UserRole) == takes["sora"]
    top = tree.item(0)
    assert tree.itemFromIndex(top.index().siblingAtColumn(1)).text() == "generate"
    assert top.child(0, 1).text() == "extend"
