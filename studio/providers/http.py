"""One HTTP call with the retry policy of openai-python, and error mapping.

``send(client, method, url, retry=...)``: GET/DELETE/downloads retry on connection errors,
timeouts, 408, 409, 429 and >= 500 (``x-should-retry`` overrides); the delay comes from
``retry-after-ms``, then ``retry-after`` (seconds or an HTTP date) when within 0–120 s,
else ``min(0.5·2^n, 8) · (1 − 0.25·random)``. A create is sent with ``retry=False``: a
failure after the request may have reached the server raises :class:`SubmitUncertain`.
A URL httpx cannot send to at all (``UnsupportedProtocol``/``InvalidURL`` for the URL we
built: no http(s) scheme, no host) never reached anyone: :class:`ProviderConfigError`.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from studio.providers.base import (
    INITIAL_RETRY_DELAY,
    MAX_RETRIES,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_STATUSES,
    APIConnectionError,
    APIStatusError,
    ProviderConfigError,
    SubmitUncertain,
    error_for_status,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """The server's requested delay, if given and within 0..MAX_RETRY_AFTER."""
    raw = headers.get("retry-after-ms")
    if raw:
        try:
            value = float(raw) / 1000
        except ValueError:
            value = -1
        if 0 <= value <= MAX_RETRY_AFTER:
            return value
    raw = headers.get("retry-after")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            parsed = email.utils.parsedate_tz(raw)
            if parsed is None:
                return None
            value = email.utils.mktime_tz(parsed) - (now if now is not None else time.time())
        if 0 <= value <= MAX_RETRY_AFTER:
            return value
    return None


def backoff_delay(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """min(0.5·2^n, 8) · (1 − 0.25·random), n = retries so far."""
    return min(INITIAL_RETRY_DELAY * 2.0 ** attempt, MAX_RETRY_DELAY) * (1 - 0.25 * rand())


def should_retry(response: httpx.Response) -> bool:
    flag = response.headers.get("x-should-retry")
    if flag == "true":
        return True
    if flag == "false":
        return False
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


def redact(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        return text.replace(secret, "***")
    return text


def status_error(provider: str, response: httpx.Response, secret: str | None = None,
                 body: bytes | None = None) -> APIStatusError:
    """Map an error reply to its exception, with the server's message (never the key)."""
    message = ""
    code = None
    try:
        data = response.json() if body is None else json.loads(body)
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            message = str(err.get("message") or "")
            code = err.get("code") or err.get("type")
        elif isinstance(data, dict) and "detail" in data:
            message = str(data["detail"])
    except (ValueError, AttributeError, httpx.ResponseNotRead):
        pass
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    if status == 401:
        text = (f"{provider}: the API key was refused (401). Set the right key with "
                f"`studio key set {provider}` (or its environment variable) and retry")
    elif status == 403:
        text = f"{provider}: this key may not use that (403)"
    elif status == 429:
        text = f"{provider}: rate limited (429)"
    else:
        text = f"{provider}: HTTP {status}"
    if message:
        text += f": {message}"
    if request_id:
        text += f" [request {request_id}]"
    cls = error_for_status(status)
    return cls(redact(text, secret), status=status, request_id=request_id,
               code=str(code) if code else None, retry_after=retry_after_seconds(response.headers))


def url_problem(url: str | httpx.URL) -> str | None:
    """Why httpx cannot send to ``url`` at all (None: it can): not http(s), no host,
    not parseable. Such a request never left this machine."""
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL as exc:
        return f"it cannot be parsed: {exc}"
    if parsed.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parsed.host:
        return "it has no host"
    return None


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    secret: str | None = None,
    retry: bool = True,
    max_retries: int = MAX_RETRIES,
    sleep: Sleep = _sleep,
    stream: bool = False,
    **kwargs: Any,  # noqa: ANN401
) -> httpx.Response:
    """Send one request (with retries unless ``retry=False``); raise on an error status.

    With ``stream=True`` the caller must ``aclose()`` the returned response.
    """
    attempt = 0
    while True:
        try:
            request = client.build_request(method, url, **kwargs)
            response = await client.send(request, stream=stream)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            problem = url_problem(url)
            if problem is None:
                # the URL we sent to was fine: a redirect the server answered with was not,
                # so the request did reach it
                if not retry:
                    raise SubmitUncertain(
                        f"{provider}: the server redirected to an unusable URL after the "
                        f"request was sent ({type(exc).__name__}: {exc})") from None
                raise APIConnectionError(
                    f"{provider}: redirected to an unusable URL ({exc})") from None
            raise ProviderConfigError(
                f"{provider}: the request URL {url!r} is not usable ({problem}); nothing was "
                "sent. Check the provider's base URL (STUDIO_<PROVIDER>_BASE_URL or Settings)"
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            error: Exception = APIConnectionError(
                f"{provider}: could not connect ({type(exc).__name__})", sent=False)
            if not retry:
                raise error from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            if not retry:
                raise SubmitUncertain(
                    f"{provider}: the connection failed after the request was sent "
                    f"({type(exc).__name__})") from None
            error = APIConnectionError(f"{provider}: connection failed ({type(exc).__name__})")
        else:
            if response.status_code < 400:
                return response
            if stream:
                body = await response.aread()
                await response.aclose()
            else:
                body = None
            error = status_error(provider, response, secret, body)
            if not retry or not should_retry(response):
                raise error
            delay_hint = retry_after_seconds(response.headers)
            if attempt >= max_retries:
                raise error
            delay = delay_hint if delay_hint is not None else backoff_delay(attempt)
            log.info("%s %s -> %s; retrying in %.2fs", method, provider, response.status_code, delay)
            attempt += 1
            await sleep(delay)
            continue
        if attempt >= max_retries:
            raise error
        delay = backoff_delay(attempt)
        log.info("%s %s: %s; retrying in %.2fs", method, provider, error, delay)
        attempt += 1
        await sleep(delay)
