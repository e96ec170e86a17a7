"""The provider protocol: capabilities, errors, retry policy, and the async client shape.

Adding a provider (veo, runway, luma, fal ...)
------------------------------------------------
1. Describe it in ``resources/providers.yaml`` under ``providers:`` (name, ``module``,
   ``env_key``, ``list_endpoint``, ``cancel``, ``default_model`` and ``models`` with their
   durations, sizes/aspects, max references, audio, remix/extend and ``price_per_second``).
   The fitting adapter (:mod:`studio.providers.fitting`) works from that data alone.
2. Write ``studio/providers/<id>.py`` with a class ``Provider`` implementing
   :class:`VideoProvider` below (``create``, ``retrieve``, ``download``, ``cancel`` and, if
   the service can list jobs, ``find_submitted``). Use :func:`studio.providers.http.send`
   for every HTTP call: it applies the retry policy (never to a create) and maps statuses
   to the exceptions below. Base URL: ``base_url(provider_id, default)`` from
   :mod:`studio.providers.registry` (env ``STUDIO_<ID>_BASE_URL``, then settings).
3. Add a loopback server implementing the published contract in ``tests/e2e/`` and an
   end-to-end test like ``tests/e2e/test_openai_queue.py``.

Errors::

    ProviderError                       (studio.errors) anything a provider refused or failed
    ├── ProviderConfigError             unknown provider/model, no key configured
    ├── APIStatusError                  an HTTP error reply (status, request id)
    │   ├── BadRequestError             400 / 422
    │   ├── AuthenticationError         401
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404 (or 410)
    │   ├── ConflictError               409
    │   ├── RateLimitError              429
    │   └── InternalServerError         >= 500
    ├── APIConnectionError              no reply (refused, reset, timeout)
    ├── SubmitUncertain                 a create may have reached the server: reconcile
    ├── GenerationFailed                the provider ran the job and it failed (moderation ...)
    └── DownloadError                   the file was short, not a video, or expired
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from studio.errors import ProviderError

# Retry policy (openai-python _base_client.py, ../shared/contracts/providers.md)
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 120.0
MAX_RETRIES = 4                    # per GET/DELETE/download call
RETRY_STATUSES = frozenset({408, 409, 429})  # plus every status >= 500
DEFAULT_POLL_INTERVAL = 1.0        # seconds, when the provider gives no hint
RECONCILE_SLACK = 120.0            # seconds before submitted_at that a match may carry


class ProviderConfigError(ProviderError):
    pass


class APIStatusError(ProviderError):
    def __init__(self, message: str, *, status: int, request_id: str | None = None,
                 code: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.code = code
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


class APIConnectionError(ProviderError):
    def __init__(self, message: str, *, sent: bool = True):
        super().__init__(message)
        self.sent = sent  # False: the request certainly never reached the server


class SubmitUncertain(ProviderError):
    """A create request may have reached the server; its reply was lost."""


class GenerationFailed(ProviderError):
    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.code = code


class DownloadError(ProviderError):
    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError, 422: BadRequestError, 401: AuthenticationError,
    403: PermissionDeniedError, 404: NotFoundError, 410: NotFoundError, 409: ConflictError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)


# Capabilities ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelCaps:
    id: str
    durations: tuple[float, ...] = ()                # discrete choices; empty: use the range
    duration_range: tuple[float, float] | None = None
    sizes: tuple[str, ...] = ()                      # exact pixel sizes; empty: any size
    aspects: tuple[str, ...] = ()                    # empty: any aspect
    max_references: int = 0
    style_references: bool = False                   # also takes the style guide's images
    audio: bool = False
    remix: bool = False
    extend: bool = False
    price_per_second: float = 0.0
    size_prices: dict[str, float] = field(default_factory=dict)  # per-second price by size

    def price_for(self, size: str | None) -> float:
        if size and size in self.size_prices:
            return self.size_prices[size]
        return self.price_per_second

    def duration_text(self) -> str:
        if self.durations:
            return ", ".join(f"{d:g}" for d in self.durations)
        if self.duration_range:
            lo, hi = self.duration_range
            return f"{lo:g}–{hi:g}"
        return "any"


@dataclass(frozen=True)
class ProviderCaps:
    id: str
    name: str
    module: str
    default_model: str
    models: dict[str, ModelCaps]
    local: bool = False                  # runs on this machine (no key, no network)
    env_key: str | None = None           # the provider's usual environment variable
    list_endpoint: bool = False          # can reconcile a lost create
    cancel: bool = False                 # supports remote cancel/delete
    concurrency: int = 2                 # default per-provider limit (settings override)
    default_base_url: str | None = None
    max_prompt_chars: int | None = None

    def model(self, model: str | None) -> ModelCaps:
        name = model or self.default_model
        try:
            return self.models[name]
        except KeyError:
            raise ProviderConfigError(
                f"provider {self.id} has no model {name!r}; models: {', '.join(self.models)}"
            ) from None


# Status and the protocol ----------------------------------------------------------------

QUEUED, RUNNING, COMPLETED, FAILED = "queued", "running", "completed", "failed"


@dataclass
class RemoteStatus:
    """A provider-neutral view of one remote job."""

    remote_id: str
    state: str                           # queued | running | completed | failed
    progress: float = 0.0                # 0..1
    poll_after: float | None = None      # seconds, the provider's hint
    expires_at: float | None = None      # unix seconds: download before this
    created_at: float | None = None
    error: str | None = None
    error_code: str | None = None
    handles: dict[str, Any] = field(default_factory=dict)  # provider-specific (urls ...)


@dataclass(frozen=True)
class JobSpec:
    """What the engine hands a provider for one job."""

    job_id: str
    root: Path                           # project folder (references are relative to it)
    provider: str
    model: str
    params: dict[str, Any]               # fitted: prompt, duration, size, aspect, references
    request: dict[str, Any]              # the compiled GenerationRequest (model_dump)
    kind: str = "generate"               # generate | remix | extend
    parent_remote_id: str | None = None


Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


class VideoProvider(Protocol):
    caps: ProviderCaps

    async def create(self, spec: JobSpec) -> RemoteStatus:
        """Start the job. Raise SubmitUncertain if the request may have reached the server."""

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> RemoteStatus: ...

    async def download(self, spec: JobSpec, status: RemoteStatus, video: Path,
                       thumbnail: Path, progress: Progress, cancelled: Cancelled) -> bool:
        """Write the video to ``video`` (and, best effort, a JPEG to ``thumbnail``).

        Returns True if a thumbnail was written. Verifies length; the engine verifies type
        and decoding afterwards.
        """

    async def cancel(self, remote_id: str, handles: dict[str, Any]) -> None: ...

    async def find_submitted(self, spec: JobSpec, since: float,
                             exclude: set[str]) -> RemoteStatus | None:
        """The remote job a lost create made, if any (needs caps.list_endpoint)."""
