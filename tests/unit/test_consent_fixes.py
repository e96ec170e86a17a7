"""Regression tests for the consent defects found in review (issue 3).

Each test reproduces one reviewer scenario on a copy of the sample project (or a small
project of its own) with the real parts: real studio.db, real MP4 takes, the real queue
engine with the previz provider (its renderer wrapped by a spy that records every call).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_bundle_support import make_mp4

import studio.previz
from studio import consent
from studio.bundle import ExportOptions, export_bundle, plan_export
from studio.cli import main
from studio.errors import BundleError, ProjectFileError
from studio.linter import lint_project
from studio.project import load_project
from studio.queue import jobs as J
from studio.queue.engine import QueueEngine
from studio.queue.enqueue import enqueue, plan
from studio.results import get_result, ingest, rebuild
from studio.store import Store

MAYA = "maya-okafor"
S03 = "s03-maya-stride"
S01 = "s01-ridge-dawn"


# -- helpers ------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def edit_brief(root: Path, shot_id: str, **changes: Any) -> None:  # noqa: ANN401
    """Edit project.yaml by hand (outside the app): set or drop keys of one shot."""
    path = root / "project.yaml"
    data = yaml.safe_load(path.read_text())
    for shot in data["shots"]:
        if shot["id"] == shot_id:
            for key, value in changes.items():
                if value is None:
                    shot.pop(key, None)
                else:
                    shot[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def edit_cameo_outside(root: Path, cameo_id: str = MAYA) -> None:
    path = root / "cameos" / f"{cameo_id}.yaml"
    text = path.read_text()
    assert "+44 7700 900123" in text
    path.write_text(text.replace("+44 7700 900123", "+44 7700 900999"))


def strip_people(root: Path, shot_id: str) -> None:
    """Remove every route by which the shot shows someone (cameos, dialogue, references)."""
    edit_brief(root, shot_id, cameos=None, dialogue=None, references=None)


@contextlib.contextmanager
def render_spy() -> Iterator[list[Any]]:
    """Record every previz render (the request it would have drawn) and render nothing."""
    calls: list[Any] = []
    original = studio.previz.render

    def spy(request: Any, video: Path, **_: Any) -> None:  # noqa: ANN401
        calls.append(request)
        raise RuntimeError("render spy: nothing drawn")

    studio.previz.render = spy  # type: ignore[assignment]
    try:
        yield calls
    finally:
        studio.previz.render = original  # type: ignore[assignment]


def queue_shots(root: Path, shots: list[str]) -> list[J.Job]:
    doc = load_project(root)
    return enqueue(root, plan(root, doc.project, shots, "previz", variants=1))


def run_queue(root: Path) -> None:
    asyncio.run(QueueEngine(root).run(until_idle=True))


def jobs_by_shot(root: Path) -> dict[str, J.Job]:
    with Store.for_project(root).session() as conn:
        return {j.shot_id: j for j in J.list_jobs(conn)}


def sql(root: Path, *statements: str, drop_guards: bool = True) -> None:
    conn = sqlite3.connect(root / "studio.db")
    try:
        if drop_guards:
            conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
            conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def take_file(tmp_path: Path, name: str = "clip.mp4") -> Path:
    path = tmp_path / "incoming" / name
    make_mp4(path, 0.5, 12)
    return path


# -- 1. the pre-send gate checks the job's cameos, not only the shot's now ----------------


def test_removing_cameos_from_the_brief_after_queueing_does_not_unblock(
        sample_copy: Path) -> None:
    (job,) = queue_shots(sample_copy, [S03])
    assert job.status == "queued"
    assert job.cameos == [MAYA]
    strip_people(sample_copy, S03)          # the shot shows no one now …
    edit_cameo_outside(sample_copy)         # … and Maya's record is unverified
    with render_spy() as renders:
        run_queue(sample_copy)
    got = jobs_by_shot(sample_copy)[S03]
    assert renders == []
    assert got.status == "blocked", got.error
    assert "Maya Okafor (maya-okafor)" in (got.error or "")


def test_queue_stores_everyone_the_shot_shows(sample_copy: Path) -> None:
    edit_brief(sample_copy, S03, cameos=None)  # still speaks as "maya" and uses her likeness
    (job,) = queue_shots(sample_copy, [S03])
    assert job.cameos == [MAYA]
    report = consent.revoke(sample_copy, MAYA, "withdrawn", "lead")
    assert report.blocked_jobs == [job.id]


# -- 2. takes of a revoked person never ship unflagged --------------------------------------


def test_import_with_shot_records_its_cameos_and_revoke_flags_it(
        sample_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = take_file(tmp_path)
    code, out, err = run_cli(capsys, "results", "import", str(sample_copy), str(clip),
                             "--shot", S03)
    assert code == 0, err
    rid = out.split()[1]
    assert "shows maya-okafor" in out
    assert get_result(sample_copy, rid)["cameos"] == [MAYA]
    report = consent.revoke(sample_copy, MAYA, "withdrawn", "lead")
    assert rid in report.flagged_results
    with pytest.raises(BundleError, match=rid):
        export_bundle(sample_copy, tmp_path / "b.zip", ExportOptions(take_ids=frozenset({rid})))
    result = export_bundle(sample_copy, tmp_path / "b.zip",
                           ExportOptions(take_ids=frozenset({rid}), skip_flagged=True))
    assert result.takes == []
    assert result.skipped_flagged == [rid]


def test_take_arriving_after_revocation_is_flagged_at_ingest(
        sample_copy: Path, tmp_path: Path) -> None:
    consent.audit(sample_copy)  # ledger opened (first seen) as the app does
    consent.revoke(sample_copy, MAYA, "withdrawn mid-render", "lead")
    rid = ingest(sample_copy, take_file(tmp_path), shot_id=S03, job_id="job-late",
                 provider="previz", cameos=[MAYA], move=False)
    info = get_result(sample_copy, rid)
    assert info["consent_flag"]
    assert "revoked" in info["consent_flag"]
    xmp = (sample_copy / "media" / rid / "take.xmp").read_text()
    assert "revoked" in xmp  # the flag survives a rebuild of the index


def test_take_without_people_is_not_flagged(sample_copy: Path, tmp_path: Path) -> None:
    consent.revoke(sample_copy, MAYA, "withdrawn", "lead")
    rid = ingest(sample_copy, take_file(tmp_path), shot_id=S01, move=False)
    assert get_result(sample_copy, rid)["consent_flag"] is None
    assert get_result(sample_copy, rid)["cameos"] == []


def test_export_rechecks_current_consent_of_every_selected_take(
        sample_copy: Path, tmp_path: Path) -> None:
    from test_bundle_support import add_take

    consent.audit(sample_copy)
    # a take stored with no cameos and no flag (imported before this fix)
    add_take(sample_copy, S03, "r-old", review_status="approved", cameos=[])
    add_take(sample_copy, S01, "r-land", review_status="approved")
    ok = plan_export(sample_copy)
    assert {t.id for t in ok.takes} == {"r-old", "r-land"}
    edit_cameo_outside(sample_copy)  # Maya unverified now: no flag was ever stored
    fresh = plan_export(sample_copy)
    assert [t.id for t in fresh.flagged] == ["r-old"]
    assert "maya-okafor" in fresh.problems()[0]
    with pytest.raises(BundleError, match="r-old"):
        export_bundle(sample_copy, tmp_path / "a.zip")
    # a plan made while consent was valid is checked again right before writing
    with pytest.raises(BundleError, match="r-old"):
        export_bundle(sample_copy, tmp_path / "b.zip", plan=ok)
    result = export_bundle(sample_copy, tmp_path / "c.zip", ExportOptions(skip_flagged=True))
    assert result.takes == ["r-land"]
    assert result.skipped_flagged == ["r-old"]


# -- 3. rebuilt or wiped databases do not launder cameos; the audit table is append-only ----


def test_rebuilt_database_does_not_import_cameos_first_seen(
        sample_copy: Path, tmp_path: Path) -> None:
    assert consent.consent_status(sample_copy, MAYA) == "active"  # fresh clone: imported
    ingest(sample_copy, take_file(tmp_path), shot_id=S01, move=False)
    for suffix in ("", "-wal", "-shm"):
        (sample_copy / f"studio.db{suffix}").unlink(missing_ok=True)
    report = rebuild(sample_copy)
    assert len(report.restored) == 1
    state = consent.state_of(sample_copy, MAYA)
    assert state.status == "unverified"
    assert "media/ already holds takes" in state.reasons[0]
    assert consent.check_shot(sample_copy, load_project(sample_copy).project,
                              load_project(sample_copy).project.shot(S03))
    consent.confirm(sample_copy, MAYA, "producer")  # confirmed in the app: active again
    assert consent.consent_status(sample_copy, MAYA) == "active"


def test_corrupt_database_left_aside_means_no_first_seen_import(sample_copy: Path) -> None:
    (sample_copy / "studio.db.corrupt-20260101-120000").write_bytes(b"not a database")
    state = consent.state_of(sample_copy, MAYA)
    assert state.status == "unverified"
    assert "studio.db was rebuilt" in state.reasons[0]


def test_jobs_before_the_ledger_means_no_first_seen_import(sample_copy: Path) -> None:
    """A studio.db made before the baseline was taken at creation (jobs, no ledger head)."""
    from test_consent_support import insert_job

    store = Store.for_project(sample_copy)
    with store.session() as conn, store.transaction(conn):
        conn.execute("DROP TRIGGER audit_no_delete")
        conn.execute("DELETE FROM audit")
        conn.execute("DELETE FROM meta")  # as an older version left a new database
        insert_job(conn, "j-old", "succeeded", [])
    assert consent.consent_status(sample_copy, MAYA) == "unverified"


def test_emptied_audit_table_is_not_a_fresh_start(sample_copy: Path) -> None:
    consent.audit(sample_copy)
    sql(sample_copy, "DELETE FROM audit")  # the head in meta remembers the chain
    state = consent.state_of(sample_copy, MAYA)
    assert state.status == "unverified", state
    assert "tampered" in state.reasons[0]


def test_emptied_audit_and_head_with_history_is_not_a_fresh_start(sample_copy: Path) -> None:
    queue_shots(sample_copy, [S01])
    sql(sample_copy, "DELETE FROM audit", "DELETE FROM meta")
    state = consent.state_of(sample_copy, MAYA)
    assert state.status == "unverified", state
    assert "studio.db already holds jobs" in state.reasons[0]


def test_audit_table_is_append_only(sample_copy: Path) -> None:
    consent.audit(sample_copy)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sql(sample_copy, "UPDATE audit SET actor = 'mallory'", drop_guards=False)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sql(sample_copy, "DELETE FROM audit", drop_guards=False)
    sql(sample_copy)  # a determined editor drops the guards
    assert consent.consent_status(sample_copy, MAYA) == "active"  # nothing edited yet
    conn = sqlite3.connect(sample_copy / "studio.db")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    conn.close()
    assert {"audit_no_update", "audit_no_delete"} <= names  # re-armed when the ledger opened


# -- 4. likeness through a character or a reference image counts as shown -----------------


def test_character_or_reference_shows_the_cameo(sample_copy: Path) -> None:
    edit_brief(sample_copy, S03, cameos=None)
    edit_brief(sample_copy, S01, references=["references/maya-okafor.png"])
    doc = load_project(sample_copy)
    s03, s01 = doc.project.shot(S03), doc.project.shot(S01)
    assert consent.shown_cameos(sample_copy, doc.project, s03) == {MAYA}
    assert consent.shown_cameos(sample_copy, doc.project, s01) == {MAYA}
    via = consent.shown_via(sample_copy, doc.project, s03)[MAYA]
    assert "character maya" in via
    assert "reference references/maya-okafor.png" in via
    consent.revoke(sample_copy, MAYA, "withdrawn", "lead")
    for shot in (s03, s01):
        problems = consent.check_shot(sample_copy, doc.project, shot)
        assert problems, shot.id
        assert "revoked" in problems[0], shot.id
    lints = [x for x in lint_project(doc.project, root=sample_copy)
             if x.code == "cameo-not-listed"]
    assert {x.shot_id for x in lints} == {S01, S03}
    s03_lint = next(x for x in lints if x.shot_id == S03)
    assert "shows maya-okafor via character maya" in s03_lint.message
    assert "does not name maya-okafor" in s03_lint.message
    assert s03_lint.loc[:3] == ("shots", 2, "dialogue")


def test_a_copy_of_a_likeness_image_under_another_name_counts(sample_copy: Path) -> None:
    copy = sample_copy / "references" / "runner-closeup.png"
    copy.write_bytes((sample_copy / "references" / "maya-okafor.png").read_bytes())
    edit_brief(sample_copy, S01, references=["references/runner-closeup.png"])
    doc = load_project(sample_copy)
    assert consent.shown_cameos(sample_copy, doc.project, doc.project.shot(S01)) == {MAYA}
    (job,) = queue_shots(sample_copy, [S01])
    assert job.cameos == [MAYA]


def test_a_likeness_photo_replaced_in_place_is_seen(sample_copy: Path) -> None:
    """The likeness cache is keyed by the cameo records; a photo replaced under the same
    name (the record unchanged) must still count: a reference identical to the new photo
    shows the person."""
    import os
    import time

    likeness = sample_copy / "references" / "maya-okafor.png"
    new_photo = likeness.read_bytes() + b"\0new photo"
    closeup = sample_copy / "references" / "runner-closeup.png"
    closeup.write_bytes(new_photo)
    edit_brief(sample_copy, S01, references=["references/runner-closeup.png"])
    long_ago = time.time() - 3600  # everything settled: the caches keep what they read
    for path in [*(sample_copy / "cameos").glob("*.yaml"), likeness, closeup]:
        os.utime(path, (long_ago, long_ago))
    doc = load_project(sample_copy)
    shot = doc.project.shot(S01)
    assert consent.shown_cameos(sample_copy, doc.project, shot) == set()  # not her photo yet
    likeness.write_bytes(new_photo)  # the producer swaps in a newer photo of her
    os.utime(likeness, (long_ago + 60, long_ago + 60))
    assert consent.shown_cameos(sample_copy, doc.project, shot) == {MAYA}
    (job,) = queue_shots(sample_copy, [S01])
    assert job.cameos == [MAYA]


def test_voice_is_checked_for_a_character_speaking(sample_copy: Path) -> None:
    from studio.consent.records import load_entry

    cameo = load_entry(sample_copy, MAYA).cameo
    assert cameo is not None
    consent.audit(sample_copy)
    muted = cameo.model_copy(update={"grants": cameo.grants.model_copy(update={"voice": False})})
    consent.save_cameo(sample_copy, muted, "producer")
    edit_brief(sample_copy, S03, cameos=None)
    doc = load_project(sample_copy)
    problems = consent.check_shot(sample_copy, doc.project, doc.project.shot(S03))
    assert any("does not allow voice" in p for p in problems), problems


# -- 5. a missing audit table is reported, never a traceback --------------------------------


def test_dropped_audit_table_is_reported_everywhere(
        sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(sample_copy)
    run_cli(capsys, "consent", "list", root)
    (job,) = queue_shots(sample_copy, [S03])
    sql(sample_copy, "DROP TABLE audit")
    code, out, err = run_cli(capsys, "consent", "list", root, "--json")
    assert code == 0
    assert '"status": "unverified"' in out
    assert "audit log missing or damaged" in out
    for argv in (("consent", "check", root), ("consent", "audit", root), ("validate", root),
                 ("queue", "add", root, "--shot", S03, "--provider", "previz")):
        code, out, err = run_cli(capsys, *argv)
        assert "Traceback" not in err, argv
        assert "OperationalError" not in err, argv
        assert "audit log missing or damaged" in out + err, argv
    code, out, err = run_cli(capsys, "consent", "revoke", root, MAYA, "--reason", "withdrawn")
    assert code == 0, err
    assert job.id in out  # the queued job is still blocked
    assert "could not be recorded" in err


# -- 6. the shot card says when consent cannot be checked ----------------------------------


def test_shot_card_problem_when_the_check_fails(sample_copy: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("PySide6")
    from ui.pages.shots import consent_problems

    def broken(*_: Any) -> list[str]:  # noqa: ANN401
        raise RuntimeError("ledger exploded")

    monkeypatch.setattr(consent, "shot_consent_problems", broken)
    doc = load_project(sample_copy)
    got = consent_problems(sample_copy, doc.project)
    assert set(got) == {s.id for s in doc.project.shots}
    assert got[S03] == ["consent cannot be checked: ledger exploded"]


# -- 7. cameo record errors point at the field ----------------------------------------------


@pytest.mark.parametrize(("edit", "field", "message"), [
    ({"valid_until": "2025-01-01"}, "valid_until", "is before valid_from"),
    ({"date_of_birth": "2027-01-01"}, "date_of_birth", "after valid_from"),
    ({"date_of_birth": "2015-01-01"}, "date_of_birth", "under 18"),
    ({"minor": True}, "guardian", "needs a guardian"),
])
def test_cameo_errors_point_at_the_field(sample_copy: Path, edit: dict[str, Any], field: str,
                                         message: str) -> None:
    from studio.consent import read_cameo

    path = sample_copy / "cameos" / f"{MAYA}.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(edit)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    lines = path.read_text().splitlines()
    expected = next(i for i, ln in enumerate(lines, 1) if ln.startswith(f"{field}:"))
    with pytest.raises(ProjectFileError) as info:
        read_cameo(path)
    problem = info.value.problems[0]
    assert message in problem.message
    assert problem.line == expected, (problem, expected)
