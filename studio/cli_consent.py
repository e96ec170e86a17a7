"""`studio consent ...`: list, check, revoke, audit, confirm, expiring.

Exit 0 when all is well, 1 with one plain line per problem (on stderr), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from studio.cli import err, out, print_json
from studio.errors import StudioError


def _doc(project: str):  # noqa: ANN202
    from studio.project import load_project

    return load_project(Path(project))


def cmd_list(args: argparse.Namespace) -> int:
    from studio.consent import cameo_states, shots_showing

    doc = _doc(args.project)
    states = cameo_states(doc.root)
    items = []
    for s in states:
        cameo = s.cameo
        items.append({
            "id": s.id,
            "name": s.name,
            "status": s.status,
            "expiring": s.expiring,
            "valid_from": cameo.valid_from.isoformat() if cameo else None,
            "valid_until": cameo.valid_until.isoformat() if cameo else None,
            "days_left": s.days_left,
            "shots": shots_showing(doc.project, s.id, doc.root),
            "reasons": s.reasons,
        })
    if args.json:
        print_json(items)
        return 0
    if not items:
        out(f"no cameos in {doc.root} (cameos/*.yaml)")
        return 0
    for item in items:
        badge = "expiring" if item["expiring"] else item["status"]
        until = item["valid_until"] or "-"
        shots = ", ".join(item["shots"]) or "no shots"
        out(f"{item['id']:<24} {badge:<11} until {until:<10}  {item['name']}  [{shots}]")
        for reason in item["reasons"]:
            out(f"    {reason}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from studio.consent import check_shot

    doc = _doc(args.project)
    shots = doc.project.shots
    if args.shot:
        known = {s.id for s in shots}
        unknown = [s for s in args.shot if s not in known]
        if unknown:
            raise StudioError(
                f"unknown shot id(s): {', '.join(unknown)}; shots in this project: "
                f"{', '.join(s.id for s in shots)}"
            )
        shots = [s for s in shots if s.id in set(args.shot)]
    now = datetime.fromisoformat(args.at) if args.at else None
    problems = 0
    checked = 0
    for shot in shots:
        if shot.cameos:
            checked += 1
        for reason in check_shot(doc.root, doc.project, shot, now, remix=args.remix):
            err(f"shot {shot.id}: {reason}")
            problems += 1
    if problems:
        return 1
    out(f"ok: consent covers every cameo in {checked} shot(s) showing people "
        f"({len(shots)} shot(s) checked)")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from studio.consent import default_actor, revoke

    doc = _doc(args.project)
    report = revoke(doc.root, args.cameo, args.reason, args.by or default_actor())
    verb = "was already revoked; re-swept" if report.already_revoked else "revoked"
    out(f"{report.name} ({report.cameo_id}): consent {verb}. "
        f"{report.jobs_blocked} queued job(s) blocked, {report.results_flagged} result(s) "
        "flagged.")
    for job_id in report.blocked_jobs:
        out(f"  blocked job {job_id}")
    for result_id in report.flagged_results:
        out(f"  flagged result {result_id}")
    if report.file_problem:
        err(f"note: {report.file_problem}; the audit log records the revocation")
    if report.ledger_problem:
        err(f"warning: {report.ledger_problem}")
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    from studio.consent import confirm, default_actor

    doc = _doc(args.project)
    state = confirm(doc.root, args.cameo, args.by or default_actor(), args.note or "")
    out(f"{state.label}: confirmed; status {state.status}")
    for reason in state.reasons:
        out(f"    {reason}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from studio.consent import audit

    doc = _doc(args.project)
    result = audit(doc.root)
    if args.json:
        print_json({
            "ok": result.ok, "events": result.events, "head_sha256": result.head,
            "problems": result.problems,
            "cameos": [{"id": s.id, "status": s.status, "reasons": s.reasons}
                       for s in result.cameos],
        })
        return 0 if result.ok else 1
    for problem in result.problems:
        err(problem)
    if not result.ok:
        err(f"audit failed: {len(result.problems)} problem(s) in {doc.root}")
        return 1
    out(f"ok: {result.events} audit event(s), chain intact (head {result.head[:16]}…); "
        f"{len(result.cameos)} cameo file(s) match it")
    return 0


def cmd_expiring(args: argparse.Namespace) -> int:
    from studio.consent import expiring

    doc = _doc(args.project)
    states = expiring(doc.root, args.days)
    if args.json:
        print_json([{"id": s.id, "name": s.name, "valid_until":
                     s.cameo.valid_until.isoformat() if s.cameo else None,
                     "days_left": s.days_left} for s in states])
        return 0
    if not states:
        out(f"no active consent ends within {args.days} day(s)")
    for s in states:
        until = s.cameo.valid_until if s.cameo else "?"
        out(f"{s.id:<24} ends {until} ({s.days_left} day(s) left)  {s.name}")
    return 0


def _at(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {value!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `studio consent ...` to the `studio` parser."""
    consent = sub.add_parser("consent", help="cameos and consent: list, check, revoke, audit")
    csub = consent.add_subparsers(dest="consent_command", metavar="ACTION",
                                  parser_class=type(consent))
    consent.set_defaults(func=lambda _args: (consent.print_help(sys.stderr), 2)[1])

    p = csub.add_parser("list", help="every cameo with its consent status")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_list)

    p = csub.add_parser("check", help="exit 1 with one line per consent problem")
    p.add_argument("project")
    p.add_argument("--shot", action="append", metavar="ID", help="only this shot (repeatable)")
    p.add_argument("--remix", action="store_true", help="check for a remix of a take")
    p.add_argument("--at", type=_at, metavar="WHEN",
                   help="check at this ISO date/time instead of now")
    p.set_defaults(func=cmd_check)

    p = csub.add_parser("revoke", help="revoke a cameo's consent (blocks jobs, flags takes)")
    p.add_argument("project")
    p.add_argument("cameo")
    p.add_argument("--reason", required=True, help="why (recorded in the audit log)")
    p.add_argument("--by", help="who revokes (default: $STUDIO_ACTOR or the login name)")
    p.set_defaults(func=cmd_revoke)

    p = csub.add_parser("audit", help="verify the audit chain and every cameo file")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.set_defaults(func=cmd_audit)

    p = csub.add_parser("confirm", help="accept a cameo file edited or added outside the app")
    p.add_argument("project")
    p.add_argument("cameo")
    p.add_argument("--by", help="who confirms (default: $STUDIO_ACTOR or the login name)")
    p.add_argument("--note", help="what was checked")
    p.set_defaults(func=cmd_confirm)

    p = csub.add_parser("expiring", help="active consents that end soon")
    p.add_argument("project")
    p.add_argument("--days", type=int, default=30, help="within this many days (default 30)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_expiring)
