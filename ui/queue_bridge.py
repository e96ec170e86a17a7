"""Runs the queue engine for an open project window — in a child process.

The engine is CPU work in Python (state transitions, SQL, HTTP, verifying and ingesting
takes); in the window's own interpreter it would hold the GIL and stall the GUI thread.
So the window starts ``studio queue run PROJECT --events`` as a child process
(:class:`~PySide6.QtCore.QProcess`; in a frozen build the app's own executable with the
``queue run`` subcommand). The child prints one JSON object per core event on stdout; the
bridge reads those lines when they arrive (cheap, GUI thread), turns them back into
:class:`studio.events.Event` and publishes them on ``ctx.bus`` — so every page keeps
listening to ``ProjectContext.coreEvent`` unchanged. The bridge writes ``wake`` to the
child's stdin when jobs were added or changed, and closes stdin to stop it.

* the child dies (crash, kill -9): it is started again after 1, 2, 4 … 30 s; jobs resume
  from the database (every transition is committed);
* another worker holds the project's lock (``studio queue run`` in a terminal, another
  window): ``worker`` is ``"elsewhere"``; the bridge watches studio.db (off the GUI thread,
  once a second) and publishes what changes, and takes over when the lock is free;
* warnings and errors the worker logs are emitted as ``problem(str)``
  (:class:`QueueIndicator` shows them in the status bar).

``bridge_for(ctx)`` returns the context's one :class:`QueueBridge`. Signals, all on the GUI
thread:

* ``activeJobsChanged(int)`` — jobs queued, submitting, running or downloading;
* ``statusTextChanged(str)`` — a short text for the status bar ("Queue: 2 running");
* ``workerChanged(str)`` — "running", "elsewhere" or "stopped";
* ``problem(str)`` — something the worker reported that a person should see.

``QueueBridge(ctx, mode="thread")`` runs the engine in a thread of this process instead
(:class:`studio.queue.engine.EngineThread`; tests and benchmarks compare the two).
The GUI thread never touches the network or waits for the engine.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QProcess,
    QProcessEnvironment,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from studio.errors import QueueError
from studio.events import JOB_CHANGED, RESULT_ADDED, Event
from studio.queue import jobs as J
from studio.store import Store
from ui.context import ProjectContext
from ui.tasks import run_task

log = logging.getLogger(__name__)

RETRY_LOCK_MS = 5000          # "elsewhere": how often to look whether the lock is free
WATCH_MS = 1000               # "elsewhere": how often to read the jobs table
RESTART_DELAYS_S = (1, 2, 4, 8, 16, 30)
STABLE_S = 30.0               # a worker that ran this long resets the restart backoff
STOP_GRACE_MS = 5000          # closed stdin → SIGTERM after this → SIGKILL after twice this
EVENTS_FORMAT = 1             # the `queue run --events` line format this bridge reads
#: niceness the worker process runs at (Unix): the window's GUI thread wins the CPU over
#: polling, downloads and take verification whenever both want it; idle cores still go to
#: the worker, so the queue is only slower when the machine is saturated
WORKER_NICE = 10


def worker_command(root: Path) -> tuple[str, list[str]]:
    """Program and arguments that run the project's queue worker with JSON events."""
    args = ["queue", "run", str(root), "--events"]
    if getattr(sys, "frozen", False):  # PyInstaller: the app itself takes the subcommand
        return sys.executable, args
    return sys.executable, ["-m", "ui.main", *args]


def lower_priority(pid: int, nice: int = WORKER_NICE) -> bool:
    """Run process ``pid`` (the worker, just started) at lower CPU priority than the window.

    Done right after the start: threads the worker creates later inherit it. Best effort
    (no ``os.setpriority`` on Windows; False when it could not be set).
    """
    setpriority = getattr(os, "setpriority", None)
    if setpriority is None or pid <= 0:
        return False
    try:
        current = os.getpriority(os.PRIO_PROCESS, pid)
        setpriority(os.PRIO_PROCESS, pid, max(current, nice))
    except OSError as exc:  # already gone, or not ours
        log.info("could not lower the queue worker's priority: %s", exc)
        return False
    return True


def _worker_environment() -> QProcessEnvironment:
    env = QProcessEnvironment.systemEnvironment()
    if not getattr(sys, "frozen", False):
        # the child imports studio/ui from the same tree as this window
        src = str(Path(__file__).resolve().parent.parent)
        old = env.value("PYTHONPATH", "")
        env.insert("PYTHONPATH", src + (os.pathsep + old if old else ""))
    env.insert("PYTHONUNBUFFERED", "1")
    return env


_gc_frozen = False


def calm_gc() -> None:
    """Move everything the window built at startup out of the collector's way.

    A full collection walks every tracked object; with the pages, models and a big
    library loaded that is a 25–45 ms pause of the GUI thread. ``gc.freeze()`` (once, after
    startup) leaves those long-lived objects out of future collections.
    """
    global _gc_frozen
    if not _gc_frozen:
        _gc_frozen = True
        gc.freeze()


class _Retiring(QObject):
    """Holds a stopping worker process until it exits (then deletes both).

    Stopping never waits on the GUI thread: stdin is closed (the worker stops cleanly),
    then SIGTERM after a grace period, then SIGKILL. The app's aboutToQuit waits briefly.
    """

    live: set[_Retiring] = set()

    def __init__(self, proc: QProcess) -> None:
        super().__init__()
        self.proc = proc
        proc.setParent(self)
        _Retiring.live.add(self)
        proc.finished.connect(self._done)
        if proc.state() == QProcess.ProcessState.NotRunning:
            QTimer.singleShot(0, self._done)
            return
        proc.closeWriteChannel()
        QTimer.singleShot(STOP_GRACE_MS, self, self._terminate)
        QTimer.singleShot(2 * STOP_GRACE_MS, self, self._kill)

    @Slot()
    def _terminate(self) -> None:
        if self.proc.state() != QProcess.ProcessState.NotRunning:
            self.proc.terminate()

    @Slot()
    def _kill(self) -> None:
        if self.proc.state() != QProcess.ProcessState.NotRunning:
            self.proc.kill()

    @Slot()
    def _done(self, *_args: object) -> None:
        if self in _Retiring.live:
            _Retiring.live.discard(self)
            self.deleteLater()

    def wait(self, msecs: int) -> None:
        if self.proc.state() != QProcess.ProcessState.NotRunning:
            if not self.proc.waitForFinished(msecs):
                self.proc.kill()
                self.proc.waitForFinished(2000)
        self._done()

    @staticmethod
    def wait_all(msecs: int = 3000) -> None:
        for r in list(_Retiring.live):
            r.wait(msecs)


_quit_hooked = False


def _hook_quit() -> None:
    global _quit_hooked
    app = QCoreApplication.instance()
    if app is not None and not _quit_hooked:
        _quit_hooked = True
        app.aboutToQuit.connect(lambda: _Retiring.wait_all(3000))


class QueueBridge(QObject):
    activeJobsChanged = Signal(int)
    statusTextChanged = Signal(str)
    workerChanged = Signal(str)
    problem = Signal(str)

    def __init__(self, ctx: ProjectContext, parent: QObject | None = None,
                 *, autostart: bool = True, engine_kwargs: dict[str, Any] | None = None,
                 mode: str | None = None):
        super().__init__(parent if parent is not None else ctx)
        self.ctx = ctx
        self.mode = mode or ("thread" if engine_kwargs else "process")
        if self.mode not in ("process", "thread"):
            raise ValueError(f"unknown queue bridge mode {self.mode!r}")
        self._engine_kwargs = engine_kwargs or {}
        self._thread: Any = None  # studio.queue.engine.EngineThread in thread mode
        self._proc: QProcess | None = None
        self._buffer = b""
        self._stderr_tail: list[str] = []
        self._refused: str | None = None
        self._stopping = False
        self._restarts = 0
        self._ready_at = 0.0
        self.worker_pid: int | None = None
        self.last_stats: dict[str, Any] | None = None
        self._status: dict[str, str] = {}
        self.worker = "stopped"
        self._watch = QTimer(self)            # thread mode: is the engine thread alive?
        self._watch.setInterval(1000)
        self._watch.timeout.connect(self._check_thread)
        self._restart_timer = QTimer(self)
        self._restart_timer.setSingleShot(True)
        self._restart_timer.timeout.connect(self._restart)
        self._lock_timer = QTimer(self)       # "elsewhere": is the lock free yet?
        self._lock_timer.setInterval(RETRY_LOCK_MS)
        self._lock_timer.timeout.connect(self._check_lock)
        self._db_timer = QTimer(self)         # "elsewhere": follow the other worker's jobs
        self._db_timer.setInterval(WATCH_MS)
        self._db_timer.timeout.connect(self._watch_db)
        self._watching = False
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._seen_results: set[str] = set()
        self._watch_since = 0.0
        ctx.coreEvent.connect(self._on_event)
        self._load_counts()
        if autostart:
            self.start()

    # -- engine ----------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker (no-op if it runs)."""
        self._stopping = False
        self._restart_timer.stop()
        if self.mode == "thread":
            self._start_thread()
            return
        if self._proc is not None:
            return
        calm_gc()
        _hook_quit()
        program, args = worker_command(self.ctx.root)
        proc = QProcess(self)
        proc.setProcessEnvironment(_worker_environment())
        proc.setProgram(program)
        proc.setArguments(args)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._process_error)
        self._proc = proc
        self._buffer = b""
        self._stderr_tail = []
        self._refused = None
        self._ready_at = 0.0
        log.info("starting queue worker: %s %s", program, " ".join(args))
        proc.start()
        lower_priority(int(proc.processId()))
        self._set_worker("running")

    def stop(self, wait_ms: int = 0) -> None:
        """Stop the engine; jobs resume on the next start or `studio queue run`.

        Returns at once (the worker is told to stop and is killed if it has not within a
        few seconds) unless ``wait_ms`` is given (tests, quitting).
        """
        self._stopping = True
        for timer in (self._watch, self._restart_timer, self._lock_timer, self._db_timer):
            timer.stop()
        self._watching = False
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        proc, self._proc = self._proc, None
        if proc is not None:
            for signal in (proc.readyReadStandardOutput, proc.readyReadStandardError,
                           proc.finished, proc.errorOccurred):
                signal.disconnect()
            retiring = _Retiring(proc)
            if wait_ms:
                retiring.wait(wait_ms)
        self._set_worker("stopped")

    def wake(self) -> None:
        """Jobs were queued or changed: the worker looks now (the other worker's state is
        read now when another process runs the queue)."""
        if self._thread is not None:
            self._thread.engine.wake()
        elif self._proc is not None and self._proc.state() == QProcess.ProcessState.Running:
            self._proc.write(b"wake\n")
        elif self._watching:
            self._watch_db()

    @property
    def engine(self) -> Any:  # noqa: ANN401 - the in-process QueueEngine (thread mode)
        return self._thread.engine if self._thread is not None else None

    @property
    def process(self) -> QProcess | None:
        return self._proc

    # -- thread mode -----------------------------------------------------------------------
    def _start_thread(self) -> None:
        from studio.queue.engine import EngineThread, QueueEngine

        if self._thread is not None and self._thread.alive:
            return
        engine = QueueEngine(self.ctx.root, self.ctx.bus, **self._engine_kwargs)
        self._thread = EngineThread(engine)
        self._thread.start()
        self._set_worker("running")
        self._watch.start()

    @Slot()
    def _check_thread(self) -> None:
        t = self._thread
        if t is None or t.alive:
            return
        self._thread = None
        self._watch.stop()
        if isinstance(t.error, QueueError):
            self._become_elsewhere()
        else:
            if t.error is not None:
                log.warning("queue engine ended: %s", t.error)
                self.problem.emit(f"Queue stopped: {t.error}")
            self._set_worker("stopped")

    # -- process mode: output ------------------------------------------------------------
    @Slot()
    def _read_stdout(self) -> None:
        proc = self._proc
        if proc is None:
            return
        data = self._buffer + bytes(proc.readAllStandardOutput().data())
        *lines, self._buffer = data.split(b"\n")
        events: list[dict[str, Any]] = []
        for raw in lines:
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                log.warning("queue worker: unreadable line %r", raw[:200])
                continue
            if isinstance(obj, dict) and isinstance(obj.get("event"), str):
                events.append(obj)
        for obj in _coalesce(events):
            self._handle(obj)

    def _handle(self, obj: dict[str, Any]) -> None:
        kind = obj.pop("event")
        if kind == "worker_started":
            self.worker_pid = obj.get("pid")
            if obj.get("format") != EVENTS_FORMAT:
                log.warning("queue worker speaks event format %s, expected %s",
                            obj.get("format"), EVENTS_FORMAT)
        elif kind == "worker_ready":
            self._ready_at = time.monotonic()
        elif kind == "worker_refused":
            self._refused = str(obj.get("reason") or "error")
            if self._refused != "locked":
                self.problem.emit(f"Queue worker: {obj.get('message')}")
        elif kind == "worker_log":
            message = f"Queue: {obj.get('message')}"
            level = logging.getLevelName(str(obj.get("level") or "WARNING"))
            log.log(level if isinstance(level, int) else logging.WARNING,
                    "queue worker: %s", obj.get("message"))
            self.problem.emit(message)
        elif kind == "worker_stopped":
            self.last_stats = obj.get("stats")
        else:
            self.ctx.bus.publish(kind, **obj)

    @Slot()
    def _read_stderr(self) -> None:
        proc = self._proc
        if proc is None:
            return
        text = bytes(proc.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                log.info("queue worker stderr: %s", line)
                self._stderr_tail = (self._stderr_tail + [line])[-20:]

    @Slot(int, QProcess.ExitStatus)
    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            self._read_stdout_from(proc)
            proc.deleteLater()
        if self._stopping:
            self._set_worker("stopped")
            return
        if self._refused == "locked":
            self._become_elsewhere()
            return
        crashed = status == QProcess.ExitStatus.CrashExit
        if self._ready_at and time.monotonic() - self._ready_at >= STABLE_S:
            self._restarts = 0
        delay = RESTART_DELAYS_S[min(self._restarts, len(RESTART_DELAYS_S) - 1)]
        self._restarts += 1
        tail = next((ln for ln in reversed(self._stderr_tail)
                     if ln.strip() and not ln.startswith(" ")), "")
        why = "was killed" if crashed else f"exited ({code})"
        message = f"Queue worker {why}{': ' + tail if tail else ''}; restarting in {delay} s"
        log.warning("%s", message)
        self.problem.emit(message)
        self._set_worker("stopped")
        self._restart_timer.start(delay * 1000)

    def _read_stdout_from(self, proc: QProcess) -> None:
        self._proc = proc
        try:
            self._read_stdout()
        finally:
            self._proc = None

    @Slot(QProcess.ProcessError)
    def _process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._proc is not None:
            proc, self._proc = self._proc, None
            message = f"Queue worker could not start: {proc.errorString()}"
            log.warning("%s", message)
            self.problem.emit(message)
            proc.deleteLater()
            self._set_worker("stopped")
            if not self._stopping:
                self._restarts += 1
                self._restart_timer.start(RESTART_DELAYS_S[-1] * 1000)

    @Slot()
    def _restart(self) -> None:
        if not self._stopping:
            self.start()

    # -- another worker runs the queue -------------------------------------------------
    def _become_elsewhere(self) -> None:
        self._set_worker("elsewhere")
        if self.mode == "thread":
            QTimer.singleShot(RETRY_LOCK_MS, self, self._retry_thread)
            return
        self._watching = True
        self._watch_since = time.time() - 2.0
        self._lock_timer.start()
        self._db_timer.start()

    @Slot()
    def _retry_thread(self) -> None:
        if self.worker == "elsewhere" and not self._stopping:
            self.start()

    @Slot()
    def _check_lock(self) -> None:
        root = self.ctx.root

        def probe() -> bool:
            from studio.queue.lock import worker_running

            return worker_running(root)

        def done(busy: bool | None, error: BaseException | None) -> None:
            if self._stopping or self.worker != "elsewhere":
                return
            if error is None and busy is False:
                self._lock_timer.stop()
                self._db_timer.stop()
                self._watching = False
                self.start()

        run_task(probe, done)

    @Slot()
    def _watch_db(self) -> None:
        """Publish the jobs and takes the other worker changed since the last look."""
        root, since = self.ctx.root, self._watch_since
        marks = ",".join("?" * len(J.ACTIVE))

        def read() -> tuple[float, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
            now = time.time()
            with Store.for_project(root).session() as conn:
                jobs = conn.execute(
                    "SELECT id, shot_id, status, progress, error, result_id FROM jobs "
                    f"WHERE updated_at >= ? OR status IN ({marks})",
                    (since - 2.0, *J.ACTIVE)).fetchall()
                results = conn.execute(
                    "SELECT id, shot_id, job_id FROM results WHERE created_at >= ?",
                    (since - 2.0,)).fetchall()
            return now, [tuple(r) for r in jobs], [tuple(r) for r in results]

        def done(res: Any, error: BaseException | None) -> None:  # noqa: ANN401
            if error is not None or res is None or not self._watching:
                if error is not None:
                    log.info("watching the queue: %s", error)
                return
            now, jobs, results = res
            self._watch_since = now
            for rid, shot_id, job_id in results:
                if rid not in self._seen_results:
                    self._seen_results.add(rid)
                    self.ctx.bus.publish(RESULT_ADDED, result_id=rid, shot_id=shot_id,
                                         job_id=job_id)
            for job_id, shot_id, status, progress, err, result_id in jobs:
                state = (status, round(progress or 0.0, 4), err, result_id)
                if self._seen.get(job_id) != state:
                    self._seen[job_id] = state
                    self.ctx.bus.publish(JOB_CHANGED, job_id=job_id, shot_id=shot_id,
                                         status=status, progress=progress or 0.0, error=err,
                                         result_id=result_id)

        run_task(read, done)

    def _set_worker(self, state: str) -> None:
        if state != self.worker:
            self.worker = state
            self.workerChanged.emit(state)
            self._emit_counts()

    # -- counts --------------------------------------------------------------------------
    def _load_counts(self) -> None:
        root = self.ctx.root

        def load() -> dict[str, str]:
            with Store.for_project(root).session() as conn:
                return {job_id: state[0] for job_id, state in J.active_states(conn).items()}

        run_task(load, self._loaded)

    def _loaded(self, result: dict[str, str] | None, error: BaseException | None) -> None:
        if error is not None or result is None:
            log.warning("could not read the queue: %s", error)
            return
        for job_id, status in result.items():
            self._status.setdefault(job_id, status)
        self._emit_counts()

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        if event.kind != JOB_CHANGED:
            return
        job_id = event.data.get("job_id")
        status = event.data.get("status")
        if not job_id or not status:
            return
        before = self._status.get(job_id)
        if status in J.ACTIVE:
            self._status[job_id] = status
        else:
            self._status.pop(job_id, None)
        if before != self._status.get(job_id):
            self._emit_counts()

    def active_jobs(self) -> int:
        return len(self._status)

    def status_text(self) -> str:
        n = len(self._status)
        working = sum(1 for s in self._status.values() if s != J.QUEUED)
        if self.worker == "elsewhere":
            return f"Queue: another worker is running this project ({n} job(s))"
        if n == 0:
            return "Queue: idle"
        return f"Queue: {working} running, {n - working} waiting"

    def _emit_counts(self) -> None:
        self.activeJobsChanged.emit(len(self._status))
        self.statusTextChanged.emit(self.status_text())


def _coalesce(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop job events that a later event of the same job with the same status supersedes
    (newer progress), within one read. Every status change is kept, in order."""
    if len(events) < 2:
        return events
    kept: list[dict[str, Any]] = []
    later: dict[str, Any] = {}
    for e in reversed(events):
        if e.get("event") == JOB_CHANGED:
            job_id = str(e.get("job_id"))
            status = e.get("status")
            if job_id in later and later[job_id] == status:
                continue
            later[job_id] = status
        kept.append(e)
    kept.reverse()
    return kept


def bridge_for(ctx: ProjectContext, *, autostart: bool = True) -> QueueBridge:
    """The context's queue bridge (one per open project), created on first use."""
    bridge = getattr(ctx, "_queue_bridge", None)
    if bridge is None:
        bridge = QueueBridge(ctx, autostart=autostart)
        ctx._queue_bridge = bridge  # type: ignore[attr-defined]

        def _stop(*_args: object) -> None:
            if shiboken6.isValid(bridge):
                bridge.stop()

        ctx.destroyed.connect(_stop)
    return bridge


class QueueIndicator(QLabel):
    """A status-bar label: "Queue: 2 running, 1 waiting". Click shows the queue page.

    The worker's problems are shown as a status-bar message of the window it sits in.
    """

    def __init__(self, bridge: QueueBridge, parent: QWidget | None = None):
        super().__init__(bridge.status_text(), parent)
        self.setObjectName("queueIndicator")
        self.setToolTip(self.tr("Jobs in the generation queue"))
        bridge.statusTextChanged.connect(self.setText)
        bridge.problem.connect(self._problem)

    @Slot(str)
    def _problem(self, text: str) -> None:
        self.setToolTip(text)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 15_000)
