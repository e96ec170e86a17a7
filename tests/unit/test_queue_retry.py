"""Retry policy and error mapping through httpx.MockTransport (no sockets)."""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
import pytest

from studio.providers import base as P
from studio.providers.http import backoff_delay, retry_after_seconds, send


def run_send(handler, *, retry: bool = True, method: str = "GET"):  # type: ignore[no-untyped-def]
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await send(client, method, "http://x/v1/videos/v1", provider="openai",
                              secret="sk-secret-abcdef", retry=retry, sleep=sleep)

    return asyncio.run(go()), delays


def sequence(*responses):  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    items = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        item = items.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, calls


def err(status: int, headers: dict[str, str] | None = None, message: str = "nope") -> httpx.Response:
    return httpx.Response(status, headers=headers,
                          json={"error": {"message": message, "type": "x", "param": None,
                                          "code": None}})


OK = httpx.Response(200, json={"ok": True})


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(status: int) -> None:
    handler, calls = sequence(err(status), err(status), OK)
    response, delays = run_send(handler)
    assert response.status_code == 200
    assert len(calls) == 3
    assert len(delays) == 2
    assert 0.375 <= delays[0] <= 0.5
    assert 0.75 <= delays[1] <= 1.0


@pytest.mark.parametrize(("status", "cls"), [(400, P.BadRequestError), (401, P.AuthenticationError),
                                             (403, P.PermissionDeniedError), (404, P.NotFoundError)])
def test_client_errors_are_not_retried(status: int, cls: type) -> None:
    handler, calls = sequence(err(status))
    with pytest.raises(cls):
        run_send(handler)
    assert len(calls) == 1


def test_retry_after_ms_then_retry_after_are_honoured() -> None:
    handler, _ = sequence(err(429, {"retry-after-ms": "1500"}), err(429, {"retry-after": "3"}), OK)
    _, delays = run_send(handler)
    assert delays == [1.5, 3.0]


def test_retry_after_as_http_date() -> None:
    when = email.utils.formatdate(time.time() + 10, usegmt=True)
    value = retry_after_seconds(httpx.Headers({"retry-after": when}))
    assert value is not None
    assert 8 <= value <= 10.5


def test_retry_after_beyond_120_s_falls_back_to_backoff() -> None:
    handler, _ = sequence(err(429, {"retry-after": "600"}), OK)
    _, delays = run_send(handler)
    assert 0.375 <= delays[0] <= 0.5


def test_x_should_retry_overrides_the_status() -> None:
    handler, calls = sequence(err(500, {"x-should-retry": "false"}))
    with pytest.raises(P.InternalServerError):
        run_send(handler)
    assert len(calls) == 1
    handler, calls = sequence(err(400, {"x-should-retry": "true"}), OK)
    response, _ = run_send(handler)
    assert response.status_code == 200
    assert len(calls) == 2


def test_retries_give_up_after_the_limit() -> None:
    handler, calls = sequence(*[err(503)] * (P.MAX_RETRIES + 1))
    with pytest.raises(P.InternalServerError):
        run_send(handler)
    assert len(calls) == P.MAX_RETRIES + 1


def test_connection_errors_are_retried_for_gets() -> None:
    handler, calls = sequence(httpx.ConnectError("refused"), httpx.ReadError("reset"), OK)
    response, delays = run_send(handler)
    assert response.status_code == 200
    assert len(delays) == 2


def test_a_create_is_never_retried_and_a_lost_reply_is_uncertain() -> None:
    handler, calls = sequence(httpx.ReadError("reset after send"))
    with pytest.raises(P.SubmitUncertain):
        run_send(handler, retry=False, method="POST")
    assert len(calls) == 1
    handler, calls = sequence(httpx.ConnectError("refused"))
    with pytest.raises(P.APIConnectionError) as info:
        run_send(handler, retry=False, method="POST")
    assert info.value.sent is False
    assert len(calls) == 1
    handler, calls = sequence(err(500))
    with pytest.raises(P.InternalServerError):
        run_send(handler, retry=False, method="POST")
    assert len(calls) == 1


def test_error_messages_never_carry_the_key() -> None:
    handler, _ = sequence(err(400, message="key sk-secret-abcdef is bad"))
    with pytest.raises(P.BadRequestError) as info:
        run_send(handler)
    assert "sk-secret-abcdef" not in str(info.value)
    assert "***" in str(info.value)


def test_backoff_is_capped_with_jitter() -> None:
    assert backoff_delay(0, lambda: 0.0) == 0.5
    assert backoff_delay(3, lambda: 0.0) == 4.0
    assert backoff_delay(10, lambda: 0.0) == 8.0
    assert backoff_delay(10, lambda: 1.0) == 6.0
