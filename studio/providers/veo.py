"""Google Veo through the Gemini API (../shared/contracts/providers.md, python-genai 2.x).

``POST {base}/v1beta/models/{model}:predictLongRunning`` with ``x-goog-api-key`` and
``{instances: [{prompt, referenceImages?}], parameters: {sampleCount, durationSeconds,
aspectRatio, resolution, negativePrompt}}``; poll ``GET {base}/v1beta/{operation name}``;
download ``response.generateVideoResponse.generatedSamples[].video.uri`` with the key
(the key goes only to the API's own origin: a redirect to a CDN is followed without it).

Never sends ``generateAudio`` or ``seed``: the Gemini API refuses both (Veo 3 makes audio
anyway). At most 3 reference images (ASSET; those from the style guide as STYLE). A done
operation without samples and with ``raiMediaFilteredCount`` is a safety-filtered job: it
fails with Google's reasons. No list endpoint: a lost create cannot be reconciled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from studio.providers import http
from studio.providers.base import (
    COMPLETED,
    FAILED,
    RUNNING,
    AuthenticationError,
    BadRequestError,
    Cancelled,
    DownloadError,
    JobSpec,
    Progress,
    ProviderCaps,
    ProviderConfigError,
    RemoteStatus,
)
from studio.providers.restkit import (
    fetch_to,
    image_base64,
    nearest_aspect,
    reference_file,
    resolution_of,
)

log = logging.getLogger(__name__)

POLL_INTERVAL = 5.0             # seconds between operation polls (Google's samples use 10)
MAX_REFERENCES = 3
ASPECTS = ("16:9", "9:16")
RESOLUTIONS = ("720p", "1080p")
REFUSED_PARAMETERS = frozenset({"generateAudio", "seed"})   # the Gemini API rejects these
VIDEO_TTL = 2 * 24 * 3600.0     # generated files are kept about two days (unconfirmed)


def style_references(root: Path) -> set[str]:
    """References the project's style guide lists (sent as STYLE, the rest as ASSET)."""
    try:
        data = yaml.safe_load((root / "project.yaml").read_text(encoding="utf-8")) or {}
        refs = (data.get("style") or {}).get("references") or []
        return {str(r) for r in refs}
    except (OSError, yaml.YAMLError, AttributeError):
        return set()


def build_body(spec: JobSpec, references: list[dict[str, Any]]) -> dict[str, Any]:
    """The predictLongRunning body for a fitted job (no generateAudio, no seed)."""
    p = spec.params
    instance: dict[str, Any] = {"prompt": p["prompt"]}
    if references:
        instance["referenceImages"] = references[:MAX_REFERENCES]
    parameters: dict[str, Any] = {
        "sampleCount": 1,
        "durationSeconds": int(round(float(p["duration"]))),
        "aspectRatio": nearest_aspect(p["size"], ASPECTS),
        "resolution": resolution_of(p["size"], RESOLUTIONS),
    }
    negative = (spec.request.get("negative") or []) if spec.request else []
    if negative:
        parameters["negativePrompt"] = ", ".join(str(n) for n in negative)
    for name in REFUSED_PARAMETERS:
        parameters.pop(name, None)
    return {"instances": [instance], "parameters": parameters}


def safety_message(reasons: list[str], count: int) -> str:
    text = "; ".join(r.strip() for r in reasons if r) or "no reason given"
    return (f"Google's safety filter blocked {count} video(s): {text}. Rephrase the prompt "
            "or change the references and queue the shot again.")


class Provider:
    def __init__(self, caps: ProviderCaps, *, client: httpx.AsyncClient | None, base_url: str,
                 key: Callable[[], str | None], sleep: http.Sleep | None = None):
        if client is None:
            raise ProviderConfigError("veo needs an HTTP client")
        self.caps = caps
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._sleep = sleep or http._sleep

    def _auth(self) -> tuple[dict[str, str], str]:
        key = self._key()
        if not key:
            raise ProviderConfigError(
                "veo: no API key. Store one with `studio key set veo` (reads it from stdin "
                "into the OS keyring) or set GEMINI_API_KEY")
        return {"x-goog-api-key": key}, key

    async def _send(self, method: str, url: str, *, retry: bool = True,
                    **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        headers, key = self._auth()
        try:
            return await http.send(self.client, method, url, provider="veo", secret=key,
                                   retry=retry, sleep=self._sleep, headers=headers, **kwargs)
        except BadRequestError as exc:
            if "API key not valid" in str(exc) or "API_KEY_INVALID" in str(exc):
                raise AuthenticationError(
                    "veo: the API key was refused. Set the right key with `studio key set "
                    "veo` (or GEMINI_API_KEY) and retry", status=exc.status,
                    request_id=exc.request_id) from None
            raise

    async def _references(self, spec: JobSpec) -> list[dict[str, Any]]:
        refs = list(spec.params.get("references") or [])[:MAX_REFERENCES]
        if not refs:
            return []
        styles = await asyncio.to_thread(style_references, spec.root)
        out = []
        for rel in refs:
            path = reference_file(spec, rel)
            if not path.is_file():
                log.warning("veo: reference %s missing; sending without it", rel)
                continue
            b64, mime = await asyncio.to_thread(image_base64, path, None)
            out.append({"image": {"bytesBase64Encoded": b64, "mimeType": mime},
                        "referenceType": "STYLE" if rel in styles else "ASSET"})
        return out

    # -- protocol ---------------------------------------------------------------------
    async def create(self, spec: JobSpec) -> RemoteStatus:
        if spec.kind != "generate":
            raise ProviderConfigError("veo: only new generations are supported (no remix)")
        body = build_body(spec, await self._references(spec))
        model = spec.params["model"]
        response = await self._send(
            "POST", f"{self.base_url}/v1beta/models/{model}:predictLongRunning",
            retry=False, json=body)
        return self._status(response.json())

    def _status(self, op: dict[str, Any]) -> RemoteStatus:
        name = str(op.get("name") or "")
        if not name:
            raise DownloadError("veo: the operation has no name")
        if not op.get("done"):
            meta = op.get("metadata") or {}
            pct = meta.get("progressPercent") or meta.get("progress_percent")
            return RemoteStatus(remote_id=name, state=RUNNING,
                                progress=float(pct) / 100 if pct else 0.0,
                                poll_after=POLL_INTERVAL)
        error = op.get("error")
        if error:
            return RemoteStatus(remote_id=name, state=FAILED,
                                error=f"Veo could not make the video: "
                                      f"{error.get('message') or error.get('code')}",
                                error_code=str(error.get("code") or "error"))
        gvr = (op.get("response") or {}).get("generateVideoResponse") or {}
        samples = gvr.get("generatedSamples") or []
        uris = [str((s.get("video") or {}).get("uri")) for s in samples
                if (s.get("video") or {}).get("uri")]
        filtered = int(gvr.get("raiMediaFilteredCount") or 0)
        if not uris:
            if filtered:
                return RemoteStatus(
                    remote_id=name, state=FAILED, error_code="safety",
                    error=safety_message(list(gvr.get("raiMediaFilteredReasons") or []),
                                         filtered))
            return RemoteStatus(remote_id=name, state=FAILED, error_code="no_video",
                                error="Veo finished without returning a video")
        return RemoteStatus(remote_id=name, state=COMPLETED, progress=1.0,
                            expires_at=time.time() + VIDEO_TTL,
                            handles={"uris": uris, "filtered": filtered})

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> RemoteStatus:
        response = await self._send("GET", f"{self.base_url}/v1beta/{remote_id}")
        return self._status(response.json())

    async def download(self, spec: JobSpec, status: RemoteStatus, video: Path,
                       thumbnail: Path, progress: Progress, cancelled: Cancelled) -> bool:
        uris = status.handles.get("uris") or []
        if not uris:
            status = await self.retrieve(status.remote_id, status.handles)
            uris = status.handles.get("uris") or []
        if not uris:
            raise DownloadError(f"veo: operation {status.remote_id} has no video to download",
                                expired=True)
        headers, key = self._auth()
        await fetch_to(self.client, str(uris[0]), video, progress, provider="veo",
                       api_origin=self.base_url, auth=headers, secret=key, sleep=self._sleep)
        return False

    async def cancel(self, remote_id: str, handles: dict[str, Any]) -> None:
        """The Gemini API cannot cancel a Veo operation; the job is dropped locally."""
        log.info("veo cannot cancel %s remotely; it will be ignored", remote_id)

    async def find_submitted(self, spec: JobSpec, since: float,
                             exclude: set[str]) -> RemoteStatus | None:
        return None


def refit(fit: Any, request: Any, caps: ProviderCaps) -> Any:  # noqa: ANN401
    """Veo-specific notes on a fitted request (called by the registry after fitting)."""
    params = fit.params
    if params.get("references") and float(params["duration"]) != 8.0 \
            and 8.0 in caps.model(fit.model).durations:
        fit.changes.append("note: Veo may require 8 s with reference images (unconfirmed)")
    if request.has_dialogue and request.speaking_cameos:
        fit.changes.append("voices are generated by Veo, not the cameo's own voice")
    return fit
