"""`studio results ...`: list, tag, rate, review, import and rebuild the library of takes.

Exit codes as everywhere: 0 success, 1 a problem explained on stderr (unknown take, a file
that cannot be imported), 2 a usage error — including a rating outside -1 … 5 and an
unknown review status, which argparse refuses before anything is opened.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.cli import err, out, print_json
from studio.errors import StudioError


def _root(value: str) -> Path:
    from studio.project import find_root

    root = find_root(Path(value))
    if not (root / "project.yaml").is_file():
        raise StudioError(f"{root}: not a Brief Studio project (no project.yaml)")
    return root


def _status_arg(value: str) -> str:
    """argparse type for a review status (``changes-requested`` = ``changes_requested``):
    an unknown one is a usage error (exit 2), in `list --status` and `review` alike."""
    from studio.results.records import ResultError, review_status

    try:
        return review_status(value)
    except ResultError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rating_arg(value: str) -> int:
    """argparse type for a rating −1 … 5: anything else is a usage error (exit 2)."""
    from studio.results.records import ResultError, check_rating

    try:
        return check_rating(value)
    except ResultError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_list(args: argparse.Namespace) -> int:
    from studio.results import list_results

    items = list_results(_root(args.project), tag=args.tag or None, status=args.status,
                         text=args.text, shot=args.shot, provider=args.provider,
                         min_rating=args.min_rating, order=args.order, limit=args.limit)
    if args.json:
        print_json(items)
        return 0
    if not items:
        out("no results")
        return 0
    shot_w = max(10, *(len(r["shot"] or "-") for r in items))
    for r in items:
        stars = "reject" if r["rating"] < 0 else "*" * r["rating"] or "-"
        flag = "  CONSENT: " + r["consent_flag"] if r["consent_flag"] else ""
        gone = f"  MISSING: no file at {r['path']}" if r["missing"] else ""
        c2pa = f"  c2pa:{r['c2pa']['validation_state']}" if r["c2pa"] else ""
        dur = f"{r['duration']:.1f}s" if r["duration"] is not None else "?"
        out(f"{r['id']}  {r['shot'] or '-':<{shot_w}} {dur:>6}  {stars:<6} "
            f"{r['review']['status']:<17} {', '.join(r['tags'])}{c2pa}{gone}{flag}")
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from studio.results import add_tags, remove_tags

    root = _root(args.project)
    tags = remove_tags(root, args.result, args.tags) if args.remove else \
        add_tags(root, args.result, args.tags)
    out(f"{args.result}: {', '.join(tags) or '(no tags)'}")
    return 0


def cmd_rate(args: argparse.Namespace) -> int:
    from studio.results import set_rating

    set_rating(_root(args.project), args.result, args.n)
    out(f"{args.result}: rating {args.n}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from studio.results import set_review

    set_review(_root(args.project), args.result, args.status, reviewer=args.reviewer,
               note=args.note)
    out(f"{args.result}: {args.status}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from studio.project import load_project
    from studio.results import import_files

    root = _root(args.project)
    try:
        shots = {s.id for s in load_project(root).project.shots}
    except StudioError:
        shots = set()
    if args.shot and args.shot not in shots:
        raise StudioError(f"unknown shot {args.shot!r}; shots: {', '.join(sorted(shots))}")
    failed = 0
    for o in import_files(root, [Path(f) for f in args.files], shot_id=args.shot,
                          known_shots=shots):
        if o.error:
            failed += 1
            err(o.error)
        elif o.duplicate:
            out(f"{o.path}: already imported as {o.result_id}")
        else:
            out(f"imported {o.result_id} {o.path}")
            if o.note:
                err(f"warning: {o.note}")
            _consent_note(root, o.result_id)
    return 1 if failed else 0


def _consent_note(root: Path, result_id: str | None) -> None:
    """Say which real people an imported take shows (its shot's cameos) and any consent flag."""
    from studio.results import get_result

    if not result_id:
        return
    try:
        info = get_result(root, result_id)
    except StudioError:
        return
    if info.get("cameos"):
        out(f"  shows {', '.join(info['cameos'])} (the shot's cameos)")
    if info.get("consent_flag"):
        err(f"warning: {result_id} is flagged and will not be exported: {info['consent_flag']}")


def cmd_rebuild(args: argparse.Namespace) -> int:
    from studio.results import rebuild

    report = rebuild(_root(args.project))
    if report.moved_aside:
        out(f"moved the unreadable database aside to {report.moved_aside}")
    for problem in report.problems:
        err(f"warning: {problem}")
    out(f"restored {len(report.restored)} take(s), {report.kept} already indexed")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `studio results ...` to the `studio` parser."""
    from studio.results.records import ORDERS, REVIEW_STATUSES

    p = sub.add_parser("results", help="the library of takes: list, tag, rate, review, import")
    rs = p.add_subparsers(dest="results_command", metavar="ACTION", required=True,
                          parser_class=type(p))

    q = rs.add_parser("list", help="list takes (newest first)")
    q.add_argument("project")
    q.add_argument("--tag", action="append", metavar="T", help="only takes with this tag "
                   "(repeat: all of them)")
    q.add_argument("--status", type=_status_arg, metavar="S",
                   help="only this review status: " + " | ".join(REVIEW_STATUSES)
                   + " (- for _ accepted)")
    q.add_argument("--text", help="full-text search over prompt, tags and notes")
    q.add_argument("--shot", help="only this shot")
    q.add_argument("--provider", help="only this provider")
    q.add_argument("--min-rating", type=_rating_arg, metavar="N",
                   help="rating at least N (-1 … 5)")
    q.add_argument("--order", choices=list(ORDERS), default="newest")
    q.add_argument("--limit", type=int, metavar="N")
    q.add_argument("--json", action="store_true", help="print a JSON list")
    q.set_defaults(func=cmd_list)

    q = rs.add_parser("tag", help="add tags to a take (--remove to take them off)")
    q.add_argument("project")
    q.add_argument("result")
    q.add_argument("tags", nargs="+", metavar="TAG")
    q.add_argument("--remove", action="store_true")
    q.set_defaults(func=cmd_tag)

    q = rs.add_parser("rate", help="rate a take: -1 (reject), 0 (none) … 5")
    q.add_argument("project")
    q.add_argument("result")
    q.add_argument("n", metavar="N", type=_rating_arg, help="-1 (reject), 0 (none) … 5")
    q.set_defaults(func=cmd_rate)

    q = rs.add_parser("review", help="set the review status of a take")
    q.add_argument("project")
    q.add_argument("result")
    q.add_argument("status", metavar="STATUS", type=_status_arg,
                   help=" | ".join(REVIEW_STATUSES) + " (- for _ accepted)")
    q.add_argument("--note", help="what the reviewer says")
    q.add_argument("--reviewer", help="who reviewed (default: unnamed)")
    q.set_defaults(func=cmd_review)

    q = rs.add_parser("import", help="import external video files as takes")
    q.add_argument("project")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--shot", help="attach the imported takes to this shot")
    q.set_defaults(func=cmd_import)

    q = rs.add_parser("rebuild", help="rebuild the index of takes from media/ and XMP sidecars")
    q.add_argument("project")
    q.set_defaults(func=cmd_rebuild)
