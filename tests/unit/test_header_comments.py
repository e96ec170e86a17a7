"""A comment block at the top of project.yaml or a cameo record survives saves and revocation."""

from __future__ import annotations

from pathlib import Path

from studio.cli import main
from studio.consent.records import read_cameo
from studio.project import load_project, save_project

HEADER = "# Client notes: keep the ridge shots first.\n# Approved by the producer 2026-11-30.\n"


def test_project_save_keeps_the_opening_comments(sample_copy: Path) -> None:
    path = sample_copy / "project.yaml"
    path.write_text(HEADER + path.read_text(encoding="utf-8"), encoding="utf-8")
    doc = load_project(sample_copy)
    doc.project.client = "Aurora Outdoor Co."
    save_project(doc)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    assert text.count("# Client notes") == 1
    assert load_project(sample_copy).project.client == "Aurora Outdoor Co."
    save_project(load_project(sample_copy))  # a second save does not double the block
    assert path.read_text(encoding="utf-8").count("# Client notes") == 1


def test_revocation_keeps_the_cameo_records_opening_comments(sample_copy: Path) -> None:
    path = sample_copy / "cameos" / "maya-okafor.yaml"
    before = path.read_text(encoding="utf-8")
    header = "".join(line for line in before.splitlines(keepends=True)
                     if line.startswith("#"))
    assert header and before.startswith(header)
    assert main(["consent", "revoke", str(sample_copy), "maya-okafor",
                 "--reason", "talent withdrew"]) == 0
    after = path.read_text(encoding="utf-8")
    assert after.startswith(header)
    assert "revoked" in after
    cameo = read_cameo(path)
    assert cameo.status == "revoked"
