"""`studio queue remix|extend PROJECT RESULT --prompt TEXT`: new jobs from a finished take.

They hang under the `queue` parser that :mod:`studio.cli_queue` builds (this module is listed
after it in ``studio.cli.FEATURE_MODULES``). The job goes to the take's own provider and model;
consent is checked with ``remix=True`` for every cameo the take shows, now and again right
before the request; the new take's ``parent`` is ``RESULT``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from studio.cli import err, out
from studio.errors import QueueError

log = logging.getLogger(__name__)


def _queue_actions(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """The `studio queue` ACTION subparsers (registered by studio.cli_queue)."""
    queue = sub.choices.get("queue")
    if queue is None:
        raise RuntimeError("studio.cli_remix must be registered after studio.cli_queue")
    for action in queue._actions:  # argparse keeps no public handle on a parser's subparsers
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError("the `studio queue` parser has no ACTION subcommands")


def _derive(args: argparse.Namespace, kind: str) -> int:
    from studio.project import load_project
    from studio.providers.registry import get_caps, is_available
    from studio.queue.enqueue import enqueue, plan_from_take

    doc = load_project(Path(args.project))
    seconds = getattr(args, "seconds", None)
    the_plan = plan_from_take(doc.root, doc.project, args.result, kind, args.prompt or "",
                              seconds=seconds)
    for item in the_plan.items:
        for change in item.fit.changes:
            out(f"{item.shot_id}: [{the_plan.provider}] {change}")
    caps = get_caps(the_plan.provider)
    if not is_available(caps):
        err(f"warning: no API key for {the_plan.provider}: the job will fail until you run "
            f"`studio key set {the_plan.provider}` or set {caps.env_key}")
    jobs = enqueue(doc.root, the_plan)
    refused = 0
    for job in jobs:
        if job.status == "queued":
            out(f"queued {job.id}  {kind} of {the_plan.parent_result_id}  {job.shot_id}  "
                f"{job.provider}/{job.model}  {job.params['duration']:g}s  "
                f"est. ${job.cost_estimate:.2f}")
        else:
            refused += 1
            err(f"blocked {job.id}  {kind} of {the_plan.parent_result_id}: {job.error}")
    return 1 if refused else 0


def cmd_remix(args: argparse.Namespace) -> int:
    return _derive(args, "remix")


def cmd_extend(args: argparse.Namespace) -> int:
    if args.seconds is not None and args.seconds <= 0:
        raise QueueError(f"--seconds must be more than 0 (got {args.seconds:g})")
    return _derive(args, "extend")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `remix` and `extend` to the `studio queue` actions."""
    qs = _queue_actions(sub)

    p = qs.add_parser("remix", help="queue a remix of a finished take (new prompt, same "
                                    "provider; consent must allow remixing)")
    p.add_argument("project")
    p.add_argument("result", help="the take's result id (or a unique prefix)")
    p.add_argument("--prompt", required=True, help="what the remix changes")
    p.set_defaults(func=cmd_remix)

    p = qs.add_parser("extend", help="queue an extension of a finished take (it continues "
                                     "for --seconds more; consent must allow remixing)")
    p.add_argument("project")
    p.add_argument("result", help="the take's result id (or a unique prefix)")
    p.add_argument("--prompt", required=True, help="what happens next")
    p.add_argument("--seconds", type=float, metavar="N",
                   help="length of the new segment (default: the model's shortest, 4 s on "
                        "sora-2; fitted to the allowed lengths)")
    p.set_defaults(func=cmd_extend)
