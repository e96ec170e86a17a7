"""The log file a user can send: rotating, in the platform's log folder, with secrets redacted.

``configure_logging()`` is called once at start-up (by the window and, optionally, the CLI).
It attaches two handlers to the root logger:

- a rotating file handler (1 MiB x 4 files) at ``platformdirs.user_log_dir("brief-studio")``
  (``~/.local/state/brief-studio/log/brief-studio.log`` on Linux), or ``$STUDIO_LOG_DIR``;
- a stderr handler (WARNING, or DEBUG with ``verbose``).

Both carry :class:`RedactingFilter`, so a record from *any* logger is scrubbed before it is
written: OpenAI ``sk-…`` keys, Google ``AIza…`` keys, Runway ``key_…`` secrets, Luma
``luma-…`` keys, fal ``id:secret`` keys, ``Bearer …`` / ``Authorization: …`` values,
``key=…``/``token=…``/``secret=…`` pairs in URLs, headers, JSON and environment dumps, and
any exact value registered with :func:`register_secret` (a key just read from the keyring).
Over-redaction is accepted: a log line that loses a harmless ``sort_key=name`` is cheaper than
one that leaks a key.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from studio import APP_ID

log = logging.getLogger(__name__)

LOG_FILE_NAME = f"{APP_ID}.log"
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 3
REDACTED = "[redacted]"
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"
_HANDLER_TAG = "_brief_studio_handler"

# Order matters: specific key shapes first, then the generic name=value forms.
def _authorization(match: re.Match[str]) -> str:
    scheme = f"{match.group(2)} " if match.group(2) else ""
    return f"{match.group(1)}{scheme}{REDACTED}"


_Replacement = str | Callable[[re.Match[str]], str]
_PATTERNS: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    # Authorization headers, whatever the scheme (Bearer, Key, Basic, Token) or none.
    (re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:(bearer|key|basic|token)\s+)?"
                r"(?!(?:(?:bearer|key|basic|token)\s+)?\[redacted\])[^\s\"',;}]+"),
     _authorization),
    (re.compile(r"(?i)\bbearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=\-]+"), "Bearer " + REDACTED),
    # Provider key shapes.
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), REDACTED),                     # OpenAI
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{10,}"), REDACTED),                   # Google / Gemini
    (re.compile(r"\bkey_[0-9A-Za-z]{16,}"), REDACTED),                      # Runway
    (re.compile(r"\bluma-[0-9A-Za-z_\-]{10,}"), REDACTED),                  # Luma
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{16,}\b",
                re.IGNORECASE), REDACTED),                                  # fal id:secret
    # name=value / "name": "value" / name: value where the name says it is secret.
    (re.compile(r"(?i)(\b[\w.-]*(?:api[_-]?key|key|secret|token|password|passwd|credential)s?"
                r"[\"']?\s*[=:]\s*[\"']?)(?!\[redacted\])[^\s\"'&,;}]+"),
     r"\1" + REDACTED),
)

_secrets_lock = threading.Lock()
_known_secrets: set[str] = set()
_MIN_SECRET_LEN = 8


def register_secret(value: str | None) -> None:
    """Redact this exact value from every later log record (e.g. a key read from the keyring).

    Values shorter than 8 characters are ignored: redacting them would shred ordinary text.
    """
    if value and len(value) >= _MIN_SECRET_LEN:
        with _secrets_lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    with _secrets_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with :func:`redact`.

    Attach it to *handlers*: a logger's filters do not see records propagated from its
    children, a handler's do.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad %-format: keep the raw pieces, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is *now* (test runners and IDEs swap it)."""

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201 - TextIO
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def default_log_dir() -> Path:
    """``$STUDIO_LOG_DIR`` or the platform's user log folder for the app."""
    override = os.environ.get("STUDIO_LOG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_ID, appauthor=False))


def log_file_path() -> Path:
    """Where the log file is (or will be once :func:`configure_logging` has run)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, _HANDLER_TAG, "") == "file":
            return Path(handler.baseFilename)  # type: ignore[attr-defined]
    return default_log_dir() / LOG_FILE_NAME


class RotatingFile(logging.FileHandler):
    """A log file that rotates by size: before a record would take it to ``max_bytes``, the
    file becomes ``NAME.1`` (``NAME.1`` becomes ``NAME.2``, … up to ``backup_count``) and a
    new one starts. What ``logging.handlers.RotatingFileHandler`` does for this log, without
    importing ``logging.handlers`` (pickle, queue, socket: ≈ 3 ms before the window's first
    frame, docs/performance.md "startup_ratio"). ``logging.Handler.handle`` holds the
    handler's lock around :meth:`emit`, so a rollover never races another record."""

    def __init__(self, filename: Path, max_bytes: int, backup_count: int):
        super().__init__(filename, mode="a", encoding="utf-8", delay=False)
        self.max_bytes = max_bytes
        self.backup_count = backup_count

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._should_roll(record):
                self._roll()
        except Exception:  # noqa: BLE001 - as logging does: report, never raise
            self.handleError(record)
            return
        super().emit(record)

    def _should_roll(self, record: logging.LogRecord) -> bool:
        if self.max_bytes <= 0 or self.backup_count <= 0 \
                or not os.path.isfile(self.baseFilename):
            return False  # no rotation asked for, or not a plain file (e.g. /dev/null)
        if self.stream is None:
            self.stream = self._open()
        size = self.stream.seek(0, os.SEEK_END)
        return size > 0 and size + len(self.format(record).encode("utf-8")) + 1 >= self.max_bytes

    def _roll(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # type: ignore[assignment]
        for i in range(self.backup_count - 1, 0, -1):
            older = f"{self.baseFilename}.{i}"
            if os.path.exists(older):
                os.replace(older, f"{self.baseFilename}.{i + 1}")
        if self.backup_count > 0:
            os.replace(self.baseFilename, f"{self.baseFilename}.1")
        self.stream = self._open()


def _open_file_handler(folder: Path) -> logging.Handler:
    folder.mkdir(parents=True, exist_ok=True)
    return RotatingFile(folder / LOG_FILE_NAME, MAX_BYTES, BACKUP_COUNT)


def configure_logging(verbose: bool = False) -> Path:
    """Set up the redacted rotating log file and stderr output; return the log file's path.

    Safe to call again (e.g. to switch ``verbose``): the handlers it added before are replaced,
    handlers others added are left alone. If the log folder cannot be created, a folder in the
    system temp directory is used instead and a warning says so.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_TAG, None):
            root.removeHandler(handler)
            handler.close()

    redactor = RedactingFilter()
    wanted = default_log_dir()
    fallback_reason: str | None = None
    try:
        file_handler = _open_file_handler(wanted)
    except OSError as exc:
        fallback_reason = f"{wanted}: {exc.strerror or exc}"
        uid = os.getuid() if hasattr(os, "getuid") else "user"
        file_handler = _open_file_handler(Path(tempfile.gettempdir()) / f"{APP_ID}-logs-{uid}")
    file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
    file_handler.addFilter(redactor)
    setattr(file_handler, _HANDLER_TAG, "file")

    console = _StderrHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter(CONSOLE_FORMAT))
    console.addFilter(redactor)
    setattr(console, _HANDLER_TAG, "console")

    root.addHandler(file_handler)
    root.addHandler(console)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)

    path = Path(file_handler.baseFilename)
    if fallback_reason:
        log.warning("cannot write the log folder (%s); logging to %s instead", fallback_reason, path)
    log.info("Brief Studio logging to %s (verbose=%s)", path, verbose)
    return path
