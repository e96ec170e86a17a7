"""The consent ledger's first-seen baseline is taken when studio.db is created, so the order
of a fresh project's first commands does not matter (reviewer gap: `queue add` of a shot
without people, run first, left the sample cameo unverified for good)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from studio import consent
from studio.cli import main
from studio.store import Store

MAYA = "maya-okafor"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def maya_status(capsys: pytest.CaptureFixture[str], root: Path) -> str:
    code, out, err = run(capsys, "consent", "list", str(root), "--json")
    assert code == 0, err
    return next(i for i in json.loads(out) if i["id"] == MAYA)["status"]


@pytest.mark.parametrize("first", ["queue-add-s01", "consent-list", "queue-add-s03"])
def test_first_command_order_does_not_matter(
        sample_copy: Path, capsys: pytest.CaptureFixture[str], first: str) -> None:
    assert not (sample_copy / "studio.db").exists()
    root = str(sample_copy)
    if first == "queue-add-s01":
        code, _, err = run(capsys, "queue", "add", root, "--shot", "s01-ridge-dawn",
                           "--provider", "previz")
        assert code == 0, err
    elif first == "queue-add-s03":
        code, _, err = run(capsys, "queue", "add", root, "--shot", "s03-maya-stride",
                           "--provider", "previz")
        assert code == 0, err
    else:
        assert maya_status(capsys, sample_copy) == "active"
    assert maya_status(capsys, sample_copy) == "active"
    # the shots that show her can be queued without anyone confirming her
    code, out, err = run(capsys, "queue", "add", root, "--shot", "s03-maya-stride",
                         "--shot", "s04-summit", "--provider", "previz")
    assert code == 0, err
    assert "2 job(s) queued" in out


def test_baseline_is_in_the_database_as_soon_as_it_exists(sample_copy: Path) -> None:
    store = Store.for_project(sample_copy)
    with store.session() as conn:
        rows = conn.execute("SELECT cameo_id, action FROM audit").fetchall()
        head = conn.execute("SELECT value FROM meta WHERE key = 'consent_ledger'").fetchone()
    assert [tuple(r) for r in rows] == [(MAYA, "imported")]
    assert head is not None
    assert "first_seen_skipped" not in head[0]


def test_cameo_file_added_after_creation_is_not_trusted(
        sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cameo = sample_copy / "cameos" / f"{MAYA}.yaml"
    text = cameo.read_text()
    cameo.unlink()
    code, _, err = run(capsys, "queue", "add", str(sample_copy), "--shot", "s01-ridge-dawn",
                       "--provider", "previz")
    assert code == 0, err
    cameo.write_text(text)  # appears in a database that already had history
    state = consent.state_of(sample_copy, MAYA)
    assert state.status == "unverified"
    assert "added outside the app" in state.reasons[0]
    code, _, err = run(capsys, "queue", "add", str(sample_copy), "--shot", "s03-maya-stride",
                       "--provider", "previz")
    assert code != 0
    assert "unverified" in err or "audit log" in err


def test_deleted_database_with_takes_on_disk_is_not_a_fresh_start(
        sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    take = sample_copy / "media" / "rs-000000000001"
    take.mkdir(parents=True)
    (take / "take.mp4").write_bytes(b"\0")
    code, _, err = run(capsys, "queue", "add", str(sample_copy), "--shot", "s01-ridge-dawn",
                       "--provider", "previz")
    assert code == 0, err
    state = consent.state_of(sample_copy, MAYA)
    assert state.status == "unverified"
    assert "media/ already holds takes" in state.reasons[0]


def test_database_created_by_a_plain_connection_elsewhere_is_untouched(tmp_path: Path) -> None:
    store = Store(tmp_path / "other.db")  # not a project's studio.db: no ledger baseline
    with store.session() as conn:
        assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 0
    conn = sqlite3.connect(tmp_path / "other.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] > 0
    conn.close()
