"""Import a bundle as a project: verify everything, extract beside DEST, then one rename.

Nothing lands before the whole archive has passed the structural checks (see
:mod:`studio.bundle.verify`); entries are then streamed into a temp folder beside DEST with
their sha256 checked on the way; the project must load; only then is the temp folder renamed
to DEST. On any refusal the temp folder is removed and DEST is left absent (or, if it was an
empty folder, exactly as it was). The error names what is wrong and which entry.

Layout of the imported project::

    DEST/project.yaml, cameos/, references/, evidence/   as in the bundle
    DEST/media/<result-id>/take.mp4, thumb.jpg, take.xmp  the takes (rows in studio.db,
                                                          marked imported)
    DEST/bundle/                                          brief.pdf, shotlist.csv, timelines,
                                                          provenance.json, consent summary,
                                                          README.txt and manifest.json
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.bundle.manifest import MANIFEST_NAME, Manifest, ManifestEntry
from studio.bundle.verify import _open, content_check, structural_check
from studio.consent.records import EVIDENCE_DIR
from studio.errors import BundleError, StudioError
from studio.filemode import PRIVATE_FILE_MODE, new_dir_mode, set_mode
from studio.project import load_project
from studio.refpaths import outside_paths
from studio.store import Store

log = logging.getLogger(__name__)

TAKE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
PROJECT_DIRS = ("cameos/", "references/", "evidence/")
DISK_MARGIN = 64 * 1024 * 1024


@dataclass
class ImportResult:
    path: Path
    manifest: Manifest
    takes: list[str]
    seconds: float


def target_for(entry: ManifestEntry) -> str:
    """Where a bundle entry lands inside the project (a safe relative POSIX path)."""
    path = entry.path
    if path == "project.yaml" or path.startswith(PROJECT_DIRS):
        return path
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "takes":
        name = parts[2]
        if entry.role == "take" and "." in name:
            stem, ext = name.rsplit(".", 1)
            if TAKE_ID_RE.match(stem):
                return f"media/{stem}/take.{ext.lower()}"
        if entry.role == "thumbnail" and ".thumb." in name:
            stem, ext = name.split(".thumb.", 1)
            if TAKE_ID_RE.match(stem):
                return f"media/{stem}/thumb.{ext.lower()}"
        if entry.role == "xmp" and name.endswith(".xmp") and TAKE_ID_RE.match(name[:-4]):
            return f"media/{name[:-4]}/take.xmp"
    return f"bundle/{path}"


def _check_dest(dest: Path) -> None:
    if dest.is_symlink():
        raise BundleError(f"{dest}: is a link; choose a new folder")
    if dest.exists():
        if not dest.is_dir():
            raise BundleError(f"{dest}: exists and is not a folder; choose a new folder")
        if any(dest.iterdir()):
            raise BundleError(f"{dest}: folder exists and is not empty; choose a new folder")
    if not dest.parent.is_dir():
        raise BundleError(f"{dest.parent}: no such folder")


def import_bundle(bundle: Path, dest: Path) -> ImportResult:
    """Verify ``bundle`` and open it as a new project at ``dest``."""
    try:
        return _import(Path(bundle), Path(dest))
    except BundleError as exc:
        if "refused" in str(exc):
            raise
        raise BundleError(f"{bundle}: refused, nothing was imported: {exc}") from None


def _import(bundle: Path, dest: Path) -> ImportResult:
    started = time.monotonic()
    bundle, dest = Path(bundle), Path(dest).absolute()
    _check_dest(dest)
    with _open(bundle) as zf:
        manifest, raw_manifest, problems = structural_check(zf, bundle.stat().st_size)
        if problems:
            raise BundleError(f"{bundle}: refused, nothing was imported:\n  "
                              + "\n  ".join(problems))
        targets: dict[str, str] = {}
        for entry in manifest.entries:
            target = target_for(entry)
            key = target.casefold()
            if key in targets:
                raise BundleError(
                    f"{bundle}: refused: {entry.path!r} and {targets[key]!r} would both land "
                    f"at {target}"
                )
            targets[key] = entry.path
        if not any(e.path == "project.yaml" for e in manifest.entries):
            raise BundleError(f"{bundle}: refused: the bundle has no project.yaml")
        need = sum(e.size for e in manifest.entries) + DISK_MARGIN
        free = shutil.disk_usage(dest.parent).free
        if need > free:
            raise BundleError(f"{dest.parent}: not enough free space ({free} bytes free, the "
                              f"bundle needs {need})")

        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.import-", dir=dest.parent))
        try:
            def sink(entry: ManifestEntry, chunks: Iterator[bytes]) -> None:
                out = tmp / target_for(entry)
                out.parent.mkdir(parents=True, exist_ok=True)
                with open(out, "xb") as fh:
                    for chunk in chunks:
                        fh.write(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())

            problems, _ = content_check(zf, manifest, sink, stop_at_first=True)
            if problems:
                raise BundleError(f"{bundle}: refused, nothing was imported:\n  "
                                  + "\n  ".join(problems))
            (tmp / "bundle").mkdir(exist_ok=True)
            (tmp / "bundle" / MANIFEST_NAME).write_bytes(raw_manifest)
            try:
                doc = load_project(tmp)
            except StudioError as exc:
                raise BundleError(
                    f"{bundle}: refused: its project.yaml does not open:\n"
                    + str(exc).replace(str(tmp) + os.sep, f"{bundle.name}/")
                ) from None
            outside = outside_paths(tmp, doc.project, doc.source_map)
            if outside:
                raise BundleError(
                    f"{bundle}: refused, nothing was imported: it names files outside the "
                    "project folder:\n  " + "\n  ".join(outside))
            takes = _register_takes(tmp, manifest)
            _set_modes(tmp)
            log.info("imported %s takes of %s", len(takes), doc.project.id)
            _move_into_place(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return ImportResult(dest, manifest, takes, time.monotonic() - started)


def _set_modes(tmp: Path) -> None:
    """mkdtemp makes the project folder 0700: it becomes an ordinary folder of the user's
    (0777 & ~umask); consent evidence stays private (0600), as attach_file writes it."""
    set_mode(tmp, new_dir_mode())
    evidence = tmp / EVIDENCE_DIR
    if evidence.is_dir() and not evidence.is_symlink():
        for path in evidence.rglob("*"):
            if path.is_file() and not path.is_symlink():
                set_mode(path, PRIVATE_FILE_MODE)


def _move_into_place(tmp: Path, dest: Path) -> None:
    if dest.exists():  # an empty folder (checked before): rename over it
        try:
            os.replace(tmp, dest)
            return
        except OSError:
            dest.rmdir()
    try:
        os.rename(tmp, dest)
    except OSError as exc:
        raise BundleError(f"{dest}: could not move the imported project into place "
                          f"({exc.strerror or exc})") from None


def _provenance(tmp: Path) -> dict[str, dict[str, Any]]:
    path = tmp / "bundle" / "provenance.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"provenance.json: not valid JSON ({exc})") from None
    takes = data.get("takes") if isinstance(data, dict) else None
    out: dict[str, dict[str, Any]] = {}
    for item in takes if isinstance(takes, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out[item["id"]] = item
    return out


def _register_takes(tmp: Path, manifest: Manifest) -> list[str]:
    """Index the imported takes with the results library (rebuild from media/ and the XMP
    sidecars), mark them imported and fill in what the sidecars do not carry."""
    from studio.results import rebuild

    report = rebuild(tmp)
    restored = set(report.restored)
    wanted = {target_for(e).split("/")[1] for e in manifest.entries
              if e.role == "take" and target_for(e).startswith("media/")}
    if wanted - restored:
        problems = [p.replace(str(tmp) + os.sep, "") for p in report.problems]
        raise BundleError(
            f"refused: take(s) {', '.join(sorted(wanted - restored))} do not open as video"
            + ("".join(f"\n  {p}" for p in problems))
        )
    for problem in report.problems:
        log.warning("import: %s", problem.replace(str(tmp) + os.sep, ""))
    prov = _provenance(tmp)
    ids = []
    store = Store.for_project(tmp)
    with store.session() as conn, store.transaction(conn):
        for entry in manifest.entries:
            target = target_for(entry)
            if entry.role != "take" or not target.startswith("media/"):
                continue
            take_id = target.split("/")[1]
            item = prov.get(take_id, {})
            shot = item.get("shot") if isinstance(item.get("shot"), str) else None
            params = item.get("params") if isinstance(item.get("params"), dict) else None
            conn.execute(
                "UPDATE results SET imported = 1, shot_id = COALESCE(shot_id, ?),"
                " params_json = COALESCE(?, params_json) WHERE id = ?",
                (shot or entry.path.split("/")[1], json.dumps(params) if params else None,
                 take_id),
            )
            ids.append(take_id)
    with contextlib.closing(store.connect()) as conn:  # WAL files are not part of a project
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return ids
