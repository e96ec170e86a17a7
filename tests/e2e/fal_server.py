"""A loopback fal.ai queue (contracts/providers.md, "fal.ai queue"; fal_client client.py).

* ``POST /{model_id}`` with ``Authorization: Key …`` and the model input as JSON →
  ``{request_id, status_url, response_url, cancel_url, queue_position}``. The URLs drop the
  model's sub-path (``fal-ai/pika/v2.2/text-to-video`` → ``fal-ai/pika/requests/{id}``);
  set :attr:`url_base` to hand out URLs on another prefix, so a client that builds them
  itself instead of using them as returned gets 404s;
* ``GET status_url?logs=1`` → IN_QUEUE (queue_position), IN_PROGRESS (logs), COMPLETED —
  which carries ``error``/``error_type`` when the run failed (:attr:`next_outcome`
  ``"error"`` or ``"moderation"``);
* ``GET response_url`` → the model output ``{video: {url, content_type, file_name,
  file_size}}``, or the run's error (422 ``{"detail": [...]}`` for content policy, 500);
* ``PUT cancel_url`` → 202 CANCELLATION_REQUESTED, or 400 ALREADY_COMPLETED;
* 422 ``{"detail": [{loc, msg, type}]}`` for input validation, per model schema;
* ``GET /_media/{id}.mp4`` → the video (no key, like fal.media).

Fault injection (from :class:`FakeServer`) covers 503 with ``X-Fal-Error-Type``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from tests.e2e.fake_http import FakeServer, Recorded, Reply, sample_mp4

ANY = object()
PIKA_ASPECTS = ["16:9", "9:16", "1:1", "4:5", "5:4", "3:2", "2:3"]
# model id -> {field: allowed values (list), or ANY}; "required" lists required fields
SCHEMAS: dict[str, dict[str, Any]] = {
    "fal-ai/pika/v2.2/text-to-video": {
        "prompt": ANY, "seed": ANY, "negative_prompt": ANY, "aspect_ratio": PIKA_ASPECTS,
        "resolution": ["720p", "1080p"], "duration": [5, 10], "required": ["prompt"]},
    "fal-ai/pika/v2.2/image-to-video": {
        "prompt": ANY, "image_url": ANY, "seed": ANY, "negative_prompt": ANY,
        "resolution": ["720p", "1080p"], "duration": [5, 10],
        "required": ["prompt", "image_url"]},
    "fal-ai/kling-video/v2.1/master/text-to-video": {
        "prompt": ANY, "duration": ["5", "10"], "aspect_ratio": ["16:9", "9:16", "1:1"],
        "negative_prompt": ANY, "cfg_scale": ANY, "required": ["prompt"]},
    "fal-ai/kling-video/v2.1/master/image-to-video": {
        "prompt": ANY, "image_url": ANY, "duration": ["5", "10"], "negative_prompt": ANY,
        "cfg_scale": ANY, "required": ["prompt", "image_url"]},
    "fal-ai/minimax/hailuo-02/standard/text-to-video": {
        "prompt": ANY, "duration": ["6", "10"], "prompt_optimizer": ANY,
        "required": ["prompt"]},
    "fal-ai/ltx-2/text-to-video/fast": {
        "prompt": ANY, "duration": [6, 8, 10, 12, 14, 16, 18, 20],
        "resolution": ["1080p", "1440p", "2160p"], "generate_audio": ANY, "fps": [25, 50],
        "required": ["prompt"]},
    "fal-ai/wan-25-preview/text-to-video": {
        "prompt": ANY, "duration": ["5", "10"], "aspect_ratio": ["16:9", "9:16", "1:1"],
        "resolution": ["480p", "720p", "1080p"], "negative_prompt": ANY, "seed": ANY,
        "required": ["prompt"]},
}


@dataclass
class FalRequest:
    id: str
    model: str
    app: str
    body: dict[str, Any]
    created: float
    outcome: str = "ok"                # ok | error | moderation
    cancelled: bool = False


def app_id(model_id: str) -> str:
    """``fal-ai/pika/v2.2/text-to-video`` → ``fal-ai/pika`` (owner/app)."""
    return "/".join(model_id.split("/")[:2])


class FalServer(FakeServer):
    name = "fal"

    def __init__(self, key: str = "fal-test-id:fal-test-secret", **kw: Any) -> None:  # noqa: ANN401
        super().__init__(key, **kw)
        self.requests_by_id: dict[str, FalRequest] = {}
        self.next_outcome = "ok"
        self.url_base: str | None = None     # e.g. server.url + "/alt": URLs on another prefix
        self.video = sample_mp4()

    def authorized(self, rec: Recorded) -> bool:
        return rec.headers.get("authorization") == f"Key {self.key}"

    def unauthorized(self, rec: Recorded) -> Reply:
        return Reply(401, {"detail": "Invalid authentication credentials"})

    def needs_auth(self, rec: Recorded) -> bool:
        return not rec.path.startswith("/_media/")

    def _handed_base(self) -> str:
        return self.url_base or self.url

    def route(self, rec: Recorded) -> Reply:
        m = re.fullmatch(r"/_media/([^/.]+)\.mp4", rec.path)
        if m and rec.method == "GET":
            return self.media(m.group(1))
        path = rec.path
        prefix = self._handed_base()[len(self.url):]
        m = re.fullmatch(r"(.*)/([^/]+/[^/]+)/requests/([^/]+)(/status|/cancel)?", path)
        if m and rec.method in ("GET", "PUT"):
            if m.group(1) != prefix:
                return Reply(404, {"detail": "Not Found"})
            req = self.requests_by_id.get(m.group(3))
            if req is None or req.app != m.group(2):
                return Reply(404, {"detail": f"Request {m.group(3)} not found"})
            if m.group(4) == "/status" and rec.method == "GET":
                return self.status(req, rec)
            if m.group(4) == "/cancel" and rec.method == "PUT":
                return self.cancel(req)
            if m.group(4) is None and rec.method == "GET":
                return self.response(req)
            return Reply(405, {"detail": "Method Not Allowed"})
        if rec.method == "POST":
            return self.submit(path.lstrip("/"), rec)
        return Reply(404, {"detail": "Not Found"})

    def submit(self, model: str, rec: Recorded) -> Reply:
        schema = SCHEMAS.get(model)
        if schema is None:
            return Reply(404, {"detail": f"Application {model!r} not found"})
        try:
            body = rec.json()
        except ValueError:
            return Reply(422, {"detail": [{"loc": ["body"], "msg": "Invalid JSON",
                                           "type": "value_error.jsondecode"}]})
        if not isinstance(body, dict):
            return Reply(422, {"detail": [{"loc": ["body"], "msg": "expected an object",
                                           "type": "type_error"}]})
        problems = []
        for key in schema["required"]:
            if key not in body:
                problems.append({"loc": ["body", key], "msg": "field required",
                                 "type": "value_error.missing"})
        for key, value in body.items():
            allowed = schema.get(key)
            if key == "required" or allowed is None:
                problems.append({"loc": ["body", key], "msg": "extra fields not permitted",
                                 "type": "value_error.extra"})
            elif allowed is not ANY and value not in allowed:
                problems.append({"loc": ["body", key], "type": "type_error.enum",
                                 "msg": "value is not a valid enumeration member; permitted: "
                                        + ", ".join(repr(a) for a in allowed)})
        if problems:
            return Reply(422, {"detail": problems})
        req = FalRequest(str(uuid.uuid4()), model, app_id(model), body, self.clock(),
                         self.next_outcome)
        with self.lock:
            self.requests_by_id[req.id] = req
        base = f"{self._handed_base()}/{req.app}/requests/{req.id}"
        return Reply(200, {"request_id": req.id, "response_url": base,
                           "status_url": f"{base}/status", "cancel_url": f"{base}/cancel",
                           "queue_position": 0})

    def _finished(self, req: FalRequest) -> bool:
        return req.cancelled or self.phase(req.created) == "done"

    def status(self, req: FalRequest, rec: Recorded) -> Reply:
        base = f"{self._handed_base()}/{req.app}/requests/{req.id}"
        logs = [{"message": "Generating video", "level": "INFO",
                 "timestamp": "2026-11-01T00:00:00"}] if rec.query.get("logs") == ["1"] else None
        if req.cancelled:
            return Reply(200, {"status": "COMPLETED", "response_url": base, "logs": logs,
                               "error": "Request was cancelled", "error_type": "cancelled"})
        phase = self.phase(req.created)
        if phase == "queued":
            return Reply(202, {"status": "IN_QUEUE", "queue_position": 0, "response_url": base})
        if phase == "running":
            return Reply(202, {"status": "IN_PROGRESS", "response_url": base, "logs": logs})
        body: dict[str, Any] = {"status": "COMPLETED", "response_url": base, "logs": logs,
                                "metrics": {"inference_time": 0.2}}
        if req.outcome == "error":
            body.update(error="Runner disconnected while processing", error_type="runner_disconnected")
        elif req.outcome == "moderation":
            body.update(error="The content could not be processed because it contained "
                              "material flagged by a content checker.",
                        error_type="content_policy_violation")
        return Reply(200, body)

    def response(self, req: FalRequest) -> Reply:
        if not self._finished(req):
            return Reply(400, {"detail": "Request is still in progress"})
        if req.cancelled:
            return Reply(400, {"detail": "Request was cancelled"})
        if req.outcome == "moderation":
            return Reply(422, {"detail": [{"loc": ["body", "prompt"], "type":
                                           "content_policy_violation",
                                           "msg": "The content could not be processed because "
                                                  "it contained material flagged by a content "
                                                  "checker."}]})
        if req.outcome == "error":
            return Reply(500, {"detail": "Runner disconnected while processing",
                               "error_type": "runner_disconnected"},
                         headers={"X-Fal-Error-Type": "runner_disconnected"})
        return Reply(200, {"video": {"url": f"{self.url}/_media/{req.id}.mp4",
                                     "content_type": "video/mp4", "file_name": "output.mp4",
                                     "file_size": len(self.video)}, "seed": 42})

    def cancel(self, req: FalRequest) -> Reply:
        with self.lock:
            if self._finished(req):
                return Reply(400, {"status": "ALREADY_COMPLETED"})
            req.cancelled = True
        return Reply(202, {"status": "CANCELLATION_REQUESTED"})

    def media(self, req_id: str) -> Reply:
        req = self.requests_by_id.get(req_id)
        if req is None or not self._finished(req) or req.outcome != "ok":
            return Reply(404, b"not found", content_type="text/plain")
        return Reply(200, self.video, content_type="video/mp4")
