"""OpenAI Videos API (Sora 2) per ../shared/contracts/openai-videos.openapi.yaml.

Multipart ``POST /videos`` (prompt, model, seconds as a string, size, input_reference
resized to the video size), ``GET /videos/{id}``, ``GET /videos`` (reconcile a lost
create), ``GET /videos/{id}/content?variant=video`` (the thumbnail is made from the take),
``POST /videos/{id}/remix`` (JSON ``{prompt}``), ``POST /videos/extensions`` (JSON
``{video: {id}, prompt, seconds}``), ``DELETE /videos/{id}``. Creates, remixes and
extensions are never retried (each may bill a new video); everything else follows
:mod:`studio.providers.http`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from studio.providers import http
from studio.providers.base import (
    COMPLETED,
    DEFAULT_POLL_INTERVAL,
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
from studio.providers.restkit import EXIF_ORIENTATION, QUARTER_TURNS, reference_file

log = logging.getLogger(__name__)

STATES = {"queued": QUEUED, "in_progress": RUNNING, "completed": COMPLETED, "failed": FAILED}
LIST_PAGE = 100
MAX_LIST_PAGES = 20
CHUNK = 256 * 1024
REFERENCE_CACHE = "media/.cache/references"  # fitted reference images, by content


def moderation_message(code: str | None, message: str) -> str:
    if code and "moderation" in code:
        return ("OpenAI's moderation refused this shot"
                + (f" ({message})" if message else "")
                + ". Rephrase the prompt or the references and queue it again.")
    return f"OpenAI could not make the video: {message or code or 'no reason given'}"


def reference_bytes(path: Path, size: str, cache_dir: Path | None = None) -> tuple[str, bytes, str]:
    """The reference image cover-cropped to the video size, as JPEG (cached per file state
    in memory and, with ``cache_dir``, on disk by content hash and size). An image that
    already is that picture (see :func:`_as_is`) is sent as it is."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size, size)
    with _REFERENCE_LOCK:  # many jobs start at once: resize each image once, not per job
        hit = _REFERENCES.get(key)
        if hit is None:
            hit = _reference_fitted(path, size, cache_dir)
            if len(_REFERENCES) >= 32:
                _REFERENCES.pop(next(iter(_REFERENCES)))
            _REFERENCES[key] = hit
        return hit


def cached_reference(path: Path, size: str) -> tuple[str, bytes, str] | None:
    """The fitted reference if this process already made it for the file as it is now
    (a stat, no thread hop); None otherwise."""
    try:
        st = path.stat()
    except OSError:
        return None
    return _REFERENCES.get((str(path), st.st_mtime_ns, st.st_size, size))


_REFERENCE_LOCK = threading.Lock()
_REFERENCES: dict[tuple[str, int, int, str], tuple[str, bytes, str]] = {}
#: changes whenever the fitting or encoding below does (names the disk cache's files)
_FIT_VERSION = "fit-lanczos-q92-v4"  # v3: EXIF orientation applied; v4: no comment/XMP
#: an image of exactly the video size is sent unchanged up to this size (larger: as JPEG)
AS_IS_MAX_BYTES = 1024 * 1024
_AS_IS_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
#: what a file sent as it is may carry besides pixels: format facts, never metadata about the
#: person, place or device (EXIF with GPS and camera, XMP, IPTC, comments, PNG text chunks)
_AS_IS_INFO = frozenset({"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi",
                         "progressive", "progression", "adobe", "adobe_transform", "aspect",
                         "srgb", "interlace", "loop", "background", "duration", "timestamp"})
_AS_IS_JPEG_APP = (("APP0", b"JFIF"), ("APP14", b"Adobe"))


def _as_is(path: Path, size: str) -> tuple[str, bytes, str] | None:
    """The file itself when fitting would only re-encode it: a PNG, JPEG or WebP of exactly
    the video size, RGB, without an EXIF rotation or a colour profile (the fitted JPEG has
    neither) and without metadata (EXIF — a phone's GPS position and camera —, XMP, IPTC,
    comments, text chunks: the re-encoded JPEG drops them, so must this), at most
    AS_IS_MAX_BYTES. The API takes PNG, JPEG and WebP; the header is read, no pixels are
    decoded, and nothing is lost to a JPEG re-encode."""
    from PIL import Image

    w, h = (int(x) for x in size.split("x"))
    try:
        if path.stat().st_size > AS_IS_MAX_BYTES:
            return None
        data = path.read_bytes()
        if len(data) > AS_IS_MAX_BYTES:
            return None
        with Image.open(io.BytesIO(data)) as img:
            mime = _AS_IS_MIME.get(img.format or "")
            if (mime is None or img.size != (w, h) or img.mode != "RGB"
                    or not set(img.info) <= _AS_IS_INFO
                    or not all(any(marker == m and payload.startswith(tag)
                                   for m, tag in _AS_IS_JPEG_APP)
                               for marker, payload in getattr(img, "applist", ()))
                    or getattr(img, "n_frames", 1) != 1
                    or img.getexif()):
                return None
    except (OSError, ValueError, SyntaxError):
        return None
    return (path.name, data, mime)


def _reference_fitted(path: Path, size: str, cache_dir: Path | None) -> tuple[str, bytes, str]:
    import hashlib
    import os

    as_is = _as_is(path, size)
    if as_is is not None:
        return as_is
    name = path.stem + ".jpg"
    cached = None
    if cache_dir is not None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        cached = cache_dir / f"{digest}-{size}-{_FIT_VERSION}.jpg"
        try:
            return (name, cached.read_bytes(), "image/jpeg")
        except OSError:
            pass
    data = _fit_jpeg(path, size)
    if cached is not None:
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, cached)
        except OSError as exc:  # a read-only project still sends the image
            log.info("reference cache not written: %s", exc)
            tmp.unlink(missing_ok=True)
    return (name, data, "image/jpeg")


def _fit_jpeg(path: Path, size: str) -> bytes:
    from PIL import Image, ImageOps

    w, h = (int(x) for x in size.split("x"))
    with Image.open(path) as img:
        turned = img.getexif().get(EXIF_ORIENTATION, 1) in QUARTER_TURNS
        if img.format == "JPEG":
            # a large JPEG (a phone photo) decodes at 1/2, 1/4 or 1/8 scale in the DCT
            # domain, still covering the video size: a fraction of the decode and resize
            sw, sh = (h, w) if turned else (w, h)  # the stored picture, before it is turned
            scale = max(sw / img.width, sh / img.height)
            if scale < 0.5:
                img.draft("RGB", (math.ceil(img.width * scale), math.ceil(img.height * scale)))
        # a phone photo is stored sideways with an EXIF orientation: upright it, as viewers do
        upright = ImageOps.exif_transpose(img)
        fitted = ImageOps.fit(upright.convert("RGB"), (w, h), method=Image.Resampling.LANCZOS)
    fitted.info.clear()  # Pillow writes a JPEG comment or XMP it finds there: send pixels only
    buf = io.BytesIO()
    fitted.save(buf, format="JPEG", quality=92)
    return buf.getvalue()


class Provider:
    def __init__(self, caps: ProviderCaps, *, client: httpx.AsyncClient | None, base_url: str,
                 key: Callable[[], str | None], sleep: http.Sleep | None = None):
        if client is None:
            raise ProviderConfigError("openai needs an HTTP client")
        self.caps = caps
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._sleep = sleep or http._sleep

    # -- plumbing ---------------------------------------------------------------------
    def _auth(self) -> tuple[dict[str, str], str]:
        key = self._key()
        if not key:
            raise ProviderConfigError(
                "openai: no API key. Store one with `studio key set openai` (reads it from "
                "stdin into the OS keyring) or set OPENAI_API_KEY")
        return {"Authorization": f"Bearer {key}"}, key

    async def _send(self, method: str, path: str, *, retry: bool = True,
                    stream: bool = False, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        headers, key = self._auth()
        headers.update(kwargs.pop("headers", {}))
        return await http.send(self.client, method, self.base_url + path, provider="openai",
                               secret=key, retry=retry, stream=stream, sleep=self._sleep,
                               headers=headers, **kwargs)

    @staticmethod
    def _status(data: dict[str, Any], response: httpx.Response | None = None) -> RemoteStatus:
        hint = None
        if response is not None:
            raw = response.headers.get("openai-poll-after-ms")
            if raw:
                try:
                    hint = max(0.0, float(raw) / 1000)
                except ValueError:
                    hint = None
        err = data.get("error") or {}
        state = STATES.get(str(data.get("status")), RUNNING)
        return RemoteStatus(
            remote_id=str(data["id"]), state=state,
            progress=float(data.get("progress") or 0) / 100.0,
            poll_after=hint if hint is not None else DEFAULT_POLL_INTERVAL,
            expires_at=data.get("expires_at"), created_at=data.get("created_at"),
            error=moderation_message(err.get("code"), err.get("message", "")) if err else None,
            error_code=err.get("code") if err else None,
            handles={"prompt": data.get("prompt")},
        )

    # -- protocol ---------------------------------------------------------------------
    async def create(self, spec: JobSpec) -> RemoteStatus:
        p = spec.params
        if spec.kind in ("remix", "extend"):
            return await self._derive(spec)
        data = {
            "prompt": p["prompt"],
            "model": p["model"],
            "seconds": str(int(round(float(p["duration"])))),
            "size": p["size"],
        }
        files: dict[str, Any] = {}
        if p.get("references"):
            ref = reference_file(spec, p["references"][0])
            if ref.is_file():
                # made once per image and size (a thread hop only the first time; kept on
                # disk in media/.cache/references so a restarted worker reuses it)
                files["input_reference"] = cached_reference(ref, p["size"]) or (
                    await asyncio.to_thread(reference_bytes, ref, p["size"],
                                            Path(spec.root) / REFERENCE_CACHE))
            else:
                log.warning("reference %s missing; sending without it", ref)
        # multipart/form-data always (the SDK's encoding), built here so that a create
        # without a reference image is multipart too
        response = await self._send(
            "POST", "/videos", retry=False, content=_multipart(data, files),
            headers={"Content-Type": f"multipart/form-data; boundary={_BOUNDARY}"})
        return self._status(response.json(), response)

    async def _derive(self, spec: JobSpec) -> RemoteStatus:
        """A remix or an extension of the parent take's remote video (never retried)."""
        p = spec.params
        if not spec.parent_remote_id:
            raise ProviderConfigError(
                f"openai: a {spec.kind} needs the parent take's remote id, and this job's "
                "parent take has none (it was imported or is no longer in the library)")
        if spec.kind == "remix":
            response = await self._send(
                "POST", f"/videos/{spec.parent_remote_id}/remix", retry=False,
                json={"prompt": p["prompt"]})
        else:
            response = await self._send(
                "POST", "/videos/extensions", retry=False,
                json={"video": {"id": spec.parent_remote_id}, "prompt": p["prompt"],
                      "seconds": str(int(round(float(p["duration"]))))})
        return self._status(response.json(), response)

    async def retrieve(self, remote_id: str, handles: dict[str, Any]) -> RemoteStatus:
        response = await self._send("GET", f"/videos/{remote_id}")
        return self._status(response.json(), response)

    async def list_page(self, after: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": LIST_PAGE, "order": "desc"}
        if after:
            params["after"] = after
        response = await self._send("GET", "/videos", params=params)
        return response.json()  # type: ignore[no-any-return]

    async def find_submitted(self, spec: JobSpec, since: float,
                             exclude: set[str]) -> RemoteStatus | None:
        """The oldest unclaimed video with this prompt (and model) created after ``since``."""
        after = None
        matches: list[dict[str, Any]] = []
        for _ in range(MAX_LIST_PAGES):
            page = await self.list_page(after)
            items = page.get("data") or []
            stop = False
            for item in items:
                created = item.get("created_at") or 0
                if created < since:
                    stop = True
                    break
                if item.get("id") in exclude:
                    continue
                if item.get("prompt") == spec.params["prompt"] and (
                        not item.get("model") or item.get("model") == spec.params["model"]):
                    matches.append(item)
            if stop or not page.get("has_more") or not items:
                break
            after = page.get("last_id") or items[-1].get("id")
        if not matches:
            return None
        best = min(matches, key=lambda m: (m.get("created_at") or 0, str(m.get("id"))))
        return self._status(best)

    async def download(self, spec: JobSpec, status: RemoteStatus, video: Path,
                       thumbnail: Path, progress: Progress, cancelled: Cancelled) -> bool:
        """The video only. The library's thumbnail is made from the take itself (a frame
        one third in, 320 px wide, as for every provider) while the engine's verification
        decodes it anyway: the ``variant=thumbnail`` WebP would cost a request and a WebP →
        JPEG conversion per job, and be a full-size image the library scales down."""
        await self._download_variant(status.remote_id, "video", video, progress)
        return False

    async def _download_variant(self, remote_id: str, variant: str, dest: Path,
                                progress: Progress) -> None:
        for attempt in range(3):
            try:
                await self._download_once(remote_id, variant, dest, progress)
                return
            except DownloadError as exc:
                if exc.expired or attempt == 2:
                    raise
                log.info("openai download of %s cut short; again", remote_id)
                await self._sleep(http.backoff_delay(attempt))

    async def _download_once(self, remote_id: str, variant: str, dest: Path,
                             progress: Progress) -> None:
        try:
            response = await self._send("GET", f"/videos/{remote_id}/content",
                                        params={"variant": variant}, stream=True)
        except NotFoundError as exc:
            raise DownloadError(
                f"openai: the {variant} of {remote_id} is gone (expired or deleted): {exc}. "
                "Queue the shot again.", expired=True) from None
        total = int(response.headers.get("content-length") or 0)
        got = 0
        try:
            with dest.open("wb") as fh:
                async for chunk in response.aiter_bytes(CHUNK):
                    fh.write(chunk)
                    got += len(chunk)
                    if total:
                        progress(min(got / total, 1.0))
        except (httpx.HTTPError, OSError) as exc:
            raise DownloadError(f"openai: download of {remote_id} failed after {got} bytes "
                                f"({type(exc).__name__})") from None
        finally:
            await response.aclose()
        if total and got != total:
            raise DownloadError(f"openai: download of {remote_id} was short "
                                f"({got} of {total} bytes)")
        if got == 0:
            raise DownloadError(f"openai: download of {remote_id} was empty")

    async def cancel(self, remote_id: str, handles: dict[str, Any]) -> None:
        try:
            await self._send("DELETE", f"/videos/{remote_id}")
        except NotFoundError:
            pass


_BOUNDARY = "briefstudio0b5f1c6e9a7d4c2e8f3a"


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> bytes:
    out = bytearray()
    for name, value in fields.items():
        out += (f"--{_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                f"{value}\r\n").encode()
    for name, (filename, data, mime) in files.items():
        out += (f"--{_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n").encode()
        out += data + b"\r\n"
    out += f"--{_BOUNDARY}--\r\n".encode()
    return bytes(out)

