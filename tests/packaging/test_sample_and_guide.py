"""The sample project opens from the user's own copy; the user guide is found when packaged.

studio.resources.sample_project_copy() copies the shipped sample into
user_data_dir("brief-studio")/projects/aurora-launch on first use, so the app never writes
into its install folder (which may be read-only) or into the repository's sample.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio import resources
from studio.errors import StudioError
from studio.project import load_project, save_project
from studio.resources import sample_project, sample_project_copy, user_guide

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "projects" / "aurora-launch"


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def shipped_files(root: Path) -> set[str]:
    skip = {"studio.db", "studio.db-wal", "studio.db-shm"}
    return {k for k in tree_digest(root)
            if not (set(Path(k).parts) & (skip | {"media", "__pycache__"}))
            and not k.startswith(".studio-autosave")}


@pytest.fixture
def frozen_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A packaged app's _internal folder (sys._MEIPASS), read-only as in /opt, with local
    state that must not be copied (a stray studio.db and media/)."""
    internal = tmp_path / "opt" / "brief-studio" / "_internal"
    sample = internal / "projects" / "aurora-launch"
    shutil.copytree(SHIPPED, sample, ignore=shutil.ignore_patterns("studio.db*", "media"))
    (sample / "studio.db").write_bytes(b"SQLite format 3\0stale")
    (sample / "media" / "rs-1").mkdir(parents=True)
    (sample / "media" / "rs-1" / "take.mp4").write_bytes(b"\0" * 16)
    (internal / "docs").mkdir()
    (internal / "docs" / "guide.md").write_text("# Guide (packaged)\n", encoding="utf-8")
    for path in [*internal.rglob("*"), internal]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    # resources/ (vocabulary, templates, icons) from the checkout; only the sample is faked
    monkeypatch.setenv("STUDIO_RESOURCES_DIR", str(REPO / "resources"))
    yield internal
    for path in [internal, *internal.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_copy_goes_to_user_data_dir_without_local_state(isolated_env: Path) -> None:
    before = tree_digest(SHIPPED)
    copy = sample_project_copy()
    assert copy == isolated_env / ".local" / "share" / "brief-studio" / "projects" / "aurora-launch"
    assert (copy / "project.yaml").is_file()
    assert not (copy / "studio.db").exists()
    assert not (copy / "media").exists()
    assert set(tree_digest(copy)) == shipped_files(SHIPPED)
    # no temp folders left beside it
    assert [p.name for p in copy.parent.iterdir()] == ["aurora-launch"]
    doc = load_project(copy)
    assert len(doc.project.shots) == 6
    assert tree_digest(SHIPPED) == before, "the repository's sample was modified"


def test_copy_is_reused_with_the_users_edits(isolated_env: Path) -> None:
    copy = sample_project_copy()
    doc = load_project(copy)
    doc.project.shots[0].title = "My own opening"
    save_project(doc)
    again = sample_project_copy()
    assert again == copy
    assert load_project(again).project.shots[0].title == "My own opening"
    assert load_project(SHIPPED).project.shots[0].title != "My own opening"


def test_packaged_read_only_install_gives_a_writable_copy(frozen_install: Path) -> None:
    assert sample_project() == frozen_install / "projects" / "aurora-launch"
    copy = sample_project_copy()
    assert frozen_install not in copy.parents
    assert not (copy / "studio.db").exists()
    assert not (copy / "media").exists()
    assert os.access(copy / "project.yaml", os.W_OK)
    assert os.access(copy / "cameos", os.W_OK)
    doc = load_project(copy)
    doc.project.name = "Renamed"
    save_project(doc)  # Ctrl+S lands in the copy
    doc.store.connect().close()  # studio.db is created in the copy, not in the install
    assert (copy / "studio.db").exists()
    assert (frozen_install / "projects" / "aurora-launch" / "studio.db").read_bytes() \
        .endswith(b"stale")
    assert load_project(frozen_install / "projects" / "aurora-launch").project.name != "Renamed"


def test_concurrent_first_runs_make_one_copy(isolated_env: Path) -> None:
    results: list[Path] = []
    errors: list[BaseException] = []

    start = threading.Barrier(8)

    def first_run() -> None:
        try:
            start.wait()
            results.append(sample_project_copy())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    copy = results[0]
    assert sorted(p.name for p in copy.parent.iterdir()) == ["aurora-launch"]
    assert set(tree_digest(copy)) == shipped_files(SHIPPED)


def test_copy_finished_by_another_run_while_waiting_is_used_not_moved_aside(
        isolated_env: Path) -> None:
    # CI once saw a late thread find the folder (made by a faster first run) after its own
    # "no project.yaml" check, take the good copy for an incomplete one and move it aside
    fcntl = pytest.importorskip("fcntl")
    dest = resources.user_projects_dir() / "aurora-launch"
    dest.parent.mkdir(parents=True)
    lock_path = dest.parent.parent / ".sample-copy.lock"
    results: list[Path] = []
    with lock_path.open("a", encoding="utf-8") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another first run is copying
        waiter = threading.Thread(target=lambda: results.append(sample_project_copy()))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive(), "the second first run did not wait for the first"
        shutil.copytree(sample_project(), dest, ignore=shutil.ignore_patterns(
            "studio.db*", "media"))  # the other run's copy lands
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    waiter.join(60)  # a loaded CI machine
    assert results == [dest]
    assert sorted(p.name for p in dest.parent.iterdir()) == ["aurora-launch"]


def test_incomplete_copy_is_moved_aside_not_deleted(isolated_env: Path) -> None:
    dest = resources.user_projects_dir() / "aurora-launch"
    dest.mkdir(parents=True)
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    copy = sample_project_copy()
    assert (copy / "project.yaml").is_file()
    aside = [p for p in copy.parent.iterdir() if p.name.startswith("aurora-launch.incomplete-")]
    assert len(aside) == 1
    assert (aside[0] / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_unwritable_data_folder_is_a_clear_error(isolated_env: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = isolated_env / "blocked"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    with pytest.raises(StudioError) as info:
        sample_project_copy()
    message = str(info.value)
    assert str(blocker / "brief-studio" / "projects" / "aurora-launch") in message
    assert "cannot make a copy of the sample project" in message


def test_a_file_system_without_locks_still_gets_its_copy(isolated_env: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    fcntl = pytest.importorskip("fcntl")

    def no_locks(*_args: object) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)  # NFS without lockd, some FUSE mounts
    copy = sample_project_copy()
    assert (copy / "project.yaml").is_file()


def test_a_lock_that_fails_otherwise_is_a_clear_error(isolated_env: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    fcntl = pytest.importorskip("fcntl")

    def broken(*_args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fcntl, "flock", broken)
    with pytest.raises(StudioError) as info:
        sample_project_copy()
    message = str(info.value)
    assert str(resources.user_projects_dir() / "aurora-launch") in message
    assert "cannot make a copy of the sample project: Input/output error" in message


def test_missing_sample_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    with pytest.raises(StudioError, match="not installed with this build"):
        sample_project_copy()


def test_user_guide_from_checkout_and_from_the_package(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert user_guide() == REPO / "docs" / "guide.md"
    internal = tmp_path / "_internal"
    (internal / "docs").mkdir(parents=True)
    (internal / "docs" / "guide.md").write_text("# Guide\n", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    assert user_guide() == internal / "docs" / "guide.md"
    monkeypatch.setattr(resources, "_source_root", lambda: tmp_path / "no-checkout")
    (internal / "docs" / "guide.md").unlink()
    assert user_guide() is None


# --- the window --------------------------------------------------------------------------

@pytest.fixture
def synchronous_tasks() -> Iterator[None]:
    from ui import tasks

    tasks.set_synchronous(True)
    yield
    tasks.set_synchronous(False)


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_window_opens_the_users_copy_of_the_packaged_sample(
        qtbot: QtBot, tmp_path: Path, frozen_install: Path, synchronous_tasks: None) -> None:
    from ui.mainwindow import MainWindow
    from ui.settings import Settings

    win = MainWindow(Settings(path=tmp_path / "s.json"), interactive=False)
    qtbot.addWidget(win)
    win.start.sample_button.click()
    assert win.ctx is not None
    root = Path(win.ctx.root)
    assert root == sample_project_copy()
    assert frozen_install not in root.parents
    # the install's stray studio.db was neither opened nor replaced
    assert (frozen_install / "projects" / "aurora-launch" / "studio.db").read_bytes() == \
        b"SQLite format 3\0stale"
    # F1 finds the guide inside the packaged app
    assert win.guide_path() == frozen_install / "docs" / "guide.md"
    win.open_guide()
    assert "not installed" not in win.statusBar().currentMessage()
    assert win.close_project()
