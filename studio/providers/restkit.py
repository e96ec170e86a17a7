"""Helpers shared by the veo, runway, luma and fal clients.

* :func:`fetch_to` streams a result URL into a file, checks its length, treats 403/404/410
  as an expired link, and sends the API key only to the provider's own origin (result
  links on a CDN never see it; redirects are followed by hand for the same reason);
* :func:`image_payload` turns a reference image into cover-cropped JPEG/PNG bytes (base64
  or a data URI) at the fitted video size;
* :func:`nearest_aspect` / :func:`resolution_of` map a fitted pixel size to the
  aspect-ratio and resolution names the services use.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from studio.providers import http
from studio.providers.base import (
    APIStatusError,
    DownloadError,
    JobSpec,
    Progress,
    ProviderConfigError,
)
from studio.refpaths import ReferencePathError, resolve_reference

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
MAX_REDIRECTS = 5
DOWNLOAD_ATTEMPTS = 3


def reference_file(spec: JobSpec, rel: str) -> Path:
    """The file a job's reference ``rel`` names, only if it is inside the project folder
    (symlinks resolved; see :mod:`studio.refpaths`). Anything else fails the job with a
    :class:`ProviderConfigError` naming the path: a file outside the project is never read
    or uploaded."""
    try:
        return resolve_reference(spec.root, rel, f"{spec.provider}: reference image")
    except ReferencePathError as exc:
        raise ProviderConfigError(str(exc)) from None


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def ratio_of(size_or_aspect: str) -> float:
    sep = "x" if "x" in size_or_aspect else ":"
    w, h = (float(x) for x in size_or_aspect.split(sep))
    return w / h


def nearest_aspect(size: str, allowed: Sequence[str]) -> str:
    """The allowed aspect name (``"16:9"``) closest to the pixel size's ratio."""
    want = ratio_of(size)
    return min(allowed, key=lambda a: abs(math.log(ratio_of(a) / want)))


def resolution_of(size: str, allowed: Sequence[str]) -> str:
    """``1920x1080`` → ``"1080p"`` (short side), snapped to the nearest allowed name."""
    w, h = (int(x) for x in size.split("x"))
    short = min(w, h)

    def lines(name: str) -> int:
        n = name.lower().rstrip("p")
        return 2160 if n == "4k" else int(n)

    return min(allowed, key=lambda r: abs(lines(r) - short))


#: EXIF tag 0x0112; values 5-8 store the picture turned a quarter (a phone held upright)
EXIF_ORIENTATION = 0x0112
QUARTER_TURNS = frozenset({5, 6, 7, 8})


def image_bytes(path: Path, size: str | None) -> tuple[bytes, str]:
    """The image upright (its EXIF orientation applied, as every viewer shows it), cover-
    cropped to ``size`` (if given), as JPEG bytes."""
    from PIL import Image, ImageOps

    with Image.open(path) as img:
        rgb = ImageOps.exif_transpose(img).convert("RGB")
        if size:
            w, h = (int(x) for x in size.split("x"))
            rgb = ImageOps.fit(rgb, (w, h), method=Image.Resampling.LANCZOS)
        rgb.info.clear()  # Pillow writes a JPEG comment or XMP it finds there: pixels only
        buf = io.BytesIO()
        rgb.save(buf, format="JPEG", quality=90)
    return buf.getvalue(), "image/jpeg"


def image_base64(path: Path, size: str | None) -> tuple[str, str]:
    data, mime = image_bytes(path, size)
    return base64.b64encode(data).decode("ascii"), mime


def data_uri(path: Path, size: str | None) -> str:
    b64, mime = image_base64(path, size)
    return f"data:{mime};base64,{b64}"


async def fetch_to(client: httpx.AsyncClient, url: str, dest: Path, progress: Progress, *,
                   provider: str, api_origin: str, auth: dict[str, str] | None = None,
                   secret: str | None = None, sleep: http.Sleep = http._sleep,
                   what: str = "video") -> None:
    """Download ``url`` into ``dest`` (retrying a cut-short transfer); raise DownloadError."""
    for attempt in range(DOWNLOAD_ATTEMPTS):
        try:
            await _fetch_once(client, url, dest, progress, provider=provider,
                              api_origin=api_origin, auth=auth, secret=secret, sleep=sleep,
                              what=what)
            return
        except DownloadError as exc:
            if exc.expired or attempt == DOWNLOAD_ATTEMPTS - 1:
                raise
            log.info("%s download cut short (%s); again", provider, exc)
            await sleep(http.backoff_delay(attempt))


async def _fetch_once(client: httpx.AsyncClient, url: str, dest: Path, progress: Progress, *,
                      provider: str, api_origin: str, auth: dict[str, str] | None,
                      secret: str | None, sleep: http.Sleep, what: str) -> None:
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        headers = dict(auth or {}) if same_origin(current, api_origin) else {}
        try:
            response = await _get_once_no_redirect(client, current, headers, provider=provider,
                                                   secret=secret, sleep=sleep)
        except APIStatusError as exc:
            if exc.status in (403, 404, 410):
                raise DownloadError(
                    f"{provider}: the {what} link is gone or expired (HTTP {exc.status}); "
                    "queue the shot again", expired=True) from None
            raise DownloadError(f"{provider}: the {what} download failed: {exc}") from None
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("location")
            await response.aclose()
            if not location:
                raise DownloadError(f"{provider}: a redirect without a location")
            current = urljoin(current, location)
            continue
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
            raise DownloadError(f"{provider}: the {what} download failed after {got} bytes "
                                f"({type(exc).__name__})") from None
        finally:
            await response.aclose()
        if total and got != total:
            raise DownloadError(f"{provider}: the {what} download was short "
                                f"({got} of {total} bytes)")
        if got == 0:
            raise DownloadError(f"{provider}: the {what} download was empty")
        return
    raise DownloadError(f"{provider}: too many redirects fetching the {what}")


async def _get_once_no_redirect(client: httpx.AsyncClient, url: str, headers: dict[str, str], *,
                                provider: str, secret: str | None,
                                sleep: http.Sleep) -> httpx.Response:
    """GET (streamed) with the retry policy of :func:`http.send`, but never following a
    redirect itself: the caller decides which headers the next origin may see."""
    attempt = 0
    while True:
        request = client.build_request("GET", url, headers=headers)
        try:
            response = await client.send(request, stream=True, follow_redirects=False)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            if attempt >= http.MAX_RETRIES:
                raise DownloadError(f"{provider}: download connection failed "
                                    f"({type(exc).__name__})") from None
            await sleep(http.backoff_delay(attempt))
            attempt += 1
            continue
        if response.status_code < 400:
            return response
        body = await response.aread()
        await response.aclose()
        error = http.status_error(provider, response, secret, body)
        if not http.should_retry(response) or attempt >= http.MAX_RETRIES:
            raise error
        hint = http.retry_after_seconds(response.headers)
        await sleep(hint if hint is not None else http.backoff_delay(attempt))
        attempt += 1


async def best_effort_thumbnail(client: httpx.AsyncClient, url: str | None, dest: Path, *,
                                provider: str, api_origin: str,
                                sleep: http.Sleep = http._sleep) -> bool:
    """Fetch a provider's still image into ``dest`` as JPEG; False if that fails."""
    if not url:
        return False
    tmp = dest.with_suffix(".img.part")
    try:
        await fetch_to(client, url, tmp, lambda _f: None, provider=provider,
                       api_origin=api_origin, sleep=sleep, what="thumbnail")
        await asyncio.to_thread(_to_jpeg, tmp, dest)
        return True
    except (DownloadError, OSError, ValueError) as exc:
        log.info("%s thumbnail not used: %s", provider, exc)
        return False
    finally:
        tmp.unlink(missing_ok=True)


def _to_jpeg(src: Path, dest: Path) -> None:
    from PIL import Image

    with Image.open(src) as img:
        img.convert("RGB").save(dest, format="JPEG", quality=88)
