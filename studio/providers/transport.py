"""A lean HTTP/1.1 transport for ``httpx.AsyncClient`` on plain asyncio streams.

The queue engine makes about five requests per job (create, polls, video and thumbnail
downloads). Through httpx's default transport (httpcore + h11 + anyio) each costs about
1 ms of CPU on loopback; the same exchange on asyncio streams costs about 0.2 ms. This
transport keeps httpx's client API (request building, redirects, content decoding, the
exceptions the providers map) and replaces only the connection layer:

* HTTP/1.1 with keep-alive (idle connections per host, dropped after ``keepalive_expiry``
  seconds or when the server has closed them: checked before reuse, as httpcore does);
* bodies framed by Content-Length, chunked transfer coding, or the end of the connection;
  request bodies sent as they are (``Transfer-Encoding: chunked`` when httpx asked for it);
* TLS with httpx's own default context (certifi, ``SSL_CERT_FILE``/``SSL_CERT_DIR``);
* the timeouts of the request (connect, read, write) and httpx's exceptions:
  ``ConnectError``/``ConnectTimeout`` only when nothing was sent, then ``WriteError``,
  ``ReadError``, ``ReadTimeout``, ``RemoteProtocolError`` (a reply cut short).

Opt-in: httpx's own, well-tried transport stays the default for real provider traffic.
``STUDIO_HTTP_TRANSPORT=lean`` asks for this one (pipelines running many jobs on a busy
machine). No proxies and no HTTP/2: :func:`lean_transport` returns None (httpx's default)
unless asked, and always when a proxy is configured in the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

MAX_HEAD = 64 * 1024          # status line + headers
READ_CHUNK = 64 * 1024
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
               "all_proxy")


def lean_transport(**kwargs: Any) -> LeanTransport | None:  # noqa: ANN401
    """The lean transport, or None where httpx's default transport should be used."""
    if os.environ.get("STUDIO_HTTP_TRANSPORT", "").lower() != "lean":
        return None
    if any(os.environ.get(name) for name in _PROXY_VARS):
        return None
    return LeanTransport(**kwargs)


class _Conn:
    __slots__ = ("reader", "writer", "idle_since")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        """Idle and still open: not expired, no EOF or stray bytes waiting."""
        if now - self.idle_since > expiry or self.reader.at_eof() or self.writer.is_closing():
            return False
        if self.reader._buffer:  # type: ignore[attr-defined]  # bytes nobody asked for
            return False
        sock = self.writer.get_extra_info("socket")
        if sock is None:
            return False
        try:  # readable while idle means closed (or garbage): do not reuse
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLIN)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, verify: ssl.SSLContext | bool = True, max_keepalive: int = 50,
                 keepalive_expiry: float = 5.0) -> None:
        self._verify = verify
        self._ssl: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._closed = False

    # -- pool ----------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            if isinstance(self._verify, ssl.SSLContext):
                self._ssl = self._verify
            else:
                self._ssl = httpx.create_ssl_context(verify=self._verify)
                with contextlib.suppress(NotImplementedError):
                    self._ssl.set_alpn_protocols(["http/1.1"])
        return self._ssl

    def _take_idle(self, key: tuple[str, str, int]) -> _Conn | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.usable(now, self._expiry):
                return conn
            conn.close()
        return None

    def _release(self, key: tuple[str, str, int], conn: _Conn) -> None:
        idle = self._idle.setdefault(key, [])
        if self._closed or len(idle) >= self._max_keepalive:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        idle.append(conn)

    async def _connect(self, request: httpx.Request, key: tuple[str, str, int],
                       timeout: float | None) -> _Conn:
        scheme, host, port = key
        ssl_ctx = self._ssl_context() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=ssl_ctx, server_hostname=host if ssl_ctx else None,
                    limit=MAX_HEAD)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out",
                                       request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
        return _Conn(reader, writer)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()

    # -- one exchange ---------------------------------------------------------------------
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}",
                                            request=request)
        host = url.host
        key = (scheme, host, url.port or (443 if scheme == "https" else 80))
        timeouts = request.extensions.get("timeout") or {}
        head = _request_head(request)
        conn = self._take_idle(key)
        if conn is None:
            conn = await self._connect(request, key, timeouts.get("connect"))
        try:
            await _send_request(conn, request, head, timeouts.get("write"))
            status, reason, version, headers = await _read_head(conn, request,
                                                                timeouts.get("read"))
            framing = _framing(request, status, headers)
        except BaseException:
            conn.close()
            raise
        keep = version == b"HTTP/1.1" and not _has_token(headers, b"connection", b"close")
        if version == b"HTTP/1.0" and _has_token(headers, b"connection", b"keep-alive"):
            keep = True
        if framing[0] == "eof":
            keep = False
        if _has_token(headers, b"connection", b"close") or _has_token(
                request.headers.raw, b"connection", b"close"):
            keep = False
        stream = _Body(self, key, conn, request, framing, keep, timeouts.get("read"))
        if framing == ("length", 0):
            await stream.finish_empty()
        return httpx.Response(status, headers=headers, stream=stream,
                              extensions={"http_version": version, "reason_phrase": reason})


def _request_head(request: httpx.Request) -> bytes:
    url = request.url
    target = url.raw_path or b"/"
    lines = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)


async def _send_request(conn: _Conn, request: httpx.Request, head: bytes,
                        timeout: float | None) -> None:
    writer = conn.writer
    chunked = _has_token(request.headers.raw, b"transfer-encoding", b"chunked")
    stream = request.stream
    try:
        async with asyncio.timeout(timeout):
            if isinstance(stream, httpx.ByteStream) and not chunked:
                try:
                    body = request.content
                except httpx.RequestNotRead:  # a redirect's copy of the request
                    body = b"".join([chunk async for chunk in stream])
                writer.write(head + body)
            else:
                writer.write(head)
                async for chunk in stream:  # type: ignore[union-attr]
                    if not chunk:
                        continue
                    if chunked:
                        writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    else:
                        writer.write(chunk)
                    await writer.drain()
                if chunked:
                    writer.write(b"0\r\n\r\n")
            await writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("sending the request timed out", request=request) from None
    except OSError as exc:
        raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None


async def _read_head(conn: _Conn, request: httpx.Request, timeout: float | None,
                     ) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
    reader = conn.reader
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.",
                        request=request) from None
                except asyncio.LimitOverrunError:
                    raise httpx.RemoteProtocolError("response head too large",
                                                    request=request) from None
                status, reason, version, headers = _parse_head(raw, request)
                if 100 <= status < 200 and status != 101:
                    continue  # 100 Continue and other informational replies
                return status, reason, version, headers
    except TimeoutError:
        raise httpx.ReadTimeout("waiting for the response timed out", request=request) from None
    except (OSError, ssl.SSLError) as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None


def _parse_head(raw: bytes, request: httpx.Request,
                ) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
    lines = raw[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"malformed status line {lines[0][:80]!r}",
                                        request=request)
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise httpx.RemoteProtocolError(f"malformed header line {line[:80]!r}",
                                            request=request)
        headers.append((name, value.strip()))
    return int(parts[1]), parts[2] if len(parts) > 2 else b"", parts[0], headers


def _has_token(headers: list[tuple[bytes, bytes]], name: bytes, token: bytes) -> bool:
    for key, value in headers:
        if key.lower() == name and token in [t.strip() for t in value.lower().split(b",")]:
            return True
    return False


def _framing(request: httpx.Request, status: int, headers: list[tuple[bytes, bytes]],
             ) -> tuple[str, int]:
    if request.method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return ("length", 0)
    if _has_token(headers, b"transfer-encoding", b"chunked"):
        return ("chunked", 0)
    lengths = {v.strip() for k, v in headers if k.lower() == b"content-length"}
    if lengths:
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise httpx.RemoteProtocolError("invalid Content-Length", request=request)
        return ("length", int(next(iter(lengths))))
    return ("eof", 0)


class _Body(httpx.AsyncByteStream):
    """The response body; the connection goes back to the pool once it is read to its end
    (closed instead if the body was left unread, or on any error)."""

    def __init__(self, transport: LeanTransport, key: tuple[str, str, int], conn: _Conn,
                 request: httpx.Request, framing: tuple[str, int], keep: bool,
                 timeout: float | None) -> None:
        self._transport = transport
        self._key = key
        self._conn: _Conn | None = conn
        self._request = request
        self._kind, self._remaining = framing
        self._keep = keep
        self._timeout = timeout
        self._done = False

    async def finish_empty(self) -> None:
        self._done = True
        self._give_back()

    def _give_back(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._done and self._keep:
            self._transport._release(self._key, conn)
        else:
            conn.close()

    async def _read(self, coro: Any) -> Any:  # noqa: ANN401
        """One read under the read timeout (never armed across a ``yield``)."""
        if self._timeout is None:
            return await coro
        async with asyncio.timeout(self._timeout):
            return await coro

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._done or self._conn is None:
            return
        reader = self._conn.reader
        request = self._request
        read = self._read
        try:
            if self._kind == "length":
                while self._remaining > 0:
                    chunk = await read(reader.read(min(self._remaining, READ_CHUNK)))
                    if not chunk:
                        raise httpx.RemoteProtocolError(
                            "peer closed connection without sending complete message "
                            f"body ({self._remaining} bytes missing)", request=request)
                    self._remaining -= len(chunk)
                    if self._remaining == 0:
                        self._done = True
                        self._give_back()  # before the last chunk is handed out
                    yield chunk
            elif self._kind == "chunked":
                while True:
                    line = await read(reader.readuntil(b"\r\n"))
                    try:
                        size = int(line.split(b";", 1)[0].strip(), 16)
                    except ValueError:
                        raise httpx.RemoteProtocolError("malformed chunk size",
                                                        request=request) from None
                    if size == 0:
                        while (await read(reader.readuntil(b"\r\n"))) != b"\r\n":
                            pass  # trailers
                        break
                    data = await read(reader.readexactly(size + 2))
                    if data[-2:] != b"\r\n":
                        raise httpx.RemoteProtocolError("malformed chunk", request=request)
                    yield data[:-2]
            else:
                while True:
                    chunk = await read(reader.read(READ_CHUNK))
                    if not chunk:
                        break
                    yield chunk
            self._done = True
        except TimeoutError:
            raise httpx.ReadTimeout("reading the response timed out", request=request) from None
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body",
                request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None
        finally:
            self._give_back()

    async def aclose(self) -> None:
        self._give_back()


class _LazyCookies(httpx.Cookies):
    """httpx hands every response to :mod:`http.cookiejar` through urllib and email
    compatibility objects (about 0.1 ms a response) even when it sets no cookie; this jar
    does that only for responses that carry a ``Set-Cookie`` header (the same cookies)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def lighten_client(client: httpx.AsyncClient) -> None:
    """Skip cookie parsing of responses without cookies (see :class:`_LazyCookies`)."""
    current = getattr(client, "_cookies", None)
    if type(current) is httpx.Cookies:
        lazy = _LazyCookies()
        lazy.jar = current.jar
        client._cookies = lazy  # noqa: SLF001 - the public setter would copy it back
