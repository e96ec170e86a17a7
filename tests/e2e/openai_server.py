"""A loopback server implementing the OpenAI Videos API contract, with fault injection.

Every request is checked against ../shared/contracts/openai-videos.openapi.yaml (path,
method, query parameters, auth, multipart/JSON body) and every response body against its
schema; anything off is recorded in ``server.violations`` (tests assert it stays empty).

Faults (``server.add_fault(method, path_regex, kind, times=1, **opts)``):

* ``status``      reply ``opts["status"]`` with an error body (+ ``headers``)
* ``cut``         close the connection without a reply, before doing anything
* ``lost_reply``  do the work (e.g. create the video), then close without a reply
* ``short``       send the full Content-Length but only half the bytes, then close
* ``delay``       sleep ``opts["seconds"]`` first

Per-video behaviour (``server.video_defaults`` or the ``next_videos`` list): ``polls``
before completion, ``moderation`` (fails with code moderation_blocked), ``expired``
(expires_at in the past, content 404), ``missing`` (content 404).

Remix (``POST /videos/{id}/remix``) and extension (``POST /videos/extensions``, JSON or
multipart, the parent must be completed) make new videos that remember their parent
(``remixed_from`` / ``extended_from``); an extension's ``seconds`` is the stitched total.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import yaml

CONTRACT = Path("/work/shared/contracts/openai-videos.openapi.yaml")
_LOCAL_CONTRACT = Path(__file__).resolve().parent / "openai-videos.openapi.yaml"


def load_contract() -> dict[str, Any]:
    path = _LOCAL_CONTRACT if _LOCAL_CONTRACT.exists() else CONTRACT
    return yaml.safe_load(path.read_text(encoding="utf-8"))


_SAMPLE: dict[str, bytes] = {}
_SAMPLE_LOCK = threading.Lock()


def sample_mp4(seconds: float = 1.0, size: tuple[int, int] = (160, 90)) -> bytes:
    """A real small H.264 MP4 (cached)."""
    key = f"{seconds}-{size}"
    with _SAMPLE_LOCK:
        if key not in _SAMPLE:
            import av
            from PIL import Image

            buf = io.BytesIO()
            with av.open(buf, mode="w", format="mp4") as out:
                stream = out.add_stream("libx264", rate=24)
                stream.width, stream.height = size
                stream.pix_fmt = "yuv420p"
                for i in range(int(seconds * 24)):
                    img = Image.new("RGB", size, ((i * 9) % 255, 80, 160))
                    for packet in stream.encode(av.VideoFrame.from_image(img)):
                        out.mux(packet)
                for packet in stream.encode():
                    out.mux(packet)
            _SAMPLE[key] = buf.getvalue()
        return _SAMPLE[key]


def sample_webp(size: tuple[int, int] = (160, 90)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buf, format="WEBP")
    return buf.getvalue()


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    kind: str
    times: int
    opts: dict[str, Any]


@dataclass
class Video:
    id: str
    model: str
    prompt: str
    size: str
    seconds: str
    created_at: int
    remixed_from: str | None = None
    extended_from: str | None = None
    polls: int = 2
    seen: int = 0
    moderation: bool = False
    expired: bool = False
    missing: bool = False
    deleted: bool = False
    reference: tuple[int, int] | None = None
    status: str = "queued"
    completed_at: int | None = None

    def resource(self) -> dict[str, Any]:
        progress = {"queued": 0, "in_progress": min(99, 100 * self.seen // max(self.polls, 1)),
                    "completed": 100, "failed": 0}[self.status]
        expires = None
        if self.status == "completed":
            expires = int(time.time()) - 10 if self.expired else int(time.time()) + 3600
        return {
            "id": self.id, "object": "video", "model": self.model, "status": self.status,
            "progress": progress, "created_at": self.created_at,
            "completed_at": self.completed_at, "expires_at": expires, "prompt": self.prompt,
            "size": self.size, "seconds": self.seconds,
            "remixed_from_video_id": self.remixed_from,
            "error": ({"code": "moderation_blocked",
                       "message": "Your request was blocked by our moderation system."}
                      if self.status == "failed" else None),
        }


@dataclass
class Stats:
    creates: int = 0
    remixes: int = 0
    extensions: int = 0
    deletes: int = 0
    requests: list[tuple[str, str, int]] = field(default_factory=list)


class OpenAIServer:
    def __init__(self, api_key: str = "sk-test-loopback-key", *, poll_after_ms: int | None = 20,
                 latency: float = 0.0) -> None:
        self.api_key = api_key
        self.poll_after_ms = poll_after_ms
        self.latency = latency
        self.contract = load_contract()
        self.videos: dict[str, Video] = {}
        self.order: list[str] = []
        self.faults: list[Fault] = []
        self.violations: list[str] = []
        self.stats = Stats()
        self.video_defaults: dict[str, Any] = {"polls": 2}
        self.next_videos: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self.mp4 = sample_mp4()
        self.webp = sample_webp()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> OpenAIServer:
        server = self

        class Handler(_Handler):
            srv = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- faults --------------------------------------------------------------------------
    def add_fault(self, method: str, path: str, kind: str, times: int = 1,
                  **opts: Any) -> None:  # noqa: ANN401
        with self.lock:
            self.faults.append(Fault(method.upper(), re.compile(path), kind, times, opts))

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path.search(path):
                    fault.times -= 1
                    return fault
        return None

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    # -- schema helpers ------------------------------------------------------------------
    def schema(self, ref: str) -> dict[str, Any]:
        return {"$ref": ref, "components": self.contract["components"]}

    def check(self, instance: Any, ref: str, where: str) -> bool:  # noqa: ANN401
        try:
            jsonschema.validate(instance, self.schema(ref),
                                cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as exc:
            self.violation(f"{where}: {exc.message}")
            return False
        return True

    def operation(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
        for template, item in self.contract["paths"].items():
            names = re.findall(r"{(\w+)}", template)
            pattern = "^/v1" + re.sub(r"{\w+}", r"([^/]+)", template) + "$"
            match = re.match(pattern, path)
            if match and method.lower() in item:
                return item[method.lower()], dict(zip(names, match.groups(), strict=True))
        return None

    # -- video store ---------------------------------------------------------------------
    def new_video(self, *, model: str, prompt: str, size: str, seconds: str,
                  remixed_from: str | None = None, extended_from: str | None = None,
                  reference: tuple[int, int] | None = None) -> Video:
        with self.lock:
            opts = dict(self.video_defaults)
            if self.next_videos:
                opts.update(self.next_videos.pop(0))
            video = Video(id=f"video_{uuid.uuid4().hex[:16]}", model=model, prompt=prompt,
                          size=size, seconds=seconds, created_at=int(time.time()),
                          remixed_from=remixed_from, extended_from=extended_from,
                          reference=reference, **opts)
            self.videos[video.id] = video
            self.order.append(video.id)
            return video

    def advance(self, video: Video) -> None:
        with self.lock:
            if video.status in ("completed", "failed"):
                return
            video.seen += 1
            if video.seen >= video.polls:
                video.status = "failed" if video.moderation else "completed"
                video.completed_at = int(time.time())
            else:
                video.status = "in_progress"


class _Handler(BaseHTTPRequestHandler):
    srv: OpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401
        pass

    # -- plumbing ------------------------------------------------------------------------
    def _cut(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:12]}")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.srv.stats.requests.append((self.command, self.path, status))

    def _json(self, status: int, data: Any, ref: str | None = None,  # noqa: ANN401
              headers: dict[str, str] | None = None) -> None:
        if ref is not None:
            self.srv.check(data, ref, f"response {self.command} {self.path}")
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _error(self, status: int, message: str, etype: str = "invalid_request_error",
               code: str | None = None, headers: dict[str, str] | None = None) -> None:
        body = {"error": {"message": message, "type": etype, "param": None, "code": code}}
        self._json(status, body, "#/components/schemas/ErrorResponse", headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle()

    # -- dispatch ------------------------------------------------------------------------
    def _handle(self) -> None:
        srv = self.srv
        body = self._body()
        url = urlsplit(self.path)
        if srv.latency:
            time.sleep(srv.latency)
        fault = srv.take_fault(self.command, url.path)
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.opts.get("seconds", 1.0))
            elif fault.kind == "cut":
                return self._cut()
            elif fault.kind == "status":
                status = int(fault.opts["status"])
                return self._error(status, fault.opts.get("message", f"injected {status}"),
                                   etype="server_error" if status >= 500 else "rate_limit",
                                   headers=fault.opts.get("headers"))
        found = srv.operation(self.command, url.path)
        if found is None:
            srv.violation(f"{self.command} {url.path}: not in the contract")
            return self._error(404, "Unknown path")
        op, path_params = found
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            srv.violation(f"{self.command} {url.path}: no bearer token")
            return self._error(401, "Missing bearer authentication.", code="invalid_api_key")
        if auth[len("Bearer "):] != srv.api_key:
            return self._error(401, "Incorrect API key provided.", code="invalid_api_key")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if not self._check_query(op, query):
            return self._error(400, "invalid query")
        handler = {
            ("POST", "createVideo"): self._create,
            ("GET", "ListVideos"): self._list,
            ("GET", "GetVideo"): self._get,
            ("GET", "RetrieveVideoContent"): self._content,
            ("POST", "CreateVideoRemix"): self._remix,
            ("POST", "CreateVideoExtend"): self._extend,
            ("DELETE", "DeleteVideo"): self._delete,
        }.get((self.command, op["operationId"]))
        if handler is None:
            return self._error(404, f"{op['operationId']} is not implemented by this server")
        handler(path_params, query, body, fault)

    def _check_query(self, op: dict[str, Any], query: dict[str, str]) -> bool:
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        ok = True
        for name, value in query.items():
            if name not in params:
                self.srv.violation(f"{self.command} {self.path}: unknown query parameter {name}")
                ok = False
                continue
            schema = params[name]["schema"]
            typed: Any = value
            if schema.get("type") == "integer":
                try:
                    typed = int(value)
                except ValueError:
                    pass
            try:
                jsonschema.validate(typed, {**schema, "components": self.srv.contract["components"]},
                                    cls=jsonschema.Draft202012Validator)
            except jsonschema.ValidationError as exc:
                self.srv.violation(f"{self.command} {self.path}: query {name}: {exc.message}")
                ok = False
        return ok

    def _parse_form(self, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]] | None:
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/form-data"):
            return None
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_param("filename", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                files[name] = (part.get_content_type(), payload)
            else:
                fields[name] = payload.decode("utf-8")
        return fields, files

    # -- operations ----------------------------------------------------------------------
    def _create(self, _pp: dict[str, str], _q: dict[str, str], body: bytes,
                fault: Fault | None) -> None:
        srv = self.srv
        parsed = self._parse_form(body)
        if parsed is None:
            srv.violation("POST /videos: not multipart/form-data "
                          f"({self.headers.get('Content-Type')})")
            return self._error(400, "expected multipart/form-data")
        fields, files = parsed
        instance: dict[str, Any] = dict(fields)
        for name in files:
            instance[name] = "<binary>"
        if set(files) - {"input_reference"}:
            srv.violation(f"POST /videos: unexpected file fields {set(files)}")
        if "input_reference" in fields:
            srv.violation("POST /videos: input_reference sent as text, not a file")
        if not srv.check(instance, "#/components/schemas/CreateVideoMultipartBody",
                         "POST /videos body"):
            return self._error(400, "invalid body")
        reference = None
        if "input_reference" in files:
            mime, data = files["input_reference"]
            from PIL import Image

            try:
                with Image.open(io.BytesIO(data)) as img:
                    reference = img.size
            except OSError:
                srv.violation("POST /videos: input_reference is not an image")
                return self._error(400, "input_reference must be an image")
            want = tuple(int(x) for x in fields.get("size", "720x1280").split("x"))
            if reference != want:
                srv.violation(f"POST /videos: input_reference {reference} != size {want}")
                return self._error(400, "Inpaint image must match the requested width and height")
        video = srv.new_video(model=fields.get("model", "sora-2"), prompt=fields["prompt"],
                              size=fields.get("size", "720x1280"),
                              seconds=fields.get("seconds", "4"), reference=reference)
        with srv.lock:
            srv.stats.creates += 1
        if fault is not None and fault.kind == "lost_reply":
            return self._cut()
        self._json(200, video.resource(), "#/components/schemas/VideoResource")

    def _video(self, video_id: str) -> Video | None:
        video = self.srv.videos.get(video_id)
        if video is None or video.deleted:
            self._error(404, f"Video with id '{video_id}' not found.", code="not_found")
            return None
        return video

    def _poll_headers(self) -> dict[str, str]:
        if self.srv.poll_after_ms is None:
            return {}
        return {"openai-poll-after-ms": str(self.srv.poll_after_ms)}

    def _get(self, pp: dict[str, str], _q: dict[str, str], _b: bytes, fault: Fault | None) -> None:
        video = self._video(pp["video_id"])
        if video is None:
            return
        self.srv.advance(video)
        if fault is not None and fault.kind == "lost_reply":
            return self._cut()
        self._json(200, video.resource(), "#/components/schemas/VideoResource",
                   self._poll_headers())

    def _list(self, _pp: dict[str, str], q: dict[str, str], _b: bytes,
              _f: Fault | None) -> None:
        srv = self.srv
        limit = int(q.get("limit", 20))
        with srv.lock:
            ids = [i for i in srv.order if not srv.videos[i].deleted]
            if q.get("order", "desc") == "desc":
                ids.reverse()
            if q.get("after"):
                try:
                    ids = ids[ids.index(q["after"]) + 1:]
                except ValueError:
                    ids = []
            page = ids[:limit]
            data = [srv.videos[i].resource() for i in page]
        self._json(200, {"object": "list", "data": data,
                         "first_id": page[0] if page else None,
                         "last_id": page[-1] if page else None,
                         "has_more": len(ids) > limit},
                   "#/components/schemas/VideoListResource")

    def _content(self, pp: dict[str, str], q: dict[str, str], _b: bytes,
                 fault: Fault | None) -> None:
        video = self._video(pp["video_id"])
        if video is None:
            return
        if video.status != "completed":
            return self._error(400, "Video is not ready yet.")
        if video.expired or video.missing:
            return self._error(404, "The video content has expired.", code="not_found")
        variant = q.get("variant", "video")
        if variant == "video":
            data, ctype = self.srv.mp4, "video/mp4"
        elif variant == "thumbnail":
            data, ctype = self.srv.webp, "image/webp"
        else:
            data, ctype = self.srv.webp, "image/webp"
        if fault is not None and fault.kind == "short":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            return self._cut()
        self._send(200, data, ctype)

    def _remix(self, pp: dict[str, str], _q: dict[str, str], body: bytes,
               fault: Fault | None) -> None:
        srv = self.srv
        parent = self._video(pp["video_id"])
        if parent is None:
            return
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            try:
                data = json.loads(body)
            except ValueError:
                srv.violation("remix: body is not JSON")
                return self._error(400, "invalid JSON")
        else:
            parsed = self._parse_form(body)
            if parsed is None:
                srv.violation(f"remix: unsupported content type {ctype}")
                return self._error(400, "bad content type")
            data = parsed[0]
        if not srv.check(data, "#/components/schemas/CreateVideoRemixBody", "remix body"):
            return self._error(400, "invalid body")
        video = srv.new_video(model=parent.model, prompt=data["prompt"], size=parent.size,
                              seconds=parent.seconds, remixed_from=parent.id)
        with srv.lock:
            srv.stats.remixes += 1
        if fault is not None and fault.kind == "lost_reply":
            return self._cut()
        self._json(200, video.resource(), "#/components/schemas/VideoResource")

    def _extend(self, _pp: dict[str, str], _q: dict[str, str], body: bytes,
                fault: Fault | None) -> None:
        srv = self.srv
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            try:
                data = json.loads(body)
            except ValueError:
                srv.violation("extension: body is not JSON")
                return self._error(400, "invalid JSON")
            ref = "#/components/schemas/CreateVideoExtendJsonBody"
        else:
            parsed = self._parse_form(body)
            if parsed is None:
                srv.violation(f"extension: unsupported content type {ctype}")
                return self._error(400, "bad content type")
            fields, files = parsed
            data = {k: v for k, v in fields.items() if k != "video[id]"}
            if "video[id]" in fields:
                data["video"] = {"id": fields["video[id]"]}
            elif "video" in files:
                data["video"] = "<binary>"
            ref = "#/components/schemas/CreateVideoExtendMultipartBody"
        if not srv.check(data, ref, "extension body"):
            return self._error(400, "invalid body")
        if not isinstance(data["video"], dict):
            return self._error(400, "this server extends generated videos only (video.id)")
        parent = self._video(data["video"]["id"])
        if parent is None:
            return
        if parent.status != "completed":
            return self._error(400, f"Video {parent.id} is not completed; only completed "
                                    "videos can be extended.")
        total = str(int(parent.seconds) + int(data["seconds"]))
        video = srv.new_video(model=parent.model, prompt=data["prompt"], size=parent.size,
                              seconds=total, extended_from=parent.id)
        with srv.lock:
            srv.stats.extensions += 1
        if fault is not None and fault.kind == "lost_reply":
            return self._cut()
        self._json(200, video.resource(), "#/components/schemas/VideoResource")

    def _delete(self, pp: dict[str, str], _q: dict[str, str], _b: bytes,
                _f: Fault | None) -> None:
        video = self._video(pp["video_id"])
        if video is None:
            return
        video.deleted = True
        with self.srv.lock:
            self.srv.stats.deletes += 1
        self._json(200, {"object": "video.deleted", "deleted": True, "id": video.id},
                   "#/components/schemas/DeletedVideoResource")


def main() -> None:
    """Run standalone (benchmarks): prints the base URL, serves until killed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--polls", type=int, default=2, help="GETs before a video completes")
    parser.add_argument("--poll-after-ms", type=int, default=20)
    parser.add_argument("--key", default="sk-test-loopback-key")
    args = parser.parse_args()
    server = OpenAIServer(api_key=args.key, poll_after_ms=args.poll_after_ms,
                          latency=args.latency).start()
    server.video_defaults = {"polls": args.polls}
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
