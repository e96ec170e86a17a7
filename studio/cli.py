"""The ``studio`` command line (everything but opening the window).

Exit codes: 0 success, 1 a problem explained in plain lines on stderr, 2 usage error.
``--json`` output is stable and documented in the README.

Feature modules add their subcommands through ``register(subparsers)`` (see
:data:`FEATURE_MODULES`); each subcommand sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studio import __version__
from studio.errors import ProjectFileError, StudioError

log = logging.getLogger(__name__)

SUBCOMMANDS = (
    "new", "validate", "prompt", "consent", "queue", "results", "providers", "key",
    "export", "verify", "import",
)

FEATURE_MODULES = (
    "studio.cli_consent",
    "studio.cli_queue",
    "studio.cli_remix",
    "studio.cli_results",
    "studio.cli_bundle",
)


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")


def print_json(data: Any) -> None:  # noqa: ANN401
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def cmd_new(args: argparse.Namespace) -> int:
    from studio.project import create_project
    from studio.templates import load_template

    template = load_template(args.template) if args.template else None
    doc = create_project(Path(args.path), args.name, template)
    out(f"created {doc.path}")
    return 0


def validate_root(root: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) as ``file:line:col: message`` lines."""
    from studio.linter import lint_project
    from studio.project import load_project
    from studio.yamlio import locate

    try:
        doc = load_project(root)
    except ProjectFileError as exc:
        return [str(p) for p in exc.problems], []
    errors: list[str] = []
    warnings: list[str] = []
    for lint in lint_project(doc.project, doc.root):
        line, col = locate(doc.source_map, lint.loc)
        where = f"shot {lint.shot_id}: " if lint.shot_id else ""
        text = f"{doc.path}:{line}:{col}: {lint.severity}: {where}{lint.message}"
        (errors if lint.severity == "error" else warnings).append(text)
    return errors, warnings


def cmd_validate(args: argparse.Namespace) -> int:
    errors, warnings = validate_root(Path(args.project))
    for line in errors + warnings:
        err(line)
    if errors:
        err(f"{len(errors)} error(s), {len(warnings)} warning(s)")
        return 1
    out(f"ok: {Path(args.project)} ({len(warnings)} warning(s))")
    return 0


def cmd_prompt(args: argparse.Namespace) -> int:
    from studio.compiler import compile_shot
    from studio.project import load_project

    doc = load_project(Path(args.project))
    shots = doc.project.shots
    if args.shot:
        wanted = set(args.shot)
        unknown = wanted - {s.id for s in shots}
        if unknown:
            err(f"unknown shot id(s): {', '.join(sorted(unknown))}")
            err(f"shots in this project: {', '.join(s.id for s in shots)}")
            return 1
        shots = [s for s in shots if s.id in wanted]
    names = cameo_names(doc.root)
    requests = [compile_shot(doc.project, s, names=names, root=doc.root) for s in shots]
    fitted: list[Any] = [None] * len(requests)
    if args.provider:
        from studio.providers.registry import fit_request

        fitted = [fit_request(args.provider, r) for r in requests]
    if args.json:
        items = []
        for req, fit in zip(requests, fitted, strict=True):
            item = {
                "shot": req.shot_id,
                "prompt": req.prompt,
                "duration": req.duration,
                "aspect": req.aspect,
                "size": req.size,
                "references": req.references,
                "cameos": req.cameos,
            }
            if fit is not None:
                item["provider"] = args.provider
                item["fitted"] = fit.params
                item["changes"] = fit.changes
            items.append(item)
        print_json(items)
        return 0
    for req, fit in zip(requests, fitted, strict=True):
        out(f"=== {req.shot_id} ({req.duration:g}s, {req.aspect}, {req.size}) ===")
        out(req.prompt)
        if fit is not None:
            for change in fit.changes:
                out(f"[{args.provider}] {change}")
        out()
    return 0


def cameo_names(root: Path) -> dict[str, str]:
    """Display names of the project's cameos (best effort: unreadable files are skipped)."""
    names: dict[str, str] = {}
    folder = root / "cameos"
    if not folder.is_dir():
        return names
    import yaml

    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            names[path.stem] = data["name"]
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="studio",
        description="Brief Studio: directorial briefs for AI video.",
    )
    parser.add_argument("--version", action="version", version=f"Brief Studio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("new", help="create a project folder")
    p.add_argument("path")
    p.add_argument("--name", help="project name (default: the folder name)")
    p.add_argument("--template", help="template id from resources/templates (e.g. social-ad)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("validate", help="check a project; exit 1 with file:line:col problems")
    p.add_argument("project")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("prompt", help="print the compiled prompts")
    p.add_argument("project")
    p.add_argument("--shot", action="append", metavar="ID", help="only this shot (repeatable)")
    p.add_argument("--provider", help="also fit each request to this provider")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_prompt)

    for name in FEATURE_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    from studio.logsetup import configure_logging

    log_path = configure_logging(verbose=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except StudioError as exc:
        err(str(exc))
        return 1
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except Exception as exc:  # an unexpected failure: a plain line, details in the log
        if os.environ.get("STUDIO_DEBUG"):
            raise
        # the traceback goes to the log file only (INFO: below the console's level)
        log.info("studio %s failed", getattr(args, "command", ""), exc_info=True)
        err(f"studio {getattr(args, 'command', '')}: unexpected error: "
            f"{type(exc).__name__}: {exc}")
        err(f"This is a bug in Brief Studio; the details are in {log_path} "
            "(or run again with STUDIO_DEBUG=1).")
        return 1
