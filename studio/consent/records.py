"""Cameo files on disk and the consent status derived from file + audit log + clock.

Status, most restrictive first:

- ``invalid``: the file is missing, does not parse or does not validate;
- ``revoked``: revoked in the file or in the audit log (a revocation is final: grant again
  under a new cameo id);
- ``unverified``: not in the audit log, changed outside the app since its last audited
  event, its audit events were tampered with, or its evidence file is missing/changed;
- ``expired``: after ``valid_until``; ``pending``: before ``valid_from``;
- ``active``: none of the above.

Dates are whole days in UTC: consent is valid from the start of ``valid_from`` to the end
of ``valid_until``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from studio.consent.ledger import (
    META_KEY,
    REVOKED,
    AuditEvent,
    ChainReport,
    Ledger,
    initialize,
)
from studio.consent.model import CAMEO_SCHEMA_VERSION, Cameo, content_sha256
from studio.errors import ProjectFileError, StudioError
from studio.store import Store
from studio.yamlio import load_model

log = logging.getLogger(__name__)

CAMEOS_DIR = "cameos"
EVIDENCE_DIR = "evidence"
EXPIRING_DAYS = 30

ACTIVE = "active"
EXPIRED = "expired"
REVOKED_STATUS = "revoked"
UNVERIFIED = "unverified"
INVALID = "invalid"
PENDING = "pending"
STATUSES = (ACTIVE, PENDING, EXPIRED, REVOKED_STATUS, UNVERIFIED, INVALID)


@dataclass(frozen=True)
class CameoEntry:
    """One cameos/<id>.yaml: the record, or why it could not be read."""

    id: str
    path: Path
    cameo: Cameo | None
    error: str | None = None
    content_sha256: str | None = None


@dataclass
class CameoState:
    """A cameo's consent status at one moment, with the reasons it is not active."""

    id: str
    name: str
    status: str
    reasons: list[str] = field(default_factory=list)
    cameo: Cameo | None = None
    path: Path | None = None
    events: list[AuditEvent] = field(default_factory=list)
    days_left: int | None = None  # until valid_until (inclusive), when active

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id

    @property
    def expiring(self) -> bool:
        return self.status == ACTIVE and self.days_left is not None and (
            self.days_left <= EXPIRING_DAYS
        )

    @property
    def badge(self) -> str:
        """active, expiring, expired, revoked, unverified, invalid or pending."""
        return "expiring" if self.expiring else self.status


def cameo_path(root: Path, cameo_id: str) -> Path:
    return Path(root) / CAMEOS_DIR / f"{cameo_id}.yaml"


def read_cameo(path: Path) -> Cameo:
    """Load and validate one cameo file; raises ProjectFileError (file:line:col).

    The files it names (likeness, evidence, signed release) must resolve inside the project
    folder (``cameos/``'s parent), symlinks included (:mod:`studio.refpaths`)."""
    from studio.errors import Problem
    from studio.refpaths import cameo_paths, problems
    from studio.yamlio import locate

    cameo, smap = load_model(path, Cameo, current_version=CAMEO_SCHEMA_VERSION, kind="cameo")
    if cameo.id != path.stem:
        line, col = locate(smap, ("id",))
        raise ProjectFileError([Problem(
            str(path), line, col,
            f"id {cameo.id!r} does not match the file name {path.name!r}",
        )])
    outside = problems(Path(path).parent.parent, cameo_paths(cameo))
    if outside:
        raise ProjectFileError([Problem(str(path), *locate(smap, loc), message)
                                for loc, message in outside])
    return cameo


def load_entry(root: Path, cameo_id: str) -> CameoEntry:
    path = cameo_path(root, cameo_id)
    if not path.is_file():
        return CameoEntry(cameo_id, path, None,
                          f"unknown cameo {cameo_id!r}: no {CAMEOS_DIR}/{cameo_id}.yaml")
    try:
        cameo = read_cameo(path)
    except StudioError as exc:
        return CameoEntry(cameo_id, path, None, str(exc).splitlines()[0])
    return CameoEntry(cameo_id, path, cameo, None, content_sha256(cameo))


def load_entries(root: Path) -> list[CameoEntry]:
    folder = Path(root) / CAMEOS_DIR
    if not folder.is_dir():
        return []
    return [load_entry(root, p.stem) for p in sorted(folder.glob("*.yaml"))]


_hash_cache: dict[tuple[str, int, int, int, int], str] = {}

#: a file whose mtime is at least this old may be cached by (path, size, mtime): longer
#: than a clock tick (coarse file timestamps), and 3 s for whole-second timestamps (FAT's
#: are 2 s apart, HFS+'s 1 s)
SETTLED_NS = 50_000_000
SETTLED_COARSE_NS = 3_000_000_000
_clock = time.time_ns  # the wall clock file times are compared with (tests replace it)


def settled(st: os.stat_result) -> bool:
    """Whether a file's (size, mtime) can stand for its content in a cache.

    File systems keep timestamps at a granularity (ext4 on kernels before 6.13: one clock
    tick, 1-10 ms; FAT: 2 s): a file rewritten with the same size within it keeps the same
    mtime, so an entry cached from the first write would stand for the second (a forged
    evidence file of the same size unnoticed; a second attached file taken for a copy of the
    first). Only files last changed longer ago than that are cached ("racy git" has the same
    rule); a file read again later is cached then."""
    # ctime too: ``touch -r`` or ``cp -p`` can put an old mtime on new content, never an old
    # ctime (the kernel sets it on every write and metadata change)
    return settled_mtime(max(st.st_mtime_ns, st.st_ctime_ns))


def settled_mtime(mtime_ns: int) -> bool:
    """:func:`settled` for a modification time already read."""
    wait = SETTLED_COARSE_NS if mtime_ns % 1_000_000_000 == 0 else SETTLED_NS
    return _clock() - mtime_ns >= wait


def _stat_key(path: Path, st: os.stat_result) -> tuple[str, int, int, int, int]:
    """What a cached hash of ``path`` is keyed by: size, mtime, and the ctime and inode a
    hand-set mtime (``touch -r``) or a file swapped in by rename cannot keep."""
    return (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def file_sha256(path: Path) -> str:
    """sha256 of a file, cached by (path, size, mtime) once it has :func:`settled`."""
    st = path.stat()
    key = _stat_key(path, st)
    cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    cacheable = settled(st)  # as of the stat: a write while we read would keep the mtime
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    if cacheable:
        if len(_hash_cache) > 1024:
            _hash_cache.clear()
        _hash_cache[key] = value
    return value


#: where :func:`studio.bundle.import_bundle` keeps the manifest of the bundle a project
#: was imported from
IMPORTED_MANIFEST = "bundle/manifest.json"

_manifest_cache: dict[tuple[str, int, int, int, int], tuple[bool | None, frozenset[str],
                                                   dict[str, str]]] = {}


def _imported_bundle(root: Path) -> tuple[bool | None, frozenset[str], dict[str, str]] | None:
    """For a project imported from a bundle: (whether the bundle included consent evidence,
    the paths it held, withheld path -> that cameo's status); None for any other project."""
    path = Path(root) / IMPORTED_MANIFEST
    try:
        st = path.stat()
    except OSError:
        return None
    key = _stat_key(path, st)
    if key in _manifest_cache:
        return _manifest_cache[key]
    cacheable = settled(st)
    try:
        import json

        data = json.loads(path.read_text(encoding="utf-8"))
        options = data.get("options") or {}
        included = options.get("include_consent_evidence")
        paths = frozenset(str(e["path"]) for e in data.get("entries") or []
                          if isinstance(e, dict) and "path" in e)
        withheld = {str(w["path"]): str(w.get("status") or "not active")
                    for w in options.get("withheld_likeness") or []
                    if isinstance(w, dict) and "path" in w}
        value = (included if isinstance(included, bool) else None, paths, withheld)
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError,
            AttributeError) as exc:
        log.info("%s: not read (%s)", path, exc)
        return None
    if cacheable:
        if len(_manifest_cache) > 64:
            _manifest_cache.clear()
        _manifest_cache[key] = value
    return value


def _left_out_of_bundle(root: Path, rel: str) -> str | None:
    """Why ``rel`` is absent when the project came from a bundle that did not carry it
    (redacted: exported without consent evidence; withheld: likeness of a cameo whose
    consent was not active), or None (it was in the bundle, or this is no import: then
    the file was never recorded here or was deleted, and is simply missing)."""
    found = _imported_bundle(root)
    if found is None:
        return None
    included, paths, withheld = found
    norm = Path(rel).as_posix()
    if norm in paths:
        return None  # it came with the bundle: deleted since
    if norm in withheld:
        return (f"was withheld from the bundle this project was imported from (the likeness "
                f"of a cameo whose consent was {withheld[norm]})")
    if included is False:
        return ("was redacted from the bundle this project was imported from (exported "
                "without consent evidence; ask the sender for it, its sha256 is on record)")
    return None


def evidence_problems(root: Path, cameo: Cameo) -> list[str]:
    """Missing or changed evidence / signature files, as plain reasons.

    A file that is absent because the project was imported from a bundle exported without
    consent evidence says it was redacted from the bundle, not that it is missing.
    """
    out = []
    pairs = [("evidence file", cameo.verification.evidence, cameo.verification.evidence_sha256),
             ("signed file", cameo.signature.file, cameo.signature.file_sha256)]
    for what, rel, expected in pairs:
        if rel is None:
            continue
        path = Path(root) / rel
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            why = _left_out_of_bundle(Path(root), rel)
            out.append(f"{what} {rel} {why or 'is missing'}")
            continue
        except OSError as exc:
            out.append(f"{what} {rel} cannot be read ({exc.strerror or exc})")
            continue
        if actual != expected:
            out.append(f"{what} {rel} changed since it was recorded (sha256 mismatch)")
    return out


def today_utc(now: datetime | None) -> date:
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).date()


def evaluate(root: Path, entry: CameoEntry, report: ChainReport,
             now: datetime | None = None) -> CameoState:
    """The consent status of one cameo file against the verified audit log."""
    events = report.trusted_events(entry.id)
    if entry.cameo is None:
        return CameoState(entry.id, entry.id, INVALID, [entry.error or "cannot be read"],
                          None, entry.path, events)
    cameo = entry.cameo
    state = CameoState(entry.id, cameo.name, ACTIVE, [], cameo, entry.path, events)
    ledger_revocation = next((e for e in reversed(events) if e.action == REVOKED), None)
    if cameo.revocation is not None:
        r = cameo.revocation
        state.status = REVOKED_STATUS
        state.reasons.append(f"consent revoked on {r.at.date()} by {r.by}: {r.reason}")
        return state
    if ledger_revocation is not None:
        d = ledger_revocation.detail
        state.status = REVOKED_STATUS
        state.reasons.append(
            f"consent revoked on {ledger_revocation.at[:10]} by {ledger_revocation.actor}: "
            f"{d.get('reason', '')} (the file no longer says so; it was edited outside the app)"
        )
        return state
    unverified: list[str] = []
    if report.damaged:
        unverified.append(report.damaged)
    elif report.is_affected(entry.id):
        unverified.append("its audit history was tampered with (run `studio consent audit`)")
    elif not events and report.not_imported:
        unverified.append(
            f"not in the audit log ({report.not_imported}); review it and confirm it in the "
            "Cameos page or with `studio consent confirm`"
        )
    elif not events:
        unverified.append(
            "not in the audit log (the file was added outside the app); review it and confirm "
            "it in the Cameos page or with `studio consent confirm`"
        )
    elif events[-1].content_sha256 != entry.content_sha256:
        unverified.append(
            f"{CAMEOS_DIR}/{entry.id}.yaml changed outside the app since it was last audited "
            f"({events[-1].at[:10]}); review it and confirm it"
        )
    unverified.extend(evidence_problems(root, cameo))
    if unverified:
        state.status = UNVERIFIED
        state.reasons.extend(unverified)
        return state
    today = today_utc(now)
    if today > cameo.valid_until:
        state.status = EXPIRED
        state.reasons.append(f"consent expired on {cameo.valid_until}")
    elif today < cameo.valid_from:
        state.status = PENDING
        state.reasons.append(f"consent is not valid until {cameo.valid_from}")
    else:
        state.days_left = (cameo.valid_until - today).days
    return state


def _importable(root: Path, entries: list[CameoEntry]) -> list[tuple[str, str, str]]:
    return [
        (e.id, e.content_sha256, f"{CAMEOS_DIR}/{e.path.name}")
        for e in entries if e.cameo is not None and e.content_sha256 is not None
    ]


def ledger_report(root: Path, entries: list[CameoEntry] | None = None) -> ChainReport:
    """Open (and on first use initialize) the ledger, and verify its chain."""
    entries = load_entries(root) if entries is None else entries
    return Ledger(root).report(_importable(root, entries))


def baseline_new_database(root: Path, conn: sqlite3.Connection) -> None:
    """Take the ledger's first-seen baseline of a studio.db being created.

    Called by :meth:`studio.store.Store.connect` inside the transaction that creates the
    schema, so the cameo files present now are imported (or, if the project shows a
    previous life, recorded as not imported) before any job, take or setting is written.
    """
    root = Path(root)
    initialize(root, conn, _importable(root, load_entries(root)))


def ensure_ledger(root: Path) -> None:
    """Open the ledger once if the project has cameo files and it was never opened.

    A studio.db created by this version took its baseline when it was created
    (:func:`baseline_new_database`); this covers one created before that, as early as
    possible (after a job or take lands, the database has a previous life and nothing is
    imported). Never raises: a broken store is reported by
    whoever opens it next.
    """
    root = Path(root)
    folder = root / CAMEOS_DIR
    if not folder.is_dir() or not any(folder.glob("*.yaml")):
        return
    try:
        with Store.for_project(root).session() as conn:
            row = conn.execute("SELECT 1 FROM meta WHERE key = ?", (META_KEY,)).fetchone()
        if row is None:
            ledger_report(root)
    except (StudioError, sqlite3.DatabaseError) as exc:
        log.info("consent ledger not opened: %s", exc)


def all_states(root: Path, now: datetime | None = None) -> list[CameoState]:
    """Every cameo file in the project with its status."""
    root = Path(root)
    entries = load_entries(root)
    report = ledger_report(root, entries)
    return [evaluate(root, e, report, now) for e in entries]


def state_of(root: Path, cameo_id: str, now: datetime | None = None) -> CameoState:
    root = Path(root)
    entry = load_entry(root, cameo_id)
    report = ledger_report(root)
    return evaluate(root, entry, report, now)


def is_within(path: Path, folder: Path) -> bool:
    try:
        return os.path.commonpath([path.resolve(), folder.resolve()]) == str(folder.resolve())
    except ValueError:
        return False
