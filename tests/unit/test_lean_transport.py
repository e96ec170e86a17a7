"""studio.providers.transport: the queue engine's HTTP/1.1 transport on asyncio streams."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from studio.providers.transport import LeanTransport, lean_transport, lighten_client


class _Server:
    """A scripted HTTP/1.1 server: ``replies`` is a list of raw byte replies (or callables
    taking the request head and returning bytes, or None to close without a reply)."""

    def __init__(self, replies: list) -> None:
        self.replies = list(replies)
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                if b"transfer-encoding: chunked" in head.lower():
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                        chunk = await reader.readexactly(size + 2)
                        body += chunk[:-2]
                        if size == 0:
                            break
                self.requests.append(head + body)
                reply = self.replies.pop(0)
                if callable(reply):
                    reply = reply(head)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if b"connection: close" in reply.lower() or b"content-length" not in reply.lower() \
                        and b"chunked" not in reply.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _serve(replies: list) -> tuple[_Server, asyncio.AbstractServer, str]:
    srv = _Server(replies)
    server = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return srv, server, f"http://127.0.0.1:{port}"


def _ok(body: bytes, extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def test_keep_alive_reuses_one_connection_and_bodies_arrive() -> None:
    async def main() -> None:
        srv, server, url = await _serve([_ok(b'{"n": 1}'), _ok(b'{"n": 2}'), _ok(b"")])
        async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
            assert (await client.get(url + "/a?x=1")).json() == {"n": 1}
            r = await client.post(url + "/b", content=b"payload")
            assert r.json() == {"n": 2}
            assert r.http_version == "HTTP/1.1"
            assert (await client.get(url + "/c")).content == b""
        assert srv.connections == 1
        assert srv.requests[0].startswith(b"GET /a?x=1 HTTP/1.1\r\n")
        assert srv.requests[1].endswith(b"\r\n\r\npayload")

    asyncio.run(main())


def test_chunked_response_streamed_and_chunked_request() -> None:
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")

    async def body():  # noqa: ANN202 - an async generator
        yield b"ab"
        yield b"cd"

    async def main() -> None:
        srv, server, url = await _serve([chunked, _ok(b"ok")])
        async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
            async with client.stream("GET", url + "/v") as r:
                parts = [c async for c in r.aiter_bytes()]
            assert b"".join(parts) == b"hello world"
            r = await client.post(url + "/up", content=body())
            assert r.content == b"ok"
        assert srv.requests[1].endswith(b"abcd")
        assert srv.connections == 1

    asyncio.run(main())


def test_body_until_close_and_http10() -> None:
    async def main() -> None:
        srv, server, url = await _serve([b"HTTP/1.0 200 OK\r\n\r\nall of it", _ok(b"x")])
        async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
            assert (await client.get(url)).content == b"all of it"
            assert (await client.get(url)).content == b"x"
        assert srv.connections == 2

    asyncio.run(main())


def test_errors_map_to_httpx_exceptions() -> None:
    async def main() -> None:
        # a server that closes without replying: RemoteProtocolError (sent, no answer)
        srv, server, url = await _serve([None])
        async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(url)
        # a body cut short
        srv, server, url = await _serve([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
                                         b"Connection: close\r\n\r\nabc"])
        async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(url)
        # nothing listening: ConnectError (nothing was sent)
        async with httpx.AsyncClient(transport=LeanTransport()) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("http://127.0.0.1:9/")
        # a read timeout
        release = asyncio.Event()

        async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            await release.wait()
            writer.close()

        server = await asyncio.start_server(slow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, httpx.AsyncClient(transport=LeanTransport(),
                                             timeout=httpx.Timeout(5, read=0.05)) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"http://127.0.0.1:{port}/")
            release.set()

    asyncio.run(main())


def test_stale_idle_connection_is_not_reused() -> None:
    async def main() -> None:
        srv, server, url = await _serve([_ok(b"1", b"Connection: close\r\n"), _ok(b"2")])
        async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
            assert (await client.get(url)).content == b"1"
            assert (await client.get(url)).content == b"2"
        assert srv.connections == 2
        # the server closes an idle keep-alive connection: the next request opens a new one
        srv, server, url = await _serve([_ok(b"1")])
        async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
            assert (await client.get(url)).content == b"1"
            await asyncio.sleep(0.05)  # the handler ended (no replies left) and closed
            srv.replies.append(_ok(b"2"))
            assert (await client.get(url)).content == b"2"
        assert srv.connections == 2

    asyncio.run(main())


def test_redirects_and_cookies_still_work_through_the_client() -> None:
    async def main() -> None:
        srv, server, url = await _serve([
            b"HTTP/1.1 302 Found\r\nLocation: /there\r\nSet-Cookie: a=1; Path=/\r\n"
            b"Content-Length: 0\r\n\r\n",
            _ok(b"here"), _ok(b"again")])
        async with server, httpx.AsyncClient(transport=LeanTransport(),
                                             follow_redirects=True) as client:
            lighten_client(client)
            assert (await client.get(url + "/start")).content == b"here"
            assert client.cookies.get("a") == "1"
            assert (await client.get(url + "/next")).content == b"again"
        assert b"cookie: a=1" in srv.requests[2].lower()

    asyncio.run(main())


def test_proxy_or_opt_out_uses_httpx_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy", "STUDIO_HTTP_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)
    assert lean_transport() is None  # httpx's own transport is the default
    monkeypatch.setenv("STUDIO_HTTP_TRANSPORT", "lean")
    assert isinstance(lean_transport(), LeanTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert lean_transport() is None
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.setenv("STUDIO_HTTP_TRANSPORT", "httpx")
    assert lean_transport() is None
