"""Consent: records, status, the check_shot gate, revoke, audit chain, lint."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_consent_support import (
    evidence_file,
    insert_job,
    insert_result,
    make_cameo,
    shot_with,
    simple_project,
)

from studio import consent, events
from studio.consent import ledger as ledger_mod
from studio.errors import ConsentError, ProjectFileError
from studio.linter import lint_project
from studio.project import load_project
from studio.store import Store

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "proj"
    (r / "cameos").mkdir(parents=True)
    return r


def saved(root: Path, cameo_id: str = "sam-lee", **kw: object) -> consent.Cameo:
    cameo = make_cameo(root, cameo_id, **kw)
    consent.save_cameo(root, cameo, "tester")
    return cameo


# -- the sample project -----------------------------------------------------------------


def test_sample_fresh_clone_is_active_and_imported(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    assert not (sample_copy / "studio.db").exists()
    for shot in doc.project.shots:
        assert consent.check_shot(sample_copy, doc.project, shot, NOW) == []
    assert consent.consent_status(sample_copy, "maya-okafor", NOW) == "active"
    result = consent.audit(sample_copy)
    assert result.ok, result.problems
    assert result.events == 1
    with Store.for_project(sample_copy).session() as conn:
        row = conn.execute("SELECT action, cameo_id FROM audit").fetchone()
    assert (row["action"], row["cameo_id"]) == ("imported", "maya-okafor")


def test_sample_scope_voice_and_remix(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    s03 = doc.project.shot("s03-maya-stride")
    assert consent.check_shot(sample_copy, doc.project, s03, NOW, remix=True) == [
        "Maya Okafor (maya-okafor): their consent does not allow remixing a take"
    ]
    project = doc.project.model_copy(update={"territories": ["GB", "FR"],
                                             "usage": ["social", "broadcast"]})
    problems = consent.check_shot(sample_copy, project, s03, NOW)
    assert any("territory FR" in p for p in problems)
    assert any("usage broadcast" in p for p in problems)
    assert all(p.startswith("Maya Okafor (maya-okafor): ") for p in problems)
    # expired after valid_until, pending before valid_from
    late = datetime(2027, 12, 1, tzinfo=UTC)
    assert consent.check_shot(sample_copy, doc.project, s03, late) == [
        "Maya Okafor (maya-okafor): consent expired on 2027-11-30"
    ]
    assert consent.consent_status(sample_copy, "maya-okafor", datetime(2027, 11, 30, 23, 59)) \
        == "active"
    assert consent.consent_status(sample_copy, "maya-okafor", datetime(2026, 2, 1)) == "pending"


def test_summary_redacts_private_details(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    summary = consent.consent_summary(sample_copy, doc.project, now=NOW)
    assert [s["id"] for s in summary] == ["maya-okafor"]
    item = summary[0]
    assert item["status"] == "active"
    assert item["shots"] == ["s03-maya-stride", "s04-summit"]
    assert item["scope"]["territories"] == ["GB", "IE", "US"]
    assert item["verification"] == {"method": "signed_release", "verified_on": "2026-03-02"}
    text = repr(summary)
    assert "example.com" not in text
    assert "+44" not in text
    assert "evidence" not in text
    private = consent.consent_summary(sample_copy, doc.project, include_private=True, now=NOW)
    assert private[0]["contact"]["email"] == "maya.okafor@example.com"
    assert private[0]["verification"]["evidence"] == "evidence/maya-okafor-release.pdf"


# -- file edits and confirmation --------------------------------------------------------


def test_hand_edit_makes_unverified_until_confirmed(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    s03 = doc.project.shot("s03-maya-stride")
    assert consent.check_shot(sample_copy, doc.project, s03, NOW) == []
    path = sample_copy / "cameos" / "maya-okafor.yaml"
    path.write_text(path.read_text().replace("territories: [GB, IE, US]",
                                             "territories: [worldwide]"))
    problems = consent.check_shot(sample_copy, doc.project, s03, NOW)
    assert len(problems) == 1
    assert "changed outside the app" in problems[0]
    assert consent.consent_status(sample_copy, "maya-okafor", NOW) == "unverified"
    assert not consent.audit(sample_copy).ok
    # a comment-only edit does not count: the canonical content is unchanged
    state = consent.confirm(sample_copy, "maya-okafor", "lead", "checked the new release")
    assert state.status == "active"
    path.write_text("# reviewed\n" + path.read_text())
    assert consent.check_shot(sample_copy, doc.project, s03, NOW) == []
    assert consent.audit(sample_copy).ok


def test_file_added_after_ledger_exists_is_unverified(root: Path) -> None:
    consent.audit(root)  # initializes an empty ledger
    cameo = make_cameo(root)
    from studio.yamlio import model_to_yaml

    (root / "cameos" / "sam-lee.yaml").write_text(model_to_yaml(cameo))
    project = simple_project()
    problems = consent.check_shot(root, project, project.shots[0], NOW)
    assert problems
    assert "not in the audit log" in problems[0]
    consent.confirm(root, "sam-lee", "lead")
    assert consent.check_shot(root, project, project.shots[0], NOW) == []


def test_save_records_specific_actions(root: Path) -> None:
    cameo = make_cameo(root)
    assert consent.save_cameo(root, cameo, "a") == ["created"]
    cameo.grants = cameo.grants.model_copy(update={"territories": ["GB"]})
    assert consent.save_cameo(root, cameo, "a") == ["granted"]
    cameo.contact = cameo.contact.model_copy(update={"phone": "+44 1"})
    assert consent.save_cameo(root, cameo, "a") == ["changed"]
    rel, sha = evidence_file(root, "id-scan.png", b"\x89PNG scan")
    cameo.verification = cameo.verification.model_copy(
        update={"method": "in_person_id", "evidence": rel, "evidence_sha256": sha})
    assert consent.save_cameo(root, cameo, "a") == ["verified"]
    assert consent.save_cameo(root, cameo, "a") == ["confirmed"]
    result = consent.audit(root)
    assert result.ok
    assert result.events == 5
    assert consent.consent_status(root, "sam-lee", NOW) == "active"


# -- bad input ---------------------------------------------------------------------------


def test_unparsable_file_is_invalid_with_position(root: Path) -> None:
    saved(root)
    path = root / "cameos" / "sam-lee.yaml"
    path.write_text("schema_version: 1\nid: sam-lee\nname: [unclosed\n")
    project = simple_project()
    problems = consent.check_shot(root, project, project.shots[0], NOW)
    assert len(problems) == 1
    assert "sam-lee.yaml:" in problems[0]
    assert "YAML syntax error" in problems[0]
    assert consent.consent_status(root, "sam-lee") == "invalid"
    with pytest.raises(ConsentError, match="cannot confirm"):
        consent.confirm(root, "sam-lee", "a")


def test_unknown_cameo_in_shot(root: Path) -> None:
    project = simple_project()
    assert consent.check_shot(root, project, shot_with(["ghost"]), NOW) == [
        "ghost: unknown cameo 'ghost': no cameos/ghost.yaml"
    ]


@pytest.mark.parametrize(("change", "message"), [
    ({"valid_from": "2027-01-01", "valid_until": "2026-01-01"}, "is before valid_from"),
    ({"minor": True}, "needs a guardian"),
    ({"date_of_birth": "2015-05-01"}, "under 18"),
    ({"status": "revoked"}, "no revocation"),
    ({"grants": {"territories": ["Britain"]}}, "two-letter country code"),
    ({"grants": {"usages": ["billboards"]}}, "grants.usages[0]"),
    ({"verification": {"evidence": "../outside.pdf"}}, "inside the project folder"),
    ({"verification": {"evidence": None, "evidence_sha256": None}}, "needs its evidence"),
    ({"likeness": ["/etc/passwd"]}, "inside the project folder"),
])
def test_bad_records_name_file_line_col(root: Path, change: dict, message: str) -> None:
    import yaml

    cameo = make_cameo(root)
    data = cameo.model_dump(mode="json")
    for key, value in change.items():
        if isinstance(value, dict):
            data[key].update(value)
        else:
            data[key] = value
    path = root / "cameos" / "sam-lee.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ProjectFileError) as info:
        consent.read_cameo(path)
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{path}:")
    assert text.split(":")[1].isdigit()
    project = simple_project()
    assert consent.check_shot(root, project, project.shots[0], NOW)  # not consented


def test_id_must_match_file_name(root: Path) -> None:
    from studio.yamlio import model_to_yaml

    (root / "cameos" / "other.yaml").write_text(model_to_yaml(make_cameo(root)))
    with pytest.raises(ProjectFileError, match="does not match the file name"):
        consent.read_cameo(root / "cameos" / "other.yaml")


def test_evidence_missing_or_changed(root: Path) -> None:
    cameo = saved(root)
    project = simple_project()
    shot = project.shots[0]
    evidence = root / cameo.verification.evidence
    evidence.write_bytes(b"%PDF forged")
    problems = consent.check_shot(root, project, shot, NOW)
    assert problems == [f"Sam Lee (sam-lee): evidence file {cameo.verification.evidence} "
                        "changed since it was recorded (sha256 mismatch)"]
    with pytest.raises(ConsentError, match="sha256 mismatch"):
        consent.confirm(root, "sam-lee", "a")
    evidence.unlink()
    problems = consent.check_shot(root, project, shot, NOW)
    assert "is missing" in problems[0]
    assert (root / "cameos" / "sam-lee.yaml").exists()  # nothing deleted


def test_a_same_size_change_within_one_timestamp_tick_is_seen(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes are cached by (path, size, mtime). A file system with coarse timestamps (ext4 on
    kernels before 6.13: one clock tick, 1-10 ms) gives a rewrite within the same tick the
    same mtime: simulated here by putting the old mtime back, with the clock still inside
    that tick. The new content is hashed (a forged evidence file of the same size is
    noticed); a file read once its tick is over is cached."""
    import os

    from studio.consent import records

    path = root / "evidence" / "release.pdf"
    path.parent.mkdir()
    path.write_bytes(b"%PDF signed")
    mtime = path.stat().st_mtime_ns
    monkeypatch.setattr(records, "_clock", lambda: mtime + 1_000_000)  # 1 ms later
    first = records.file_sha256(path)
    path.write_bytes(b"%PDF forged")  # same size
    os.utime(path, ns=(mtime, mtime))  # ... and, on a coarse clock, the same mtime
    forged = records.file_sha256(path)
    assert forged != first
    key = records._stat_key(path, path.stat())
    assert key not in records._hash_cache
    monkeypatch.setattr(records, "_clock", lambda: mtime + 10 * 1_000_000_000)
    assert records.file_sha256(path) == forged
    assert records._hash_cache[key] == forged  # settled: cached


def test_evidence_forged_with_its_old_mtime_put_back_is_noticed(root: Path) -> None:
    """``touch -r`` / ``cp -p`` give new content the old file's mtime (and here the same
    size): the cached hash of the signed release must not stand for the forged one."""
    import os
    import time

    from studio.consent import records

    path = root / "evidence" / "release.pdf"
    path.parent.mkdir()
    path.write_bytes(b"%PDF signed")
    old = time.time_ns() - 3600 * 1_000_000_000
    os.utime(path, ns=(old, old))
    time.sleep(0.1)  # ctime settled too: the signed file's hash is cached
    signed = records.file_sha256(path)
    assert records._stat_key(path, path.stat()) in records._hash_cache
    path.write_bytes(b"%PDF forged")
    os.utime(path, ns=(old, old))  # touch -r signed-copy release.pdf
    assert records.file_sha256(path) != signed


def test_attach_file_copies_hashes_and_dedupes(root: Path, tmp_path: Path) -> None:
    src = tmp_path / "My Release (signed).pdf"
    src.write_bytes(b"one")
    rel, sha = consent.attach_file(root, src)
    assert rel == "evidence/My-Release-signed.pdf"
    assert (root / rel).read_bytes() == b"one"
    assert consent.attach_file(root, src) == (rel, sha)
    src.write_bytes(b"two")
    rel2, sha2 = consent.attach_file(root, src)
    assert rel2 == "evidence/My-Release-signed-2.pdf"
    assert sha2 != sha
    assert not list((root / "evidence").glob("*.tmp"))
    with pytest.raises(ConsentError, match="no such file"):
        consent.attach_file(root, tmp_path / "nope.pdf")


# -- revocation --------------------------------------------------------------------------


def test_revoke_blocks_queued_jobs_and_flags_results(root: Path) -> None:
    saved(root)
    saved(root, "kit-ray")
    store = Store.for_project(root)
    with store.session() as conn, store.transaction(conn):
        insert_job(conn, "j-queued", "queued", ["sam-lee"])
        insert_job(conn, "j-both", "queued", ["kit-ray", "sam-lee"])
        insert_job(conn, "j-other", "queued", ["kit-ray"])
        insert_job(conn, "j-prefix", "queued", ["sam-lee-2"])
        insert_job(conn, "j-submitting", "submitting", ["sam-lee"])
        insert_job(conn, "j-sent", "submitting", ["sam-lee"], remote_id="video_123")
        insert_job(conn, "j-running", "running", ["sam-lee"], remote_id="video_456")
        insert_result(conn, "r-sam", ["sam-lee"])
        insert_result(conn, "r-kit", ["kit-ray"])
    seen: list[events.Event] = []
    bus = events.EventBus()
    bus.subscribe(seen.append)
    report = consent.revoke(root, "sam-lee", "withdrew consent by email", "Priya", bus)
    assert sorted(report.blocked_jobs) == ["j-both", "j-queued", "j-submitting"]
    assert report.flagged_results == ["r-sam"]
    assert report.file_updated
    assert not report.already_revoked
    with store.session() as conn:
        jobs = {r["id"]: (r["status"], r["error"]) for r in conn.execute("SELECT * FROM jobs")}
        results = {r["id"]: r["consent_flag"] for r in conn.execute("SELECT * FROM results")}
        job_events = conn.execute("SELECT * FROM job_events WHERE to_status='blocked'").fetchall()
    assert jobs["j-queued"][0] == "blocked"
    assert "Sam Lee (sam-lee)" in jobs["j-queued"][1]
    assert "withdrew" in jobs["j-queued"][1]
    for untouched in ("j-other", "j-prefix"):
        assert jobs[untouched] == ("queued", None)
    assert jobs["j-sent"][0] == "submitting"
    assert jobs["j-running"][0] == "running"
    assert "revoked" in results["r-sam"]
    assert results["r-kit"] is None
    assert len(job_events) == 3
    kinds = [e.kind for e in seen]
    assert kinds.count(events.JOB_CHANGED) == 3
    assert events.CONSENT_CHANGED in kinds
    # the record and the status
    cameo = consent.read_cameo(root / "cameos" / "sam-lee.yaml")
    assert cameo.status == "revoked"
    assert cameo.revocation is not None
    assert cameo.revocation.by == "Priya"
    assert consent.consent_status(root, "sam-lee") == "revoked"
    assert consent.audit(root).ok
    problems = consent.check_shot(root, simple_project(), shot_with(["sam-lee"]), NOW)
    assert problems
    assert "revoked" in problems[0]
    assert "withdrew consent" in problems[0]
    # a revoked consent cannot be edited back
    cameo_active = make_cameo(root)
    with pytest.raises(ConsentError, match="revoked"):
        consent.save_cameo(root, cameo_active, "a")
    # revoking again re-sweeps without a second audit event
    with store.session() as conn, store.transaction(conn):
        insert_job(conn, "j-late", "queued", ["sam-lee"])
    again = consent.revoke(root, "sam-lee", "again", "Priya")
    assert again.already_revoked
    assert again.blocked_jobs == ["j-late"]
    with store.session() as conn:
        n = conn.execute("SELECT COUNT(*) FROM audit WHERE action='revoked'").fetchone()[0]
    assert n == 1


def test_revoke_survives_unparsable_file_and_undo_by_hand(root: Path) -> None:
    cameo = saved(root)
    path = root / "cameos" / "sam-lee.yaml"
    good = path.read_text()
    path.write_text("id: [broken\n")
    report = consent.revoke(root, "sam-lee", "talent asked", "lead")
    assert not report.file_updated
    assert report.file_problem
    assert path.read_text() == "id: [broken\n"  # never overwritten
    path.write_text(good)  # someone restores the old, active file by hand
    assert consent.consent_status(root, "sam-lee") == "revoked"
    assert consent.check_shot(root, simple_project(), shot_with([cameo.id]), NOW)
    with pytest.raises(ConsentError, match="cannot be confirmed"):
        consent.confirm(root, "sam-lee", "a")


def test_revoke_requires_reason_and_known_cameo(root: Path) -> None:
    with pytest.raises(ConsentError, match="unknown cameo"):
        consent.revoke(root, "ghost", "x", "a")
    saved(root)
    with pytest.raises(ConsentError, match="reason"):
        consent.revoke(root, "sam-lee", "  ", "a")
    with pytest.raises(ConsentError, match="not a cameo id"):
        consent.revoke(root, "../etc", "x", "a")


# -- audit chain tampering ---------------------------------------------------------------


def _ledger_with_history(root: Path) -> None:
    cameo = saved(root)
    saved(root, "kit-ray")
    cameo.contact = cameo.contact.model_copy(update={"phone": "+44 2"})
    consent.save_cameo(root, cameo, "a")  # seq 3 (sam-lee)
    kit = consent.read_cameo(root / "cameos" / "kit-ray.yaml")
    kit.notes = "agent: Jo"
    consent.save_cameo(root, kit, "a")  # seq 4 (kit-ray)
    assert consent.audit(root).ok


def _sql(root: Path, *statements: str) -> None:
    """Tamper with studio.db as a determined editor would: drop the guards first."""
    conn = sqlite3.connect(root / "studio.db")
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        for s in statements:
            conn.execute(s)
        conn.commit()
    finally:
        conn.close()


def _statuses(root: Path) -> dict[str, str]:
    return {s.id: s.status for s in consent.cameo_states(root, NOW)}


@pytest.mark.parametrize(("tamper", "expect", "statuses"), [
    (["UPDATE audit SET actor = 'mallory' WHERE seq = 3"], "event 3 (sam-lee, changed) was edited",
     {"sam-lee": "unverified", "kit-ray": "unverified"}),
    (["UPDATE audit SET detail_json = '{}' WHERE seq = 4"], "event 4 (kit-ray, changed) was edited",
     {"sam-lee": "active", "kit-ray": "unverified"}),
    (["DELETE FROM audit WHERE seq = 2"], "event 2 missing",
     {"sam-lee": "unverified", "kit-ray": "unverified"}),
    (["DELETE FROM audit WHERE seq = 4"], "newest event(s) 4–4 were deleted",
     {"sam-lee": "unverified", "kit-ray": "unverified"}),
    (["UPDATE audit SET seq = 100 WHERE seq = 3", "UPDATE audit SET seq = 3 WHERE seq = 4",
      "UPDATE audit SET seq = 4 WHERE seq = 100"], "event 3 (kit-ray, changed) does not follow",
     {"sam-lee": "unverified", "kit-ray": "unverified"}),
    (["DELETE FROM meta WHERE key = 'consent_ledger'"], "head record is missing",
     {"sam-lee": "unverified", "kit-ray": "unverified"}),
])
def test_tampered_audit_table_is_detected(
    root: Path, tamper: list[str], expect: str, statuses: dict[str, str]
) -> None:
    _ledger_with_history(root)
    _sql(root, *tamper)
    result = consent.audit(root)
    assert not result.ok
    assert any(expect in p for p in result.problems), result.problems
    assert _statuses(root) == statuses
    project = simple_project()
    for cameo_id, status in statuses.items():
        blocked = consent.check_shot(root, project, shot_with([cameo_id]), NOW)
        assert bool(blocked) == (status != "active")
    # a damaged chain cannot be papered over by confirming
    victim = next(c for c, s in statuses.items() if s == "unverified")
    with pytest.raises(ConsentError, match="audit log is damaged"):
        consent.confirm(root, victim, "a")


def test_ledger_verify_chain_reports_head() -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                       "CREATE TABLE audit (seq INTEGER PRIMARY KEY, at TEXT, actor TEXT, "
                       "cameo_id TEXT, action TEXT, detail_json TEXT, content_sha256 TEXT, "
                       "prev_sha256 TEXT, sha256 TEXT);")
    report = ledger_mod.verify_chain(conn)
    assert report.ok
    assert not report.initialized
    assert report.head == ledger_mod.GENESIS


# -- lint --------------------------------------------------------------------------------


def test_lint_warns_on_restrictions_and_errors_on_consent(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    shot = doc.project.shot("s04-summit")
    shot.prose = shot.prose + " She raises a bottle of alcohol-free beer and a glass of wine."
    doc.project.shot("s03-maya-stride").prose += " A betting shop sign for gambling."
    lints = lint_project(doc.project, sample_copy)
    restriction = [lint for lint in lints if lint.code == "cameo-restriction"]
    assert {lint.shot_id for lint in restriction} == {"s03-maya-stride", "s04-summit"}
    assert any("'alcohol'" in lint.message and "Maya Okafor's" in lint.message
               for lint in restriction)
    assert any("'gambling'" in lint.message for lint in restriction)
    assert all(lint.severity == "warning" for lint in restriction)
    assert not [lint for lint in lints if lint.code == "consent"]
    consent.revoke(sample_copy, "maya-okafor", "contract ended", "lead")
    errors = [lint for lint in lint_project(doc.project, sample_copy) if lint.code == "consent"]
    assert {e.shot_id for e in errors} == {"s03-maya-stride", "s04-summit"}
    assert all(e.severity == "error" and e.loc[2] == "cameos" for e in errors)
