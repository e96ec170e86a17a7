"""Hostile bundles: every refusal of `studio import` / `verify`, with crafted zips.

Each case checks that the error names what is wrong and which entry, that DEST is left
absent (or exactly as it was) and that no temp folder is left beside it.
"""

from __future__ import annotations

import hashlib
import json
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from studio.bundle import import_bundle, verify_bundle
from studio.bundle import verify as verify_mod
from studio.cli import main
from studio.errors import BundleError

SAMPLE = Path(__file__).resolve().parents[2] / "projects" / "aurora-launch"
PROJECT_YAML = (SAMPLE / "project.yaml").read_bytes()

File = tuple[str | zipfile.ZipInfo, bytes]


def _name(item: str | zipfile.ZipInfo) -> str:
    return item if isinstance(item, str) else item.filename


def entry(name: str, data: bytes, role: str = "readme") -> dict[str, object]:
    return {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "role": role}


def build(path: Path, files: list[File], *, entries: list[dict[str, object]] | None = None,
          manifest: dict[str, object] | None = None, compress: int = zipfile.ZIP_DEFLATED) -> Path:
    """A bundle with ``files``; the manifest lists them unless ``entries`` is given."""
    if entries is None:
        entries = [entry(_name(n), d, "project" if _name(n) == "project.yaml" else "readme")
                   for n, d in files]
    data = {"format": "brief-studio-bundle", "version": 1,
            "project": {"id": "pr-aurora-rbts", "name": "Aurora"}, "app_version": "0.1.0",
            "created": "2026-01-01T00:00:00+00:00", "entries": entries}
    data.update(manifest or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates we write on purpose
        with zipfile.ZipFile(path, "w", compression=compress) as zf:
            for name, blob in files:
                zf.writestr(name, blob)
            zf.writestr("manifest.json", json.dumps(data))
    return path


def base_files() -> list[File]:
    return [("project.yaml", PROJECT_YAML), ("README.txt", b"hello agency\n")]


def special(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def refused(bundle: Path, dest: Path, *needles: str) -> str:
    before = sorted(p.name for p in dest.parent.iterdir())
    existed = dest.exists()
    with pytest.raises(BundleError) as info:
        import_bundle(bundle, dest)
    message = str(info.value)
    for needle in needles:
        assert needle in message, message
    assert dest.exists() == existed
    if existed:
        assert list(dest.iterdir()) == []
    assert sorted(p.name for p in dest.parent.iterdir()) == before  # no temp folder left
    report = verify_bundle(bundle)
    assert not report.ok
    return message


def test_valid_minimal_bundle_imports(tmp_path: Path) -> None:
    bundle = build(tmp_path / "ok.zip", base_files())
    assert verify_bundle(bundle).ok
    result = import_bundle(bundle, tmp_path / "dest")
    assert (result.path / "project.yaml").read_bytes() == PROJECT_YAML
    assert (result.path / "bundle" / "README.txt").read_bytes() == b"hello agency\n"


@pytest.mark.parametrize(("name", "why"), [
    ("/etc/evil.txt", "absolute path"),
    ("C:/evil.txt", "absolute path"),
    ("../evil.txt", "'..'"),
    ("cameos/../../evil.txt", "'..'"),
    ("cameos\\evil.txt", "backslash"),
    ("cameos/./x.yaml", "'.'"),
    ("cameos/evil\x07.yaml", "control character"),
])
def test_bad_names_are_refused(tmp_path: Path, name: str, why: str) -> None:
    files = [*base_files(), (name, b"x")]
    bundle = build(tmp_path / "b.zip", files, entries=[entry(n, d) for n, d in base_files()])
    refused(bundle, tmp_path / "dest", repr(name), why)
    # the same name listed in the manifest is refused by the manifest check
    bundle2 = build(tmp_path / "b2.zip", files)
    refused(bundle2, tmp_path / "dest", why)


@pytest.mark.parametrize(("mode", "why"), [
    (stat.S_IFLNK | 0o777, "symbolic link"),
    (stat.S_IFIFO | 0o644, "special file"),
    (stat.S_IFCHR | 0o644, "special file"),
    (stat.S_IFBLK | 0o644, "special file"),
    (stat.S_IFSOCK | 0o644, "special file"),
    (stat.S_IFDIR | 0o755, "folder entry"),
])
def test_links_and_special_files_are_refused(tmp_path: Path, mode: int, why: str) -> None:
    link = special("references/link.png", mode)
    bundle = build(tmp_path / "b.zip", [*base_files(), (link, b"/etc/passwd")])
    refused(bundle, tmp_path / "dest", "references/link.png", why)


def test_msdos_folder_attribute_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("references/dir")
    info.external_attr = 0x10
    bundle = build(tmp_path / "b.zip", [*base_files(), (info, b"")])
    refused(bundle, tmp_path / "dest", "references/dir", "folder entry")


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    files = [*base_files(), ("README.txt", b"second copy\n")]
    bundle = build(tmp_path / "b.zip", files, entries=[entry(n, d) for n, d in base_files()])
    refused(bundle, tmp_path / "dest", "'README.txt'", "duplicate")


@pytest.mark.parametrize("other", ["Readme.TXT", "README.txt\u200b"[:-1].upper()])
def test_case_colliding_names_are_refused(tmp_path: Path, other: str) -> None:
    bundle = build(tmp_path / "b.zip", [*base_files(), (other, b"x")])
    refused(bundle, tmp_path / "dest", repr(other), "collides")


def test_unicode_form_collision_is_refused(tmp_path: Path) -> None:
    nfc, nfd = "references/caf\u00e9.png", "references/cafe\u0301.png"
    bundle = build(tmp_path / "b.zip", [*base_files(), (nfc, b"a"), (nfd, b"b")])
    refused(bundle, tmp_path / "dest", "collides")


def test_entry_not_in_manifest_is_refused(tmp_path: Path) -> None:
    files = [*base_files(), ("cameos/stowaway.yaml", b"id: x\n")]
    bundle = build(tmp_path / "b.zip", files, entries=[entry(n, d) for n, d in base_files()])
    refused(bundle, tmp_path / "dest", "cameos/stowaway.yaml", "not listed")


def test_manifest_entry_missing_from_archive_is_refused(tmp_path: Path) -> None:
    entries = [entry(n, d) for n, d in base_files()] + [entry("brief.pdf", b"%PDF")]
    bundle = build(tmp_path / "b.zip", base_files(), entries=entries)
    refused(bundle, tmp_path / "dest", "brief.pdf", "missing from the archive")


def test_size_different_from_manifest_is_refused(tmp_path: Path) -> None:
    entries = [entry(n, d) for n, d in base_files()]
    entries[1]["size"] = 5
    bundle = build(tmp_path / "b.zip", base_files(), entries=entries)
    refused(bundle, tmp_path / "dest", "README.txt", "differs from the manifest")


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    entries = [entry(n, d) for n, d in base_files()]
    entries[1]["sha256"] = "0" * 64
    bundle = build(tmp_path / "b.zip", base_files(), entries=entries)
    message = refused(bundle, tmp_path / "dest", "README.txt", "sha256 mismatch")
    assert "nothing was imported" in message


def test_compression_bomb_is_refused(tmp_path: Path) -> None:
    bomb = b"\0" * (20 * 1024 * 1024)
    bundle = build(tmp_path / "b.zip", [*base_files(), ("references/huge.png", bomb)])
    assert bundle.stat().st_size < 1024 * 1024
    refused(bundle, tmp_path / "dest", "references/huge.png", "compression ratio")


def test_totals_beyond_bounds_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_mod, "MAX_TOTAL_BYTES", 4096)
    files = [*base_files(), ("references/a.png", b"a" * 3000)]
    bundle = build(tmp_path / "b.zip", files, compress=zipfile.ZIP_STORED)
    refused(bundle, tmp_path / "dest", "uncompressed total", "beyond the limit")


def test_too_many_entries_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_mod, "MAX_ENTRIES", 3)
    files = [*base_files(), *((f"references/{i}.png", b"x") for i in range(3))]
    bundle = build(tmp_path / "b.zip", files)
    refused(bundle, tmp_path / "dest", "entries is more than the limit")


def test_encrypted_entry_is_refused(tmp_path: Path) -> None:
    bundle = build(tmp_path / "b.zip", [*base_files(), ("references/secret.png", b"xx")])
    raw = bytearray(bundle.read_bytes())  # zipfile will not write the flag; patch the bytes
    name = b"references/secret.png"
    local = raw.index(b"PK\x03\x04")  # first local header
    while raw[local + 30: local + 30 + len(name)] != name:
        local = raw.index(b"PK\x03\x04", local + 4)
    raw[local + 6] |= 0x1
    central = raw.index(b"PK\x01\x02")
    while raw[central + 46: central + 46 + len(name)] != name:
        central = raw.index(b"PK\x01\x02", central + 4)
    raw[central + 8] |= 0x1
    bundle.write_bytes(bytes(raw))
    assert zipfile.ZipFile(bundle).getinfo("references/secret.png").flag_bits & 0x1
    refused(bundle, tmp_path / "dest", "references/secret.png", "encrypted")


def test_truncated_archive_is_refused(tmp_path: Path) -> None:
    bundle = build(tmp_path / "b.zip", base_files(), compress=zipfile.ZIP_STORED)
    raw = bundle.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 10, 30):
        bad = tmp_path / f"cut{cut}.zip"
        bad.write_bytes(raw[:cut])
        refused(bad, tmp_path / "dest", "not a readable zip archive")


def test_corrupt_entry_data_is_refused(tmp_path: Path) -> None:
    blob = b"A" * 5000
    bundle = build(tmp_path / "b.zip", [*base_files(), ("references/r.png", blob)],
                   compress=zipfile.ZIP_STORED)
    raw = bytearray(bundle.read_bytes())
    at = raw.index(b"A" * 100)
    raw[at + 50] = ord("B")  # flip one byte inside the stored data
    bundle.write_bytes(bytes(raw))
    refused(bundle, tmp_path / "dest", "references/r.png")


def test_no_manifest_and_foreign_format(tmp_path: Path) -> None:
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("project.yaml", PROJECT_YAML)
    refused(plain, tmp_path / "dest", "no manifest.json")
    bundle = build(tmp_path / "b.zip", base_files(), manifest={"format": "something-else"})
    refused(bundle, tmp_path / "dest", "not a Brief Studio bundle")
    newer = build(tmp_path / "n.zip", base_files(), manifest={"version": 99})
    refused(newer, tmp_path / "dest", "newer Brief Studio")


def test_bundle_without_project_or_with_broken_project(tmp_path: Path) -> None:
    bundle = build(tmp_path / "b.zip", [("README.txt", b"x")])
    with pytest.raises(BundleError, match="no project.yaml"):
        import_bundle(bundle, tmp_path / "dest")
    broken = build(tmp_path / "c.zip", [("project.yaml", b"name: [unclosed\n")])
    with pytest.raises(BundleError, match="project.yaml"):
        import_bundle(broken, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.zip", "c.zip"]


def test_empty_existing_dest_is_left_as_it_was(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    entries = [entry(n, d) for n, d in base_files()]
    entries[0]["sha256"] = "1" * 64
    bundle = build(tmp_path / "b.zip", base_files(), entries=entries)
    refused(bundle, dest, "project.yaml", "sha256 mismatch")
    # and a good bundle then lands in it
    good = build(tmp_path / "g.zip", base_files())
    import_bundle(good, dest)
    assert (dest / "project.yaml").is_file()


def test_non_empty_dest_is_refused_before_reading(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep me")
    bundle = build(tmp_path / "b.zip", base_files())
    with pytest.raises(BundleError, match="not empty"):
        import_bundle(bundle, dest)
    assert [p.name for p in dest.iterdir()] == ["mine.txt"]


def test_cli_import_refusal_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = build(tmp_path / "b.zip", [*base_files(), ("../../evil", b"x")])
    assert main(["import", str(bundle), str(tmp_path / "dest")]) == 1
    err = capsys.readouterr().err
    assert "../../evil" in err
    assert "refused" in err
    assert not (tmp_path / "dest").exists()
