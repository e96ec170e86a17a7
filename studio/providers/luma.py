"""Luma Dream Machine (../shared/contracts/providers.md; lumalabs/lumaai-python).

``POST {base}/generations/video`` {prompt, model, duration "5s"|"9s", resolution,
aspect_ratio} with ``Authorization: Bearer``; poll ``GET /generations/{id}`` (queued,
dreaming, completed with ``assets.video``/``assets.image``, failed with
``failure_reason``); ``DELETE /generations/{id}``; ``GET /generations`` lists jobs, so a
create whose reply was lost is found again instead of being sent twice.

Reference images are not sent: Luma takes keyframes only as public URLs and this app never
uploads a brief's images anywhere (the table says max_references 0, so the fitter reports it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from studio.providers import http
from studio.providers.base import (
    COMPLETED,
    FAILED,
    QUEUED,
    RECONCILE_SLACK,
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
from studio.providers.restkit import best_effort_thumbnail, fetch_to, nearest_aspect, resolution_of

log = logging.getLogger(__name__)

POLL_INTERVAL = 3.0
ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
DURATIONS = ("5s", "9s")
STATES = {"queued": QUEUED, "dreaming": RUNNING, "completed": COMPLETED, "failed": FAILED}
LIST_PAGE = 100
MAX_LIST_PAGES = 10
ASSET_TTL = 3600.0   # Luma keeps assets longer; download within the hour regardless


def duration_name(seconds: float) -> str:
    """5 → "5s"; other values snap to the nearest of 5s / 9s."""
    return min(DURATIONS, key=lambda d: abs(float(d[:-1]) - seconds))


def parse_time(value: Any) -> float | None:  # noqa: ANN401
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def failure_message(reason: str | None) -> str:
    if reason and "moderation" in reason.lower():
        return (f"Luma's moderation refused this shot ({reason}). Rephrase the prompt and "
                "queue it again.")
    return f"Luma could not make the video: {reason or 'no reason given'}"


def build_body(spec: JobSpec) -> dict[str, Any]:
    p = spec.params
    return {
        "prompt": p["prompt"],
        "model": p["model"],
        "duration": duration_name(float(p["duration"])),
        "resolution": resolution_of(p["size"], RESOLUTIONS),
        "aspect_ratio": nearest_aspect(p["size"], ASPECTS),
    }


class Provider:
    def __init__(self, caps: ProviderCaps, *, client: httpx.AsyncClient | None, base_url: str,
                 key: Callable[[], str | None], sleep: http.Sleep | None = None):
        if client is None:
            raise ProviderConfigError("luma needs an HTTP client")
        self.caps = caps
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._sleep = sleep or http._sleep

    def _auth(self) -> tuple[dict[str, str], str]:
        key = self._key()
        if not key:
            raise ProviderConfigError(
                "luma: no API key. Store one with `studio key set luma` (reads it from stdin "
                "into the OS keyring) or set LUMAAI_API_KEY")
        return {"Authorization": f"Bearer {key}"}, key

    async def _send(self, method: str, path: str, *, retry: bool = True,
                    **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        headers, key = self._auth()
        return await http.send(self.client, method, self.base_url + path, provider="luma",
                               secret=key, retry=retry, sleep=self._sleep, headers=headers,
                               **kwargs)

    @staticmethod
    def _status(data: dict[str, Any]) -> RemoteStatus:
        state = STATES.get(str(data.get("state")), RUNNING)
        assets = data.get("assets") or {}
        status = RemoteStatus(remote_id=str(data["id"]), state=state,
                              progress=1.0 if state == COMPLETED else 0.0,
                              poll_after=POLL_INTERVAL, created_at=parse_time(data.get("created_at")),
                              handles={"prompt": (data.get("request") or {}).get("prompt")})
        if state == COMPLETED:
            if not assets.get("video"):
                status.state = FAILED
                status.error, status.error_code = "Luma finished without a video", "no_video"
            else:
                status.handles.update(video=assets.get("video"), image=assets.get("image"))
                status.expires_at = time.time() + ASSET_TTL
        elif state == FAILED:
            reason = data.get("failure_reason")
            status.error = failure_message(reason)
            status.error_code = "moderation" if reason and "moderation" in reason.lower() \
                else "failed"
        return status

    # -- protocol ---------------------------------------------------------------------
    async def create(self, spec: JobSpec) -> RemoteStatus:
        if spec.kind != "generate":
            raise ProviderConfigError("luma: only new generations are supported (no remix)")
        response = await self._send("POST", "/generations/video", retry=False,
                                    json=build_body(spec))
        return self._status(response.json())

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> RemoteStatus:
        response = await self._send("GET", f"/generations/{remote_id}")
        return self._status(response.json())

    async def find_submitted(self, spec: JobSpec, since: float,
                             exclude: set[str]) -> RemoteStatus | None:
        """The oldest unclaimed generation with this prompt created after ``since``."""
        matches: list[RemoteStatus] = []
        for page in range(MAX_LIST_PAGES):
            response = await self._send("GET", "/generations",
                                        params={"limit": LIST_PAGE, "offset": page * LIST_PAGE})
            data = response.json()
            items = data.get("generations") or []
            stop = False
            for item in items:
                created = parse_time(item.get("created_at")) or 0.0
                if created < since - RECONCILE_SLACK:
                    stop = True
                    break
                if str(item.get("id")) in exclude:
                    continue
                req = item.get("request") or {}
                if req.get("prompt") == spec.params["prompt"] and \
                        (not item.get("model") or item.get("model") == spec.params["model"]):
                    matches.append(self._status(item))
            if stop or not data.get("has_more") or not items:
                break
        if not matches:
            return None
        return min(matches, key=lambda s: (s.created_at or 0.0, s.remote_id))

    async def download(self, spec: JobSpec, status: RemoteStatus, video: Path,
                       thumbnail: Path, progress: Progress, cancelled: Cancelled) -> bool:
        url = status.handles.get("video")
        if not url:
            status = await self.retrieve(status.remote_id, status.handles)
            url = status.handles.get("video")
        if not url:
            raise DownloadError(f"luma: generation {status.remote_id} has no video",
                                expired=True)
        await fetch_to(self.client, str(url), video, progress, provider="luma",
                       api_origin=self.base_url, auth=None, sleep=self._sleep)
        return await best_effort_thumbnail(self.client, status.handles.get("image"), thumbnail,
                                           provider="luma", api_origin=self.base_url,
                                           sleep=self._sleep)

    async def cancel(self, remote_id: str, handles: dict[str, Any]) -> None:
        try:
            await self._send("DELETE", f"/generations/{remote_id}")
        except NotFoundError:
            pass


def refit(fit: Any, request: Any, caps: ProviderCaps) -> Any:  # noqa: ANN401
    """Luma names: duration "5s"/"9s", aspect and resolution from the fitted size."""
    fit.params["luma"] = {"duration": duration_name(fit.duration),
                          "aspect_ratio": nearest_aspect(fit.params["size"], ASPECTS),
                          "resolution": resolution_of(fit.params["size"], RESOLUTIONS)}
    return fit
