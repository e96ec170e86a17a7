"""A loopback Runway API (contracts/providers.md, "Runway"; runwayml/sdk-python).

* ``POST /v1/text_to_video`` and ``/v1/image_to_video``: ``Authorization: Bearer``,
  ``X-Runway-Version: 2024-11-06`` required; camelCase body (promptText, promptImage,
  model, ratio, duration, seed) — snake_case keys are refused; gen4_turbo only on
  image_to_video; ratios and durations checked per model → ``{id}``;
  :attr:`daily_limit` makes further creates 429;
* ``GET /v1/tasks/{id}`` → PENDING, THROTTLED (:attr:`throttle_seconds`), RUNNING
  (progress), SUCCEEDED (output URLs expiring after :attr:`output_ttl`), FAILED
  (failure, failureCode; :attr:`next_outcome` ``"moderation"`` or ``"failed"``),
  CANCELLED. Every poll's time is recorded per task (:meth:`poll_gaps`) so a test can
  assert the 5 s spacing;
* ``DELETE /v1/tasks/{id}`` → 204 (cancels a running task, deletes a finished one);
* ``GET /_output/{id}.mp4?exp=...`` → MP4 bytes, 403 after expiry.

Errors use Runway's shape ``{"error": "...", "issues": [...]}``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.fake_http import FakeServer, Recorded, Reply, sample_mp4

API_VERSION = "2024-11-06"
TEXT_RATIOS = {"1280:720", "720:1280"}
IMAGE_RATIOS = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
MODELS: dict[str, dict[str, Any]] = {
    "gen4.5": {"text": True, "durations": set(range(2, 11)), "ratios": TEXT_RATIOS | IMAGE_RATIOS},
    "gen4_turbo": {"text": False, "durations": {5, 10}, "ratios": IMAGE_RATIOS},
    "veo3": {"text": True, "durations": {8}, "ratios": TEXT_RATIOS},
    "veo3.1": {"text": True, "durations": {4, 6, 8}, "ratios": TEXT_RATIOS | {"1080:1920", "1920:1080"}},
    "veo3.1_fast": {"text": True, "durations": {4, 6, 8},
                    "ratios": TEXT_RATIOS | {"1080:1920", "1920:1080"}},
}
ALLOWED_KEYS = {"promptText", "promptImage", "model", "ratio", "duration", "seed",
                "contentModeration", "audio"}


@dataclass
class RunwayTask:
    id: str
    endpoint: str
    body: dict[str, Any]
    created: float
    outcome: str = "ok"                # ok | moderation | failed
    cancelled: bool = False
    deleted: bool = False
    polls: list[float] = field(default_factory=list)   # monotonic times of GET /tasks/{id}


def err(status: int, message: str, issues: list[dict[str, Any]] | None = None) -> Reply:
    body: dict[str, Any] = {"error": message}
    if issues:
        body["issues"] = issues
    return Reply(status, body)


class RunwayServer(FakeServer):
    name = "runway"

    def __init__(self, key: str = "runway-test-secret", **kw: Any) -> None:  # noqa: ANN401
        super().__init__(key, **kw)
        self.tasks: dict[str, RunwayTask] = {}
        self.next_outcome = "ok"
        self.throttle_seconds = 0.0
        self.output_ttl = 3600.0
        self.daily_limit: int | None = None
        self.video = sample_mp4()

    def authorized(self, rec: Recorded) -> bool:
        return rec.headers.get("authorization") == f"Bearer {self.key}"

    def unauthorized(self, rec: Recorded) -> Reply:
        return err(401, "Incorrect API key provided, or the key has been disabled.")

    def needs_auth(self, rec: Recorded) -> bool:
        return not rec.path.startswith("/_output/")

    def route(self, rec: Recorded) -> Reply:
        if rec.path.startswith("/v1/") and rec.headers.get("x-runway-version") != API_VERSION:
            return err(400, "You must provide a valid X-Runway-Version header "
                            f"(supported: {API_VERSION}).")
        m = re.fullmatch(r"/v1/(text_to_video|image_to_video)", rec.path)
        if m and rec.method == "POST":
            return self.create(m.group(1), rec)
        m = re.fullmatch(r"/v1/tasks/([^/]+)", rec.path)
        if m and rec.method == "GET":
            return self.get_task(m.group(1), rec.at)
        if m and rec.method == "DELETE":
            return self.delete_task(m.group(1))
        m = re.fullmatch(r"/_output/([^/]+)\.mp4", rec.path)
        if m and rec.method == "GET":
            return self.output(m.group(1), rec)
        return err(404, "Not found")

    def create(self, endpoint: str, rec: Recorded) -> Reply:
        try:
            body = rec.json()
        except ValueError:
            return err(400, "Invalid JSON body")
        if not isinstance(body, dict):
            return err(400, "Validation of body failed")
        unknown = sorted(set(body) - ALLOWED_KEYS)
        if unknown:
            return err(400, "Validation of body failed",
                       [{"path": [k], "message": "Unrecognized key"} for k in unknown])
        model = body.get("model")
        spec = MODELS.get(model or "")
        if spec is None:
            return err(400, "Validation of body failed",
                       [{"path": ["model"], "message": f"Invalid model {model!r}"}])
        if endpoint == "text_to_video" and not spec["text"]:
            return err(400, "Validation of body failed",
                       [{"path": ["model"], "message": f"{model} requires promptImage "
                                                       "(use /v1/image_to_video)"}])
        if endpoint == "image_to_video" and not body.get("promptImage"):
            return err(400, "Validation of body failed",
                       [{"path": ["promptImage"], "message": "Required"}])
        if endpoint == "text_to_video" and not body.get("promptText"):
            return err(400, "Validation of body failed",
                       [{"path": ["promptText"], "message": "Required"}])
        if len(body.get("promptText") or "") > 1000:
            return err(400, "Validation of body failed",
                       [{"path": ["promptText"], "message": "String must contain at most "
                                                            "1000 character(s)"}])
        if body.get("ratio") not in spec["ratios"]:
            return err(400, "Validation of body failed",
                       [{"path": ["ratio"], "message": f"Invalid ratio {body.get('ratio')!r}"}])
        if body.get("duration") not in spec["durations"]:
            return err(400, "Validation of body failed",
                       [{"path": ["duration"],
                         "message": f"Invalid duration {body.get('duration')!r}"}])
        with self.lock:
            if self.daily_limit is not None:
                if self.daily_limit <= 0:
                    return err(429, "You have exceeded the daily task limit for this model.")
                self.daily_limit -= 1
            task = RunwayTask(str(uuid.uuid4()), endpoint, body, self.clock(), self.next_outcome)
            self.tasks[task.id] = task
        return Reply(200, {"id": task.id})

    def _status(self, task: RunwayTask) -> dict[str, Any]:
        created_iso = "2026-11-01T00:00:00.000Z"
        base: dict[str, Any] = {"id": task.id, "createdAt": created_iso}
        if task.cancelled:
            return {**base, "status": "CANCELLED"}
        now = self.clock()
        age = now - task.created
        if age < self.throttle_seconds:
            return {**base, "status": "THROTTLED"}
        phase = self.phase(task.created + self.throttle_seconds)
        if phase == "queued":
            return {**base, "status": "PENDING"}
        if phase == "running":
            return {**base, "status": "RUNNING",
                    "progress": round(self.progress(task.created + self.throttle_seconds), 2)}
        if task.outcome == "moderation":
            return {**base, "status": "FAILED",
                    "failure": "The prompt or image did not pass content moderation.",
                    "failureCode": "SAFETY.INPUT.TEXT"}
        if task.outcome == "failed":
            return {**base, "status": "FAILED", "failure": "An internal error occurred.",
                    "failureCode": "INTERNAL.BAD_OUTPUT.CODE01"}
        done_at = task.created + self.throttle_seconds + self.queue_seconds + self.run_seconds
        exp = int(done_at + self.output_ttl)
        return {**base, "status": "SUCCEEDED",
                "output": [f"{self.url}/_output/{task.id}.mp4?exp={exp}"]}

    def get_task(self, task_id: str, at: float) -> Reply:
        with self.lock:
            task = self.tasks.get(task_id)
            if task is None or task.deleted:
                return err(404, "Task not found")
            task.polls.append(at)
            return Reply(200, self._status(task))

    def delete_task(self, task_id: str) -> Reply:
        with self.lock:
            task = self.tasks.get(task_id)
            if task is None or task.deleted:
                return err(404, "Task not found")
            if self._status(task)["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                task.deleted = True
            else:
                task.cancelled = True
        return Reply(204, None)

    def output(self, task_id: str, rec: Recorded) -> Reply:
        with self.lock:
            task = self.tasks.get(task_id)
        try:
            exp = float(rec.query.get("exp", ["0"])[0])
        except ValueError:
            exp = 0
        if task is None or task.deleted:
            return Reply(404, b"NoSuchKey", content_type="text/plain")
        if self.clock() > exp:
            return Reply(403, b"<Error><Code>AccessDenied</Code>"
                              b"<Message>Request has expired</Message></Error>",
                         content_type="application/xml")
        return Reply(200, self.video, content_type="video/mp4")

    def poll_gaps(self, task_id: str) -> list[float]:
        with self.lock:
            polls = list(self.tasks[task_id].polls)
        return [b - a for a, b in zip(polls, polls[1:], strict=False)]
