"""Runway (../shared/contracts/providers.md; runwayml/sdk-python).

``POST {base}/v1/text_to_video`` or ``/v1/image_to_video`` with ``Authorization: Bearer``,
``X-Runway-Version: 2024-11-06`` and a camelCase body (promptText, promptImage, model,
ratio, duration) → ``{id}``; ``GET /v1/tasks/{id}`` (PENDING, THROTTLED, RUNNING,
SUCCEEDED with ``output`` URLs that expire, FAILED with ``failure``/``failureCode``,
CANCELLED); ``DELETE /v1/tasks/{id}`` cancels or deletes.

Polls of one task are at least :data:`POLL_INTERVAL` (5 s) apart — enforced here, not
only hinted to the engine. THROTTLED (over the concurrency limit) counts as waiting.
``gen4_turbo`` renders only from an image: :func:`refit` switches a shot without one to
``gen4.5`` and says so. Output links are downloaded without the API key (they are signed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from studio.providers import http
from studio.providers.base import (
    COMPLETED,
    FAILED,
    QUEUED,
    RUNNING,
    Cancelled,
    DownloadError,
    JobSpec,
    NotFoundError,
    Progress,
    ProviderCaps,
    ProviderConfigError,
    RemoteStatus,
)
from studio.providers.restkit import data_uri, fetch_to, reference_file

log = logging.getLogger(__name__)

API_VERSION = "2024-11-06"
POLL_INTERVAL = 5.0               # Runway: poll no faster than every 5 s
OUTPUT_TTL = 24 * 3600.0          # output links expire in 24-48 h; assume the short end
MAX_PROMPT_CHARS = 1000
IMAGE_ONLY_MODELS = frozenset({"gen4_turbo", "gen3a_turbo"})
TEXT_FALLBACK_MODEL = "gen4.5"
STATES = {"PENDING": QUEUED, "THROTTLED": QUEUED, "RUNNING": RUNNING,
          "SUCCEEDED": COMPLETED, "FAILED": FAILED, "CANCELLED": FAILED}


def ratio(size: str) -> str:
    """Runway names ratios by pixel size: ``1280x720`` → ``"1280:720"``."""
    return size.replace("x", ":")


def failure_message(failure: str | None, code: str | None) -> str:
    if code and code.upper().startswith("SAFETY"):
        return ("Runway's content moderation refused this shot"
                + (f" ({failure})" if failure else "")
                + ". Rephrase the prompt or change the image and queue it again.")
    return f"Runway could not make the video: {failure or code or 'no reason given'}"


def output_expiry(url: str, now: float) -> float:
    """Expiry of a signed output link: its ``exp`` parameter if present, else 24 h."""
    try:
        exp = parse_qs(urlsplit(url).query).get("exp")
        if exp:
            return float(exp[0])
    except ValueError:
        pass
    return now + OUTPUT_TTL


class Provider:
    def __init__(self, caps: ProviderCaps, *, client: httpx.AsyncClient | None, base_url: str,
                 key: Callable[[], str | None], sleep: http.Sleep | None = None,
                 clock: Callable[[], float] = time.monotonic):
        if client is None:
            raise ProviderConfigError("runway needs an HTTP client")
        self.caps = caps
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._sleep = sleep or http._sleep
        self._clock = clock
        self._last_poll: dict[str, float] = {}

    def _auth(self) -> tuple[dict[str, str], str]:
        key = self._key()
        if not key:
            raise ProviderConfigError(
                "runway: no API key. Store one with `studio key set runway` (reads it from "
                "stdin into the OS keyring) or set RUNWAYML_API_SECRET")
        return {"Authorization": f"Bearer {key}", "X-Runway-Version": API_VERSION}, key

    async def _send(self, method: str, path: str, *, retry: bool = True,
                    **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        headers, key = self._auth()
        return await http.send(self.client, method, self.base_url + path, provider="runway",
                               secret=key, retry=retry, sleep=self._sleep, headers=headers,
                               **kwargs)

    # -- protocol ---------------------------------------------------------------------
    async def create(self, spec: JobSpec) -> RemoteStatus:
        if spec.kind != "generate":
            raise ProviderConfigError("runway: only new generations are supported (no remix)")
        p = spec.params
        model = p["model"]
        body: dict[str, Any] = {
            "model": model,
            "promptText": str(p["prompt"])[:MAX_PROMPT_CHARS],
            "ratio": ratio(p["size"]),
            "duration": int(round(float(p["duration"]))),
        }
        image = None
        for rel in p.get("references") or []:
            path = reference_file(spec, rel)
            if path.is_file():
                image = await asyncio.to_thread(data_uri, path, p["size"])
                break
            log.warning("runway: reference %s missing", rel)
        if image:
            body["promptImage"] = image
            endpoint = "/v1/image_to_video"
        elif model in IMAGE_ONLY_MODELS:
            raise ProviderConfigError(
                f"runway: {model} renders only from an image and this shot has none; "
                f"choose {TEXT_FALLBACK_MODEL} or add a reference image")
        else:
            endpoint = "/v1/text_to_video"
        response = await self._send("POST", endpoint, retry=False, json=body)
        task_id = str(response.json()["id"])
        self._last_poll[task_id] = self._clock()
        return RemoteStatus(remote_id=task_id, state=QUEUED, poll_after=POLL_INTERVAL,
                            created_at=time.time(), handles={"endpoint": endpoint})

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> RemoteStatus:
        last = self._last_poll.get(remote_id)
        if last is not None:
            wait = POLL_INTERVAL - (self._clock() - last)
            if wait > 0:
                await self._sleep(wait)
        try:
            response = await self._send("GET", f"/v1/tasks/{remote_id}")
        finally:
            self._last_poll[remote_id] = self._clock()
        return self._status(response.json())

    def _status(self, data: dict[str, Any]) -> RemoteStatus:
        raw = str(data.get("status") or "PENDING")
        state = STATES.get(raw, RUNNING)
        status = RemoteStatus(remote_id=str(data["id"]), state=state,
                              progress=float(data.get("progress") or 0.0),
                              poll_after=POLL_INTERVAL, handles={"status": raw})
        if raw == "SUCCEEDED":
            outputs = [str(u) for u in data.get("output") or []]
            if not outputs:
                status.state = FAILED
                status.error = "Runway reported success but returned no video"
                status.error_code = "no_output"
            else:
                status.progress = 1.0
                status.handles["output"] = outputs
                status.expires_at = output_expiry(outputs[0], time.time())
        elif raw == "FAILED":
            status.error = failure_message(data.get("failure"), data.get("failureCode"))
            status.error_code = str(data.get("failureCode") or "failed")
        elif raw == "CANCELLED":
            status.error = "The task was cancelled on Runway"
            status.error_code = "cancelled"
        elif raw == "THROTTLED":
            status.handles["note"] = "throttled: waiting for a free Runway slot"
        return status

    async def download(self, spec: JobSpec, status: RemoteStatus, video: Path,
                       thumbnail: Path, progress: Progress, cancelled: Cancelled) -> bool:
        outputs = status.handles.get("output") or []
        if not outputs or (status.expires_at and status.expires_at <= time.time()):
            # links are short-lived: ask for fresh ones
            status = await self.retrieve(status.remote_id, status.handles)
            outputs = status.handles.get("output") or []
        if not outputs:
            raise DownloadError(f"runway: task {status.remote_id} has no output to download",
                                expired=True)
        # signed link on a CDN: never send the API key with it
        await fetch_to(self.client, outputs[0], video, progress, provider="runway",
                       api_origin=self.base_url, auth=None, sleep=self._sleep)
        return False

    async def cancel(self, remote_id: str, handles: dict[str, Any]) -> None:
        try:
            await self._send("DELETE", f"/v1/tasks/{remote_id}")
        except NotFoundError:
            pass
        self._last_poll.pop(remote_id, None)

    async def find_submitted(self, spec: JobSpec, since: float,
                             exclude: set[str]) -> RemoteStatus | None:
        return None  # Runway has no task list endpoint


def refit(fit: Any, request: Any, caps: ProviderCaps) -> Any:  # noqa: ANN401
    """gen4_turbo without an image → gen4.5 (text to video), and say so."""
    from studio.providers.fitting import fit as fit_model

    if fit.model in IMAGE_ONLY_MODELS and not fit.params.get("references"):
        if TEXT_FALLBACK_MODEL in caps.models:
            refitted = fit_model(caps, request, TEXT_FALLBACK_MODEL)
            refitted.changes.insert(0, f"model {fit.model} → {TEXT_FALLBACK_MODEL} "
                                       f"({fit.model} renders only from an image and this "
                                       "shot has none)")
            return refitted
    if fit.params.get("references"):
        fit.params["endpoint"] = "image_to_video"
        fit.changes.append(f"image to video from {fit.params['references'][0]}")
    else:
        fit.params["endpoint"] = "text_to_video"
    if len(str(fit.params.get("prompt", ""))) > MAX_PROMPT_CHARS:
        fit.params["prompt"] = str(fit.params["prompt"])[:MAX_PROMPT_CHARS]
        fit.changes.append(f"prompt cut to {MAX_PROMPT_CHARS} characters (Runway's limit)")
    return fit
