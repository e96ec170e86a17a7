"""Shared machinery for the loopback provider servers (veo, runway, luma, fal).

Each fake is a real HTTP server on 127.0.0.1 (a ``ThreadingHTTPServer`` in a daemon
thread) that implements one published contract from ../shared/contracts/providers.md.
This module holds what they share:

* :class:`FakeServer` — start/stop, request log (method, path, headers, JSON body, time),
  one-shot fault injection, key checks and JSON/bytes replies;
* :class:`Fault` — 429 with retry-after, 5xx, a cut connection, a lost create reply (the
  server does the work, then drops the connection), a short download;
* :func:`sample_mp4` — a real one-second H.264 MP4 made with PyAV (cached per size).

Jobs advance on the wall clock: ``queue_seconds`` in the queue, then ``run_seconds``
running, so a test can make them finish in a fraction of a second.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
from PIL import Image


@lru_cache(maxsize=4)
def sample_mp4(width: int = 160, height: int = 90, seconds: float = 1.0, fps: int = 12) -> bytes:
    """A real H.264 MP4 of ``seconds`` (a moving gradient), made with PyAV."""
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        for i in range(max(1, int(seconds * fps))):
            img = Image.new("RGB", (width, height), (20 + 8 * i % 200, 60, 140))
            frame = av.VideoFrame.from_image(img)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


@lru_cache(maxsize=2)
def sample_jpeg(width: int = 160, height: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (40, 80, 160)).save(buf, format="JPEG")
    return buf.getvalue()


@dataclass
class Fault:
    """A one-shot (or ``times``-shot) misbehaviour for requests matching method + path."""

    method: str
    path: str                        # regular expression, matched with re.search
    kind: str = "status"             # status | cut | lost_reply | short
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None                 # JSON-able, or bytes
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.method == method and re.search(self.path, path) is not None


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:  # noqa: ANN401
        return json.loads(self.body) if self.body else None


class Reply:
    def __init__(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None,  # noqa: ANN401
                 content_type: str | None = None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type


class Cut(Exception):
    """Raised by a route: drop the connection without a reply (after doing the work)."""


class FakeServer:
    """Base class: subclasses implement :meth:`route` returning a :class:`Reply`."""

    name = "fake"

    def __init__(self, key: str = "test-key", *, queue_seconds: float = 0.05,
                 run_seconds: float = 0.15):
        self.key = key
        self.queue_seconds = queue_seconds
        self.run_seconds = run_seconds
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self.clock: Callable[[], float] = time.time
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401
                pass

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"{self.name}-server",
                                       daemon=True)

    # lifecycle --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # faults and log ---------------------------------------------------------------------
    def inject(self, method: str, path: str, kind: str = "status", *, status: int = 500,
               headers: dict[str, str] | None = None, body: Any = None, times: int = 1) -> None:  # noqa: ANN401
        with self.lock:
            self.faults.append(Fault(method, path, kind, status, dict(headers or {}), body, times))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def calls(self, method: str | None = None, pattern: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r.method == method)
                    and (pattern is None or re.search(pattern, r.path))]

    # job clock --------------------------------------------------------------------------
    def phase(self, created: float) -> str:
        age = self.clock() - created
        if age < self.queue_seconds:
            return "queued"
        if age < self.queue_seconds + self.run_seconds:
            return "running"
        return "done"

    def progress(self, created: float) -> float:
        age = self.clock() - created - self.queue_seconds
        return max(0.0, min(1.0, age / self.run_seconds)) if self.run_seconds else 1.0

    # subclass API -----------------------------------------------------------------------
    def authorized(self, rec: Recorded) -> bool:
        raise NotImplementedError

    def unauthorized(self, rec: Recorded) -> Reply:
        return Reply(401, {"error": "unauthorized"})

    def route(self, rec: Recorded) -> Reply:
        raise NotImplementedError

    def needs_auth(self, rec: Recorded) -> bool:
        return True

    # plumbing ---------------------------------------------------------------------------
    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        rec = Recorded(h.command, parts.path, parse_qs(parts.query),
                       {k.lower(): v for k, v in h.headers.items()}, body, time.monotonic())
        with self.lock:
            self.requests.append(rec)
        fault = self._take_fault(rec.method, rec.path)
        if fault and fault.kind == "cut":
            self._cut(h)
            return
        if fault and fault.kind == "status":
            self._send(h, Reply(fault.status, fault.body if fault.body is not None
                                else {"error": {"message": "injected fault"}}, fault.headers))
            return
        try:
            if self.needs_auth(rec) and not self.authorized(rec):
                reply = self.unauthorized(rec)
            else:
                reply = self.route(rec)
        except Cut:
            self._cut(h)
            return
        if fault and fault.kind == "lost_reply":
            self._cut(h)
            return
        if fault and fault.kind == "short" and isinstance(reply.body, bytes):
            self._send(h, reply, truncate=True)
            return
        self._send(h, reply)

    @staticmethod
    def _cut(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(2)
        except OSError:
            pass

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, reply: Reply, truncate: bool = False) -> None:
        if isinstance(reply.body, bytes):
            data = reply.body
            ctype = reply.content_type or "application/octet-stream"
        elif reply.body is None:
            data = b""
            ctype = reply.content_type or "application/json"
        else:
            data = json.dumps(reply.body).encode()
            ctype = reply.content_type or "application/json"
        h.send_response(reply.status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in reply.headers.items():
            h.send_header(k, v)
        if truncate:
            h.send_header("Connection", "close")
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data[: len(data) // 2] if truncate else data)
        if truncate:
            h.wfile.flush()
            FakeServer._cut(h)


# -- queue-engine helpers for the e2e tests ---------------------------------------------

def queue_shots(root: Any, provider: str, shots: list[str] | None = None,  # noqa: ANN401
                model: str | None = None, variants: int | None = 1) -> list[Any]:
    from studio.project import load_project
    from studio.queue.enqueue import enqueue, plan

    doc = load_project(root)
    return enqueue(root, plan(root, doc.project, shots, provider, variants=variants,
                              model=model))


def run_engine(root: Any, timeout: float = 60, sleep_scale: float = 0.01) -> Any:  # noqa: ANN401
    import asyncio

    from studio.events import EventBus
    from studio.queue.engine import QueueEngine

    engine = QueueEngine(root, EventBus(), sleep_scale=sleep_scale, reconcile_delay=0.05)
    asyncio.run(asyncio.wait_for(engine.run(until_idle=True), timeout))
    return engine


def all_jobs(root: Any) -> list[Any]:  # noqa: ANN401
    from studio.queue import jobs as J
    from studio.store import Store

    with Store.for_project(root).session() as conn:
        return J.list_jobs(conn)


def job_events(root: Any) -> list[str]:  # noqa: ANN401
    from studio.store import Store

    with Store.for_project(root).session() as conn:
        return [str(r[0]) for r in conn.execute("SELECT detail FROM job_events")]


def stop_engine_when(root: Any, predicate: Callable[[Any], bool],  # noqa: ANN401
                     timeout: float = 60) -> None:
    """Run an engine in its thread until ``predicate(job)`` holds for every job, then stop
    it (the "kill" half of a kill/restart test)."""
    from studio.events import EventBus
    from studio.queue.engine import EngineThread, QueueEngine

    thread = EngineThread(QueueEngine(root, EventBus(), sleep_scale=0.01, reconcile_delay=0.05))
    thread.start()
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            jobs = all_jobs(root)
            if jobs and all(predicate(j) for j in jobs):
                return
            time.sleep(0.02)
        raise AssertionError(f"jobs never reached the state: {[(j.status, j.error) for j in jobs]}")
    finally:
        thread.stop()
