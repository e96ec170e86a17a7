"""One worker per project: an exclusive ``flock`` on ``<project>/.studio-queue.lock``.

The OS drops the lock when the holder dies (even by kill -9), so a stale lock file is
harmless. A second worker refuses at once with a clear message.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

from studio.errors import QueueError

LOCK_NAME = ".studio-queue.lock"


class WorkerLock:
    def __init__(self, root: Path):
        self.path = Path(root) / LOCK_NAME
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        import fcntl

        fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise QueueError(
                f"{self.path.parent}: another queue worker is already running for this project "
                f"(pid {holder}: `studio queue run` or an open Brief Studio window). Only one "
                "may send jobs at a time; stop it or let it finish.") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def __enter__(self) -> WorkerLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def worker_running(root: Path) -> bool:
    """True if some process holds the project's worker lock (checked without keeping it)."""
    lock = WorkerLock(root)
    if not lock.path.exists():
        return False
    try:
        lock.acquire()
    except QueueError:
        return True
    lock.release()
    return False
