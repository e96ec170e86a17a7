"""A person whose consent is not active never has their likeness shipped in a bundle.

Reference images listed as a cameo's ``likeness`` (or identical copies of them under
another name) are left out of the bundle when that cameo's consent is revoked, unverified,
expired or unreadable, and the export report, README.txt and the manifest say so.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from test_bundle_support import populate

from studio.bundle import (
    ExportOptions,
    export_bundle,
    import_bundle,
    plan_export,
    verify_bundle,
    withheld_likeness,
)
from studio.cli import main
from studio.consent import consent_status, revoke

LIKENESS = "references/maya-okafor.png"


@pytest.fixture
def project(sample_copy: Path) -> Path:
    populate(sample_copy)
    return sample_copy


def names_of(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as zf:
        return zf.namelist()


def test_active_consent_ships_the_likeness(project: Path, tmp_path: Path) -> None:
    assert consent_status(project, "maya-okafor") == "active"
    plan = plan_export(project)
    assert plan.withheld == []
    out = tmp_path / "b.zip"
    result = export_bundle(project, out)
    assert result.withheld == []
    assert LIKENESS in names_of(out)
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("manifest.json"))["options"]["withheld_likeness"] == []
        assert "Withheld" not in zf.read("README.txt").decode()


def test_revoked_likeness_and_its_copies_are_withheld(project: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # a renamed copy of the same photo is still her face
    shutil.copyfile(project / LIKENESS, project / "references" / "hero-face.png")
    revoke(project, "maya-okafor", "withdrew from the campaign", "test")
    assert consent_status(project, "maya-okafor") == "revoked"

    out = tmp_path / "b.zip"
    result = export_bundle(project, out, ExportOptions(skip_flagged=True,
                                                       include_consent_evidence=True))
    assert {(w.path, w.cameo, w.status) for w in result.withheld} == {
        (LIKENESS, "maya-okafor", "revoked"),
        ("references/hero-face.png", "maya-okafor", "revoked"),
    }
    names = names_of(out)
    assert LIKENESS not in names
    assert "references/hero-face.png" not in names
    for other in ("references/palette.png", "references/ridge-dawn.png",
                  "references/aurora-trail-2.png"):
        assert other in names  # the rest of the references still ship
    face = (project / LIKENESS).read_bytes()
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            assert zf.read(name) != face, name
        manifest = json.loads(zf.read("manifest.json"))
        readme = zf.read("README.txt").decode()
    assert {w["path"] for w in manifest["options"]["withheld_likeness"]} == {
        LIKENESS, "references/hero-face.png"}
    assert "Withheld" in readme
    assert f"{LIKENESS} (cameo maya-okafor: consent revoked)" in readme
    assert verify_bundle(out).ok
    dest = tmp_path / "imp"
    import_bundle(out, dest)
    assert not (dest / LIKENESS).exists()
    assert (dest / "references" / "palette.png").is_file()

    # the CLI export report says so
    cli_out = tmp_path / "cli.zip"
    assert main(["export", str(project), "-o", str(cli_out), "--skip-flagged"]) == 0
    text = capsys.readouterr().out
    assert f"withheld: {LIKENESS}: likeness of cameo maya-okafor, whose consent is revoked" in text
    assert LIKENESS not in names_of(cli_out)


def test_revocation_after_planning_is_honoured(project: Path, tmp_path: Path) -> None:
    plan = plan_export(project, ExportOptions(take_ids=frozenset({"r-s01a"})))
    assert any(p.name == "maya-okafor.png" for p in plan.reference_files)
    revoke(project, "maya-okafor", "withdrew", "test")
    out = tmp_path / "b.zip"
    result = export_bundle(project, out, plan=plan)
    assert [w.path for w in result.withheld] == [LIKENESS]
    assert LIKENESS not in names_of(out)


def test_hand_edited_or_unreadable_record_counts_as_not_active(project: Path,
                                                               tmp_path: Path) -> None:
    record = project / "cameos" / "maya-okafor.yaml"
    text = record.read_text(encoding="utf-8")
    # a hand edit makes the cameo unverified until confirmed: not active, not shipped
    edited = text.replace("Release no. NLF-2026-0147.", "Release no. NLF-2026-0148.")
    assert edited != text
    record.write_text(edited, encoding="utf-8")
    status = consent_status(project, "maya-okafor")
    assert status != "active"
    files = sorted((project / "references").iterdir())
    keep, withheld = withheld_likeness(project, files)
    assert [w.path for w in withheld] == [LIKENESS]
    assert withheld[0].status == status
    assert project / LIKENESS not in keep
    assert len(keep) == len(files) - 1
    # a record that no longer validates still names its likeness: withheld
    broken = text.replace("valid_from: 2026-03-01", "valid_from: not-a-date")
    assert broken != text
    record.write_text(broken, encoding="utf-8")
    _, withheld = withheld_likeness(project, files)
    assert [w.path for w in withheld] == [LIKENESS]
    assert withheld[0].status != "active"
