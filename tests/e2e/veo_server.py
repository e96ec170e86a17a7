"""A loopback Gemini API for Veo (contracts/providers.md, "Google Veo via the Gemini API").

* ``POST /v1beta/models/{model}:predictLongRunning`` with ``x-goog-api-key`` →
  Operation ``{name}``; refuses ``generateAudio`` and ``seed`` with 400 INVALID_ARGUMENT
  (like the Gemini API), more than 3 ``referenceImages``, unknown durations/aspects;
* ``GET /v1beta/{name}`` → ``{name, done, metadata, response?, error?}``; done with
  ``generatedSamples[].video.uri``, or with ``raiMediaFilteredCount`` and
  ``raiMediaFilteredReasons`` when :attr:`VeoServer.next_outcome` is ``"safety"``;
* ``GET /v1beta/files/{id}:download?alt=media`` → MP4 bytes, only with the key (the real
  service answers with a redirect; :attr:`redirect_downloads` does the same).

Errors use Google's shape ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.fake_http import FakeServer, Recorded, Reply, sample_mp4

MODELS = {"veo-3.1-generate-preview", "veo-3.1-fast-generate-preview",
          "veo-3.1-lite-generate-preview", "veo-3.0-generate-001", "veo-3.0-fast-generate-001",
          "veo-2.0-generate-001"}
SAFETY_REASONS = ["Your prompt may violate our policies on depicting real people. "
                  "Support code: 58061214"]


def google_error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


@dataclass
class VeoOperation:
    name: str
    model: str
    body: dict[str, Any]
    created: float
    outcome: str = "ok"               # ok | safety | error
    files: list[str] = field(default_factory=list)


class VeoServer(FakeServer):
    name = "veo"

    def __init__(self, key: str = "gemini-test-key", **kw: Any) -> None:  # noqa: ANN401
        super().__init__(key, **kw)
        self.operations: dict[str, VeoOperation] = {}
        self.next_outcome = "ok"
        self.redirect_downloads = True
        self.video = sample_mp4()

    def authorized(self, rec: Recorded) -> bool:
        return rec.headers.get("x-goog-api-key") == self.key

    def unauthorized(self, rec: Recorded) -> Reply:
        # like Google: a wrong key is 400 API_KEY_INVALID, a missing key 403
        if rec.headers.get("x-goog-api-key"):
            body = google_error(400, "API key not valid. Please pass a valid API key.",
                                "INVALID_ARGUMENT")
            body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                         "reason": "API_KEY_INVALID"}]
            return Reply(400, body)
        return Reply(403, google_error(
            403, "Method doesn't allow unregistered callers. Please use API Key.",
            "PERMISSION_DENIED"))

    def needs_auth(self, rec: Recorded) -> bool:
        return not rec.path.startswith("/_redirected/")

    def route(self, rec: Recorded) -> Reply:
        m = re.fullmatch(r"/v1beta/models/([^/:]+):predictLongRunning", rec.path)
        if m and rec.method == "POST":
            return self.create(m.group(1), rec)
        m = re.fullmatch(r"/v1beta/(models/[^/]+/operations/[^/]+)", rec.path)
        if m and rec.method == "GET":
            return self.get_operation(m.group(1))
        m = re.fullmatch(r"/v1beta/files/([^/:]+):download", rec.path)
        if m and rec.method == "GET":
            if rec.query.get("alt") != ["media"]:
                return Reply(400, google_error(400, "alt=media required", "INVALID_ARGUMENT"))
            if self.redirect_downloads:
                # another origin (like Google's CDN): the key must not follow the redirect
                cdn = self.url.replace("127.0.0.1", "localhost")
                return Reply(302, None, {"Location": f"{cdn}/_redirected/{m.group(1)}.mp4"})
            return self.file(m.group(1))
        m = re.fullmatch(r"/_redirected/([^/]+)\.mp4", rec.path)
        if m and rec.method == "GET":
            return self.file(m.group(1))
        return Reply(404, google_error(404, f"Requested entity was not found: {rec.path}",
                                       "NOT_FOUND"))

    def create(self, model: str, rec: Recorded) -> Reply:
        if model not in MODELS:
            return Reply(404, google_error(
                404, f"models/{model} is not found for API version v1beta", "NOT_FOUND"))
        try:
            body = rec.json()
        except ValueError:
            return Reply(400, google_error(400, "Invalid JSON payload received.",
                                           "INVALID_ARGUMENT"))
        problem = self.validate(body)
        if problem:
            return Reply(400, google_error(400, problem, "INVALID_ARGUMENT"))
        name = f"models/{model}/operations/{uuid.uuid4().hex[:12]}"
        with self.lock:
            self.operations[name] = VeoOperation(name, model, body, self.clock(),
                                                 self.next_outcome)
        return Reply(200, {"name": name})

    @staticmethod
    def validate(body: Any) -> str | None:  # noqa: ANN401
        if not isinstance(body, dict) or not isinstance(body.get("instances"), list) \
                or not body["instances"]:
            return "instances is required"
        inst = body["instances"][0]
        if not isinstance(inst, dict) or not inst.get("prompt"):
            return "instances[0].prompt is required"
        refs = inst.get("referenceImages") or []
        if len(refs) > 3:
            return "At most 3 reference images are supported."
        for ref in refs:
            if ref.get("referenceType") not in ("ASSET", "STYLE"):
                return "referenceType must be ASSET or STYLE"
            img = ref.get("image") or {}
            if not img.get("bytesBase64Encoded") or not img.get("mimeType"):
                return "referenceImages[].image needs bytesBase64Encoded and mimeType"
        params = body.get("parameters") or {}
        if "generateAudio" in params:
            return "generateAudio parameter is not supported in Gemini API."
        if "seed" in params:
            return "seed parameter is not supported in Gemini API."
        if "durationSeconds" in params and params["durationSeconds"] not in (4, 5, 6, 8):
            return f"durationSeconds {params['durationSeconds']} is out of range"
        if params.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
            return f"aspectRatio {params['aspectRatio']!r} is not supported"
        if params.get("resolution", "720p") not in ("720p", "1080p"):
            return f"resolution {params['resolution']!r} is not supported"
        return None

    def get_operation(self, name: str) -> Reply:
        with self.lock:
            op = self.operations.get(name)
        if op is None:
            return Reply(404, google_error(404, "Operation not found", "NOT_FOUND"))
        if self.phase(op.created) != "done":
            return Reply(200, {"name": name, "metadata": {}, "done": False})
        if op.outcome == "error":
            return Reply(200, {"name": name, "done": True,
                               "error": {"code": 13, "message": "Internal error while generating"}})
        response: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                     "PredictLongRunningResponse"}
        if op.outcome == "safety":
            response["generateVideoResponse"] = {"raiMediaFilteredCount": 1,
                                                 "raiMediaFilteredReasons": SAFETY_REASONS}
        else:
            with self.lock:
                if not op.files:
                    count = int((op.body.get("parameters") or {}).get("sampleCount", 1))
                    op.files = [uuid.uuid4().hex[:10] for _ in range(count)]
            response["generateVideoResponse"] = {"generatedSamples": [
                {"video": {"uri": f"{self.url}/v1beta/files/{f}:download?alt=media"}}
                for f in op.files]}
        return Reply(200, {"name": name, "done": True, "response": response})

    def file(self, file_id: str) -> Reply:
        with self.lock:
            known = any(file_id in op.files for op in self.operations.values())
        if not known:
            return Reply(404, google_error(404, "File not found", "NOT_FOUND"))
        return Reply(200, self.video, content_type="video/mp4")
