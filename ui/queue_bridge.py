"""Runs the queue engine for an open project window, in its own thread and asyncio loop.

``bridge_for(ctx)`` returns the context's one :class:`QueueBridge` (created and started on
first use). Signals, all on the GUI thread:

* ``activeJobsChanged(int)`` — jobs queued, submitting, running or downloading;
* ``statusTextChanged(str)`` — a short text for the status bar ("Queue: 2 running");
* ``workerChanged(str)`` — "running", "elsewhere" (another worker holds the project's
  lock: the window retries every few seconds) or "stopped".

:class:`QueueIndicator` is a ready status-bar label. The GUI thread never touches the
network or waits for the engine; counts come from core events.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QWidget

from studio.errors import QueueError
from studio.events import JOB_CHANGED, Event
from studio.queue import jobs as J
from studio.queue.engine import EngineThread, QueueEngine
from studio.store import Store
from ui.context import ProjectContext
from ui.tasks import run_task

log = logging.getLogger(__name__)

RETRY_LOCK_MS = 5000


class QueueBridge(QObject):
    activeJobsChanged = Signal(int)
    statusTextChanged = Signal(str)
    workerChanged = Signal(str)

    def __init__(self, ctx: ProjectContext, parent: QObject | None = None,
                 *, autostart: bool = True, engine_kwargs: dict[str, Any] | None = None):
        super().__init__(parent if parent is not None else ctx)
        self.ctx = ctx
        self._engine_kwargs = engine_kwargs or {}
        self._thread: EngineThread | None = None
        self._status: dict[str, str] = {}
        self._running: dict[str, str] = {}
        self.worker = "stopped"
        self._watch = QTimer(self)
        self._watch.setInterval(1000)
        self._watch.timeout.connect(self._check_thread)
        ctx.coreEvent.connect(self._on_event)
        self._load_counts()
        if autostart:
            self.start()

    # -- engine ----------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.alive:
            return
        engine = QueueEngine(self.ctx.root, self.ctx.bus, **self._engine_kwargs)
        self._thread = EngineThread(engine)
        self._thread.start()
        self._set_worker("running")
        self._watch.start()

    def stop(self) -> None:
        """Stop the engine (jobs resume on the next start or `studio queue run`)."""
        self._watch.stop()
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        self._set_worker("stopped")

    def wake(self) -> None:
        if self._thread is not None:
            self._thread.engine.wake()

    @property
    def engine(self) -> QueueEngine | None:
        return self._thread.engine if self._thread is not None else None

    @Slot()
    def _check_thread(self) -> None:
        t = self._thread
        if t is None or t.alive:
            return
        self._thread = None
        if isinstance(t.error, QueueError):
            self._set_worker("elsewhere")
            QTimer.singleShot(RETRY_LOCK_MS, self._retry_start)
        else:
            if t.error is not None:
                log.warning("queue engine ended: %s", t.error)
            self._set_worker("stopped")

    def _retry_start(self) -> None:
        if self.worker == "elsewhere":
            self.start()

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
                return {j.id: j.status for j in J.list_jobs(conn, J.ACTIVE)}

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
        if status in J.ACTIVE:
            self._status[job_id] = status
        else:
            self._status.pop(job_id, None)
        self._emit_counts()

    def active_jobs(self) -> int:
        return len(self._status)

    def status_text(self) -> str:
        n = len(self._status)
        working = sum(1 for s in self._status.values() if s != J.QUEUED)
        if self.worker == "elsewhere":
            return f"Queue: {n} job(s), run by another worker"
        if n == 0:
            return "Queue: idle"
        return f"Queue: {working} running, {n - working} waiting"

    def _emit_counts(self) -> None:
        self.activeJobsChanged.emit(len(self._status))
        self.statusTextChanged.emit(self.status_text())


def bridge_for(ctx: ProjectContext, *, autostart: bool = True) -> QueueBridge:
    """The context's queue bridge (one per open project), created on first use."""
    bridge = getattr(ctx, "_queue_bridge", None)
    if bridge is None:
        bridge = QueueBridge(ctx, autostart=autostart)
        ctx._queue_bridge = bridge  # type: ignore[attr-defined]
        thread_ref = bridge

        def _stop(*_args: object) -> None:
            t = thread_ref._thread
            if t is not None:
                t.stop()

        ctx.destroyed.connect(_stop)
    return bridge


class QueueIndicator(QLabel):
    """A status-bar label: "Queue: 2 running, 1 waiting". Click shows the queue page."""

    def __init__(self, bridge: QueueBridge, parent: QWidget | None = None):
        super().__init__(bridge.status_text(), parent)
        self.setObjectName("queueIndicator")
        self.setToolTip("Jobs in the generation queue")
        bridge.statusTextChanged.connect(self.setText)
