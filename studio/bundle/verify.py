"""Check a bundle: its structure against hostile input, its manifest and every checksum.

Two passes. The *structural* pass reads only the zip's central directory and manifest.json:
names (no absolute paths, ``..``, backslashes, control characters), entry types (no links,
folders or special files in the external attributes), duplicates and case collisions,
encryption, compression method, entries missing from or extra to the manifest, sizes
against the manifest, compression ratios and totals. The *content* pass streams every entry
(bounded by its manifest size) and compares sha256. :func:`scan_bundle` drives both and hands
each entry's chunks to a sink (verify discards them, import writes them).

manifest.json is the one entry not listed in the manifest. It is checked by the zip's
CRC-32 and by its structure; its sha256 is reported so it can be compared with the value
the exporter printed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from studio.bundle.manifest import (
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    Manifest,
    ManifestEntry,
    check_member_name,
    fold,
    parse_manifest,
)
from studio.errors import BundleError

log = logging.getLogger(__name__)

MAX_ENTRIES = 100_000
MAX_TOTAL_BYTES = 256 * 1024**3  # 256 GiB uncompressed, whatever the archive says
MAX_RATIO = 200  # uncompressed : compressed, per deflated entry larger than RATIO_FLOOR
RATIO_FLOOR = 64 * 1024
READ_CHUNK = 4 * 1024 * 1024
ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
UNIX = 3
MSDOS_DIRECTORY = 0x10

Sink = Callable[[ManifestEntry, Iterator[bytes]], None]


@dataclass
class VerifyReport:
    path: Path
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    manifest: Manifest | None = None
    manifest_sha256: str = ""
    entries_checked: int = 0
    bytes_checked: int = 0

    def lines(self) -> list[str]:
        if self.ok and self.manifest is not None:
            return [
                f"ok: {self.path} ({self.entries_checked} entries, {self.bytes_checked} bytes "
                "match manifest.json)",
                f"project: {self.manifest.project_name} ({self.manifest.project_id}), "
                f"created {self.manifest.created} by Brief Studio {self.manifest.app_version}",
                f"manifest.json sha256: {self.manifest_sha256}",
            ]
        return [f"{self.path}: NOT OK, {len(self.problems)} problem(s):",
                *(f"  {p}" for p in self.problems)]


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why this zip entry is unacceptable, judging by its header alone."""
    name = info.filename
    problem = check_member_name(name)
    if problem:
        return problem
    if info.flag_bits & 0x1:
        return "encrypted entry"
    if info.compress_type not in ALLOWED_METHODS:
        return f"unsupported compression method {info.compress_type}"
    kind = stat.S_IFMT(info.external_attr >> 16)
    if info.create_system == UNIX and kind and kind != stat.S_IFREG:
        if kind == stat.S_IFLNK:
            return "symbolic link"
        if kind == stat.S_IFDIR:
            return "folder entry"
        return "special file (device, pipe or socket)"
    if info.external_attr & MSDOS_DIRECTORY:
        return "folder entry"
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        return (f"stored entry whose compressed size ({info.compress_size}) differs from its "
                f"size ({info.file_size})")
    if (info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > RATIO_FLOOR
            and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
        return (f"compression ratio {info.file_size // max(info.compress_size, 1)}:1 is beyond "
                f"the limit of {MAX_RATIO}:1 (zip bomb?)")
    return None


#: the hidden temp name an export writes to before its one rename (see export_bundle)
_EXPORT_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]+\.part$")


def _open(path: Path) -> zipfile.ZipFile:
    if _EXPORT_TEMP.match(path.name) and path.is_file():
        # debris of an export that was stopped before its rename: even if its bytes happen
        # to be complete, it is not a bundle anyone was handed
        raise BundleError(
            f"{path}: the temporary file of an export that did not finish (it was never "
            "renamed to its bundle name); export again, and delete this file")
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BundleError(f"{path}: is a folder, not a bundle") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise BundleError(
            f"{path}: not a readable zip archive (truncated or damaged?): {exc}"
        ) from None


def _read_manifest(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BundleError(f"{MANIFEST_NAME}: too large ({info.file_size} bytes)")
    try:
        with zf.open(info) as fh:
            return fh.read(MAX_MANIFEST_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise BundleError(f"{MANIFEST_NAME}: truncated or damaged ({exc})") from None


def structural_check(zf: zipfile.ZipFile, archive_size: int) -> tuple[Manifest, bytes, list[str]]:
    """Check names, types, sizes and the manifest without reading any content but the manifest.

    Returns the manifest, its raw bytes and the problems (``"entry: what"`` lines).
    Raises :class:`BundleError` when there is no usable manifest at all.
    """
    infos = zf.infolist()
    problems: list[str] = []
    if len(infos) > MAX_ENTRIES:
        raise BundleError(f"{len(infos)} entries is more than the limit of {MAX_ENTRIES}")
    by_name: dict[str, zipfile.ZipInfo] = {}
    folded: dict[str, str] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name in by_name:
            problems.append(f"{name!r}: duplicate entry")
            continue
        key = fold(name)
        if key in folded:
            problems.append(f"{name!r}: name collides with {folded[key]!r} (case or Unicode form)")
            continue
        by_name[name] = info
        folded[key] = name
        why = _entry_problem(info)
        if why:
            problems.append(f"{name!r}: {why}")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        problems.append(f"uncompressed total {total} bytes is beyond the limit of {MAX_TOTAL_BYTES}")
    if total > max(64 * 1024**2, archive_size * MAX_RATIO):
        problems.append(
            f"uncompressed total {total} bytes is more than {MAX_RATIO}× the archive's size "
            f"({archive_size} bytes): zip bomb?"
        )
    minfo = by_name.get(MANIFEST_NAME)
    if minfo is None:
        raise BundleError(f"no {MANIFEST_NAME}: not a Brief Studio bundle"
                          + (f" (also: {'; '.join(problems)})" if problems else ""))
    if any(p.startswith(f"{MANIFEST_NAME!r}") for p in problems):
        raise BundleError("; ".join(problems))
    raw = _read_manifest(zf, minfo)
    manifest = parse_manifest(raw)
    listed = manifest.by_path()
    for name, info in by_name.items():
        if name == MANIFEST_NAME:
            continue
        entry = listed.get(name)
        if entry is None:
            problems.append(f"{name!r}: not listed in {MANIFEST_NAME}")
        elif info.file_size != entry.size:
            problems.append(
                f"{name!r}: size {info.file_size} differs from the manifest's {entry.size}"
            )
    for name in listed:
        if name not in by_name:
            problems.append(f"{name!r}: listed in {MANIFEST_NAME} but missing from the archive")
    return manifest, raw, problems


def _chunks(zf: zipfile.ZipFile, entry: ManifestEntry, digest: hashlib._Hash) -> Iterator[bytes]:
    """The entry's bytes, never more than the manifest allows, hashed as they go."""
    count = 0
    with zf.open(entry.path) as fh:
        while True:
            chunk = fh.read(READ_CHUNK)
            if not chunk:
                break
            count += len(chunk)
            if count > entry.size:
                raise BundleError(f"{entry.path!r}: longer than the manifest's {entry.size} bytes")
            digest.update(chunk)
            yield chunk
    if count != entry.size:
        raise BundleError(f"{entry.path!r}: {count} bytes, the manifest says {entry.size}")


def content_check(zf: zipfile.ZipFile, manifest: Manifest, sink: Sink | None,
                  stop_at_first: bool) -> tuple[list[str], int]:
    problems: list[str] = []
    done = 0
    for entry in manifest.entries:
        digest = hashlib.sha256()
        try:
            if sink is None:
                for chunk in _chunks(zf, entry, digest):
                    done += len(chunk)
            else:
                sink(entry, _chunks(zf, entry, digest))
                done += entry.size
        except BundleError as exc:
            problems.append(str(exc))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            problems.append(f"{entry.path!r}: truncated or damaged ({exc})")
        else:
            actual = digest.hexdigest()
            if actual != entry.sha256:
                problems.append(
                    f"{entry.path!r}: sha256 mismatch (archive {actual[:16]}…, manifest "
                    f"{entry.sha256[:16]}…)"
                )
        if problems and stop_at_first:
            break
    return problems, done


def verify_bundle(path: Path) -> VerifyReport:
    """Check everything; never raises for a bad bundle (the report says what is wrong)."""
    path = Path(path)
    report = VerifyReport(path)
    try:
        with _open(path) as zf:
            manifest, raw, problems = structural_check(zf, path.stat().st_size)
            report.manifest = manifest
            report.manifest_sha256 = hashlib.sha256(raw).hexdigest()
            if not problems:
                more, done = content_check(zf, manifest, None, stop_at_first=False)
                problems.extend(more)
                report.bytes_checked = done
                report.entries_checked = len(manifest.entries)
            report.problems = problems
    except BundleError as exc:
        report.problems = [str(exc)]
    report.ok = not report.problems
    return report
