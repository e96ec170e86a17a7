"""The fal.ai queue: Pika v2.2 (default), Kling, Hailuo, LTX, Wan … (contracts/providers.md).

``POST {base}/{model_id}`` with ``Authorization: Key …`` and the model's input as JSON →
``{request_id, status_url, response_url, cancel_url}``. From then on only those URLs are
used, exactly as returned (they drop the model's sub-path, and the service may move them):
``GET status_url?logs=1`` (IN_QUEUE, IN_PROGRESS, COMPLETED — which may carry ``error`` and
``error_type``), ``GET response_url`` (the output, ``{video: {url}}``; kept one hour) and
``PUT cancel_url``. The URLs live in the job's handles so a restarted engine resumes.

Each model names its inputs differently (Kling and Wan want durations as strings, Pika as
integers; image models take ``image_url``); :data:`MODEL_INPUTS` says how. A model added to
providers.yaml without an entry gets the Pika style.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from studio.providers import http
from studio.providers.base import (
    COMPLETED,
    FAILED,
    QUEUED,
    RUNNING,
    APIStatusError,
    BadRequestError,
    Cancelled,
    DownloadError,
    JobSpec,
    NotFoundError,
    Progress,
    ProviderCaps,
    ProviderConfigError,
    RemoteStatus,
)
from studio.providers.restkit import (
    data_uri,
    fetch_to,
    nearest_aspect,
    reference_file,
    resolution_of,
)

log = logging.getLogger(__name__)

POLL_INTERVAL = 2.0
RESULT_TTL = 3600.0          # fal keeps a request's output for an hour (6 min if >= 10 KB)
HANDLE_KEYS = ("status_url", "response_url", "cancel_url")


@dataclass(frozen=True)
class InputStyle:
    """How one fal model names its inputs."""

    duration_as_string: bool = False
    aspects: tuple[str, ...] = ()         # empty: the model takes no aspect_ratio
    resolutions: tuple[str, ...] = ()     # empty: no resolution input
    image: bool = False                   # image-to-video: needs image_url
    negative: bool = True                 # takes negative_prompt
    extra: tuple[tuple[str, Any], ...] = ()


PIKA_ASPECTS = ("16:9", "9:16", "1:1", "4:5", "5:4", "3:2", "2:3")
MODEL_INPUTS: dict[str, InputStyle] = {
    "fal-ai/pika/v2.2/text-to-video": InputStyle(aspects=PIKA_ASPECTS,
                                                 resolutions=("720p", "1080p")),
    "fal-ai/pika/v2.2/image-to-video": InputStyle(resolutions=("720p", "1080p"), image=True),
    "fal-ai/kling-video/v2.1/master/text-to-video": InputStyle(
        duration_as_string=True, aspects=("16:9", "9:16", "1:1")),
    "fal-ai/kling-video/v2.1/master/image-to-video": InputStyle(duration_as_string=True,
                                                                image=True),
    "fal-ai/minimax/hailuo-02/standard/text-to-video": InputStyle(
        duration_as_string=True, negative=False, extra=(("prompt_optimizer", True),)),
    "fal-ai/ltx-2/text-to-video/fast": InputStyle(
        resolutions=("1080p", "1440p", "2160p"), negative=False),
    "fal-ai/wan-25-preview/text-to-video": InputStyle(
        duration_as_string=True, aspects=("16:9", "9:16", "1:1"),
        resolutions=("480p", "720p", "1080p")),
}
DEFAULT_STYLE = InputStyle(aspects=PIKA_ASPECTS)


def style_for(model: str) -> InputStyle:
    return MODEL_INPUTS.get(model, DEFAULT_STYLE)


def build_input(spec: JobSpec, image: str | None) -> dict[str, Any]:
    """The model input for a fitted job (shape per :data:`MODEL_INPUTS`)."""
    p = spec.params
    style = style_for(p["model"])
    seconds = int(round(float(p["duration"])))
    body: dict[str, Any] = {"prompt": p["prompt"],
                            "duration": str(seconds) if style.duration_as_string else seconds}
    if style.aspects:
        body["aspect_ratio"] = nearest_aspect(p["size"], style.aspects)
    if style.resolutions:
        body["resolution"] = resolution_of(p["size"], style.resolutions)
    negative = (spec.request.get("negative") or []) if spec.request else []
    if style.negative and negative:
        body["negative_prompt"] = ", ".join(str(n) for n in negative)
    if style.image:
        if not image:
            raise ProviderConfigError(f"fal: {p['model']} needs a reference image")
        body["image_url"] = image
    body.update(dict(style.extra))
    return body


def failure_message(error: Any, error_type: Any) -> str:  # noqa: ANN401
    kind = str(error_type or "")
    text = str(error or kind or "no reason given")
    if "content_policy" in kind or "content" in text.lower() and "flag" in text.lower():
        return (f"fal's content checker refused this shot ({text}). Rephrase the prompt or "
                "change the image and queue it again.")
    return f"fal could not make the video: {text}" + (f" [{kind}]" if kind else "")


class Provider:
    def __init__(self, caps: ProviderCaps, *, client: httpx.AsyncClient | None, base_url: str,
                 key: Callable[[], str | None], sleep: http.Sleep | None = None):
        if client is None:
            raise ProviderConfigError("fal needs an HTTP client")
        self.caps = caps
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._sleep = sleep or http._sleep

    def _auth(self) -> tuple[dict[str, str], str]:
        key = self._key()
        if not key:
            raise ProviderConfigError(
                "fal: no API key. Store one with `studio key set fal` (reads it from stdin "
                "into the OS keyring) or set FAL_KEY")
        return {"Authorization": f"Key {key}"}, key

    async def _send(self, method: str, url: str, *, retry: bool = True,
                    **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        headers, key = self._auth()
        return await http.send(self.client, method, url, provider="fal", secret=key,
                               retry=retry, sleep=self._sleep, headers=headers, **kwargs)

    @staticmethod
    def _handles(handles: dict[str, Any], remote_id: str) -> dict[str, str]:
        missing = [k for k in HANDLE_KEYS if not handles.get(k)]
        if missing:
            raise DownloadError(f"fal: request {remote_id} lost its {', '.join(missing)}; "
                                "fal URLs cannot be rebuilt, queue the shot again",
                                expired=True)
        return {k: str(handles[k]) for k in HANDLE_KEYS}

    # -- protocol ---------------------------------------------------------------------
    async def create(self, spec: JobSpec) -> RemoteStatus:
        if spec.kind != "generate":
            raise ProviderConfigError("fal: only new generations are supported (no remix)")
        p = spec.params
        image = None
        if style_for(p["model"]).image:
            for rel in p.get("references") or []:
                path = reference_file(spec, rel)
                if path.is_file():
                    image = await asyncio.to_thread(data_uri, path, p["size"])
                    break
        body = build_input(spec, image)
        response = await self._send("POST", f"{self.base_url}/{p['model']}", retry=False,
                                    json=body)
        data = response.json()
        handles = {k: data.get(k) for k in HANDLE_KEYS}
        remote_id = str(data["request_id"])
        self._handles(handles, remote_id)
        return RemoteStatus(remote_id=remote_id, state=QUEUED, poll_after=POLL_INTERVAL,
                            created_at=time.time(), handles=handles)

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> RemoteStatus:
        urls = self._handles(handles, remote_id)
        response = await self._send("GET", urls["status_url"], params={"logs": "1"})
        data = response.json()
        raw = str(data.get("status") or "IN_QUEUE")
        keep = dict(urls)
        if raw == "IN_QUEUE":
            return RemoteStatus(remote_id=remote_id, state=QUEUED, poll_after=POLL_INTERVAL,
                                handles=keep)
        if raw == "IN_PROGRESS":
            return RemoteStatus(remote_id=remote_id, state=RUNNING, poll_after=POLL_INTERVAL,
                                handles=keep)
        if raw != "COMPLETED":
            return RemoteStatus(remote_id=remote_id, state=RUNNING, poll_after=POLL_INTERVAL,
                                handles=keep)
        if data.get("error") or data.get("error_type"):
            return RemoteStatus(remote_id=remote_id, state=FAILED, handles=keep,
                                error=failure_message(data.get("error"), data.get("error_type")),
                                error_code=str(data.get("error_type") or "error"))
        return await self._result(remote_id, keep)

    async def _result(self, remote_id: str, handles: dict[str, str]) -> RemoteStatus:
        try:
            response = await self._send("GET", handles["response_url"])
        except BadRequestError as exc:
            # a failed run answers its response_url with the error (422 content policy ...)
            code = "content_policy_violation" if "content_policy" in str(exc) else "error"
            return RemoteStatus(remote_id=remote_id, state=FAILED, handles=handles,
                                error=failure_message(str(exc), code), error_code=code)
        except APIStatusError as exc:
            if exc.status >= 500 or isinstance(exc, NotFoundError):
                return RemoteStatus(remote_id=remote_id, state=FAILED, handles=handles,
                                    error=failure_message(str(exc), exc.code),
                                    error_code=exc.code or str(exc.status))
            raise
        output = response.json()
        url = ((output.get("video") or {}) if isinstance(output, dict) else {}).get("url")
        if not url:
            return RemoteStatus(remote_id=remote_id, state=FAILED, handles=handles,
                                error="fal finished without a video in its output",
                                error_code="no_video")
        return RemoteStatus(remote_id=remote_id, state=COMPLETED, progress=1.0,
                            expires_at=time.time() + RESULT_TTL,
                            handles={**handles, "video_url": str(url),
                                     "file_size": (output.get("video") or {}).get("file_size")})

    async def download(self, spec: JobSpec, status: RemoteStatus, video: Path,
                       thumbnail: Path, progress: Progress, cancelled: Cancelled) -> bool:
        url = status.handles.get("video_url")
        if not url:
            status = await self._result(status.remote_id,
                                        self._handles(status.handles, status.remote_id))
            url = status.handles.get("video_url")
        if not url:
            raise DownloadError(f"fal: request {status.remote_id} has no video: {status.error}",
                                expired=True)
        await fetch_to(self.client, str(url), video, progress, provider="fal",
                       api_origin=self.base_url, auth=None, sleep=self._sleep)
        return False

    async def cancel(self, remote_id: str, handles: dict[str, Any]) -> None:
        urls = self._handles(handles, remote_id)
        try:
            await self._send("PUT", urls["cancel_url"])
        except (BadRequestError, NotFoundError) as exc:
            log.info("fal cancel of %s: %s", remote_id, exc)   # ALREADY_COMPLETED

    async def find_submitted(self, spec: JobSpec, since: float,
                             exclude: set[str]) -> RemoteStatus | None:
        return None  # the fal queue has no list endpoint


def refit(fit: Any, request: Any, caps: ProviderCaps) -> Any:  # noqa: ANN401
    """Pick the text-to-video or image-to-video sibling by whether the shot has an image."""
    from studio.providers.fitting import fit as fit_model

    model = fit.model
    has_image = bool(request.references)   # the fitter drops them for text-only models
    style = style_for(model)
    sibling = None
    if has_image and not style.image and "text-to-video" in model:
        sibling = model.replace("text-to-video", "image-to-video")
        why = "the shot has a reference image"
    elif not has_image and style.image and "image-to-video" in model:
        sibling = model.replace("image-to-video", "text-to-video")
        why = "the shot has no reference image"
    if sibling and sibling in caps.models:
        refitted = fit_model(caps, request, sibling)
        refitted.changes.insert(0, f"model {model} → {sibling} ({why})")
        fit = refitted
    return fit
