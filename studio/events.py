"""The core's observer API: plain callbacks, any thread.

The core publishes :class:`Event` objects (job changed, result added, consent changed,
project saved ...). ``ui/`` adapts them into Qt signals with queued connections; the CLI
may print them. Subscribers must be quick and must not raise; a raising subscriber is
logged and kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Event kinds
JOB_CHANGED = "job_changed"          # data: job id, status, progress ...
RESULT_ADDED = "result_added"        # data: result id, shot id
RESULT_CHANGED = "result_changed"    # data: result id
CONSENT_CHANGED = "consent_changed"  # data: cameo id, action
PROJECT_SAVED = "project_saved"
QUEUE_IDLE = "queue_idle"
PROVIDER_KEY_REJECTED = "provider_key_rejected"  # data: provider, message, waiting


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subs: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Register ``fn``; returns a function that unsubscribes it."""
        with self._lock:
            self._subs.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subs:
                    self._subs.remove(fn)

        return unsubscribe

    def publish(self, kind: str, **data: Any) -> None:  # noqa: ANN401
        event = Event(kind, data)
        with self._lock:
            subs = list(self._subs)
        for fn in subs:
            try:
                fn(event)
            except Exception:
                log.exception("event subscriber failed on %s", kind)
