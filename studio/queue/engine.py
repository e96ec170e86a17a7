"""The queue engine: drives jobs through their states, crash-safe.

Runs an asyncio loop (in the CLI worker's main thread, or a worker thread for the window:
:class:`EngineThread`) with one ``httpx.AsyncClient``. Each active job gets one task that
walks it forward one committed transition at a time, so a kill -9 at any moment leaves a
state to resume from:

* ``queued``: consent and budget are checked again, then ``submitting`` is committed
  *before* the create is sent; the remote id is committed the moment it returns.
* ``submitting`` (reply lost, or found so after a restart): never sent again blindly. The
  provider's list endpoint is searched for the job (same prompt and model, created after
  ``submitted_at - RECONCILE_SLACK``, not already claimed); found → ``running``; not found
  once RECONCILE_WINDOW (longer than the create's own timeout) has passed since it was sent
  → ``queued`` again. With no list endpoint the job waits for the user
  (``needs_decision``: `studio queue decide`).
* ``running``: polled, honouring the provider's hint (``openai-poll-after-ms``).
* ``downloading``: the take goes to ``media/.incoming/<job>.mp4.part``, is verified (length,
  type, decodes), renamed, and ingested by :func:`studio.results.ingest`; then the job is
  marked ``succeeded`` with the result id. If the worker dies between ingest and that
  commit, the restart finds the result by its job id instead of ingesting twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from studio.errors import ProviderError, QueueError, StudioError
from studio.events import JOB_CHANGED, PROVIDER_KEY_REJECTED, QUEUE_IDLE, EventBus
from studio.providers import base as P
from studio.providers.http import backoff_delay
from studio.providers.registry import create_provider, provider_table
from studio.providers.transport import lean_transport, lighten_client
from studio.queue import jobs as J
from studio.queue.enqueue import check_job_consent
from studio.queue.lock import WorkerLock
from studio.settings import Settings, load_settings
from studio.store import Store

log = logging.getLogger(__name__)

TICK = 0.25                  # scheduler wake-up when nothing happens (seconds)
RECONCILE_TRIES = 3          # list searches before a lost create counts as never made
RECONCILE_DELAY = 2.0        # seconds between those searches
# A lost create may still be in flight on the server (a slow create answers after up to the
# client's 60 s timeout). Only once this long has passed since it was sent does "not in the
# list" mean "never arrived"; until then the job keeps searching and is never sent again.
RECONCILE_WINDOW = 90.0
MAX_SUBMIT_ATTEMPTS = 8      # 429 / unreachable before the job fails
MAX_DOWNLOAD_ATTEMPTS = 4
MIN_POLL, MAX_POLL = 0.2, 60.0
INCOMING = "media/.incoming"
MEDIA_CONCURRENCY = 1        # verifications/ingests at once (CPU-bound, hold the GIL)
WORKER_READY = "worker_ready"  # event: the lock is held, imports are warm, jobs start now
KEY_CHECK_EVERY = 1.0        # seconds between looks for a new key while one is rejected
KEY_REJECTED = "key rejected by {p}: fix it with `studio key set {p}` or Settings"


def key_rejected_reason(provider: str) -> str:
    return KEY_REJECTED.format(p=provider)


def _key_fingerprint(provider: str) -> str:
    """A hash of the provider's key as it is now (never the key itself)."""
    import hashlib

    from studio.keys import get_key

    try:
        key = get_key(provider) or ""
    except Exception as exc:  # noqa: BLE001 - an unreadable keyring is "no key"
        log.info("key for %s unreadable: %s", provider, exc)
        key = ""
    return hashlib.sha256(key.encode()).hexdigest()


def warm_up() -> None:
    """Import what downloads and ingest need before jobs run: a first import in the middle
    of the run holds the GIL (and stalls the window) for up to ~100 ms."""
    import importlib

    for name in ("studio.media", "studio.results", "studio.consent", "studio.project",
                 "studio.keys", "PIL.Image", "PIL.ImageOps", "PIL.JpegImagePlugin",
                 "PIL.PngImagePlugin", "PIL.WebPImagePlugin", "anyio._backends._asyncio",
                 "sniffio", "email.policy", "c2pa", "av.subtitles.stream"):
        try:
            importlib.import_module(name)
        except ImportError as exc:  # pragma: no cover - optional parts
            log.info("warm-up: %s not importable: %s", name, exc)
    try:  # the first Image.open registers every plugin; keyring picks its backend once
        from PIL import Image

        Image.init()
        import keyring

        keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - only a warm-up
        log.info("warm-up: %s", exc)


class WorkerBusyError(QueueError):
    """Another worker (`studio queue run` or a window) holds the project's queue lock."""


class _Stop(Exception):
    """The job left the state this task was driving (cancelled elsewhere, or done)."""


class QueueEngine:
    def __init__(self, root: Path, bus: EventBus | None = None, *,
                 settings: Settings | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 reconcile_delay: float = RECONCILE_DELAY,
                 sleep_scale: float = 1.0) -> None:
        self.root = Path(root)
        self.bus = bus or EventBus()
        self.store = Store.for_project(self.root)
        self.settings = settings
        self._transport = transport
        self.reconcile_delay = reconcile_delay
        self.sleep_scale = sleep_scale    # tests shrink provider-requested waits
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._task_provider: dict[str, str] = {}
        self._providers: dict[str, P.VideoProvider] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self._conn: Any = None
        self.lock = WorkerLock(self.root)
        self._project_lock = threading.Lock()
        self._project_cache: tuple[tuple[int, int, int], Any] | None = None
        self._consent_cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._side_lock = threading.Lock()
        self._creating: dict[str, str] = {}   # job id -> prompt, while its create is in flight
        self._side_conn: Any = None
        self.busy_jobs = 0
        self._table: dict[str, P.ProviderCaps] | None = None
        # per running task: an event that cuts its current wait short (the scheduler sets
        # it when the job left its state in the database, e.g. cancelled by another process)
        self._nudges: dict[str, asyncio.Event] = {}
        # jobs with a task that the scheduler's query no longer finds active (cancelled, or
        # blocked by a revocation, in another process): their driver reads the row before
        # its next request instead of reading the status before and after every poll
        self._gone: set[str] = set()
        # job id -> (status, remote_id) its task last committed (or was started for): the
        # scheduler marks the job gone when its row no longer says so, e.g. cancelled and
        # retried elsewhere between two of its looks (active again, but not as its task left it)
        self._expect: dict[str, tuple[str, str | None]] = {}
        self._shots: dict[str, str] = {}
        # job id -> the job as this worker's last transition committed it: the driver's next
        # step starts from it instead of reading the row again (no await in between; any
        # other write of the row drops it)
        self._fresh: dict[str, J.Job] = {}
        # providers whose key was refused (401/403): provider -> (key fingerprint then, when);
        # their queued jobs wait until the key changes or a job of theirs is retried
        self._key_holds: dict[str, tuple[str, float]] = {}
        self._held_noted: set[str] = set()
        self._key_ok: set[str] = set()          # providers whose key was accepted this run
        self._key_probes: dict[str, asyncio.Lock] = {}
        self._hold_check: asyncio.Task[None] | None = None
        self._hold_checked = 0.0
        self._stats_lock = threading.Lock()
        #: counters for benchmarks: CPU seconds spent verifying and ingesting takes (media
        #: work, in worker threads), and jobs this engine brought to an end
        self.stats: dict[str, float] = {"media_cpu_s": 0.0, "media_own_thread_cpu_s": 0.0,
                                        "media_jobs": 0, "finished": 0}

    # -- thread-safe controls --------------------------------------------------------
    def wake(self) -> None:
        """New jobs were queued (or cancelled): look now."""
        loop, ev = self._loop, self._wake
        if loop is not None and ev is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(ev.set)

    def request_stop(self) -> None:
        self._stopping = True
        loop, ev, wake = self._loop, self._stop, self._wake
        if loop is not None and ev is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(ev.set)
                if wake is not None:
                    loop.call_soon_threadsafe(wake.set)

    # -- main loop ---------------------------------------------------------------------
    async def run(self, *, until_idle: bool = False) -> None:
        """Work until stopped (or, with ``until_idle``, until nothing is left to do)."""
        try:
            self.lock.acquire()
        except QueueError as exc:
            raise WorkerBusyError(str(exc)) from None
        try:
            await self._run(until_idle)
        finally:
            self.lock.release()

    async def _run(self, until_idle: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        self._media_slot = asyncio.Semaphore(MEDIA_CONCURRENCY)
        if self._stopping:
            self._stop.set()
        self._conn = self.store.connect()
        await asyncio.to_thread(self._warm_up)
        if self.settings is None:
            try:
                self.settings = load_settings()
            except StudioError as exc:
                log.warning("settings unreadable, using defaults: %s", exc)
                self.settings = Settings()
        table = provider_table(self.settings)
        self._table = table
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        timeout = httpx.Timeout(60.0, connect=10.0)
        was_idle = False
        try:
            # httpx's own transport unless a test injected one or STUDIO_HTTP_TRANSPORT=lean
            # asks for the lean asyncio one (about a fifth of httpcore's CPU per request)
            lean = None if self._transport is not None else lean_transport(max_keepalive=50)
            transport = self._transport or lean
            async with httpx.AsyncClient(transport=transport, limits=limits,
                                         timeout=timeout, follow_redirects=True) as client:
                self._client = client
                # client-side, whatever the transport: responses without Set-Cookie skip
                # httpx's cookie-jar pass (urllib/email objects per response)
                lighten_client(client)
                self.stats["cpu_at_ready_s"] = time.process_time()
                self.bus.publish(WORKER_READY, pid=os.getpid())
                while not self._stop.is_set():
                    pending = self._schedule(table)
                    idle = not self._tasks and not pending
                    if idle and not was_idle:
                        self.bus.publish(QUEUE_IDLE)
                    was_idle = idle
                    if idle and until_idle:
                        break
                    self._wake.clear()
                    if self._stop.is_set():
                        break
                    # request_stop() sets the wake event too: one wait, no tasks per cycle
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(TICK):
                            await self._wake.wait()
                await self._shutdown_tasks()
                self.stats["cpu_at_end_s"] = time.process_time()
        finally:
            self._conn.close()
            self._conn = None
            self._close_side()

    async def _shutdown_tasks(self) -> None:
        tasks = list(self._tasks.values())
        if self._hold_check is not None and not self._hold_check.done():
            tasks.append(self._hold_check)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _schedule(self, table: dict[str, P.ProviderCaps]) -> bool:
        """Start tasks for jobs that can move; True if some job is waiting for later.

        One light query per cycle (no JSON decoding): the active jobs' id, status,
        provider, next poll time and decision flag. A job that has a task but is no longer
        active here (cancelled by the window or `studio queue cancel`) has its task's wait
        cut short, so the task sees the change at once and cancels it on the provider.
        """
        now = time.time()
        pending = False
        running: dict[str, int] = {}
        for job_id, prov in self._task_provider.items():
            if job_id in self._tasks:
                running[prov] = running.get(prov, 0) + 1
        active = J.active_states(self._conn)
        expect = self._expect
        for job_id in self._tasks:
            row = active.get(job_id)
            if row is None or (row[0], row[4]) != expect.get(job_id, (row[0], row[4])):
                self._gone.add(job_id)
                self._nudge(job_id)
        for job_id, (status, provider, next_poll_at, needs_decision, remote_id) in active.items():
            if job_id in self._tasks or needs_decision:
                continue
            caps = table.get(provider)
            if caps is None:
                J.transition(self.store, self._conn, job_id, J.ACTIVE, J.FAILED,
                             f"unknown provider {provider}",
                             error=f"provider {provider!r} is not known to this Brief Studio")
                self._publish(job_id)
                continue
            if status == J.QUEUED and provider in self._key_holds:
                self._note_held(job_id, provider)   # waits for a new key; not "pending"
                continue
            if status == J.QUEUED:
                if next_poll_at and next_poll_at > now:
                    pending = True
                    continue
                if running.get(provider, 0) >= caps.concurrency:
                    pending = True
                    continue
            running[provider] = running.get(provider, 0) + 1
            task = asyncio.ensure_future(self._drive(job_id))
            self._tasks[job_id] = task
            expect[job_id] = (status, remote_id)
            self._task_provider[job_id] = provider
            task.add_done_callback(lambda _t, jid=job_id: self._task_done(jid))
        self.busy_jobs = len(self._tasks)
        if self._key_holds and now - self._hold_checked >= KEY_CHECK_EVERY and (
                self._hold_check is None or self._hold_check.done()):
            self._hold_checked = now
            self._hold_check = asyncio.ensure_future(self._check_holds())
        return pending

    # -- a rejected key ----------------------------------------------------------------
    def _hold_provider(self, provider: str, exc: Exception) -> None:
        """The provider refused the key: its queued jobs wait (one event, one log line)."""
        reason = key_rejected_reason(provider)
        first = provider not in self._key_holds
        self._key_holds[provider] = (_key_fingerprint(provider), time.time())
        self._key_ok.discard(provider)
        waiting = [row[0] for row in self._conn.execute(
            "SELECT id FROM jobs WHERE provider = ? AND status = 'queued'", (provider,))]
        for job_id in waiting:
            self._note_held(job_id, provider)
        if first:
            log.warning("%s (%s); %d job(s) wait", reason, exc, len(waiting))
            self.bus.publish(PROVIDER_KEY_REJECTED, provider=provider, message=reason,
                             detail=str(exc), waiting=len(waiting))

    def _note_held(self, job_id: str, provider: str) -> None:
        if job_id in self._held_noted:
            return
        self._held_noted.add(job_id)
        reason = key_rejected_reason(provider)
        self._note(job_id, reason, error=reason)
        self._publish(job_id)

    async def _check_holds(self) -> None:
        """Lift a hold when the provider's key changed or one of its jobs was retried."""
        for provider, (fingerprint, since) in list(self._key_holds.items()):
            changed = await asyncio.to_thread(_key_fingerprint, provider) != fingerprint
            retried = self._conn.execute(
                "SELECT 1 FROM job_events e JOIN jobs j ON j.id = e.job_id "
                "WHERE j.provider = ? AND e.at > ? AND e.detail LIKE 'retry%' LIMIT 1",
                (provider, since)).fetchone() is not None
            if changed or retried:
                self._key_holds.pop(provider, None)
                self._held_noted.clear()
                log.info("%s: %s; sending its queued jobs again", provider,
                         "the key changed" if changed else "a job was retried")
                if self._wake is not None:
                    self._wake.set()

    async def _key_probe(self, provider: str) -> asyncio.Lock | None:
        """Until a provider accepted the key in this run, one create at a time is sent to
        it, so a wrong key is refused once, not once per job. Returns the held lock."""
        if provider in self._key_ok or self._is_local_provider(provider):
            return None
        lock = self._key_probes.setdefault(provider, asyncio.Lock())
        await lock.acquire()
        if provider in self._key_ok:
            lock.release()
            return None
        return lock

    def _is_local_provider(self, provider: str) -> bool:
        caps = self._caps(provider)
        return bool(caps and caps.local)

    def _nudge(self, job_id: str) -> None:
        ev = self._nudges.get(job_id)
        if ev is not None:
            ev.set()

    async def _pause(self, job_id: str, seconds: float) -> None:
        """Sleep ``seconds``, or less if the scheduler nudges this job."""
        ev = self._nudges.get(job_id)
        if ev is None:
            ev = self._nudges[job_id] = asyncio.Event()
        if ev.is_set():
            ev.clear()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):  # no task per wait (wait_for makes one)
                await ev.wait()
        ev.clear()

    def _task_done(self, job_id: str) -> None:
        task = self._tasks.pop(job_id, None)
        self._task_provider.pop(job_id, None)
        self._nudges.pop(job_id, None)
        self._gone.discard(job_id)
        self._expect.pop(job_id, None)
        self._shots.pop(job_id, None)
        self._fresh.pop(job_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            log.error("job %s driver crashed: %r", job_id, task.exception())
        if self._wake is not None:
            self._wake.set()

    # -- helpers -----------------------------------------------------------------------
    def _publish(self, job_id: str) -> None:
        """JOB_CHANGED for a job as it is in the database now."""
        try:
            job = J.get_job(self._conn, job_id)
        except StudioError:
            return
        self.bus.publish(JOB_CHANGED, job_id=job.id, shot_id=job.shot_id, status=job.status,
                         progress=job.progress, error=job.error, result_id=job.result_id)

    def _move(self, job: J.Job, to: str, detail: str = "", **fields: Any) -> J.Job:  # noqa: ANN401
        """Commit ``job`` -> ``to`` (raise _Stop if it left ``job.status``); returns the
        job as committed (built from what was written, not read back)."""
        now = time.time()
        if not J.transition(self.store, self._conn, job.id, (job.status,), to, detail,
                            now=now, **fields):
            self._fresh.pop(job.id, None)
            raise _Stop
        if log.isEnabledFor(logging.INFO):
            log.info("job %s %s -> %s %s", job.id, job.status, to, detail)
        if to in J.TERMINAL:
            with self._stats_lock:
                self.stats["finished"] += 1
        # the event from what was just committed (no read back)
        self.bus.publish(JOB_CHANGED, job_id=job.id, shot_id=job.shot_id, status=to,
                         progress=fields.get("progress", job.progress),
                         error=fields.get("error", job.error),
                         result_id=fields.get("result_id", job.result_id))
        moved = _committed(job, to, now, fields)
        self._fresh[job.id] = moved
        if job.id in self._tasks:
            self._expect[job.id] = (to, moved.remote_id)
        return moved

    def _note(self, job_id: str, detail: str, *, only_in: tuple[str, ...] | None = None,
              **fields: Any) -> bool:  # noqa: ANN401
        """J.note on the loop's connection (the driver reads the row again afterwards);
        with ``only_in``, only while the job is in one of those states."""
        self._fresh.pop(job_id, None)
        return J.note(self.store, self._conn, job_id, detail, only_in=only_in, **fields)

    async def _unclaimed_remote(self, job: J.Job, status: P.RemoteStatus, how: str) -> None:
        """The provider made ``status.remote_id`` for ``job`` (its create returned, or a
        reconcile found it), but the job left ``submitting`` meanwhile (cancelled, blocked, or
        cancelled and retried, elsewhere), so the move to running was refused. The remote job
        is nobody's: record its id on the row if the job has ended (a guarded note: the
        status stays, with its job_events row) and cancel it on the provider, so it does not
        go on generating (and billing) unseen."""
        remote_id = status.remote_id
        ended = tuple(s for s in J.TERMINAL if s != J.SUCCEEDED)
        recorded = self._note(
            job.id, f"{how} {remote_id} after the job left submitting; cancelling it there",
            only_in=ended, remote_id=remote_id, remote_json=_dumps(status.handles))
        log.warning("job %s: %s made %s after the job left submitting (%s); cancelling it on "
                    "the provider", job.id, job.provider, remote_id,
                    "id recorded on the job" if recorded else "the job is active again")
        if not recorded:  # retried meanwhile: the row's remote id is the new attempt's
            self._note(job.id, f"{how} {remote_id} for an earlier attempt; cancelling it there")
        if await self._cancel_unowned(job, remote_id, status.handles) and recorded:
            self._note(job.id, f"cancelled on {job.provider}", only_in=ended,
                       remote_json=_dumps(dict(status.handles or {}, remote_cancelled=True)))

    async def _cancel_unowned(self, job: J.Job, remote_id: str,
                              handles: dict[str, Any] | None) -> bool:
        """Cancel (DELETE) ``remote_id``, a remote job of ``job`` that no attempt of it
        follows any longer, where the provider can; True if it did."""
        caps = self._caps(job.provider)
        if caps is None or caps.local:
            return False
        if not caps.cancel:
            log.warning("job %s: %s cannot cancel jobs; %s runs to its end (and is billed)",
                        job.id, job.provider, remote_id)
            return False
        try:
            await self._provider(job.provider).cancel(remote_id, dict(handles or {}))
        except ProviderError as exc:
            log.warning("job %s: remote cancel of %s failed: %s", job.id, remote_id, exc)
            return False
        log.info("job %s: %s cancelled on %s", job.id, remote_id, job.provider)
        return True

    def _fail(self, job: J.Job, message: str) -> None:
        self._move(job, J.FAILED, message, error=message)

    def _warm_up(self) -> None:
        """Before the first job: imports, and the brief parsed once (jobs then only stat
        project.yaml to see whether it changed)."""
        warm_up()
        try:
            with contextlib.suppress(StudioError, OSError):
                self._load_shot_id("")
        except Exception as exc:  # noqa: BLE001 - a job reports a broken brief itself
            log.info("warm-up: brief not loaded: %s", exc)

    def _caps(self, provider_id: str) -> P.ProviderCaps | None:
        table = self._table
        if table is None:
            table = self._table = provider_table(self.settings)
        return table.get(provider_id)

    def _provider(self, provider_id: str) -> P.VideoProvider:
        prov = self._providers.get(provider_id)
        if prov is None:
            prov = create_provider(provider_id, self._client, self.settings, sleep=self._sleep)
            self._providers[provider_id] = prov
        return prov

    def _spec(self, job: J.Job) -> P.JobSpec:
        parent_remote = None
        if job.parent_result_id:
            row = self._conn.execute("SELECT remote_id FROM results WHERE id = ?",
                                     (job.parent_result_id,)).fetchone()
            parent_remote = row[0] if row else None
        return P.JobSpec(job_id=job.id, root=self.root, provider=job.provider,
                         model=job.model or "", params=job.params,
                         request=dict(job.request.get("request") or {}), kind=job.kind,
                         parent_remote_id=parent_remote)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds * self.sleep_scale))

    def _current(self, job_id: str) -> J.Job:
        return J.get_job(self._conn, job_id)

    # -- the state machine -------------------------------------------------------------
    async def _drive(self, job_id: str) -> None:
        try:
            while not self._stopping:
                fresh = self._fresh.pop(job_id, None)
                job = fresh or self._current(job_id)
                self._shots[job_id] = job.shot_id
                if job.needs_decision:
                    return
                if job.status == J.QUEUED:
                    if not await self._submit(job):
                        return
                elif job.status == J.SUBMITTING:
                    if not await self._reconcile(job):
                        return
                elif job.status == J.RUNNING:
                    await self._poll(job)
                elif job.status == J.DOWNLOADING:
                    # moved here by this task's poll just now: no result can exist for it
                    # yet, unless ingest's own per-job check finds one (a retried job)
                    if not await self._download(job, restarted=fresh is None):
                        return
                else:
                    return
        except _Stop:
            await self._after_stop(job_id)

    async def _after_stop(self, job_id: str) -> None:
        """The job changed under us; if it was cancelled with a remote id, cancel remotely."""
        try:
            job = self._current(job_id)
        except StudioError:
            return
        if job.status == J.CANCELLED and job.remote_id and not job.remote.get("remote_cancelled"):
            await self.cancel_remote(job)

    async def cancel_remote(self, job: J.Job) -> None:
        caps = self._caps(job.provider)
        if caps is None or not caps.cancel or caps.local or not job.remote_id:
            return
        try:
            await self._provider(job.provider).cancel(job.remote_id, job.remote)
        except ProviderError as exc:
            log.info("remote cancel of %s failed: %s", job.remote_id, exc)
            return
        remote = dict(job.remote, remote_cancelled=True)
        self._note(job.id, f"cancelled on {job.provider}", remote_json=_dumps(remote))

    def _load_shot(self, job: J.Job) -> tuple[Any, Any] | None:
        return self._load_shot_id(job.shot_id)

    def _load_shot_id(self, shot_id: str) -> tuple[Any, Any] | None:
        """The brief as on disk now (parsed again only when project.yaml changed)."""
        from studio.project import PROJECT_FILE, load_project

        st = (self.root / PROJECT_FILE).stat()
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._project_lock:
            cached = self._project_cache
        if cached is None or cached[0] != key:
            cached = (key, load_project(self.root))
            with self._project_lock:
                self._project_cache = cached
        doc = cached[1]
        try:
            return doc.project, doc.project.shot(shot_id)
        except KeyError:
            return None

    def _consent(self, conn: Any, project: Any, shot: Any, job: J.Job) -> list[str]:  # noqa: ANN401
        """Consent reasons for ``job`` now. Checking reads and parses every cameo record and
        the audit ledger; a burst of jobs of one shot shares one check per second, keyed on
        everything it reads (project.yaml and cameos/ file stats, the ledger's last row)."""
        if not shot.cameos and not (job.kind != "generate" and job.cameos):
            return check_job_consent(self.root, project, shot, job.kind, job.cameos)
        cameos_dir = self.root / "cameos"
        try:
            files = tuple(sorted((f.name, f.stat().st_mtime_ns, f.stat().st_size)
                                 for f in cameos_dir.iterdir()))
        except OSError:
            files = ()
        try:
            ledger = tuple(conn.execute("SELECT COUNT(*), MAX(rowid) FROM audit").fetchone())
        except sqlite3.DatabaseError:
            # the ledger is unreadable (dropped, damaged): no cache key; the uncached check
            # reports the broken log and blocks the job
            return check_job_consent(self.root, project, shot, job.kind, job.cameos)
        with self._project_lock:
            brief = self._project_cache[0] if self._project_cache else None
        key = (job.shot_id, job.kind, tuple(job.cameos), brief, files, ledger,
               int(time.time()))
        with self._project_lock:
            hit = self._consent_cache.get(key)
        if hit is not None:
            return list(hit)
        reasons = check_job_consent(self.root, project, shot, job.kind, job.cameos)
        with self._project_lock:
            if len(self._consent_cache) > 256:
                self._consent_cache.clear()
            self._consent_cache[key] = tuple(reasons)
        return reasons

    async def _submit(self, job: J.Job) -> bool:
        reason = await asyncio.to_thread(self._gate_threadsafe, job)
        probe = await self._key_probe(job.provider)
        try:
            return await self._submit_gated(job, reason)
        finally:
            if probe is not None:
                probe.release()

    async def _submit_gated(self, job: J.Job, reason: str | None) -> bool:
        # only a status change can come from elsewhere while the gate ran (every other
        # writer of a job row is a transition); _drive reads the row again if it did
        if self._status_of(job.id) != J.QUEUED:
            return True
        if reason:
            status = J.FAILED if reason.startswith(("shot ", "the brief")) else J.BLOCKED
            self._move(job, status, reason, error=reason)
            return False
        if job.provider in self._key_holds:
            self._note_held(job.id, job.provider)
            return False
        try:
            self._provider(job.provider)  # a malformed base URL fails here, before sending
        except P.ProviderConfigError as exc:
            self._fail(job, f"{exc}. Nothing was sent; queue the shot again once it is fixed")
            return False
        now = time.time()
        job = self._move(job, J.SUBMITTING, "sending", submitted_at=now,
                         attempts=job.attempts + 1, error=None)
        self._fresh.pop(job.id, None)
        spec = self._spec(job)
        self._creating[job.id] = job.prompt
        try:
            status = await self._provider(job.provider).create(spec)
        except (P.SubmitUncertain, P.InternalServerError, P.ConflictError) as exc:
            self._note(job.id, f"reply lost, reconciling: {exc}",
                   error=f"checking with {job.provider} whether the job was made ({exc})")
            self._publish(job.id)
            return True
        except (P.AuthenticationError, P.PermissionDeniedError) as exc:
            # the key is wrong or revoked: this job and the provider's others wait for a
            # new key (or `queue retry`) instead of failing one by one
            self._move(job, J.QUEUED, f"key rejected ({exc})", next_poll_at=None,
                       error=key_rejected_reason(job.provider))
            self._held_noted.add(job.id)
            self._hold_provider(job.provider, exc)
            return False
        except P.APIStatusError as exc:
            self._key_ok.add(job.provider)  # any other answer: the key was accepted
            if exc.status == 408:
                self._note(job.id, f"reply lost, reconciling: {exc}")
                return True
            if isinstance(exc, P.RateLimitError):
                return self._requeue_later(job, exc, exc.retry_after)
            self._fail(job, str(exc))
            return False
        except P.APIConnectionError as exc:
            if exc.sent:
                self._note(job.id, f"reply lost, reconciling: {exc}")
                return True
            return self._requeue_later(job, exc, None)
        except ProviderError as exc:
            self._fail(job, str(exc))
            return False
        finally:
            self._creating.pop(job.id, None)
        self._key_ok.add(job.provider)
        try:
            self._move(job, J.RUNNING, f"accepted as {status.remote_id}",
                       remote_id=status.remote_id, remote_json=_dumps(status.handles),
                       progress=status.progress,
                       next_poll_at=time.time() + (status.poll_after or 0), error=None,
                       expires_at=status.expires_at)
        except _Stop:
            await self._unclaimed_remote(job, status, "created")
            raise
        return True

    def _gate_threadsafe(self, job: J.Job) -> str | None:
        # runs in a worker thread: the side connection (the loop's is not shared)
        with self._side() as conn:
            return _Gate(self, conn).check(job)

    @contextlib.contextmanager
    def _side(self) -> Iterator[Any]:
        """One connection for work off the loop's thread (consent gate, cancel checks),
        opened once (opening costs several ms: WAL and pragmas), used under a lock."""
        with self._side_lock:
            if self._side_conn is None:
                self._side_conn = self.store.connect()
            yield self._side_conn

    def _close_side(self) -> None:
        with self._side_lock:
            if self._side_conn is not None:
                self._side_conn.close()
                self._side_conn = None

    def _job_status_threadsafe(self, job_id: str) -> str | None:
        with self._side() as conn:
            row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row[0] if row else None

    def _is_local(self, job: J.Job) -> bool:
        caps = self._caps(job.provider)
        return bool(caps and caps.local)

    def _requeue_later(self, job: J.Job, exc: Exception, hint: float | None) -> bool:
        job = self._current(job.id)
        if job.attempts >= MAX_SUBMIT_ATTEMPTS:
            self._fail(job, f"gave up after {job.attempts} attempts: {exc}")
            return False
        delay = hint if hint is not None else backoff_delay(job.attempts - 1)
        self._move(job, J.QUEUED, f"not accepted ({exc}); again in {delay:.1f}s",
                   next_poll_at=time.time() + delay * self.sleep_scale, error=str(exc))
        return False

    async def _reconcile(self, job: J.Job) -> bool:
        caps = self._caps(job.provider)
        assert caps is not None
        if caps.local:
            self._move(job, J.QUEUED, "interrupted before it started; starting again",
                       next_poll_at=None)
            return True
        if not caps.list_endpoint:
            self._note(job.id,
                   "the create may have reached the provider, which cannot list jobs",
                   needs_decision=1,
                   error=(f"{job.provider} may or may not have started this job (the reply was "
                          "lost) and cannot be asked. Decide: `studio queue decide PROJECT JOB "
                          "--resend` (risks paying twice) or `--abandon`"))
            self._publish(job.id)
            return False
        spec = self._spec(job)
        since = (job.submitted_at or job.created_at) - P.RECONCILE_SLACK
        provider = self._provider(job.provider)
        tries = 0
        searching_noted = False
        while tries < RECONCILE_TRIES:
            if self._status_of(job.id) != J.SUBMITTING:
                raise _Stop
            # A sibling take (same prompt) whose create is still in flight here has made a
            # video whose id is not committed yet: searching now could claim it. Wait.
            while any(p == job.prompt for jid, p in self._creating.items() if jid != job.id):
                await asyncio.sleep(0.05)
            try:
                exclude = J.known_remote_ids(self._conn, job.provider)
                found = await provider.find_submitted(spec, since, exclude)
            except (P.AuthenticationError, P.PermissionDeniedError) as exc:
                self._fail(job, f"could not check whether the job was made: {exc}")
                return False
            except ProviderError as exc:
                log.info("reconcile of %s: list failed (%s); will ask again", job.id, exc)
                self._note(job.id, "",
                       error=f"cannot ask {job.provider} whether the job was made yet ({exc}); "
                             "asking again (it will not be sent twice)")
                await self._sleep(max(self.reconcile_delay, 1.0))
                continue  # never resend while the provider cannot be asked
            if found is not None and found.remote_id in J.known_remote_ids(self._conn,
                                                                          job.provider):
                continue  # another job claimed it while we were asking: look again
            if found is not None:
                try:
                    self._move(job, J.RUNNING, f"found on {job.provider} as {found.remote_id}",
                               remote_id=found.remote_id, remote_json=_dumps(found.handles),
                               progress=found.progress, error=None,
                               expires_at=found.expires_at)
                except _Stop:
                    await self._unclaimed_remote(job, found, "found")
                    raise
                return True
            tries += 1
            deadline = (job.submitted_at or job.created_at) + RECONCILE_WINDOW * self.sleep_scale
            if tries >= RECONCILE_TRIES and time.time() < deadline:
                tries = RECONCILE_TRIES - 1  # keep asking until the window has passed
                if not searching_noted:
                    searching_noted = True
                    self._note(job.id,
                           f"not on {job.provider} yet; the create may still be in flight, "
                           "asking again until it is certain (it will not be sent twice)")
                    self._publish(job.id)
                await asyncio.sleep(min(max(self.reconcile_delay, 0.01),
                                        max(deadline - time.time(), 0.01)))
            elif tries < RECONCILE_TRIES:
                await asyncio.sleep(self.reconcile_delay)
            if self._current(job.id).status != J.SUBMITTING:
                raise _Stop
        self._move(job, J.QUEUED, f"not found on {job.provider}: the create never arrived; "
                   "sending again", next_poll_at=None)
        return True

    def _status_of(self, job_id: str) -> str | None:
        row = self._conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row[0] if row else None

    async def _poll(self, job: J.Job) -> None:
        """Poll until the remote job ends. Cheap per round: no read of the row (only a job the
        scheduler saw leave the active states is read again, see ``_gone``: only a cancel or
        a revocation in another process changes a running job's row; every transition is
        guarded by the status), and a write and an event only when the progress moved."""
        provider = self._provider(job.provider)
        failures = 0
        current = job  # just read (or committed) by _drive, with no await in between
        self._fresh.pop(job.id, None)
        wait = (current.next_poll_at or 0) - time.time()
        progress = current.progress
        assert current.remote_id
        while True:
            if wait > 0:
                await self._pause(job.id, min(wait, MAX_POLL))
            if job.id in self._gone:
                # rare (the scheduler saw the row change): the whole row, to see a retry too
                try:
                    row = self._current(job.id)
                except StudioError:
                    return
                if row.remote_id != current.remote_id:
                    # cancelled and retried elsewhere (queued again, without this remote id):
                    # the remote job polled here is no attempt's any more
                    log.warning("job %s was retried elsewhere (now %s) while %s was polled; "
                                "cancelling %s on the provider", job.id, row.status,
                                current.remote_id, current.remote_id)
                    self._note(job.id, f"{current.remote_id} was an earlier attempt's; "
                               "cancelling it there")
                    await self._cancel_unowned(current, current.remote_id, current.remote)
                    raise _Stop
                if row.status != J.RUNNING:
                    if row.status == J.CANCELLED:
                        raise _Stop
                    return
                self._gone.discard(job.id)
            try:
                status = await provider.retrieve(current.remote_id, current.remote)
            except P.NotFoundError:
                self._fail(current, f"{job.provider} no longer knows job {current.remote_id} "
                           "(deleted or expired). Queue the shot again.")
                raise _Stop from None
            except (P.AuthenticationError, P.PermissionDeniedError, P.ProviderConfigError) as exc:
                self._fail(current, str(exc))
                raise _Stop from None
            except ProviderError as exc:
                failures += 1
                wait = backoff_delay(min(failures, 5)) * self.sleep_scale
                # only while running: a cancel meanwhile keeps its own error
                self._note(job.id, "", only_in=(J.RUNNING,), error=f"retrying: {exc}")
                continue
            if job.id in self._gone:
                wait = 0
                continue  # left its state while we asked: handled at the top
            if failures:
                failures = 0
                self._note(job.id, "", only_in=(J.RUNNING,), error=None)
            if status.state == P.COMPLETED:
                self._move(current, J.DOWNLOADING, "generated", progress=1.0,
                           expires_at=status.expires_at, error=None)
                return
            if status.state == P.FAILED:
                self._fail(current, status.error or f"{job.provider} reported the job failed")
                raise _Stop
            poll = min(max(status.poll_after or P.DEFAULT_POLL_INTERVAL, MIN_POLL), MAX_POLL)
            wait = poll * self.sleep_scale
            if abs(status.progress - progress) > 1e-6:
                progress = status.progress
                if not J.set_progress(self._conn, job.id, progress, status=J.RUNNING):
                    self._gone.add(job.id)  # no longer running: handled at the top
                    wait = 0
                    continue
                self.bus.publish(JOB_CHANGED, job_id=job.id, shot_id=job.shot_id,
                                 status=J.RUNNING, progress=progress, error=None,
                                 result_id=None)

    async def _download(self, job: J.Job, restarted: bool = True) -> bool:
        existing = J.result_for_job(self._conn, job.id, job.remote_id) if restarted else None
        if existing:
            self._move(job, J.SUCCEEDED, f"result {existing} (found after a restart)",
                       result_id=existing, progress=1.0, error=None)
            # the worker died after ingest committed: the thumbnail made during the
            # verification (and the take, if ingest had not removed it yet) are still there
            self._clear_incoming(job.id)
            return False
        if job.expires_at and job.expires_at < time.time():
            self._fail(job, f"the take expired on {job.provider} before it could be downloaded; "
                       "queue the shot again")
            return False
        local = self._is_local(job)
        if local:
            reason = await asyncio.to_thread(self._gate_threadsafe, job)
            if reason:
                self._move(job, J.BLOCKED, reason, error=reason)
                return False
        incoming = self.root / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        self._clear_incoming(job.id)  # partials of an interrupted attempt
        part = incoming / f"{job.id}.mp4.part"
        final = incoming / f"{job.id}.mp4"
        thumb = incoming / f"{job.id}.jpg"
        spec = self._spec(job)
        status = P.RemoteStatus(remote_id=job.remote_id or "", state=P.COMPLETED,
                                handles=job.remote)
        provider = self._provider(job.provider)
        cancel_check = _CancelCheck(self._job_status_threadsafe, job.id,
                                    lambda: self._stopping)
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()
        last = [0.0]
        shown = [job.progress]  # as committed (1.0 on the move to downloading)

        def progress(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] < 0.25 and fraction < 1.0:
                return
            if fraction == shown[0]:
                return  # e.g. a one-chunk download's 1.0: the row already says so
            last[0] = now
            shown[0] = fraction
            if threading.get_ident() == loop_thread:  # downloads: no self-pipe wake-up
                loop.call_soon(self._download_progress, job.id, fraction)
            else:  # renders in a worker thread
                loop.call_soon_threadsafe(self._download_progress, job.id, fraction)

        for attempt in range(MAX_DOWNLOAD_ATTEMPTS):
            try:
                has_thumb = await provider.download(spec, status, part, thumb, progress,
                                                    cancel_check)
                if cancel_check():
                    part.unlink(missing_ok=True)
                    raise _Stop
                # without a provider thumbnail, the verification's decode keeps the frame
                # a thumbnail shows and writes it (ingest would decode the take again)
                async with self._media_slot:
                    verified = await asyncio.to_thread(self._timed, _verify, part,
                                                       None if has_thumb else thumb)
                os.replace(part, final)
                has_thumb = has_thumb or thumb.is_file()
                break
            except P.DownloadError as exc:
                part.unlink(missing_ok=True)
                if exc.expired or attempt == MAX_DOWNLOAD_ATTEMPTS - 1:
                    self._fail(job, str(exc))
                    return False
                self._note(job.id, f"download again: {exc}")
                await self._sleep(backoff_delay(attempt))
            except (P.AuthenticationError, P.PermissionDeniedError, P.ProviderConfigError) as exc:
                part.unlink(missing_ok=True)
                self._fail(job, str(exc))
                return False
            except ProviderError as exc:
                part.unlink(missing_ok=True)
                if attempt == MAX_DOWNLOAD_ATTEMPTS - 1:
                    self._fail(job, f"download failed: {exc}")
                    return False
                await self._sleep(backoff_delay(attempt))
            except _MediaProblem as exc:
                part.unlink(missing_ok=True)
                if local or attempt == MAX_DOWNLOAD_ATTEMPTS - 1:
                    self._fail(job, f"the downloaded file is not a usable video: {exc}")
                    return False
                self._note(job.id, f"download again: {exc}")
            except Exception as exc:  # noqa: BLE001 - a renderer bug fails the job, not the worker
                part.unlink(missing_ok=True)
                if self._stopping:
                    raise _Stop from None
                if cancel_check():
                    raise _Stop from None
                log.exception("job %s: download/render failed", job.id)
                self._fail(job, f"{job.provider} could not produce the take: {exc}")
                return False
        async with self._media_slot:  # one decode/ingest at a time: less GIL contention
            result_id = await asyncio.to_thread(self._timed, self._ingest, job, final,
                                                thumb if has_thumb else None, verified)
        self._move(job, J.SUCCEEDED, f"result {result_id}", result_id=result_id, progress=1.0,
                   error=None)
        thumb.unlink(missing_ok=True)
        return False

    def _clear_incoming(self, job_id: str) -> None:
        """Remove the job's files from media/.incoming (a plain listing: glob() compiles a
        pattern per job)."""
        incoming = self.root / INCOMING
        with contextlib.suppress(OSError):
            for name in os.listdir(incoming):
                if job_id in name:
                    with contextlib.suppress(OSError):
                        (incoming / name).unlink()

    def _download_progress(self, job_id: str, fraction: float) -> None:
        if self._conn is None:
            return
        self._fresh.pop(job_id, None)
        if not J.set_progress(self._conn, job_id, fraction, status=J.DOWNLOADING):
            return  # a late event after the job left downloading (cancelled): not shown
        self.bus.publish(JOB_CHANGED, job_id=job_id, shot_id=self._shots.get(job_id, ""),
                         status=J.DOWNLOADING, progress=fraction, error=None, result_id=None)

    def _timed(self, func: Callable[..., Any], *args: Any) -> Any:  # noqa: ANN401
        """Run media work (in a worker thread) and add its CPU time to ``stats``.

        FFmpeg decodes with helper threads of its own (``thread_type = "AUTO"``) that
        Python's ``thread_time`` does not see. Their share is what the process spent during
        the call beyond this thread and every other Python thread (the loop, the executor,
        stdin): ``media_cpu_s`` includes it, ``media_own_thread_cpu_s`` is this thread only.
        Media work runs one at a time (``MEDIA_CONCURRENCY``), and the engine's other
        threads are long-lived Python threads, so nothing else is mistaken for it."""
        before = _python_threads_cpu()
        p0 = time.process_time()
        t0 = time.thread_time()
        try:
            return func(*args)
        finally:
            own = time.thread_time() - t0
            whole = time.process_time() - p0
            after = _python_threads_cpu()
            helpers = 0.0
            if before is not None and after is not None:
                me = threading.get_ident()
                others = sum(cpu - before.get(ident, 0.0) for ident, cpu in after.items()
                             if ident != me)
                helpers = max(0.0, whole - own - others)
            with self._stats_lock:
                self.stats["media_cpu_s"] += own + helpers
                self.stats["media_own_thread_cpu_s"] += own
                if func is _verify:
                    self.stats["media_jobs"] += 1

    def _ingest(self, job: J.Job, video: Path, thumbnail: Path | None,
                verified: _Verified | None = None) -> str:
        from studio.results import ingest

        params = dict(job.params)
        params.pop("prompt", None)
        # ingest is idempotent per job and take: it returns an existing result untouched
        existing = ingest(
            self.root, video, shot_id=job.shot_id, job_id=job.id, provider=job.provider,
            model=job.model, prompt=job.prompt, params=params, remote_id=job.remote_id,
            cost=job.cost_estimate, cameos=job.cameos, parent_id=job.parent_result_id,
            thumbnail_src=thumbnail, move=True, bus=self.bus,
            verified=verified.probe_of(video) if verified else None)
        if video.exists():
            # ingest moves the file into the library; still here means this very take (job
            # and remote id) was ingested already — a second download of it is not kept in
            # media/.incoming. (A retry's new take has a new remote id: a new result.)
            log.warning("job %s already has result %s for %s; the copy just downloaded is "
                        "deleted", job.id, existing, job.remote_id)
            with contextlib.suppress(OSError):
                video.unlink()
        return existing


class _Gate:
    """Runs QueueEngine._gate with a thread's own connection."""

    def __init__(self, engine: QueueEngine, conn: Any) -> None:  # noqa: ANN401
        self.engine = engine
        self.conn = conn

    def check(self, job: J.Job) -> str | None:
        e = self.engine
        try:
            loaded = e._load_shot(job)
        except StudioError as exc:
            return f"the brief could not be read: {exc}"
        if loaded is None:
            return f"shot {job.shot_id} is no longer in the brief"
        project, shot = loaded
        reasons = e._consent(self.conn, project, shot, job)
        if reasons:
            return "consent: " + "; ".join(reasons)
        if project.budget_usd is not None:
            spent = J.committed_spend(self.conn, exclude=job.id)
            if spent + job.cost_estimate > project.budget_usd + 1e-9:
                return (f"budget: this job (${job.cost_estimate:.2f}) would bring the project "
                        f"to ${spent + job.cost_estimate:.2f}, over its "
                        f"${project.budget_usd:.2f} cap")
        return None


class _CancelCheck:
    """``cancelled()`` for long renders/downloads: the job left its state, or the worker stops.

    Reads the database at most every half second (called per frame).
    """

    def __init__(self, status_of: Callable[[str], str | None], job_id: str,
                 stopping: Callable[[], bool]) -> None:
        self.status_of = status_of
        self.job_id = job_id
        self.stopping = stopping
        self._last = 0.0
        self._value = False

    def __call__(self) -> bool:
        if self._value or self.stopping():
            return True
        now = time.monotonic()
        if now - self._last >= 0.5:
            self._last = now
            self._value = self.status_of(self.job_id) != J.DOWNLOADING
        return self._value


class _MediaProblem(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class _Verified:
    """What :func:`_verify` found, and the file it found it in (inode, size, mtime)."""

    probe: Any
    identity: tuple[int, int, int]

    def probe_of(self, path: Path) -> Any:  # noqa: ANN401
        """The probe if ``path`` is still that file (renamed, not rewritten), else None
        (ingest then verifies it again)."""
        try:
            return self.probe if _identity(path) == self.identity else None
        except OSError:
            return None


def _identity(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _verify(path: Path, thumbnail: Path | None = None) -> _Verified:
    from studio.media import MediaError, verify_video

    try:
        before = _identity(path)
        probe = verify_video(path, thumbnail_to=thumbnail)
        return _Verified(probe, before if _identity(path) == before else (-1, -1, -1))
    except OSError as exc:
        raise _MediaProblem(str(exc)) from None
    except MediaError as exc:
        raise _MediaProblem(str(exc)) from None


def _python_threads_cpu() -> dict[int, float] | None:
    """CPU seconds of every live Python thread, by ident (None where the OS cannot say)."""
    getclock = getattr(time, "pthread_getcpuclockid", None)
    if getclock is None:
        return None
    out: dict[int, float] = {}
    for thread in threading.enumerate():
        ident = thread.ident
        # A "dummy" thread is one Python did not start (e.g. a Qt thread-pool thread that ran
        # Python code in the window's process): it stays listed after it has exited, and
        # pthread_getcpuclockid on an exited thread reads freed memory (a segfault once its
        # stack is unmapped). Python-started threads leave the list when they end.
        if ident is None or isinstance(thread, threading._DummyThread):  # noqa: SLF001
            continue
        try:
            out[ident] = time.clock_gettime(getclock(ident))
        except (OSError, OverflowError):  # ended meanwhile
            continue
    return out


def _dumps(value: Any) -> str:  # noqa: ANN401
    return json.dumps(value or {}, sort_keys=True)


def _committed(job: J.Job, to: str, now: float, fields: dict[str, Any]) -> J.Job:
    """``job`` as :func:`J.transition` just wrote it (the row, as Job.from_row reads it)."""
    changes: dict[str, Any] = {"status": to, "updated_at": now}
    for name, value in fields.items():
        if name == "remote_json":
            changes["remote"] = (json.loads(value) if isinstance(value, str)
                                 else dict(value or {}))
        elif name == "needs_decision":
            changes["needs_decision"] = bool(value)
        else:
            changes[name] = value
    if to in J.TERMINAL and "finished_at" not in fields:
        changes["finished_at"] = now
    return dataclasses.replace(job, **changes)


class EngineThread:
    """Runs a :class:`QueueEngine` in its own thread and asyncio loop (for the window)."""

    def __init__(self, engine: QueueEngine) -> None:
        self.engine = engine
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="queue-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            asyncio.run(self.engine.run())
        except BaseException as exc:  # noqa: BLE001 - reported to the owner
            self.error = exc
            log.warning("queue engine stopped: %s", exc)

    def stop(self, timeout: float = 10.0) -> None:
        self.engine.request_stop()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
