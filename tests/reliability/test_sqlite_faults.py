"""A corrupted or locked studio.db: a clear error, a way out, and the brief untouched.

CLI: every command that needs the database exits 1 with one message that names studio.db,
says the brief is untouched and what to do (`studio results rebuild PROJECT` for a damaged
file; close the other program for a locked one). ``studio results rebuild`` moves the damaged
file aside and restores the takes, with their tags and ratings, from media/ and the XMP
sidecars. (The window's offer — ui/mainwindow.py ``_store_problem`` — is not covered here
yet: see docs/reliability.md.)
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from studio.cli import main as cli
from tests.e2e.openai_server import sample_mp4


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def project_with_takes(sample_copy: Path, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[str]]:
    """The sample with two imported takes, tagged and rated (so the XMP sidecars say so)."""
    files = []
    for i, size in enumerate([(160, 90), (192, 108)]):
        f = tmp_path / f"take{i}.mp4"
        f.write_bytes(sample_mp4(1.0, size))
        files.append(str(f))
    code, out, err = _run(capsys, "results", "import", str(sample_copy), *files,
                          "--shot", "s01-ridge-dawn")
    assert code == 0, err
    code, out, _ = _run(capsys, "results", "list", str(sample_copy), "--json")
    ids = [r["id"] for r in json.loads(out)]
    assert len(ids) == 2
    assert _run(capsys, "results", "tag", str(sample_copy), ids[0], "hero", "dawn")[0] == 0
    assert _run(capsys, "results", "rate", str(sample_copy), ids[0], "4")[0] == 0
    return sample_copy, ids


def _corrupt(root: Path) -> None:
    db = root / "studio.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    data[0:100] = b"\x13" * 100                         # the header
    data[4096:8192] = b"garbage!" * 512                 # and a page
    db.write_bytes(bytes(data))


DB_COMMANDS = [
    ("queue", "list", "{p}"),
    ("results", "list", "{p}"),
    ("results", "tag", "{p}", "r-x", "t"),
    ("consent", "audit", "{p}"),
    ("queue", "add", "{p}", "--shot", "s01-ridge-dawn", "--provider", "previz"),
]


def test_corrupt_db_clear_error_then_rebuild(project_with_takes: tuple[Path, list[str]],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root, ids = project_with_takes
    brief = _sha(root / "project.yaml")
    cameo = _sha(root / "cameos" / "maya-okafor.yaml")
    _corrupt(root)
    for cmd in DB_COMMANDS:
        code, out, err = _run(capsys, *(a.format(p=root) for a in cmd))
        assert code == 1, (cmd, code, out, err)
        assert "Traceback" not in err
        assert "studio.db" in err, (cmd, err)
        assert "untouched" in err or "rebuild" in err, (cmd, err)
    # the brief-only commands still work
    assert _run(capsys, "validate", str(root))[0] in (0, 1)
    code, out, _ = _run(capsys, "prompt", str(root), "--json")
    assert code == 0 and json.loads(out)
    assert _sha(root / "project.yaml") == brief
    assert _sha(root / "cameos" / "maya-okafor.yaml") == cameo

    # the way out
    code, out, err = _run(capsys, "results", "rebuild", str(root))
    assert code == 0, err
    assert "moved the unreadable database aside" in out
    assert list(root.glob("studio.db.corrupt-*")), "the damaged file is kept for inspection"
    code, out, err = _run(capsys, "results", "list", str(root), "--json")
    assert code == 0, err
    restored = {r["id"]: r for r in json.loads(out)}
    assert set(restored) == set(ids)
    assert sorted(restored[ids[0]]["tags"]) == ["dawn", "hero"]
    assert restored[ids[0]]["rating"] == 4
    assert _sha(root / "project.yaml") == brief


def test_locked_db_clear_error(project_with_takes: tuple[Path, list[str]],
                               monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    import studio.store

    root, _ids = project_with_takes
    brief = _sha(root / "project.yaml")
    monkeypatch.setattr(studio.store, "BUSY_TIMEOUT_MS", 300)
    holder = sqlite3.connect(root / "studio.db", isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for cmd in [("results", "tag", "{p}", _ids[0], "locked"),
                    ("queue", "add", "{p}", "--shot", "s01-ridge-dawn", "--provider", "previz")]:
            code, out, err = _run(capsys, *(a.format(p=root) for a in cmd))
            assert code == 1, (cmd, out, err)
            assert "Traceback" not in err
            assert "locked" in err and "studio.db" in err, (cmd, err)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # released: the same command now works, and nothing was half-done
    code, out, err = _run(capsys, "results", "tag", str(root), _ids[0], "locked")
    assert code == 0, err
    assert _sha(root / "project.yaml") == brief
