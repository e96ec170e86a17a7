from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.errors import ProjectFileError, SaveConflictError, SchemaTooNewError
from studio.model import Project, Shot
from studio.project import create_project, load_project, save_project
from studio.store import Store


def test_sample_loads(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    assert doc.project.name.startswith("Aurora")
    assert len(doc.project.shots) >= 5
    assert sum(1 for s in doc.project.shots if s.cameos) >= 1
    assert sum(1 for s in doc.project.shots if not s.cameos) >= 2
    assert any(s.dialogue for s in doc.project.shots)


def test_round_trip_is_stable(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    save_project(doc, force=True)
    first = doc.path.read_bytes()
    again = load_project(sample_copy)
    assert again.project == doc.project
    save_project(again)
    assert again.path.read_bytes() == first


def test_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "project.yaml").write_text("schema_version: 1\nname: x\nshots: [\n  {id: a\n")
    with pytest.raises(ProjectFileError) as info:
        load_project(tmp_path)
    problem = info.value.problems[0]
    assert problem.file.endswith("project.yaml")
    assert problem.line >= 3 and problem.col >= 1
    assert "YAML syntax error" in problem.message


def test_wrong_type_points_at_the_key(tmp_path: Path) -> None:
    (tmp_path / "project.yaml").write_text(
        "schema_version: 1\nname: x\nshots:\n  - id: a\n    duration: soon\n"
    )
    with pytest.raises(ProjectFileError) as info:
        load_project(tmp_path)
    text = str(info.value)
    assert ":5:5:" in text and "shots[0].duration" in text


def test_newer_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    body = "schema_version: 99\nname: future\n"
    (tmp_path / "project.yaml").write_text(body)
    with pytest.raises(SchemaTooNewError, match="newer Brief Studio"):
        load_project(tmp_path)
    assert (tmp_path / "project.yaml").read_text() == body


def test_v0_file_is_migrated(tmp_path: Path) -> None:
    (tmp_path / "project.yaml").write_text(
        "name: old\nshots:\n  - id: a\n    camera: {lens: 35mm Anamorphic, move: dolly-in}\n"
    )
    doc = load_project(tmp_path)
    d = doc.project.shots[0].direction
    assert (d.lens_mm, d.lens_type, d.movement) == (35, "anamorphic", "dolly-in")
    assert doc.project.schema_version == 1


def test_save_refuses_when_file_changed_on_disk(tmp_path: Path) -> None:
    doc = create_project(tmp_path / "p", "P")
    doc.path.write_text(doc.path.read_text() + "# edited by hand\n")
    doc.project.name = "Q"
    with pytest.raises(SaveConflictError):
        save_project(doc)
    assert "# edited by hand" in doc.path.read_text()


def test_atomic_save_leaves_no_temp(tmp_path: Path) -> None:
    doc = create_project(tmp_path / "p", "P")
    for _ in range(3):
        doc.project.shots.append(Shot(id=f"s{len(doc.project.shots)}"))
        save_project(doc)
    names = os.listdir(doc.root)
    assert "project.yaml" in names
    assert not [n for n in names if n.endswith(".tmp")]


def test_create_makes_store(tmp_path: Path) -> None:
    doc = create_project(tmp_path / "p", "P")
    assert (doc.root / "studio.db").exists()
    with Store.for_project(doc.root).session() as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert {"jobs", "results", "tags", "audit"} <= tables


def test_unknown_field_is_named(tmp_path: Path) -> None:
    (tmp_path / "project.yaml").write_text("schema_version: 1\nname: x\ncolour: red\n")
    with pytest.raises(ProjectFileError, match=r":3:1: colour: unknown field"):
        load_project(tmp_path)


def test_duplicate_keys_refused(tmp_path: Path) -> None:
    (tmp_path / "project.yaml").write_text("schema_version: 1\nname: x\nname: y\n")
    with pytest.raises(ProjectFileError, match="duplicate key 'name'"):
        load_project(tmp_path)


def test_model_defaults() -> None:
    p = Project(name="n")
    assert p.style.aspect == "16:9"


def test_concurrent_first_connections_migrate_once(tmp_path: Path) -> None:
    import threading

    errors: list[BaseException] = []
    path = tmp_path / "studio.db"

    def connect() -> None:
        try:
            Store(path).connect().close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=connect) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_unreadable_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "locked"
    root.mkdir()
    real_exists = Path.exists

    def deny(self: Path, *a: object, **k: object) -> bool:
        if self.parent == root or self == root / "project.yaml":
            raise PermissionError(13, "Permission denied")
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", deny)
    with pytest.raises(ProjectFileError, match="permission denied"):
        load_project(root)


def test_readonly_store_says_folder_not_writable(tmp_path: Path) -> None:
    import sqlite3

    from studio.errors import StoreError

    store = Store(tmp_path / "studio.db")
    err = store._error(sqlite3.OperationalError("attempt to write a readonly database"))
    assert isinstance(err, StoreError)
    assert "writable" in str(err) and "rebuild" not in str(err)
