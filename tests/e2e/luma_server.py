"""A loopback Luma Dream Machine API (contracts/providers.md, "Luma Dream Machine").

Mounted under ``/dream-machine/v1`` like the real base URL:

* ``POST /generations/video`` {prompt, model, duration "5s"|"9s", resolution,
  aspect_ratio, loop, keyframes, callback_url} → 201 generation ``{id, state: queued,
  ...}``; a prompt containing a word in :attr:`blocked_words` is refused with 400 (the
  service's moderation on create);
* ``GET /generations/{id}`` → state queued → dreaming → completed with ``assets.video``
  and ``assets.image``, or failed with ``failure_reason`` (:attr:`next_outcome`
  ``"moderation"`` or ``"failed"``);
* ``DELETE /generations/{id}`` → 204; ``GET /generations?limit&offset`` → newest first
  ``{generations, has_more, count}``;
* ``GET /_files/{id}.mp4|.jpg`` → the video and its thumbnail (no key, like a CDN).

Errors use FastAPI's shape ``{"detail": ...}``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.e2e.fake_http import FakeServer, Recorded, Reply, sample_jpeg, sample_mp4

PREFIX = "/dream-machine/v1"
MODELS = {"ray-2", "ray-flash-2", "ray-1-6"}
DURATIONS = {"5s", "9s"}
RESOLUTIONS = {"540p", "720p", "1080p", "4k"}
ASPECTS = {"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"}
KEYS = {"prompt", "model", "duration", "resolution", "aspect_ratio", "loop", "keyframes",
        "callback_url", "generation_type", "concepts"}


@dataclass
class LumaGeneration:
    id: str
    body: dict[str, Any]
    created: float
    outcome: str = "ok"
    deleted: bool = False


class LumaServer(FakeServer):
    name = "luma"

    def __init__(self, key: str = "luma-test-key", **kw: Any) -> None:  # noqa: ANN401
        super().__init__(key, **kw)
        self.generations: dict[str, LumaGeneration] = {}
        self.next_outcome = "ok"
        self.blocked_words: set[str] = {"forbiddenword"}
        self.video = sample_mp4()

    @property
    def base_url(self) -> str:
        return self.url + PREFIX

    def authorized(self, rec: Recorded) -> bool:
        return rec.headers.get("authorization") == f"Bearer {self.key}"

    def unauthorized(self, rec: Recorded) -> Reply:
        return Reply(401, {"detail": "Invalid API key"})

    def needs_auth(self, rec: Recorded) -> bool:
        return not rec.path.startswith("/_files/")

    def route(self, rec: Recorded) -> Reply:
        m = re.fullmatch(r"/_files/([^/.]+)\.(mp4|jpg)", rec.path)
        if m and rec.method == "GET":
            return self.file(m.group(1), m.group(2))
        if not rec.path.startswith(PREFIX):
            return Reply(404, {"detail": "Not Found"})
        path = rec.path[len(PREFIX):]
        if path == "/generations/video" and rec.method == "POST":
            return self.create(rec)
        if path == "/generations" and rec.method == "GET":
            return self.list(rec)
        m = re.fullmatch(r"/generations/([^/]+)", path)
        if m and rec.method == "GET":
            return self.get(m.group(1))
        if m and rec.method == "DELETE":
            return self.delete(m.group(1))
        return Reply(404, {"detail": "Not Found"})

    def create(self, rec: Recorded) -> Reply:
        try:
            body = rec.json()
        except ValueError:
            return Reply(400, {"detail": "Invalid JSON"})
        problems = []
        if not isinstance(body, dict):
            return Reply(422, {"detail": [{"loc": ["body"], "msg": "expected an object"}]})
        for k in sorted(set(body) - KEYS):
            problems.append({"loc": ["body", k], "msg": "Extra inputs are not permitted",
                             "type": "extra_forbidden"})
        checks = (("model", MODELS), ("duration", DURATIONS), ("resolution", RESOLUTIONS),
                  ("aspect_ratio", ASPECTS))
        for key, allowed in checks:
            if key in body and body[key] not in allowed:
                problems.append({"loc": ["body", key], "type": "enum",
                                 "msg": f"Input should be {', '.join(sorted(allowed))}"})
        if not body.get("prompt"):
            problems.append({"loc": ["body", "prompt"], "msg": "Field required",
                             "type": "missing"})
        if problems:
            return Reply(422, {"detail": problems})
        words = set(re.findall(r"\w+", str(body.get("prompt", "")).lower()))
        if words & self.blocked_words:
            return Reply(400, {"detail": "400: Prompt not allowed because advanced "
                                         "moderation failed"})
        gen = LumaGeneration(str(uuid.uuid4()), body, self.clock(), self.next_outcome)
        with self.lock:
            self.generations[gen.id] = gen
        return Reply(201, self._view(gen))

    def _view(self, gen: LumaGeneration) -> dict[str, Any]:
        phase = self.phase(gen.created)
        view: dict[str, Any] = {
            "id": gen.id, "generation_type": "video", "model": gen.body.get("model", "ray-2"),
            "created_at": datetime.fromtimestamp(gen.created, UTC).isoformat()
                          .replace("+00:00", "Z"),
            "state": "queued", "failure_reason": None, "assets": None,
            "request": {"generation_type": "video", **gen.body},
        }
        if phase == "running":
            view["state"] = "dreaming"
        elif phase == "done":
            if gen.outcome == "moderation":
                view["state"] = "failed"
                view["failure_reason"] = "Output failed moderation: content not allowed"
            elif gen.outcome == "failed":
                view["state"] = "failed"
                view["failure_reason"] = "Internal generation error"
            else:
                view["state"] = "completed"
                view["assets"] = {"video": f"{self.url}/_files/{gen.id}.mp4",
                                  "image": f"{self.url}/_files/{gen.id}.jpg"}
        return view

    def get(self, gen_id: str) -> Reply:
        with self.lock:
            gen = self.generations.get(gen_id)
        if gen is None or gen.deleted:
            return Reply(404, {"detail": "Generation not found"})
        return Reply(200, self._view(gen))

    def delete(self, gen_id: str) -> Reply:
        with self.lock:
            gen = self.generations.get(gen_id)
            if gen is None or gen.deleted:
                return Reply(404, {"detail": "Generation not found"})
            gen.deleted = True
        return Reply(204, None)

    def list(self, rec: Recorded) -> Reply:
        limit = int(rec.query.get("limit", ["10"])[0])
        offset = int(rec.query.get("offset", ["0"])[0])
        with self.lock:
            gens = sorted((g for g in self.generations.values() if not g.deleted),
                          key=lambda g: g.created, reverse=True)
        page = gens[offset:offset + limit]
        return Reply(200, {"generations": [self._view(g) for g in page],
                           "has_more": offset + limit < len(gens), "count": len(page)})

    def file(self, gen_id: str, ext: str) -> Reply:
        with self.lock:
            gen = self.generations.get(gen_id)
        if gen is None or self.phase(gen.created) != "done":
            return Reply(404, b"not found", content_type="text/plain")
        if ext == "jpg":
            return Reply(200, sample_jpeg(), content_type="image/jpeg")
        return Reply(200, self.video, content_type="video/mp4")
