"""Export → verify → import, byte for byte; selection, consent flags, redaction, cancel, CLI."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from test_bundle_support import add_take, populate

from studio.bundle import (
    BUNDLE_FORMAT,
    ExportCancelled,
    ExportOptions,
    export_bundle,
    import_bundle,
    plan_export,
    verify_bundle,
)
from studio.cli import main
from studio.errors import BundleError
from studio.project import load_project
from studio.results import list_results


@pytest.fixture
def project(sample_copy: Path) -> Path:
    populate(sample_copy)
    return sample_copy


def test_round_trip_byte_for_byte(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.zip"
    result = export_bundle(project, out)
    assert sorted(result.takes) == ["r-s01a", "r-s02b", "r-s03a", "r-s05a"]
    report = verify_bundle(out)
    assert report.ok, report.problems
    assert report.manifest_sha256 == result.manifest_sha256

    dest = tmp_path / "imported"
    imported = import_bundle(out, dest)
    assert sorted(imported.takes) == sorted(result.takes)
    for rid in result.takes:
        assert (dest / "media" / rid / "take.mp4").read_bytes() == \
            (project / "media" / rid / "take.mp4").read_bytes()
        assert (dest / "media" / rid / "thumb.jpg").read_bytes() == \
            (project / "media" / rid / "thumb.jpg").read_bytes()
    assert (dest / "project.yaml").read_bytes() == (project / "project.yaml").read_bytes()
    for ref in (project / "references").iterdir():
        assert (dest / "references" / ref.name).read_bytes() == ref.read_bytes()
    with zipfile.ZipFile(out) as zf:
        for entry in json.loads(zf.read("manifest.json"))["entries"]:
            if entry["role"] in ("brief-pdf", "timeline", "shotlist", "provenance"):
                assert (dest / "bundle" / entry["path"]).read_bytes() == zf.read(entry["path"])

    doc = load_project(dest)  # the result opens as a project
    assert doc.project.id == load_project(project).project.id
    rows = {r["id"]: r for r in list_results(dest)}
    assert set(rows) == set(result.takes)
    assert all(r["imported"] for r in rows.values())
    assert rows["r-s01a"]["shot"] == "s01-ridge-dawn"
    assert "hero" in rows["r-s01a"]["tags"]
    assert not list(tmp_path.glob(".*"))  # no temp folders or .part files left


def test_manifest_and_contents(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    export_bundle(project, out)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        infos = {i.filename: i for i in zf.infolist()}
        readme = zf.read("README.txt").decode()
        prov = json.loads(zf.read("provenance.json"))
        consent = json.loads(zf.read("consent-summary.json"))
    assert manifest["format"] == BUNDLE_FORMAT
    assert manifest["version"] == 1
    assert manifest["project"]["id"] == "pr-aurora-rbts"
    assert manifest["app_version"]
    assert manifest["created"]
    listed = {e["path"] for e in manifest["entries"]}
    assert listed == set(names) - {"manifest.json"}
    for required in ("project.yaml", "brief.pdf", "shotlist.csv", "timeline.otio",
                     "timeline.edl", "timeline.fcpxml", "provenance.json", "README.txt",
                     "consent-summary.json", "cameos/maya-okafor.yaml",
                     "takes/s03-maya-stride/r-s03a.mp4", "takes/s03-maya-stride/r-s03a.xmp",
                     "takes/s03-maya-stride/r-s03a.thumb.jpg"):
        assert required in names
    assert infos["takes/s03-maya-stride/r-s03a.mp4"].compress_type == zipfile.ZIP_STORED
    assert infos["project.yaml"].compress_type == zipfile.ZIP_DEFLATED
    assert "Aurora Outdoor Co." in readme
    assert prov["providers"] == ["previz"]
    assert next(t for t in prov["takes"] if t["id"] == "r-s02b")["lineage"] == ["r-s02a"]
    assert consent["cameos"][0]["id"] == "maya-okafor"
    assert consent["cameos"][0]["status"]
    # the pending, unselected take of s04 and the rejected one of s02 are not shipped
    assert not any("r-s04a" in n or "r-s02a" in n for n in names)


def test_redaction_default_and_evidence_on_request(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    export_bundle(project, out)
    with zipfile.ZipFile(out) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist() if not n.endswith((".mp4", ".pdf")))
        assert not any(n.startswith("evidence/") for n in zf.namelist())
    for secret in (b"maya.okafor@example.com", b"7700 900123", b"Fellside"):
        assert secret not in blob
    full = tmp_path / "full.zip"
    export_bundle(project, full, ExportOptions(include_consent_evidence=True))
    with zipfile.ZipFile(full) as zf:
        assert "evidence/maya-okafor-release.pdf" in zf.namelist()
        assert b"maya.okafor@example.com" in zf.read("cameos/maya-okafor.yaml")


def test_all_takes_and_explicit_selection(project: Path, tmp_path: Path) -> None:
    plan = plan_export(project, ExportOptions(all_takes=True))
    assert {t.id for t in plan.takes} == {"r-s01a", "r-s02a", "r-s02b", "r-s03a", "r-s04a",
                                          "r-s05a"}
    assert plan.chosen["s04-summit"].id == "r-s04a"
    plan = plan_export(project, ExportOptions(take_ids=frozenset({"r-s04a"})))
    assert [t.id for t in plan.takes] == ["r-s04a"]
    with pytest.raises(BundleError, match="unknown take"):
        plan_export(project, ExportOptions(take_ids=frozenset({"nope"})))


def test_flagged_take_is_refused_or_skipped(project: Path, tmp_path: Path) -> None:
    add_take(project, "s04-summit", "r-s04flag", review_status="approved",
             consent_flag="consent revoked: maya-okafor", cameos=["maya-okafor"])
    out = tmp_path / "b.zip"
    with pytest.raises(BundleError, match="r-s04flag"):
        export_bundle(project, out)
    assert not out.exists()
    result = export_bundle(project, out, ExportOptions(skip_flagged=True))
    assert result.skipped_flagged == ["r-s04flag"]
    with zipfile.ZipFile(out) as zf:
        assert not any("r-s04flag" in n for n in zf.namelist())
        assert b"r-s04flag" not in zf.read("provenance.json")


def test_cancel_leaves_nothing(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    seen: list[str] = []

    def progress(done: int, total: int, label: str) -> None:
        seen.append(label)

    with pytest.raises(ExportCancelled):
        export_bundle(project, out, progress=progress,
                      cancel=lambda: any(s.startswith("takes/") for s in seen))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [project]


def test_changed_take_is_not_shipped(project: Path, tmp_path: Path) -> None:
    take = project / "media" / "r-s01a" / "take.mp4"
    take.write_bytes(take.read_bytes() + b"tampered")
    out = tmp_path / "b.zip"
    with pytest.raises(BundleError, match="changed since it was recorded"):
        export_bundle(project, out)
    assert not out.exists()
    assert not list(tmp_path.glob(".b.zip*"))


def test_missing_take_file_is_named(project: Path, tmp_path: Path) -> None:
    (project / "media" / "r-s05a" / "take.mp4").unlink()
    with pytest.raises(BundleError, match="r-s05a"):
        export_bundle(project, tmp_path / "b.zip")


def test_project_without_takes_exports(sample_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    export_bundle(sample_copy, out)
    assert verify_bundle(out).ok
    assert load_project(sample_copy).project.shots[0].selected_take is None


def test_cli_export_without_takes_says_how_to_add_them(
        sample_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(sample_copy), "-o", str(tmp_path / "b.zip")]) == 0
    captured = capsys.readouterr()
    assert "0 take(s)" in captured.out
    assert "holds no takes" in captured.err
    assert "--all-takes" in captured.err


def test_cli_export_verify_import(project: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.zip"
    assert main(["export", str(project), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    text = captured.out
    assert "4 take(s)" in text
    assert "manifest.json sha256:" in text
    assert "holds no takes" not in captured.err
    assert main(["verify", str(out)]) == 0
    assert "ok:" in capsys.readouterr().out
    assert main(["verify", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["entries"] > 10
    assert main(["import", str(out), str(tmp_path / "imp")]) == 0
    assert "imported" in capsys.readouterr().out
    assert main(["import", str(out), str(tmp_path / "imp")]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["export", str(project), "-o", str(tmp_path / "all.zip"), "--all-takes"]) == 0
    assert "6 take(s)" in capsys.readouterr().out


def test_export_temp_debris_is_never_taken_for_a_bundle(project: Path, tmp_path: Path) -> None:
    """An export killed after writing every byte but before its rename leaves a hidden .part
    file: verify and import refuse it by name, even though its contents are complete."""
    out = tmp_path / "b.briefbundle.zip"
    export_bundle(project, out)
    debris = tmp_path / ".b.briefbundle.zip.k3j9x_a1.part"
    debris.write_bytes(out.read_bytes())
    report = verify_bundle(debris)
    assert not report.ok
    assert "did not finish" in report.problems[0]
    with pytest.raises(BundleError, match="did not finish"):
        import_bundle(debris, tmp_path / "imported")
    assert not (tmp_path / "imported").exists()
    assert verify_bundle(out).ok


def test_cli_verify_reports_tampering(project: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.zip"
    export_bundle(project, out)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "shotlist.csv":
                data = data.replace(b"Summit", b"Sunmit")
            dst.writestr(info, data)
    assert main(["verify", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "shotlist.csv" in err
    assert "sha256 mismatch" in err
    assert main(["verify", str(tmp_path / "missing.zip")]) == 1


def test_imported_redacted_bundle_says_evidence_was_redacted(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bundle exported without consent evidence: after import, the consent reports say the
    evidence was redacted from the bundle, not that it is missing; a file that came with a
    bundle and was deleted since is missing."""
    from studio.consent import check_shot, state_of

    out = tmp_path / "redacted.zip"
    export_bundle(project, out, ExportOptions())
    dest = tmp_path / "agency"
    import_bundle(out, dest)
    state = state_of(dest, "maya-okafor")
    assert state.status == "unverified"  # nothing to check the record against here
    files = [r for r in state.reasons if "evidence/" in r]
    assert len(files) == 2  # the release is both the evidence and the signed file
    assert all("redacted from the bundle" in r for r in files)
    assert not any("is missing" in r for r in state.reasons)
    doc = load_project(dest)
    gate = check_shot(dest, doc.project, doc.project.shot("s03-maya-stride"))
    assert any("redacted from the bundle" in r for r in gate)
    assert not any("is missing" in r for r in gate)
    assert main(["consent", "list", str(dest), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert any("evidence/maya-okafor-release.pdf was redacted from the bundle" in r
               for r in listed[0]["reasons"])

    # with evidence included the file arrives; deleted afterwards it is simply missing
    full = tmp_path / "full.zip"
    export_bundle(project, full, ExportOptions(include_consent_evidence=True))
    dest2 = tmp_path / "legal"
    import_bundle(full, dest2)
    assert not any("evidence/" in r for r in state_of(dest2, "maya-okafor").reasons)
    (dest2 / "evidence" / "maya-okafor-release.pdf").unlink()
    reasons = [r for r in state_of(dest2, "maya-okafor").reasons if "evidence/" in r]
    assert len(reasons) == 2 and all("is missing" in r for r in reasons)
    assert not any("redacted" in r for r in reasons)

    # and in the project itself (never a bundle) a deleted file is missing
    (project / "evidence" / "maya-okafor-release.pdf").unlink()
    assert all("is missing" in r for r in state_of(project, "maya-okafor").reasons)
