"""`studio queue add|list|run|cancel|retry|decide|remove`, `studio providers`, `studio key set`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.cli import err, out, print_json
from studio.errors import QueueError

log = logging.getLogger(__name__)


def _root(project: str) -> Path:
    from studio.project import find_root, load_project

    root = find_root(Path(project))
    load_project(root)  # clear error if it is not a project
    return root


def cmd_add(args: argparse.Namespace) -> int:
    from studio.project import load_project
    from studio.queue.enqueue import enqueue, plan
    from studio.settings import load_settings

    doc = load_project(Path(args.project))
    if not args.shot and not args.all:
        raise QueueError("say which shots: --shot ID (repeatable) or --all")
    provider = args.provider or load_settings().default_provider
    the_plan = plan(doc.root, doc.project, None if args.all else args.shot, provider,
                    variants=args.variants, model=args.model)
    for shot_id, changes in the_plan.changes.items():
        for change in changes:
            out(f"{shot_id}: [{provider}] {change}")
    from studio.providers.registry import base_url_warning, get_caps, is_available

    caps = get_caps(provider)
    if not is_available(caps):
        err(f"warning: no API key for {provider}: jobs will fail until you run "
            f"`studio key set {provider}` or set {caps.env_key}")
    bad_url = base_url_warning(provider)
    if bad_url:
        err(f"warning: {provider} jobs will fail before sending until this is fixed: "
            f"{bad_url}")
    jobs = enqueue(doc.root, the_plan)
    refused = [j for j in jobs if j.status != "queued"]
    for job in jobs:
        if job.status == "queued":
            out(f"queued {job.id}  {job.shot_id} v{job.variant}  {provider}/{job.model}  "
                f"est. ${job.cost_estimate:.2f}")
    for job in refused:
        err(f"blocked {job.id}  {job.shot_id}: {job.error}")
    total = sum(j.cost_estimate for j in jobs if j.status == "queued")
    out(f"{len(jobs) - len(refused)} job(s) queued, est. ${total:.2f}"
        + (f"; {len(refused)} blocked" if refused else ""))
    if refused:
        err("refused shot(s): " + ", ".join(sorted({j.shot_id for j in refused})))
        return 1
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from studio.queue.jobs import list_jobs
    from studio.store import Store

    root = _root(args.project)
    with Store.for_project(root).session() as conn:
        jobs = list_jobs(conn)
    if args.json:
        print_json([j.to_json() for j in jobs])
        return 0
    if not jobs:
        out("no jobs")
        return 0
    for j in jobs:
        extra = f"  result {j.result_id}" if j.result_id else ""
        extra += f"  ({j.error})" if j.error else ""
        extra += "  NEEDS DECISION" if j.needs_decision else ""
        pct = f" {j.progress * 100:3.0f}%" if j.status in ("running", "downloading") else ""
        out(f"{j.id}  {j.shot_id:<20} {j.provider:<8} {j.status}{pct}  ${j.cost_estimate:.2f}"
            f"{extra}")
    return 0


EVENTS_FORMAT = 1


class _EventWriter:
    """`queue run --events`: one JSON object per line on stdout, flushed, for any thread.

    Every core event becomes ``{"event": KIND, ...data}``. Warnings and errors of the
    worker's logging become ``{"event": "worker_log", "level", "logger", "message"}``. If the
    reader is gone (broken pipe) the worker stops: its window closed.
    """

    def __init__(self, on_broken: Callable[[], None]) -> None:
        import threading

        self._lock = threading.Lock()
        self._on_broken = on_broken
        self.broken = False

    def write(self, obj: dict[str, Any]) -> None:
        import json

        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self.broken:
                return
            try:
                sys.stdout.write(line)
                sys.stdout.flush()
            except (OSError, ValueError):
                self.broken = True
        if self.broken:
            self._on_broken()

    def event(self, event: object) -> None:
        self.write({"event": getattr(event, "kind", "?"), **getattr(event, "data", {})})


class _JsonLogHandler(logging.Handler):
    def __init__(self, writer: _EventWriter) -> None:
        super().__init__(logging.WARNING)
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not kill the worker
            message = str(record.msg)
        self.writer.write({"event": "worker_log", "level": record.levelname,
                           "logger": record.name, "message": message})


def _read_commands(engine: Any, stop_at_eof: bool) -> None:  # noqa: ANN401
    """stdin of `queue run --events`: "wake" looks for work now; "stop" stops the worker
    cleanly, and so does the end of input (the window closed the pipe or died) unless
    ``--until-idle`` was given."""
    for line in sys.stdin:
        command = line.strip()
        if command == "wake":
            engine.wake()
        elif command == "stop":
            engine.request_stop()
            return
    if stop_at_eof:
        engine.request_stop()


def cmd_run(args: argparse.Namespace) -> int:
    from studio.events import JOB_CHANGED, EventBus
    from studio.queue.engine import QueueEngine

    root = _root(args.project)
    bus = EventBus()
    last: dict[str, str] = {}
    events = bool(getattr(args, "events", False))
    writer: _EventWriter | None = None

    def show(event: object) -> None:
        data = getattr(event, "data", {})
        if getattr(event, "kind", "") == JOB_CHANGED and last.get(data["job_id"]) != data["status"]:
            last[data["job_id"]] = data["status"]
            tail = f": {data['error']}" if data.get("error") and data["status"] in (
                "failed", "blocked") else ""
            out(f"{time.strftime('%H:%M:%S')} {data['job_id']} {data['shot_id']} "
                f"{data['status']}{tail}")
            sys.stdout.flush()

    import os

    scale = float(os.environ.get("STUDIO_QUEUE_TIME_SCALE") or 1.0)  # tests only
    engine = QueueEngine(root, bus, sleep_scale=scale, reconcile_delay=2.0 * scale)
    if events:
        writer = _EventWriter(engine.request_stop)
        bus.subscribe(writer.event)
        handler = _JsonLogHandler(writer)
        root_logger = logging.getLogger()
        root_logger.handlers[:] = [handler]
        # the JSON handler is the only one and takes warnings and errors: records below
        # that (an INFO line per transition and per HTTP request) are not even built
        root_logger.setLevel(max(root_logger.level, logging.WARNING))
        writer.write({"event": "worker_started", "format": EVENTS_FORMAT, "pid": os.getpid(),
                      "project": str(root)})
        import threading

        threading.Thread(target=_read_commands, args=(engine, not args.until_idle),
                         name="queue-stdin",
                         daemon=True).start()
    else:
        bus.subscribe(show)

    def on_signal(signum: int, _frame: object) -> None:
        if not events:
            err("stopping: running jobs resume on the next `studio queue run`")
        engine.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        asyncio.run(engine.run(until_idle=args.until_idle))
    except QueueError as exc:
        if writer is not None:
            from studio.queue.engine import WorkerBusyError

            writer.write({"event": "worker_refused",
                          "reason": "locked" if isinstance(exc, WorkerBusyError) else "error",
                          "message": str(exc)})
        raise
    if writer is not None:
        cpu = os.times()
        writer.write({"event": "worker_stopped", "stats": {
            **engine.stats, "cpu_user_s": cpu.user, "cpu_system_s": cpu.system}})
        return 0
    from studio.queue.jobs import list_jobs
    from studio.store import Store

    with Store.for_project(root).session() as conn:
        jobs = list_jobs(conn)
    counts: dict[str, int] = {}
    for j in jobs:
        counts[j.status] = counts.get(j.status, 0) + 1
    out("queue: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "empty"))
    waiting = [j for j in jobs if j.needs_decision]
    for j in waiting:
        err(f"{j.id} needs a decision: {j.error}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from studio.queue.control import cancel_job

    root = _root(args.project)
    job = cancel_job(root, args.job)
    out(f"cancelled {job.id} ({job.shot_id})")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    from studio.queue.control import retry_job

    root = _root(args.project)
    job = retry_job(root, args.job)
    if job.status != "queued":
        err(f"{job.id} is {job.status}: {job.error}")
        return 1
    out(f"queued {job.id} again ({job.shot_id})")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from studio.queue.control import decide_job

    root = _root(args.project)
    job = decide_job(root, args.job, resend=args.resend)
    out(f"{job.id}: {job.status}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from studio.queue.control import remove

    root = _root(args.project)
    remove(root, args.job)
    out(f"removed {args.job}")
    return 0


def cmd_providers(args: argparse.Namespace) -> int:
    from studio.providers.registry import describe

    items = describe()
    if args.json:
        print_json(items)
        return 0
    for p in items:
        state = "available" if p["available"] else f"no key (set {p['env_key']} or `studio key set {p['id']}`)"
        out(f"{p['id']:<8} {p['name']}  [{state}]")
        for m in p["models"]:
            durations = (", ".join(f"{d:g}" for d in m["durations"]) if m["durations"]
                         else "{:g}–{:g}".format(*m["duration_range"]) if m["duration_range"]
                         else "any")
            out(f"    {m['id']:<14} durations {durations} s; sizes "
                f"{', '.join(m['sizes']) or 'any'}; ${m['price']:.2f}/s"
                + ("; audio" if m["audio"] else "") + ("; remix" if m["remix"] else "")
                + ("; extend" if m.get("extend") else ""))
    return 0


def cmd_key_set(args: argparse.Namespace) -> int:
    from studio.keys import set_key
    from studio.providers.registry import get_caps

    caps = get_caps(args.provider)
    if caps.local:
        out(f"{args.provider} runs on this machine and needs no key")
        return 0
    if sys.stdin.isatty():
        import getpass

        key = getpass.getpass(f"API key for {args.provider}: ")
    else:
        key = sys.stdin.readline()
    set_key(args.provider, key)
    out(f"stored the {args.provider} key in the OS keyring (service brief-studio)")
    return 0


def _positive_int(text: str) -> int:
    """argparse type for counts: a whole number of at least 1 (else a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {value})")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this feature's subcommands to the `studio` parser."""
    q = sub.add_parser("queue", help="send shots to a generation provider")
    qs = q.add_subparsers(dest="queue_command", metavar="ACTION", required=True,
                          parser_class=type(q))

    p = qs.add_parser("add", help="queue shots (consent and budget are checked)")
    p.add_argument("project")
    which = p.add_mutually_exclusive_group(required=True)  # neither or both: usage error, exit 2
    which.add_argument("--shot", action="append", metavar="ID", help="a shot id (repeatable)")
    which.add_argument("--all", action="store_true", help="every shot of the brief")
    p.add_argument("--provider", help="provider id (default: settings, else previz)")
    p.add_argument("--model", help="provider model (default: the provider's default)")
    p.add_argument("--variants", type=_positive_int, metavar="N",
                   help="takes per shot, 1 or more (default: each shot's variants)")
    p.set_defaults(func=cmd_add)

    p = qs.add_parser("list", help="list jobs")
    p.add_argument("project")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = qs.add_parser("run", help="run the queue (headless worker; safe to kill)")
    p.add_argument("project")
    p.add_argument("--until-idle", action="store_true", help="exit when nothing is left to do")
    p.add_argument("--events", action="store_true",
                   help="machine output: one JSON object per line on stdout; commands on stdin "
                        "(wake, stop; end of input stops)")
    p.set_defaults(func=cmd_run)

    p = qs.add_parser("cancel", help="cancel a job (remotely too, where supported)")
    p.add_argument("project")
    p.add_argument("job")
    p.set_defaults(func=cmd_cancel)

    p = qs.add_parser("retry", help="queue a failed, cancelled or blocked job (or one waiting for a rejected key) again")
    p.add_argument("project")
    p.add_argument("job")
    p.set_defaults(func=cmd_retry)

    p = qs.add_parser("decide", help="resolve a job whose create may or may not have arrived")
    p.add_argument("project")
    p.add_argument("job")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--resend", action="store_true", help="send it again (may pay twice)")
    g.add_argument("--abandon", action="store_true", help="give up on it")
    p.set_defaults(func=cmd_decide)

    p = qs.add_parser("remove", help="remove a finished job from the list")
    p.add_argument("project")
    p.add_argument("job")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("providers", help="list generation providers")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_providers)

    k = sub.add_parser("key", help="API keys (stored in the OS keyring)")
    ks = k.add_subparsers(dest="key_command", metavar="ACTION", required=True,
                          parser_class=type(k))
    p = ks.add_parser("set", help="store a provider's API key, read from stdin")
    p.add_argument("provider")
    p.set_defaults(func=cmd_key_set)
