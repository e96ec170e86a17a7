"""Files the user gets (bundles, project files, sidecars, imported projects, takes) have the
mode any new file of theirs has (0666 & ~umask); only consent evidence stays 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_bundle_support import populate

from studio import consent
from studio.bundle import ExportOptions, export_bundle, import_bundle
from studio.filemode import current_umask
from studio.results import write_sidecar
from studio.yamlio import atomic_write


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o027, 0o002])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_current_umask_reads_without_changing(umask: int) -> None:
    assert current_umask() == umask
    assert current_umask() == umask


def test_bundle_gets_the_users_mode(sample_copy: Path, tmp_path: Path, umask: int) -> None:
    populate(sample_copy)
    out = tmp_path / "for-agency.zip"
    export_bundle(sample_copy, out)
    assert _mode(out) == 0o666 & ~umask
    # an imported project is an ordinary folder of the user's; evidence stays private
    full = tmp_path / "full.zip"
    export_bundle(sample_copy, full, ExportOptions(include_consent_evidence=True))
    dest = tmp_path / "imported"
    import_bundle(full, dest)
    assert _mode(dest) == 0o777 & ~umask
    assert _mode(dest / "project.yaml") == 0o666 & ~umask
    assert _mode(dest / "references" / "palette.png") == 0o666 & ~umask
    take = next((dest / "media").iterdir())
    assert _mode(take) == 0o777 & ~umask
    assert _mode(take / "take.mp4") == 0o666 & ~umask
    assert _mode(dest / "evidence" / "maya-okafor-release.pdf") == 0o600


def test_atomic_writes_get_the_users_mode(sample_copy: Path, tmp_path: Path,
                                         umask: int) -> None:
    new = tmp_path / "new.yaml"
    atomic_write(new, "a: 1\n")
    assert _mode(new) == 0o666 & ~umask
    new.chmod(0o660)  # a file the user chmod-ed keeps its mode when it is saved again
    atomic_write(new, "a: 2\n")
    assert _mode(new) == 0o660
    populate(sample_copy)  # writes sidecars and the project file
    sidecar = sample_copy / "media" / "r-s01a" / "take.xmp"
    sidecar.unlink()
    write_sidecar(sample_copy, "r-s01a")
    assert _mode(sidecar) == 0o666 & ~umask


def test_attached_files(sample_copy: Path, tmp_path: Path, umask: int) -> None:
    src = tmp_path / "release.pdf"
    src.write_bytes(b"%PDF-1.4 signed")
    rel, _ = consent.attach_file(sample_copy, src)
    assert _mode(sample_copy / rel) == 0o600  # consent evidence is private
    img = tmp_path / "face.png"
    img.write_bytes(b"\x89PNG not really")
    rel, _ = consent.attach_file(sample_copy, img, "references")
    assert _mode(sample_copy / rel) == 0o666 & ~umask
