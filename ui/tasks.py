"""Run work off the GUI thread (Picard's ``run_task`` pattern).

``run_task(func, on_done)`` runs ``func()`` on a QThreadPool and calls
``on_done(result, error)`` back on the GUI thread. Tests may call
:func:`set_synchronous` to run tasks inline.

Each task's relay (the QObject whose queued signal carries the result to the GUI thread)
is kept alive in ``_live`` until it has delivered. When the application quits while a task
still runs, the relay's C++ side may already be gone: the worker then drops the result
quietly (logged at debug) instead of PySide printing "Signal source has been deleted".
:func:`wait_for_tasks` lets shutdown give running tasks a moment to finish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any, BaseException | None], None]
_synchronous = False
_live: set[_Relay] = set()


def set_synchronous(value: bool) -> None:
    global _synchronous
    _synchronous = value


class _Relay(QObject):
    finished = Signal(object, object)

    def __init__(self, on_done: Done | None):
        super().__init__()
        self._on_done = on_done
        self.finished.connect(self._deliver)

    @Slot(object, object)
    def _deliver(self, result: Any, error: BaseException | None) -> None:  # noqa: ANN401
        _live.discard(self)
        owner = getattr(self._on_done, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            self._on_done = None  # the widget that asked is gone
        if self._on_done is not None:
            try:
                self._on_done(result, error)
            except Exception:
                log.exception("task callback failed")
        self.deleteLater()


class _Runnable(QRunnable):
    def __init__(self, func: Callable[[], Any], relay: _Relay):
        super().__init__()
        self._func = func
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._func()
        except BaseException as exc:  # noqa: BLE001 - handed to the callback
            self._emit(None, exc)
        else:
            self._emit(result, None)
        finally:
            self._func = _noop  # drop the closure (and what it holds) on the worker thread

    def _emit(self, result: Any, error: BaseException | None) -> None:  # noqa: ANN401
        relay = self._relay
        if not shiboken6.isValid(relay):
            log.debug("task finished after its relay was deleted (the app is quitting)")
            return
        try:
            relay.finished.emit(result, error)
        except RuntimeError:  # deleted between the check and the emit
            log.debug("task finished while its relay was being deleted")


def _noop() -> None:
    return None


def alive(obj: QObject) -> bool:
    """Whether ``obj``'s C++ side still exists (a dialog closed while its task ran)."""
    return shiboken6.isValid(obj)


def run_task(func: Callable[[], Any], on_done: Done | None = None) -> None:
    if _synchronous:
        try:
            result = func()
        except BaseException as exc:  # noqa: BLE001
            if on_done:
                on_done(None, exc)
            return
        if on_done:
            on_done(result, None)
        return
    relay = _Relay(on_done)  # lives on the GUI thread; queued signal crosses threads
    _live.add(relay)
    QThreadPool.globalInstance().start(_Runnable(func, relay))


def wait_for_tasks(msecs: int = 30_000) -> bool:
    """Wait up to ``msecs`` for every running task; True when none is left."""
    return QThreadPool.globalInstance().waitForDone(msecs)


def pending_tasks() -> int:
    """Tasks whose result has not been delivered yet (for shutdown and tests)."""
    return len(_live)
