"""Property tests: no combination of dates, scopes, usages, territories, revocations and
edits lets check_shot pass for a cameo whose consent does not cover the use.

The oracle below restates the rules independently of the implementation; check_shot must
agree with it exactly (it passes iff the oracle says valid).
"""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_consent_support import make_cameo

from studio import consent
from studio.model import Project, Shot
from studio.yamlio import model_to_yaml

USAGES = ["social", "paid_ads", "broadcast", "internal", "pitch"]
TERRITORIES = ["GB", "IE", "US", "FR", "worldwide"]
BASE = date(2026, 6, 1)
EDITS = ["none", "edit_outside", "edit_then_confirm", "evidence_changed", "evidence_missing",
         "revoke", "revoke_then_restore_file", "audit_row_edited", "audit_row_deleted",
         "not_audited", "unparsable"]


@st.composite
def scenario(draw: st.DrawFn) -> dict:
    start = draw(st.integers(-400, 400))
    length = draw(st.integers(0, 800))
    return {
        "valid_from": BASE + timedelta(days=start),
        "valid_until": BASE + timedelta(days=start + length),
        "grant_projects": draw(st.sampled_from([["any"], ["pr-test"], ["pr-other"],
                                                ["pr-other", "pr-test"]])),
        "grant_usages": draw(st.lists(st.sampled_from(USAGES), min_size=1, max_size=5,
                                      unique=True)),
        "grant_territories": draw(st.lists(st.sampled_from(TERRITORIES), min_size=1,
                                           max_size=4, unique=True)),
        "voice": draw(st.booleans()),
        "remix": draw(st.booleans()),
        "project_usages": draw(st.lists(st.sampled_from(USAGES), min_size=1, max_size=3,
                                        unique=True)),
        "project_territories": draw(st.lists(st.sampled_from(TERRITORIES), min_size=1,
                                             max_size=3, unique=True)),
        "speaking": draw(st.booleans()),
        "ask_remix": draw(st.booleans()),
        "now": datetime(2026, 6, 1, 12, tzinfo=UTC) + timedelta(
            days=draw(st.integers(-500, 1300)), hours=draw(st.integers(-12, 11))),
        "edit": draw(st.sampled_from(EDITS)),
    }


def oracle(s: dict) -> bool:
    """Whether consent should allow the render, restated from the rules."""
    if s["edit"] in ("edit_outside", "evidence_changed", "evidence_missing", "revoke",
                     "revoke_then_restore_file", "audit_row_edited", "audit_row_deleted",
                     "not_audited", "unparsable"):
        return False
    today = s["now"].astimezone(UTC).date()
    if not (s["valid_from"] <= today <= s["valid_until"]):
        return False
    if "any" not in s["grant_projects"] and "pr-test" not in s["grant_projects"]:
        return False
    if not set(s["project_usages"]) <= set(s["grant_usages"]):
        return False
    granted = set(s["grant_territories"])
    if "worldwide" not in granted and not set(s["project_territories"]) <= granted:
        return False
    if s["speaking"] and not s["voice"]:
        return False
    return not (s["ask_remix"] and not s["remix"])


def build(root: Path, s: dict) -> tuple[Project, Shot]:
    (root / "cameos").mkdir(parents=True)
    cameo = make_cameo(
        root, "sam-lee", valid_from=s["valid_from"].isoformat(),
        valid_until=s["valid_until"].isoformat(),
        grants={"projects": s["grant_projects"], "usages": s["grant_usages"],
                "territories": s["grant_territories"], "voice": s["voice"],
                "remix": s["remix"]},
    )
    path = root / "cameos" / "sam-lee.yaml"
    edit = s["edit"]
    if edit == "not_audited":
        consent.audit(root)  # the ledger exists before the file appears
        path.write_text(model_to_yaml(cameo))
    else:
        consent.save_cameo(root, cameo, "tester")
    if edit in ("edit_outside", "edit_then_confirm"):
        path.write_text(path.read_text().replace("name: Sam Lee", "name: Samuel Lee"))
        if edit == "edit_then_confirm":
            consent.confirm(root, "sam-lee", "lead")
    elif edit == "evidence_changed":
        (root / cameo.verification.evidence).write_bytes(b"forged")
    elif edit == "evidence_missing":
        (root / cameo.verification.evidence).unlink()
    elif edit in ("revoke", "revoke_then_restore_file"):
        before = path.read_text()
        consent.revoke(root, "sam-lee", "withdrawn", "lead")
        if edit == "revoke_then_restore_file":
            path.write_text(before)
    elif edit in ("audit_row_edited", "audit_row_deleted"):
        conn = sqlite3.connect(root / "studio.db")
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
        sql = ("UPDATE audit SET actor = 'x' WHERE seq = 1" if edit == "audit_row_edited"
               else "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)")
        conn.execute(sql)
        conn.commit()
        conn.close()
    elif edit == "unparsable":
        path.write_text(path.read_text() + "\n  bad: [indent\n")
    project = Project.model_validate({
        "id": "pr-test", "name": "P", "usage": s["project_usages"],
        "territories": s["project_territories"],
    })
    dialogue = [{"speaker": "sam-lee", "line": "Hi."}] if s["speaking"] else []
    shot = Shot.model_validate({"id": "s1", "prose": "x", "cameos": ["sam-lee"],
                                "dialogue": dialogue})
    return project, shot


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_check_shot_passes_only_for_valid_consent(s: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        project, shot = build(root, s)
        problems = consent.check_shot(root, project, shot, s["now"], remix=s["ask_remix"])
        assert (problems == []) == oracle(s), (problems, s)
        for p in problems:
            assert "(sam-lee): " in p or p.startswith("sam-lee: "), p
        status = consent.consent_status(root, "sam-lee", s["now"])
        if status != "active":
            assert problems, status
        # a second cameo with valid consent never makes an invalid one pass
        if not oracle(s):
            both = shot.model_copy(update={"cameos": ["sam-lee", "sam-lee"]})
            assert consent.check_shot(root, project, both, s["now"], remix=s["ask_remix"])
