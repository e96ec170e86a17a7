"""Enforcement and the operations that change consent (all audited).

:func:`check_shot` is the gate every provider path goes through (the queue calls it at
enqueue and again immediately before the request): an empty list means every cameo the
shot shows may be rendered now, for this project's usages and territories. It never
raises for bad data: an unreadable file, a broken ledger or an unknown id is a reason.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio import events
from studio.consent.ledger import (
    CHANGED,
    CONFIRMED,
    CREATED,
    GRANTED,
    REVOKED,
    VERIFIED,
    Ledger,
)
from studio.consent.model import ID_PATTERN, METHOD_LABELS, Cameo, Revocation, content_sha256
from studio.consent.records import (
    ACTIVE,
    CAMEOS_DIR,
    EVIDENCE_DIR,
    REVOKED_STATUS,
    CameoEntry,
    CameoState,
    all_states,
    ensure_ledger,
    evaluate,
    evidence_problems,
    file_sha256,
    ledger_report,
    load_entries,
    load_entry,
    state_of,
)
from studio.consent.shown import LISTED, describe, shown_via, speaking_in
from studio.errors import ConsentError, StudioError
from studio.events import EventBus
from studio.filemode import PRIVATE_FILE_MODE, new_file_mode, set_mode
from studio.model import Project, Shot
from studio.store import Store
from studio.yamlio import atomic_write, model_to_yaml, with_header_of

log = logging.getLogger(__name__)

_ID_RE = re.compile(ID_PATTERN)


def _check_id(cameo_id: str) -> None:
    if not _ID_RE.match(cameo_id):
        raise ConsentError(f"{cameo_id!r} is not a cameo id (lowercase letters, digits, - and _)")


# -- the gate ----------------------------------------------------------------------------


def scope_problems(state: CameoState, project: Project, speaking: bool, remix: bool) -> list[str]:
    """Why an *active* cameo's grants do not cover this use (empty: covered)."""
    cameo = state.cameo
    if cameo is None:
        return []
    out = []
    if not cameo.covers_project(project.id):
        out.append(f"consent does not cover project {project.id!r} "
                   f"(granted: {', '.join(cameo.grants.projects)})")
    missing_usage = [str(u) for u in project.usage if str(u) not in set(map(str, cameo.grants.usages))]
    if missing_usage:
        out.append(f"consent does not cover usage {', '.join(missing_usage)} "
                   f"(granted: {', '.join(u.value for u in cameo.grants.usages)})")
    missing_terr = [t for t in project.territories if not cameo.covers_territory(t)]
    if missing_terr:
        out.append(f"consent does not cover territory {', '.join(missing_terr)} "
                   f"(granted: {', '.join(cameo.grants.territories)})")
    if speaking and not cameo.grants.voice:
        out.append("the shot gives them dialogue but their consent does not allow voice")
    if remix and not cameo.grants.remix:
        out.append("their consent does not allow remixing a take")
    return out


def check_shot(
    root: Path, project: Project, shot: Shot, now: datetime | None = None, *,
    remix: bool = False,
) -> list[str]:
    """Reasons the shot may not be rendered now; empty when every shown cameo consents.

    "Shown" is :func:`studio.consent.shown.shown_cameos`: the shot's ``cameos`` plus anyone
    the shot shows through a character they play or a likeness reference image.
    """
    root = Path(root)
    try:
        via = shown_via(root, project, shot)
    except OSError as exc:  # pragma: no cover - disk trouble
        return [f"consent cannot be checked: {exc.strerror or exc}"]
    if not via:
        return []
    return check_cameos(root, project, shot, list(via), now, remix=remix, via=via)


def check_cameos(
    root: Path, project: Project, shot: Shot | None, cameo_ids: Sequence[str],
    now: datetime | None = None, *, remix: bool = False,
    via: dict[str, list[str]] | None = None,
) -> list[str]:
    """Reasons these cameos may not be shown now in ``shot`` (None: no shot, no dialogue).

    Checks exactly ``cameo_ids`` (no expansion): status (active, in its window, audited,
    evidence intact) and scope (project, usages, territories; voice when the shot gives
    them dialogue; remix when asked).
    """
    ids = list(dict.fromkeys(cameo_ids))
    root = Path(root)
    if not ids:
        ensure_ledger(root)
        return []
    try:
        entries = {c: load_entry(root, c) for c in ids}
        report = ledger_report(root)
    except StudioError as exc:
        return [f"consent cannot be checked: {exc}"]
    except OSError as exc:  # pragma: no cover - disk trouble
        return [f"consent cannot be checked: {exc.strerror or exc}"]
    speaking = speaking_in(project, shot, ids) if shot is not None else set()
    problems: list[str] = []
    for cameo_id, entry in entries.items():
        state = evaluate(root, entry, report, now)
        reasons = list(state.reasons) if state.status != ACTIVE else scope_problems(
            state, project, cameo_id in speaking, remix
        )
        if state.status != ACTIVE and not reasons:  # pragma: no cover - defensive
            reasons = [f"consent is {state.status}"]
        ways = (via or {}).get(cameo_id, [])
        how = "" if LISTED in ways else describe(ways)
        label = f"{state.label} (shown via {how})" if how else state.label
        problems.extend(f"{label}: {reason}" for reason in reasons)
    return problems


def take_consent(
    root: Path, cameos: Sequence[str], shot_id: str | None = None, *,
    project: Project | None = None, now: datetime | None = None,
) -> tuple[list[str], list[str]]:
    """(the cameos a take shows, reasons they may not be shown now) for a take of ``shot_id``.

    The cameos are ``cameos`` (recorded on the job or the take) plus everyone the shot shows
    in the current brief. Used when a take is ingested (a take arriving after a revocation
    is flagged at once) and when a bundle is made (every selected take is re-checked).
    The brief is read from ``root`` unless ``project`` is given; if it cannot be read, any
    recorded cameo is a reason (consent cannot be checked).
    """
    root = Path(root)
    recorded = [str(c) for c in cameos]
    if project is None:
        if shot_id is None and not recorded:
            ensure_ledger(root)
            return [], []
        try:
            from studio.project import load_project

            project = load_project(root).project
        except StudioError as exc:
            if not recorded:
                return [], []
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return recorded, [f"consent cannot be checked: the brief cannot be read ({first})"]
    shot: Shot | None = None
    if shot_id is not None:
        try:
            shot = project.shot(shot_id)
        except KeyError:
            shot = None
    via: dict[str, list[str]] = {}
    if shot is not None:
        via = shown_via(root, project, shot)
    shown = list(dict.fromkeys([*recorded, *via]))
    return shown, check_cameos(root, project, shot, shown, now, via=via)


def shot_consent_problems(
    root: Path, project: Project, shot: Shot, now: datetime | None = None, *,
    remix: bool = False,
) -> list[str]:
    """The same as :func:`check_shot`, named for the shot cards."""
    return check_shot(root, project, shot, now, remix=remix)


def load_cameos(root: Path) -> list[CameoEntry]:
    """Every cameos/*.yaml (the record, or why it could not be read)."""
    return load_entries(Path(root))


def consent_status(root: Path, cameo_id: str, now: datetime | None = None) -> str:
    """active | pending | expired | revoked | unverified | invalid."""
    return state_of(Path(root), cameo_id, now).status


def cameo_states(root: Path, now: datetime | None = None) -> list[CameoState]:
    return all_states(Path(root), now)


def shots_showing(project: Project, cameo_id: str, root: Path | None = None) -> list[str]:
    """Ids of the shots that show ``cameo_id`` (with ``root``: via likeness references too)."""
    if root is None:
        return [s.id for s in project.shots
                if cameo_id in s.cameos or cameo_id in speaking_in(project, s, [cameo_id])]
    return [s.id for s in project.shots if cameo_id in shown_via(Path(root), project, s)]


def expiring(root: Path, within_days: int = 30, now: datetime | None = None) -> list[CameoState]:
    """Active cameos whose consent ends within ``within_days`` days."""
    return [s for s in cameo_states(root, now)
            if s.status == ACTIVE and s.days_left is not None and s.days_left <= within_days]


def consent_summary(
    root: Path, project: Project, *, include_private: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One entry per cameo the project shows, for the agency bundle.

    Contact details, evidence paths and hashes, guardian and signature details are left out
    unless ``include_private``.
    """
    root = Path(root)
    shown: dict[str, list[str]] = {}
    for shot in project.shots:
        for cameo_id in shown_via(root, project, shot):
            shown.setdefault(cameo_id, []).append(shot.id)
    for char in project.characters:
        if char.cameo:
            shown.setdefault(char.cameo, [])
    if not shown:
        return []
    entries = {c: load_entry(root, c) for c in shown}
    report = ledger_report(root)
    out = []
    for cameo_id, shots in shown.items():
        state = evaluate(root, entries[cameo_id], report, now)
        item: dict[str, Any] = {"id": cameo_id, "name": state.name, "status": state.status,
                                "reasons": state.reasons, "shots": shots}
        cameo = state.cameo
        if cameo is not None:
            item.update(
                scope={"projects": cameo.grants.projects,
                       "usages": [u.value for u in cameo.grants.usages],
                       "territories": cameo.grants.territories,
                       "voice": cameo.grants.voice, "remix": cameo.grants.remix},
                valid_from=cameo.valid_from.isoformat(),
                valid_until=cameo.valid_until.isoformat(),
                verification={"method": cameo.verification.method.value,
                              "verified_on": cameo.verification.verified_on.isoformat()},
                restrictions={"text": cameo.restrictions.text,
                              "avoid_topics": cameo.restrictions.avoid_topics},
                minor=cameo.minor,
            )
            if cameo.revocation is not None:
                item["revoked"] = {"at": cameo.revocation.at.isoformat(),
                                   "reason": cameo.revocation.reason}
            if include_private:
                item["contact"] = cameo.contact.model_dump(mode="json")
                item["verification"].update(
                    verified_by=cameo.verification.verified_by,
                    evidence=cameo.verification.evidence,
                    evidence_sha256=cameo.verification.evidence_sha256,
                )
                item["signature"] = cameo.signature.model_dump(mode="json")
                if cameo.guardian is not None:
                    item["guardian"] = cameo.guardian.model_dump(mode="json")
        out.append(item)
    return out


# -- changes (all audited) ---------------------------------------------------------------


def _publish(bus: EventBus | None, kind: str, **data: Any) -> None:  # noqa: ANN401
    if bus is not None:
        bus.publish(kind, **data)


def _ledger_revoked(root: Path, cameo_id: str) -> bool:
    report = ledger_report(root)
    return any(e.action == REVOKED for e in report.trusted_events(cameo_id))


def save_cameo(root: Path, cameo: Cameo, actor: str, *, note: str = "",
               bus: EventBus | None = None) -> list[str]:
    """Write cameos/<id>.yaml atomically and audit the change; returns the actions recorded.

    A new file is ``created``; otherwise one event per kind of change: ``verified``
    (verification), ``granted`` (grants or validity window), ``changed`` (anything else).
    Revocation goes through :func:`revoke`; a revoked consent cannot be edited back.
    """
    root = Path(root)
    _check_id(cameo.id)
    cameo = Cameo.model_validate(cameo.model_dump(mode="json", warnings=False))  # re-validate
    old_entry = load_entry(root, cameo.id)
    old = old_entry.cameo
    if _ledger_revoked(root, cameo.id) or (old is not None and old.status == "revoked"):
        raise ConsentError(
            f"{cameo.name} ({cameo.id}): consent was revoked; a revoked consent cannot be "
            "edited or re-activated. Record the new consent under a new cameo id."
        )
    if cameo.status == "revoked":
        raise ConsentError("use Revoke (studio consent revoke) to revoke consent")
    missing = evidence_problems(root, cameo)
    if missing:
        raise ConsentError(f"{cameo.id}: " + "; ".join(missing))
    if old is None and old_entry.path.exists() and old_entry.error:
        actions = [CHANGED]  # replacing a broken file
    elif old is None:
        actions = [CREATED]
    else:
        actions = []
        if old.verification != cameo.verification:
            actions.append(VERIFIED)
        if (old.grants, old.valid_from, old.valid_until) != (
                cameo.grants, cameo.valid_from, cameo.valid_until):
            actions.append(GRANTED)
        rest = {"verification", "grants", "valid_from", "valid_until"}
        if old.model_dump(exclude=rest) != cameo.model_dump(exclude=rest):
            actions.append(CHANGED)
        if not actions:
            actions = [CONFIRMED]  # same content: saving confirms it
    path = old_entry.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, with_header_of(path, model_to_yaml(cameo)))
    except OSError as exc:
        raise ConsentError(f"{path}: could not save ({exc.strerror or exc})") from None
    sha = content_sha256(cameo)
    ledger = Ledger(root)
    ledger_report(root)  # make sure the ledger is initialized before appending
    with ledger.store.session() as conn, ledger.store.transaction(conn):
        for action in actions:
            detail: dict[str, Any] = {"file": f"{CAMEOS_DIR}/{path.name}"}
            if note:
                detail["note"] = note
            if action == VERIFIED:
                detail["method"] = cameo.verification.method.value
                detail["evidence_sha256"] = cameo.verification.evidence_sha256
            if action == GRANTED:
                detail["grants"] = cameo.grants.model_dump(mode="json")
                detail["valid"] = [cameo.valid_from.isoformat(), cameo.valid_until.isoformat()]
            ledger.append(cameo.id, action, actor, detail, sha, conn=conn)
    log.info("consent: saved %s (%s)", cameo.id, ", ".join(actions))
    _publish(bus, events.CONSENT_CHANGED, cameo_id=cameo.id, action=actions[-1])
    return actions


def confirm(root: Path, cameo_id: str, actor: str, note: str = "",
            bus: EventBus | None = None) -> CameoState:
    """Accept the cameo file as it is now (after it was edited or added outside the app)."""
    root = Path(root)
    _check_id(cameo_id)
    entry = load_entry(root, cameo_id)
    if entry.cameo is None or entry.content_sha256 is None:
        raise ConsentError(f"{cameo_id}: cannot confirm: {entry.error}")
    report = ledger_report(root)
    if report.is_affected(cameo_id):
        raise ConsentError(
            f"{cameo_id}: cannot confirm: the audit log is damaged "
            f"({'; '.join(report.problems)})"
        )
    if any(e.action == REVOKED for e in report.trusted_events(cameo_id)) and (
            entry.cameo.status != "revoked"):
        raise ConsentError(
            f"{entry.cameo.name} ({cameo_id}): consent was revoked; the file was edited to "
            "undo that, which cannot be confirmed. Record a new consent under a new id."
        )
    problems = evidence_problems(root, entry.cameo)
    if problems:
        raise ConsentError(f"{cameo_id}: cannot confirm: " + "; ".join(problems)
                           + " (attach the evidence again in the Cameos page)")
    detail: dict[str, Any] = {"file": f"{CAMEOS_DIR}/{entry.path.name}"}
    if note:
        detail["note"] = note
    events_ = report.trusted_events(cameo_id)
    if events_:
        detail["previous_content_sha256"] = events_[-1].content_sha256
    Ledger(root).append(cameo_id, CONFIRMED, actor, detail, entry.content_sha256)
    _publish(bus, events.CONSENT_CHANGED, cameo_id=cameo_id, action=CONFIRMED)
    return state_of(root, cameo_id)


@dataclass
class RevokeReport:
    cameo_id: str
    name: str
    reason: str
    blocked_jobs: list[str] = field(default_factory=list)
    flagged_results: list[str] = field(default_factory=list)
    file_updated: bool = False
    already_revoked: bool = False
    file_problem: str | None = None
    ledger_problem: str | None = None  # the audit log could not record it (jobs still blocked)

    @property
    def jobs_blocked(self) -> int:
        return len(self.blocked_jobs)

    @property
    def results_flagged(self) -> int:
        return len(self.flagged_results)


def _shows(cameos_json: str, cameo_id: str) -> bool:
    try:
        value = json.loads(cameos_json or "[]")
    except ValueError:
        return True  # unreadable: err on the side of blocking
    if not isinstance(value, list):
        return True
    return cameo_id in value


def revoke(root: Path, cameo_id: str, reason: str, actor: str,
           bus: EventBus | None = None) -> RevokeReport:
    """Revoke a cameo's consent: audit it, block queued jobs, flag results, mark the file.

    Works even when the cameo file is unreadable (the ledger then carries the revocation
    and the file is left untouched). Running it again re-sweeps jobs and results.
    """
    root = Path(root)
    _check_id(cameo_id)
    reason = reason.strip()
    if not reason:
        raise ConsentError("give a reason for the revocation")
    actor = actor.strip() or "unknown"
    entry = load_entry(root, cameo_id)
    if entry.cameo is None and not entry.path.exists():
        raise ConsentError(entry.error or f"unknown cameo {cameo_id!r}")
    name = entry.cameo.name if entry.cameo else cameo_id
    report = RevokeReport(cameo_id, name, reason)
    at = datetime.now(UTC).replace(microsecond=0)
    new_cameo: Cameo | None = None
    if entry.cameo is not None and entry.cameo.status != "revoked":
        new_cameo = Cameo.model_validate({
            **entry.cameo.model_dump(), "status": "revoked",
            "revocation": Revocation(at=at, reason=reason, by=actor),
        })
    elif entry.cameo is None:
        report.file_problem = entry.error
    chain = ledger_report(root)
    report.already_revoked = any(
        e.action == REVOKED for e in chain.trusted_events(cameo_id)
    ) or (entry.cameo is not None and entry.cameo.status == "revoked")
    flag = f"consent of {name} ({cameo_id}) revoked on {at.date()} by {actor}: {reason}"
    job_error = f"blocked: {flag}"
    store = Store.for_project(root)
    now = time.time()
    if chain.damaged:
        report.ledger_problem = f"the revocation could not be recorded: {chain.damaged}"
        log.warning("consent: %s", report.ledger_problem)
    with store.session() as conn, store.transaction(conn):
        if not chain.damaged and not any(
                e.action == REVOKED for e in chain.trusted_events(cameo_id)):
            sha = content_sha256(new_cameo) if new_cameo is not None else (
                entry.content_sha256 or "0" * 64)
            Ledger(root, store).append(
                cameo_id, REVOKED, actor, {"reason": reason, "at": at.isoformat()}, sha,
                conn=conn,
            )
        report.blocked_jobs = _block_jobs(conn, cameo_id, job_error, now)
        report.flagged_results = _flag_results(conn, cameo_id, flag)
    if new_cameo is not None:
        try:
            atomic_write(entry.path, with_header_of(entry.path, model_to_yaml(new_cameo)))
            report.file_updated = True
        except OSError as exc:
            report.file_problem = f"could not update {entry.path} ({exc.strerror or exc})"
            log.warning("consent: %s", report.file_problem)
    log.info("consent: revoked %s; %s job(s) blocked, %s result(s) flagged",
             cameo_id, report.jobs_blocked, report.results_flagged)
    _publish(bus, events.CONSENT_CHANGED, cameo_id=cameo_id, action=REVOKED)
    for job_id in report.blocked_jobs:
        _publish(bus, events.JOB_CHANGED, job_id=job_id, status="blocked", error=job_error)
    for result_id in report.flagged_results:
        _publish(bus, events.RESULT_CHANGED, result_id=result_id, consent_flag=flag)
    return report


def _block_jobs(conn: sqlite3.Connection, cameo_id: str, error: str, now: float) -> list[str]:
    rows = conn.execute(
        "SELECT id, status, cameos_json FROM jobs WHERE status = 'queued' "
        "OR (status = 'submitting' AND (remote_id IS NULL OR remote_id = ''))"
    ).fetchall()
    blocked = []
    for row in rows:
        if not _shows(row["cameos_json"], cameo_id):
            continue
        conn.execute(
            "UPDATE jobs SET status = 'blocked', error = ?, updated_at = ?, finished_at = ? "
            "WHERE id = ?",
            (error, now, now, row["id"]),  # its time stops here, like every terminal move
        )
        conn.execute(
            "INSERT INTO job_events(job_id, at, from_status, to_status, detail) "
            "VALUES (?, ?, ?, 'blocked', ?)",
            (row["id"], now, row["status"], error),
        )
        blocked.append(str(row["id"]))
    return blocked


def _flag_results(conn: sqlite3.Connection, cameo_id: str, flag: str) -> list[str]:
    rows = conn.execute("SELECT id, cameos_json, consent_flag FROM results").fetchall()
    flagged = []
    for row in rows:
        if not _shows(row["cameos_json"], cameo_id):
            continue
        if not row["consent_flag"]:
            conn.execute("UPDATE results SET consent_flag = ? WHERE id = ?", (flag, row["id"]))
        flagged.append(str(row["id"]))
    return flagged


def attach_file(root: Path, source: Path, folder: str = EVIDENCE_DIR) -> tuple[str, str]:
    """Copy ``source`` into the project (``folder``/) and return (relative path, sha256).

    The copy is written to a temp file and renamed into place; a file with the same name
    and different content gets a numbered name, identical content is reused. Consent
    evidence (signed releases, IDs) stays private to the user (0600); a likeness reference
    is an ordinary project file (0666 & ~umask).
    """
    root = Path(root)
    source = Path(source)
    if not source.is_file():
        raise ConsentError(f"{source}: no such file")
    dest_dir = root / folder
    dest_dir.mkdir(parents=True, exist_ok=True)
    sha = file_sha256(source)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", source.stem).strip("-.") or "file"
    suffix = re.sub(r"[^A-Za-z0-9.]+", "", source.suffix.lower())
    for n in range(1, 1000):
        name = f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}"
        dest = dest_dir / name
        if dest.exists():
            if dest.is_file() and file_sha256(dest) == sha:
                return f"{folder}/{name}", sha
            continue
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=dest_dir)
        try:
            with open(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out)
                out.flush()
                os.fsync(out.fileno())
            set_mode(tmp, PRIVATE_FILE_MODE if folder == EVIDENCE_DIR else new_file_mode())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if file_sha256(dest) != sha:
            raise ConsentError(f"{source}: changed while it was being copied; try again")
        return f"{folder}/{name}", sha
    raise ConsentError(f"{dest_dir}: too many files named {stem}{suffix}")


# -- audit ------------------------------------------------------------------------------


@dataclass
class AuditResult:
    problems: list[str]
    events: int
    head: str
    cameos: list[CameoState]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit(root: Path, now: datetime | None = None) -> AuditResult:
    """Verify the chain and every cameo file against it."""
    root = Path(root)
    entries = load_entries(root)
    report = ledger_report(root, entries)
    problems = list(report.problems)
    states = [evaluate(root, e, report, now) for e in entries]
    for state in states:
        if state.status in ("unverified", "invalid"):
            problems.extend(f"{state.label}: {r}" for r in state.reasons)
    known = {e.id for e in entries}
    for cameo_id in sorted({e.cameo_id for e in report.events} - known):
        last = [e for e in report.events if e.cameo_id == cameo_id][-1]
        if last.action != REVOKED:
            problems.append(f"{cameo_id}: in the audit log but cameos/{cameo_id}.yaml is gone")
    return AuditResult(problems, len(report.events), report.head, states)


def default_actor() -> str:
    import getpass

    name = os.environ.get("STUDIO_ACTOR", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


__all__ = [
    "AuditResult", "RevokeReport", "attach_file", "audit", "cameo_states", "check_shot",
    "confirm", "consent_summary", "consent_status", "default_actor", "expiring",
    "load_cameos", "revoke", "save_cameo", "shot_consent_problems", "shots_showing",
    "scope_problems", "REVOKED_STATUS", "METHOD_LABELS",
]
