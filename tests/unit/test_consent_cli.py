"""`studio consent ...` through studio.cli.main."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_consent_support import insert_job, insert_result

from studio.cli import main
from studio.store import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_json(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "consent", "list", str(sample_copy), "--json")
    assert code == 0
    items = json.loads(out)
    assert items[0]["id"] == "maya-okafor"
    assert items[0]["name"] == "Maya Okafor"
    assert items[0]["status"] == "active"
    assert items[0]["valid_until"] == "2027-11-30"
    assert items[0]["shots"] == ["s03-maya-stride", "s04-summit"]
    code, out, _ = run(capsys, "consent", "list", str(sample_copy))
    assert code == 0
    assert "maya-okafor" in out
    assert "active" in out


def test_check_ok_and_problems(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "consent", "check", str(sample_copy))
    assert code == 0
    assert out.startswith("ok:")
    assert not err
    code, out, err = run(capsys, "consent", "check", str(sample_copy), "--at", "2028-01-01")
    assert code == 1
    assert err.splitlines() == [
        "shot s03-maya-stride: Maya Okafor (maya-okafor): consent expired on 2027-11-30",
        "shot s04-summit: Maya Okafor (maya-okafor): consent expired on 2027-11-30",
    ]
    code, _, err = run(capsys, "consent", "check", str(sample_copy), "--shot", "s01-ridge-dawn",
                       "--at", "2028-01-01")
    assert code == 0
    code, _, err = run(capsys, "consent", "check", str(sample_copy), "--shot", "nope")
    assert code == 1
    assert "unknown shot id(s): nope" in err


def test_revoke_then_check_and_audit(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "consent", "list", str(sample_copy))  # first seen: imported before any job
    store = Store.for_project(sample_copy)
    with store.session() as conn, store.transaction(conn):
        insert_job(conn, "j1", "queued", ["maya-okafor"])
        insert_result(conn, "r1", ["maya-okafor"])
    code, out, err = run(capsys, "consent", "revoke", str(sample_copy), "maya-okafor",
                         "--reason", "talent withdrew", "--by", "Priya Shah")
    assert code == 0, err
    assert "1 queued job(s) blocked, 1 result(s) flagged" in out
    code, _, err = run(capsys, "consent", "check", str(sample_copy))
    assert code == 1
    assert len(err.splitlines()) == 2
    assert "revoked" in err
    assert "talent withdrew" in err
    assert "Priya Shah" in err
    code, out, _ = run(capsys, "consent", "list", str(sample_copy), "--json")
    assert json.loads(out)[0]["status"] == "revoked"
    code, out, err = run(capsys, "consent", "audit", str(sample_copy))
    assert code == 0, err
    assert "2 audit event(s)" in out


def test_audit_names_tampering(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "consent", "audit", str(sample_copy))
    conn = sqlite3.connect(sample_copy / "studio.db")
    conn.execute("DROP TRIGGER audit_no_update")  # what a determined editor does first
    conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 1")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "consent", "audit", str(sample_copy))
    assert code == 1
    assert "event 1 (maya-okafor, imported) was edited" in err
    assert "audit failed" in err
    code, out, _ = run(capsys, "consent", "audit", str(sample_copy), "--json")
    assert code == 1
    assert json.loads(out)["cameos"][0]["status"] == "unverified"


def test_confirm_after_hand_edit(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "consent", "list", str(sample_copy))
    path = sample_copy / "cameos" / "maya-okafor.yaml"
    path.write_text(path.read_text().replace("voice: true", "voice: false"))
    code, _, err = run(capsys, "consent", "audit", str(sample_copy))
    assert code == 1
    assert "changed outside the app" in err
    code, out, _ = run(capsys, "consent", "confirm", str(sample_copy), "maya-okafor",
                       "--by", "lead", "--note", "voice withdrawn by agent")
    assert code == 0
    assert "status active" in out
    code, _, err = run(capsys, "consent", "check", str(sample_copy))
    assert code == 1  # both shots give Maya dialogue, and voice is no longer granted
    assert all("does not allow voice" in line for line in err.splitlines())


def test_usage_errors_and_expiring(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["consent", "revoke", str(sample_copy), "maya-okafor"])
    assert info.value.code == 2
    capsys.readouterr()
    code, out, _ = run(capsys, "consent", "expiring", str(sample_copy), "--days", "30")
    assert code == 0
    assert "no active consent" in out
    code, out, _ = run(capsys, "consent", "expiring", str(sample_copy), "--days", "5000",
                       "--json")
    assert code == 0
    assert json.loads(out)[0]["id"] == "maya-okafor"
    code, _, err = run(capsys, "consent", "list", str(sample_copy / "missing"))
    assert code == 1
    assert "no such project folder" in err
