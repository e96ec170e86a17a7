"""Write an agency bundle: one streamed ZIP64 file with a manifest of sha256 checksums.

Selection (:func:`plan_export`): by default the approved takes plus each shot's selected
take; ``all_takes`` includes every take; ``take_ids`` picks exactly those. A take flagged by
a revoked consent (``results.consent_flag``) is never shipped, nor is one whose cameos'
consent is not valid *now* (:func:`recheck_consent`, run when planning and again right
before writing): if one is in the selection the export fails naming it, unless
``skip_flagged`` is set, which leaves it out and says so.

Likeness (:func:`withheld_likeness`): a reference image that is the likeness of a cameo
whose consent is not active (revoked, expired, pending, unverified, or a record that cannot
be read) is never shipped: it is left out by path or by identical content, and the export
report (:attr:`ExportResult.withheld`), README.txt and the manifest's options say which
files were withheld and why.

Writing (:func:`export_bundle`): takes are stored (video does not deflate), text is
deflated; every entry's sha256 is computed from the bytes as they are written; the zip is
written under a temp name beside the target, fsynced and renamed into place, so a cancelled
or failed export leaves nothing behind and never a half-written bundle. Memory stays flat
whatever the size: files are streamed in chunks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import queue
import sqlite3
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio import __version__
from studio.bundle.manifest import MANIFEST_NAME, Manifest, ManifestEntry
from studio.errors import BundleError, ProjectFileError
from studio.filemode import new_file_mode, set_mode
from studio.project import CAMEOS_DIR, REFERENCES_DIR, ProjectDocument, load_project
from studio.refpaths import outside_paths, reference_problem
from studio.store import DB_NAME, Store
from studio.yamlio import dump_yaml, parse_yaml

log = logging.getLogger(__name__)

CHUNK = 4 * 1024 * 1024
READ_AHEAD = 2  # chunks read and hashed ahead of the zip writer
EVIDENCE_DIR = "evidence"
SMALL_FILE_OVERHEAD = 512 * 1024  # estimate for pdf, timelines, csv, json (plus thumbnails)

Progress = Callable[[int, int, str], None]  # (bytes done, bytes total, current entry)
Cancel = Callable[[], bool]


class ExportCancelled(BundleError):
    """The export was cancelled; nothing was written."""


@dataclass
class TakeInfo:
    """One result (take) as the bundle sees it."""

    id: str
    shot_id: str | None
    path: str
    thumbnail: str | None
    sha256: str
    size: int
    review_status: str = "pending"
    consent_flag: str | None = None
    rating: int = 0
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    codec: str | None = None
    has_audio: bool = False
    provider: str | None = None
    model: str | None = None
    prompt: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    remote_id: str | None = None
    cost: float | None = None
    created_at: float = 0.0
    imported: bool = False
    parent_id: str | None = None
    job_id: str | None = None
    c2pa: Any = None
    cameos: list[str] = field(default_factory=list)
    reviewer: str | None = None
    review_note: str | None = None
    notes: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def ext(self) -> str:
        return Path(self.path).suffix.lower() or ".mp4"

    def bundle_path(self) -> str:
        return f"takes/{self.shot_id or 'unassigned'}/{self.id}{self.ext}"

    def bundle_thumb(self) -> str | None:
        if not self.thumbnail:
            return None
        ext = Path(self.thumbnail).suffix.lower() or ".jpg"
        return f"takes/{self.shot_id or 'unassigned'}/{self.id}.thumb{ext}"

    def bundle_xmp(self) -> str:
        return f"takes/{self.shot_id or 'unassigned'}/{self.id}.xmp"

    def provenance(self) -> dict[str, Any]:
        return {
            "id": self.id, "shot": self.shot_id, "file": self.bundle_path(),
            "thumbnail": self.bundle_thumb(), "xmp": self.bundle_xmp(),
            "sha256": self.sha256, "size": self.size, "duration": self.duration,
            "width": self.width, "height": self.height, "fps": self.fps, "codec": self.codec,
            "has_audio": self.has_audio, "provider": self.provider, "model": self.model,
            "prompt": self.prompt, "params": self.params, "remote_id": self.remote_id,
            "cost": self.cost, "created_at": _iso(self.created_at), "imported": self.imported,
            "parent_id": self.parent_id, "job_id": self.job_id, "c2pa": self.c2pa,
            "cameos": self.cameos, "rating": self.rating, "review_status": self.review_status,
            "reviewer": self.reviewer, "review_note": self.review_note, "notes": self.notes,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class ExportOptions:
    all_takes: bool = False
    include_consent_evidence: bool = False
    take_ids: frozenset[str] | None = None  # exactly these takes (overrides the default)
    skip_flagged: bool = False


@dataclass
class ExportPlan:
    """What an export would contain (also what the export dialog shows)."""

    doc: ProjectDocument
    options: ExportOptions
    all_takes: list[TakeInfo]
    takes: list[TakeInfo]  # selected, in shot order
    flagged: list[TakeInfo]  # selected but flagged: consent revoked or not valid now
    chosen: dict[str, TakeInfo]  # shot id -> the take on the timeline / in the PDF
    cameo_files: list[Path]
    reference_files: list[Path]
    evidence_files: list[Path]
    missing: list[str]  # selected takes whose file is gone
    withheld: list[Withheld] = field(default_factory=list)  # likeness of a non-active cameo
    outside: list[str] = field(default_factory=list)  # paths that leave the project folder

    @property
    def estimated_size(self) -> int:
        size = sum(t.size for t in self.takes)
        files = [*self.cameo_files, *self.reference_files, *self.evidence_files]
        for path in files:
            with contextlib.suppress(OSError):
                size += path.stat().st_size
        return size + SMALL_FILE_OVERHEAD + 8 * 1024 * len(self.takes)

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.flagged and not self.options.skip_flagged:
            names = ", ".join(f"{t.id} (shot {t.shot_id}: {t.consent_flag})" for t in self.flagged)
            out.append(
                f"{len(self.flagged)} selected take(s) show a person whose consent is revoked "
                f"or not valid now, and "
                f"cannot be shipped: {names}. Reject or deselect them, or export with "
                "--skip-flagged to leave them out."
            )
        out.extend(f"take {m}: file is missing" for m in self.missing)
        out.extend(f"{o} (fix it first: a bundle that names files outside the project "
                   "folder is refused on import)" for o in self.outside)
        return out


@dataclass(frozen=True)
class Withheld:
    """A project file left out of the bundle because it shows a person without active consent."""

    path: str      # project-relative, POSIX
    cameo: str     # the cameo id whose likeness it is
    status: str    # that cameo's consent status (revoked, expired, pending, ...)

    def text(self) -> str:
        return (f"{self.path}: likeness of cameo {self.cameo}, whose consent is {self.status}; "
                "not shipped")


@dataclass
class ExportResult:
    path: Path
    manifest_sha256: str
    entries: int
    bytes_written: int
    takes: list[str]
    skipped_flagged: list[str]
    seconds: float
    withheld: list[Withheld] = field(default_factory=list)


# -- reading the project ------------------------------------------------------------------


def _iso(ts: float | None) -> str | None:
    if not ts:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _json_or(raw: str | None, default: Any) -> Any:  # noqa: ANN401
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return default


def load_takes(root: Path) -> list[TakeInfo]:
    """Every result of the project (read straight from studio.db; none if there is none)."""
    if not (root / DB_NAME).exists():
        return []
    store = Store.for_project(root)
    with store.session() as conn:
        try:
            rows = conn.execute("SELECT * FROM results ORDER BY created_at, id").fetchall()
            tag_rows = conn.execute("SELECT result_id, tag FROM tags ORDER BY tag").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BundleError(f"{root / DB_NAME}: cannot read the takes ({exc})") from None
    tags: dict[str, list[str]] = {}
    for row in tag_rows:
        tags.setdefault(row["result_id"], []).append(row["tag"])
    takes = []
    for r in rows:
        takes.append(TakeInfo(
            id=r["id"], shot_id=r["shot_id"], path=r["path"], thumbnail=r["thumbnail"],
            sha256=r["sha256"], size=int(r["size"]), review_status=r["review_status"],
            consent_flag=r["consent_flag"], rating=int(r["rating"] or 0),
            duration=r["duration"], width=r["width"], height=r["height"], fps=r["fps"],
            codec=r["codec"], has_audio=bool(r["has_audio"]), provider=r["provider"],
            model=r["model"], prompt=r["prompt"] or "",
            params=_json_or(r["params_json"], {}), remote_id=r["remote_id"], cost=r["cost"],
            created_at=float(r["created_at"] or 0), imported=bool(r["imported"]),
            parent_id=r["parent_id"], job_id=r["job_id"], c2pa=_json_or(r["c2pa_json"], None),
            cameos=_json_or(r["cameos_json"], []), reviewer=r["reviewer"],
            review_note=r["review_note"], notes=r["notes"] or "", tags=tags.get(r["id"], []),
        ))
    return takes


def _regular_files(folder: Path) -> list[Path]:
    if not folder.is_dir() or folder.is_symlink():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name.startswith("."):
            continue
        out.append(path)
    return out


def _norm_rel(rel: str) -> str:
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts).casefold()


def _sha256_of(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _raw_likeness(path: Path) -> list[str]:
    """The ``likeness`` list of a cameo record that does not validate (best effort)."""
    try:
        data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, ProjectFileError):
        return []
    items = data.get("likeness") if isinstance(data, dict) else None
    return [str(x) for x in items if isinstance(x, str)] if isinstance(items, list) else []


def _likeness_index(root: Path) -> dict[str, tuple[list[str], str]]:
    """cameo id -> (its likeness paths, its consent status) for every cameo record."""
    from studio.consent import consent_status, load_cameos

    out: dict[str, tuple[list[str], str]] = {}
    try:
        entries = [(e.id, e.path, e.cameo) for e in load_cameos(root)]
    except Exception as exc:  # noqa: BLE001 - unknown consent: withhold every likeness we see
        log.warning("cannot read the cameo records of %s (%s); withholding likeness files",
                    root, exc)
        entries = [(p.stem, p, None) for p in sorted((root / CAMEOS_DIR).glob("*.yaml"))]
    for cameo_id, path, cameo in entries:
        likeness = list(cameo.likeness) if cameo is not None else _raw_likeness(path)
        if not likeness:
            continue
        try:
            status = consent_status(root, cameo_id)
        except Exception as exc:  # noqa: BLE001 - a status we cannot establish is not active
            log.warning("consent status of cameo %s unknown (%s); withholding its likeness",
                        cameo_id, exc)
            status = "unknown"
        out[cameo_id] = (likeness, status)
    return out


def withheld_likeness(root: Path, files: list[Path]) -> tuple[list[Path], list[Withheld]]:
    """Split ``files`` into those that may ship and those that are a non-active cameo's likeness.

    A file is a cameo's likeness when its project-relative path is in the cameo record's
    ``likeness`` list, or its content is identical to one of those images (a renamed copy
    is still the person's face). Only ``active`` consent lets a likeness ship; a record that
    cannot be read, or whose status cannot be established, counts as not active.
    """
    root = Path(root)
    by_path: dict[str, tuple[str, str]] = {}
    by_sha: dict[str, tuple[str, str]] = {}
    for cameo_id, (likeness, status) in _likeness_index(root).items():
        if status == "active":
            continue
        for rel in likeness:
            by_path.setdefault(_norm_rel(rel), (cameo_id, status))
            if reference_problem(root, rel) is not None:
                continue  # never read a file outside the project (plan.outside names it)
            sha = _sha256_of(root / rel)
            if sha:
                by_sha.setdefault(sha, (cameo_id, status))
    if not by_path:
        return list(files), []
    keep: list[Path] = []
    withheld: list[Withheld] = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        hit = by_path.get(_norm_rel(rel))
        if hit is None and by_sha:
            sha = _sha256_of(path)
            hit = by_sha.get(sha) if sha else None
        if hit is None:
            keep.append(path)
        else:
            withheld.append(Withheld(rel, hit[0], hit[1]))
            log.info("export: withholding %s (likeness of cameo %s, consent %s)", rel, *hit)
    return keep, withheld


def plan_export(root: Path, options: ExportOptions | None = None,
                doc: ProjectDocument | None = None) -> ExportPlan:
    """Decide what goes into the bundle. Reads the project; writes nothing."""
    options = options or ExportOptions()
    doc = doc or load_project(Path(root))
    root = doc.root
    project = doc.project
    everything = load_takes(root)
    shot_order = {s.id: i for i, s in enumerate(project.shots)}
    selected_ids = {s.selected_take for s in project.shots if s.selected_take}
    if options.take_ids is not None:
        chosen_set = [t for t in everything if t.id in options.take_ids]
        unknown = set(options.take_ids) - {t.id for t in everything}
        if unknown:
            raise BundleError(f"unknown take id(s): {', '.join(sorted(unknown))}")
    elif options.all_takes:
        chosen_set = list(everything)
    else:
        chosen_set = [t for t in everything
                      if t.review_status == "approved" or t.id in selected_ids]
    chosen_set.sort(key=lambda t: (shot_order.get(t.shot_id or "", len(shot_order)),
                                   t.created_at, t.id))
    recheck_consent(root, project, chosen_set)
    flagged = [t for t in chosen_set if t.consent_flag]
    takes = [t for t in chosen_set if not t.consent_flag]
    missing = [f"{t.id} ({root / t.path})" for t in takes if not (root / t.path).is_file()]

    chosen: dict[str, TakeInfo] = {}
    for shot in project.shots:
        mine = [t for t in takes if t.shot_id == shot.id]
        pick = next((t for t in mine if t.id == shot.selected_take), None)
        if pick is None:
            approved = [t for t in mine if t.review_status == "approved"]
            pick = (approved or mine or [None])[-1]
        if pick is not None:
            chosen[shot.id] = pick
    # never ship the likeness of a person whose consent is not active (revoked, expired, ...)
    reference_files, withheld = withheld_likeness(root, _regular_files(root / REFERENCES_DIR))
    evidence_files: list[Path] = []
    if options.include_consent_evidence:
        evidence_files, more = withheld_likeness(root, _regular_files(root / EVIDENCE_DIR))
        withheld += more
    return ExportPlan(
        doc=doc, options=options, all_takes=everything, takes=takes, flagged=flagged,
        chosen=chosen,
        cameo_files=[p for p in _regular_files(root / CAMEOS_DIR) if p.suffix == ".yaml"],
        reference_files=reference_files,
        evidence_files=evidence_files,
        missing=missing,
        withheld=withheld,
        outside=outside_paths(root, project, doc.source_map),
    )


def recheck_consent(root: Path, project: Any, takes: list[TakeInfo]) -> list[TakeInfo]:  # noqa: ANN401
    """Check every take's cameos against consent *now* (not only the stored flag).

    A take whose cameos (recorded, plus everyone its shot shows in the current brief) may
    not be shown now gets ``consent_flag`` set (in memory), so it is refused or skipped
    like a take flagged by a revocation. Returns the takes newly flagged.
    """
    try:
        from studio.consent import take_consent
    except ImportError:  # pragma: no cover - the consent module is part of the core
        return []
    cache: dict[tuple[str | None, tuple[str, ...]], list[str]] = {}
    newly = []
    for take in takes:
        if take.consent_flag:
            continue
        key = (take.shot_id, tuple(str(c) for c in take.cameos or []))
        if key not in cache:
            cache[key] = take_consent(root, key[1], take.shot_id, project=project)[1]
        if cache[key]:
            take.consent_flag = "consent not valid now: " + "; ".join(cache[key])
            newly.append(take)
    return newly


# -- redaction and summaries --------------------------------------------------------------


def redact_cameo(data: dict[str, Any]) -> dict[str, Any]:
    """A cameo record without contact details or date of birth.

    Evidence and signature files are not shipped; their paths and sha256 stay in the record
    so the agency can see that evidence exists and later check a copy against it.
    """
    out = dict(data)
    if "contact" in out:
        out["contact"] = {}
    out.pop("date_of_birth", None)
    guardian = out.get("guardian")
    if isinstance(guardian, dict) and "contact" in guardian:
        out["guardian"] = {**guardian, "contact": ""}
    return out


def consent_summary(plan: ExportPlan) -> Any:  # noqa: ANN401
    """consent-summary.json: the consent module's summary of every cameo shown."""
    try:
        from studio.consent import consent_summary as summarise  # type: ignore[attr-defined]
    except ImportError:
        summarise = None
    include_private = plan.options.include_consent_evidence
    if summarise is not None:
        return {
            "project": {"id": plan.doc.project.id, "name": plan.doc.project.name},
            "private_details_included": include_private,
            "cameos": summarise(plan.doc.root, plan.doc.project,
                                include_private=include_private),
        }
    log.warning("studio.consent.consent_summary is not available; writing a minimal summary")
    cameos = []
    for path in plan.cameo_files:
        data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        if isinstance(data, dict):
            cameos.append({"id": data.get("id", path.stem), "name": data.get("name", ""),
                           "status": data.get("status", "unknown")})
    return {"project": plan.doc.project.id, "cameos": cameos}


def provenance(plan: ExportPlan) -> dict[str, Any]:
    by_id = {t.id: t for t in plan.all_takes}

    def lineage(take: TakeInfo) -> list[str]:
        chain: list[str] = []
        parent = take.parent_id
        while parent and parent not in chain and len(chain) < 100:
            chain.append(parent)
            parent = by_id[parent].parent_id if parent in by_id else None
        return chain

    takes = [{**t.provenance(), "lineage": lineage(t)} for t in plan.takes]
    return {
        "project": {"id": plan.doc.project.id, "name": plan.doc.project.name},
        "providers": sorted({t.provider for t in plan.takes if t.provider}),
        "models": sorted({t.model for t in plan.takes if t.model}),
        "chosen": {shot: take.id for shot, take in plan.chosen.items()},
        "takes": takes,
        "c2pa": {t.id: t.c2pa for t in plan.takes if t.c2pa},
    }


def xmp_for(take: TakeInfo) -> bytes:
    """The results library's XMP sidecar for a take that has none on disk."""
    from studio.results.xmp import XmpRecord, render_xmp

    rec = XmpRecord(
        result_id=take.id, job_id=take.job_id, shot_id=take.shot_id, provider=take.provider,
        model=take.model, remote_id=take.remote_id, parent_id=take.parent_id,
        prompt=take.prompt, tags=list(take.tags), rating=take.rating,
        review_status=take.review_status, reviewer=take.reviewer,
        review_note=take.review_note, notes=take.notes, cameos=list(take.cameos),
        consent_flag=take.consent_flag, cost=take.cost, imported=take.imported,
        created_at=take.created_at or None, sha256=take.sha256,
    )
    return render_xmp(rec).encode("utf-8")


def _withheld_text(plan: ExportPlan) -> str:
    if not plan.withheld:
        return ""
    lines = ["", "Withheld: these images are the likeness of a person whose consent is not",
             "active; they are not in this bundle (project.yaml may still name them):"]
    lines += [f"  {w.path} (cameo {w.cameo}: consent {w.status})" for w in plan.withheld]
    return "\n".join(lines) + "\n"


def readme_text(plan: ExportPlan, created: str) -> str:
    p = plan.doc.project
    evidence = ("Consent evidence and contact details ARE included (evidence/, cameos/)."
                if plan.options.include_consent_evidence else
                "Contact details, dates of birth and consent evidence files are removed from the "
                "cameo records; their evidence hashes are kept.")
    return f"""Brief Studio agency bundle
==========================

Project:  {p.name}
Client:   {p.client or '-'}
Usage:    {', '.join(u.value for u in p.usage)}
Territories: {', '.join(p.territories)}
Created:  {created} by Brief Studio {__version__}
Takes:    {len(plan.takes)} ({len(plan.chosen)} on the timeline)
{_withheld_text(plan)}
What is inside
--------------
brief.pdf             the brief: cover, then one page per shot with direction, prompt,
                      beats, dialogue and the chosen take
shotlist.csv          one row per shot (UTF-8; opens in any spreadsheet)
timeline.otio         the chosen takes in shot order (OpenTimelineIO)
timeline.edl          the same as a CMX3600 EDL
timeline.fcpxml       the same as Final Cut Pro XML (FCPXML)
takes/<shot>/         the takes (.mp4), thumbnails and XMP sidecars (tags, rating)
project.yaml          the brief as Brief Studio reads it
cameos/               consent records of every real person on screen
consent-summary.json  status, scope, validity and verification of each cameo
provenance.json       how each take was made: provider, model, prompt, lineage, C2PA
manifest.json         every file with its size and sha256

{evidence}

Checking the bundle
-------------------
`studio verify BUNDLE.zip` checks every file against manifest.json. Without Brief Studio,
unzip the bundle and compare `sha256sum` of each file with manifest.json. The manifest
cannot list its own checksum: compare its sha256 with the one the sender gave you.
`studio import BUNDLE.zip FOLDER` opens the bundle as a Brief Studio project.
"""


# -- the zip writer ------------------------------------------------------------------------


class _Writer:
    """Adds entries to an open ZipFile, hashing on the way, with progress and cancel."""

    def __init__(self, zf: zipfile.ZipFile, total: int, progress: Progress | None,
                 cancel: Cancel | None):
        self.zf = zf
        self.total = max(total, 1)
        self.done = 0
        self.progress = progress
        self.cancel = cancel
        self.entries: list[ManifestEntry] = []
        self.when = time.localtime()[:6]

    def _info(self, path: str, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=self.when)  # type: ignore[arg-type]
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.create_system = 3
        info.external_attr = (0o100644 & 0xFFFF) << 16
        return info

    def _check(self, label: str) -> None:
        if self.cancel is not None and self.cancel():
            raise ExportCancelled("export cancelled")
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, label)

    def add_bytes(self, path: str, data: bytes, role: str, compress: bool = True) -> None:
        self._check(path)
        info = self._info(path, compress)
        self.zf.writestr(info, data)
        self.entries.append(ManifestEntry(path, len(data), hashlib.sha256(data).hexdigest(), role))
        self.done += len(data)

    def add_file(self, path: str, src: Path, role: str, compress: bool = False,
                 expect_sha256: str | None = None) -> None:
        self._check(path)
        digest = hashlib.sha256()
        size = 0
        info = self._info(path, compress)
        try:
            fh = open(src, "rb")  # noqa: SIM115
        except OSError as exc:
            raise BundleError(f"{src}: cannot read ({exc.strerror or exc})") from None
        with fh, self.zf.open(info, "w", force_zip64=True) as dst, \
                contextlib.closing(_read_hashed(fh, digest)) as chunks:
            for chunk in chunks:
                dst.write(chunk)
                size += len(chunk)
                self.done += len(chunk)
                self._check(path)
        sha = digest.hexdigest()
        if expect_sha256 and sha != expect_sha256:
            raise BundleError(
                f"{src}: the file changed since it was recorded (sha256 {sha[:12]}…, "
                f"expected {expect_sha256[:12]}…); not shipping a take that does not match "
                "its provenance"
            )
        self.entries.append(ManifestEntry(path, size, sha, role))


def _read_hashed(fh: io.BufferedReader, digest: Any) -> Iterator[bytes]:  # noqa: ANN401
    """Chunks of ``fh``, read ahead and fed to ``digest`` by one helper thread per file.

    The caller's thread checksums (zip CRC-32) and writes a chunk while the helper reads and
    sha256-hashes the next ones: both release the GIL, so on two cores the hash costs no wall
    time. (It used to be a new thread per 4 MiB chunk, hashed on the caller's thread: a
    thread start per chunk, ~3 ms each on a loaded machine, and the hash in series.) At most
    ``READ_AHEAD`` chunks wait. The digest is complete when the end is yielded.
    """
    chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                chunk = fh.read(CHUNK)
                if chunk:
                    digest.update(chunk)
                chunks.put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            chunks.put(exc)

    reader = threading.Thread(target=read, name="bundle-read", daemon=True)
    reader.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while reader.is_alive():  # cancelled or failed: let a reader blocked on put() finish
            with contextlib.suppress(queue.Empty):
                chunks.get_nowait()
            reader.join(0.01)


def export_bundle(
    root: Path,
    out: Path,
    options: ExportOptions | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    plan: ExportPlan | None = None,
) -> ExportResult:
    """Write the bundle to ``out`` (temp name beside it, then rename). Returns a summary."""
    started = time.monotonic()
    plan = plan or plan_export(Path(root), options)
    late = recheck_consent(plan.doc.root, plan.doc.project, plan.takes)  # a plan made earlier
    if late:
        plan.flagged.extend(late)
        plan.takes = [t for t in plan.takes if not t.consent_flag]
        plan.chosen = {k: t for k, t in plan.chosen.items() if not t.consent_flag}
    problems = plan.problems()
    if problems:
        raise BundleError("\n".join(problems))
    out = Path(out)
    if out.is_dir():
        raise BundleError(f"{out}: is a folder; give the bundle's file name (e.g. bundle.zip)")
    if not out.parent.is_dir():
        raise BundleError(f"{out.parent}: no such folder")
    # consent may have been revoked since the plan was made (the dialog plans early)
    plan.reference_files, late_refs = withheld_likeness(plan.doc.root, plan.reference_files)
    plan.evidence_files, late_evidence = withheld_likeness(plan.doc.root, plan.evidence_files)
    plan.withheld += [*late_refs, *late_evidence]
    doc = plan.doc
    created = datetime.now(UTC).isoformat(timespec="seconds")

    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes 0600: the bundle is a file the user hands on, so it gets the mode
        # any new file of theirs gets (0666 & ~umask)
        set_mode(tmp, new_file_mode())
        with os.fdopen(fd, "w+b") as raw:
            total = plan.estimated_size
            with zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
                writer = _Writer(zf, total, progress, cancel)
                _write_contents(writer, plan, created)
                manifest = Manifest(
                    project_id=doc.project.id, project_name=doc.project.name,
                    app_version=__version__, created=created, entries=writer.entries,
                    options={"all_takes": plan.options.all_takes,
                             "include_consent_evidence": plan.options.include_consent_evidence,
                             "takes": len(plan.takes),
                             "withheld_likeness": [
                                 {"path": w.path, "cameo": w.cameo, "status": w.status}
                                 for w in plan.withheld]},
                )
                manifest_bytes = manifest.to_bytes()
                writer._check(MANIFEST_NAME)
                zf.writestr(writer._info(MANIFEST_NAME, True), manifest_bytes)
            raw.flush()
            os.fsync(raw.fileno())
            size = raw.tell()
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if progress is not None:
        progress(total, total, "done")
    result = ExportResult(
        path=out, manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        entries=len(writer.entries) + 1, bytes_written=size,
        takes=[t.id for t in plan.takes], skipped_flagged=[t.id for t in plan.flagged],
        seconds=time.monotonic() - started, withheld=list(plan.withheld),
    )
    log.info("exported %s: %s entries, %s bytes in %.1fs", out, result.entries, size,
             result.seconds)
    return result


def _documents(plan: ExportPlan) -> list[tuple[str, bytes, str, bool]]:
    """brief.pdf, shotlist.csv, the timelines and provenance.json as (path, data, role, deflate)."""
    from studio.bundle.pdf import render_brief_pdf
    from studio.bundle.shotlist import shotlist_csv
    from studio.bundle.timeline import build_timeline, timeline_files

    docs = [("brief.pdf", render_brief_pdf(plan), "brief-pdf", False),
            ("shotlist.csv", shotlist_csv(plan), "shotlist", True)]
    docs += [(name, data, "timeline", True)
             for name, data in timeline_files(build_timeline(plan)).items()]
    docs.append(("provenance.json", _json_bytes(provenance(plan)), "provenance", True))
    return docs


def _write_contents(w: _Writer, plan: ExportPlan, created: str) -> None:
    doc = plan.doc
    root = doc.root
    # The documents (mostly the PDF) are drawn on a helper thread while the takes stream:
    # hashing and file I/O release the GIL, so on two cores the drawing costs no wall time.
    documents: list[list[tuple[str, bytes, str, bool]]] = []
    failure: list[BaseException] = []

    def draw() -> None:
        try:
            documents.append(_documents(plan))
        except BaseException as exc:  # noqa: BLE001 - re-raised below on this thread
            failure.append(exc)

    drawer = threading.Thread(target=draw, name="bundle-documents", daemon=True)
    drawer.start()
    try:
        w.add_bytes("README.txt", readme_text(plan, created).encode("utf-8"), "readme")
        w.add_file("project.yaml", doc.path, "project", compress=True)
        _write_cameos(w, plan)
        for path in plan.reference_files:
            rel = path.relative_to(root).as_posix()
            w.add_file(rel, path, "reference", compress=path.suffix.lower() in (".svg", ".txt"))
        for path in plan.evidence_files:
            w.add_file(path.relative_to(root).as_posix(), path, "evidence")
        for take in plan.takes:
            w.add_file(take.bundle_path(), root / take.path, "take", expect_sha256=take.sha256)
            thumb = take.bundle_thumb()
            if thumb and take.thumbnail and (root / take.thumbnail).is_file():
                w.add_file(thumb, root / take.thumbnail, "thumbnail")
            sidecar = (root / take.path).with_suffix(".xmp")
            if sidecar.is_file():
                w.add_file(take.bundle_xmp(), sidecar, "xmp", compress=True)
            else:
                w.add_bytes(take.bundle_xmp(), xmp_for(take), "xmp")
    finally:
        drawer.join()
    if failure:
        raise failure[0]
    for name, data, role, compress in documents[0]:
        w.add_bytes(name, data, role, compress=compress)


def _write_cameos(w: _Writer, plan: ExportPlan) -> None:
    for path in plan.cameo_files:
        name = f"{CAMEOS_DIR}/{path.name}"
        if plan.options.include_consent_evidence:
            w.add_file(name, path, "cameo", compress=True)
            continue
        try:
            data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError, ProjectFileError) as exc:
            raise BundleError(f"{path}: cannot read the cameo record ({exc})") from None
        if not isinstance(data, dict):
            raise BundleError(f"{path}: a cameo record must be a YAML mapping")
        w.add_bytes(name, dump_yaml(redact_cameo(data)).encode("utf-8"), "cameo")
    summary = consent_summary(plan)
    w.add_bytes("consent-summary.json", _json_bytes(summary), "consent-summary")


def _json_bytes(data: Any) -> bytes:  # noqa: ANN401
    return (json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")

