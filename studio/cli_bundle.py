"""`studio export`, `studio verify` and `studio import`: agency bundles from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.errors import BundleError


def cmd_export(args: argparse.Namespace) -> int:
    from studio.bundle import ExportOptions, export_bundle, plan_export

    options = ExportOptions(
        all_takes=args.all_takes, include_consent_evidence=args.include_consent_evidence,
        take_ids=frozenset(args.take) if args.take else None, skip_flagged=args.skip_flagged,
    )
    plan = plan_export(Path(args.project), options)
    last = [-1]

    def progress(done: int, total: int, label: str) -> None:
        if not args.progress:
            return
        pct = int(100 * done / max(total, 1))
        if pct != last[0]:
            last[0] = pct
            sys.stderr.write(f"\r{pct:3d}% {label[:60]:<60}")
            if label == "done":
                sys.stderr.write("\n")

    from studio.cli import out

    result = export_bundle(plan.doc.root, Path(args.output), options, plan=plan,
                           progress=progress)
    out(f"exported {result.path} ({len(result.takes)} take(s), {result.entries} entries, "
        f"{result.bytes_written} bytes)")
    if result.skipped_flagged:
        out(f"left out (flagged by a revoked consent): {', '.join(result.skipped_flagged)}")
    for item in result.withheld:
        out(f"withheld: {item.text()}")
    out(f"manifest.json sha256: {result.manifest_sha256}")
    if not result.takes:
        print("note: the bundle holds no takes (the brief, consent summary and shot list "
              "only): approve takes (`studio results review PROJECT RESULT approved`), choose "
              "a shot's selected take in the window, or export with --all-takes",
              file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from studio.bundle import verify_bundle
    from studio.cli import err, out, print_json

    report = verify_bundle(Path(args.bundle))
    if args.json:
        print_json({
            "ok": report.ok, "problems": report.problems,
            "entries": report.entries_checked, "bytes": report.bytes_checked,
            "manifest_sha256": report.manifest_sha256 or None,
            "project": ({"id": report.manifest.project_id, "name": report.manifest.project_name}
                        if report.manifest else None),
        })
        return 0 if report.ok else 1
    for line in report.lines():
        (out if report.ok else err)(line)
    return 0 if report.ok else 1


def cmd_import(args: argparse.Namespace) -> int:
    from studio.bundle import import_bundle
    from studio.cli import out

    result = import_bundle(Path(args.bundle), Path(args.dest))
    out(f"imported {result.manifest.project_name} into {result.path} "
        f"({len(result.takes)} take(s), verified against manifest.json)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this feature's subcommands to the `studio` parser."""
    p = sub.add_parser("export", help="write an agency bundle (zip) of a project")
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True, metavar="NAME.briefbundle.zip",
                   help="the bundle to write; name it NAME.briefbundle.zip so a double-click "
                        "on it opens Brief Studio's import (any .zip name works)")
    p.add_argument("--all-takes", action="store_true",
                   help="include every take, not only approved and selected ones")
    p.add_argument("--take", action="append", metavar="RESULT",
                   help="include exactly these takes (repeatable)")
    p.add_argument("--include-consent-evidence", action="store_true",
                   help="ship cameo contact details and consent evidence files unredacted")
    p.add_argument("--skip-flagged", action="store_true",
                   help="leave out takes flagged by a revoked consent instead of failing")
    p.add_argument("--progress", action="store_true", help="show progress on stderr")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("verify", help="check a bundle's manifest and every checksum")
    p.add_argument("bundle")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("import", help="verify a bundle and open it as a new project folder")
    p.add_argument("bundle")
    p.add_argument("dest")
    p.set_defaults(func=cmd_import)


__all__ = ["BundleError", "register"]
