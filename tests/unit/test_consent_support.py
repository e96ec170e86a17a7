"""Builders shared by the consent tests (no tests here)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Any

from studio.consent import Cameo, attach_file
from studio.model import Project, Shot


def evidence_file(root: Path, name: str = "release.pdf", content: bytes = b"%PDF-1.4 test") -> tuple[str, str]:
    src = root.parent / f"src-{name}"
    src.write_bytes(content)
    return attach_file(root, src)


def make_cameo(root: Path, cameo_id: str = "sam-lee", **overrides: Any) -> Cameo:  # noqa: ANN401
    rel, sha = evidence_file(root, f"{cameo_id}-release.pdf", f"%PDF {cameo_id}".encode())
    data: dict[str, Any] = {
        "id": cameo_id,
        "name": cameo_id.replace("-", " ").title(),
        "contact": {"email": f"{cameo_id}@example.com", "phone": "+44 7700 900000"},
        "verification": {"method": "signed_release", "verified_by": "Producer",
                         "verified_on": "2026-01-10", "evidence": rel, "evidence_sha256": sha},
        "grants": {"projects": ["any"], "usages": ["social", "paid_ads"],
                   "territories": ["GB", "IE", "US"], "voice": True, "remix": False},
        "restrictions": {"text": "No alcohol.", "avoid_topics": ["gambling"]},
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
        "signature": {"typed_name": "Sam Lee", "signed_on": "2026-01-10"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Cameo.model_validate(data)


def simple_project(**overrides: Any) -> Project:  # noqa: ANN401
    data: dict[str, Any] = {
        "id": "pr-test", "name": "Test", "usage": ["social"], "territories": ["GB"],
        "shots": [{"id": "s1", "prose": "A runner on a ridge.", "cameos": ["sam-lee"]}],
    }
    data.update(overrides)
    return Project.model_validate(data)


def shot_with(cameos: list[str], speaking: bool = False) -> Shot:
    dialogue = [{"speaker": cameos[0], "line": "Hello."}] if speaking and cameos else []
    return Shot.model_validate({"id": "s1", "prose": "x", "cameos": cameos, "dialogue": dialogue})


def insert_job(conn: sqlite3.Connection, job_id: str, status: str, cameos: list[str],
               remote_id: str | None = None) -> None:
    now = time.time()
    conn.execute(
        "INSERT INTO jobs(id, seq, shot_id, provider, status, request_json, cameos_json, "
        "remote_id, created_at, updated_at) VALUES (?, ?, 's1', 'previz', ?, '{}', ?, ?, ?, ?)",
        (job_id, int(now * 1000) % 100000, status, json.dumps(cameos), remote_id, now, now),
    )


def insert_result(conn: sqlite3.Connection, result_id: str, cameos: list[str]) -> None:
    conn.execute(
        "INSERT INTO results(id, shot_id, path, sha256, size, created_at, cameos_json) "
        "VALUES (?, 's1', ?, ?, 1, ?, ?)",
        (result_id, f"media/{result_id}/take.mp4", "0" * 64, time.time(), json.dumps(cameos)),
    )


TODAY = date(2026, 11, 21)
