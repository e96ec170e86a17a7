"""Encode frames from the scene renderer into an MP4 (temp file beside the target, then rename)."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import av.error
from PIL import Image

from studio.compiler import GenerationRequest
from studio.errors import StudioError
from studio.filemode import new_file_mode, set_mode
from studio.media import MediaError, thumbnail
from studio.previz.camera import Timeline, build_segments, frame_shot, seed_for
from studio.previz.look import build_look
from studio.previz.overlay import Overlay
from studio.previz.scene import Scene, scene_kind

log = logging.getLogger(__name__)

DEFAULT_LONG_EDGE = 640
ENCODER_PRESET = "superfast"  # an animatic: speed over bits (about 2x the size of veryfast)


class RenderCancelled(StudioError):
    """The caller's ``cancelled()`` turned true; no output file was left behind."""


def _even(v: float) -> int:
    n = max(2, int(round(v)))
    return n - n % 2


def output_size(request: GenerationRequest, size: tuple[int, int] | None = None) -> tuple[int, int]:
    """The pixel size the animatic is rendered at: ``size`` or the request's scaled to 640."""
    if size is not None:
        return _even(size[0]), _even(size[1])
    try:
        w, h = (int(x) for x in request.size.lower().split("x"))
    except ValueError:
        aw, ah = (float(x) for x in request.aspect.split(":"))
        w, h = int(aw * 1000), int(ah * 1000)
    scale = DEFAULT_LONG_EDGE / max(w, h)
    return _even(w * scale), _even(h * scale)


_NARRATORS = {"narrator", "v.o.", "vo", "voice-over", "voiceover", "voice over", "announcer"}


def _subjects(request: GenerationRequest) -> tuple[list[str], bool]:
    """Who stands in frame: (labels, human). Cameos and speaking characters are people; a
    shot with neither (a packshot, a landscape) gets a neutral subject marker."""
    speakers: list[str] = []
    for line in request.direction.get("dialogue") or []:
        name = str(line.get("speaker") or "").strip()
        if name and name.lower() not in _NARRATORS and "(v.o" not in name.lower() and name not in speakers:
            speakers.append(name)
    if request.cameos:
        if len(speakers) == len(request.cameos):
            return speakers[:4], True
        return list(request.cameos)[:4], True
    if speakers:
        return speakers[:4], True
    return ["subject"], False


def _scene_for(request: GenerationRequest, width: int, height: int, fps: int) -> tuple[Scene, Timeline, Overlay]:
    d = dict(request.direction)
    labels, human = _subjects(request)
    kind = scene_kind(request.prompt)
    framing = frame_shot(d, width, height, human)
    look = build_look(d, urban=kind == "urban")
    seed = seed_for(f"{request.project_id}/{request.shot_id}")
    segments = build_segments(d, float(request.duration))
    timeline = Timeline(framing, segments, seed)
    moves = {m for seg in segments for m in seg.moves}
    foreground = "ots" if d.get("angle") == "ots" else "grass" if "rack-focus" in moves else None
    if not human and d.get("shot_size") in ("EWS", "ELS"):
        labels = []  # a landscape: nothing to mark
    scene = Scene(framing, look, seed, kind, labels, human, foreground,
                  lens_type=str(d.get("lens_type") or ""))
    overlay = Overlay(request, width, height, fps, look, segments)
    return scene, timeline, overlay


def render_frame(request: GenerationRequest, t: float, *, size: tuple[int, int] | None = None,
                 fps: int = 24) -> Image.Image:
    """One frame of the animatic at ``t`` seconds, as a Pillow RGB image (for stills/tests)."""
    width, height = output_size(request, size)
    scene, timeline, overlay = _scene_for(request, width, height, fps)
    cam = timeline.camera_at(t)
    frame = scene.draw(cam)
    overlay.apply(frame, t, scene.subject_anchor(cam))
    return frame


def render(
    request: GenerationRequest,
    out_path: Path,
    *,
    size: tuple[int, int] | None = None,
    fps: int = 24,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Render the animatic of ``request`` to ``out_path`` (H.264 MP4, yuv420p, even size).

    The file appears at ``out_path`` only when complete (temp file beside it, then rename).
    ``progress`` gets 0..1; when ``cancelled()`` turns true the temp file is removed and
    :class:`RenderCancelled` is raised.
    """
    out_path = Path(out_path)
    if fps < 1 or fps > 120:
        raise ValueError(f"fps must be 1..120, got {fps}")
    width, height = output_size(request, size)
    total = max(1, round(float(request.duration) * fps))
    scene, timeline, overlay = _scene_for(request, width, height, fps)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".part", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    log.debug("previz %s: %dx%d, %d frames -> %s", request.shot_id, width, height, total, out_path)
    try:
        with av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": ENCODER_PRESET, "crf": "23", "g": str(2 * fps)}
            encoder = _Encoder(container, stream)
            encoder.start()
            try:
                for i in range(total):
                    if cancelled is not None and cancelled():
                        raise RenderCancelled(f"previz render of shot {request.shot_id} was cancelled")
                    t = i / fps
                    cam = timeline.camera_at(t)
                    img = scene.draw(cam)
                    overlay.apply(img, t, scene.subject_anchor(cam))
                    # convert here, not inside encode(): PyAV's encoder-side converter can
                    # reuse state from an earlier render and break byte-for-byte determinism
                    frame = av.VideoFrame.from_image(img).reformat(format="yuv420p")
                    frame.pts = i
                    encoder.put(frame)
                    if progress is not None:
                        progress((i + 1) / total)
                encoder.put(None)
            finally:
                encoder.finish()
        if cancelled is not None and cancelled():
            raise RenderCancelled(f"previz render of shot {request.shot_id} was cancelled")
        set_mode(tmp, new_file_mode())  # mkstemp makes 0600; a take is an ordinary file
        os.replace(tmp, out_path)
    except av.error.FFmpegError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise MediaError(f"{out_path}: the previz encoder failed ({exc})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class _Encoder:
    """Encodes and muxes frames on a worker thread while the caller draws the next ones.

    libx264 and the muxer release the GIL, so drawing (Python + Pillow) and encoding overlap
    on two cores. ``put(None)`` flushes the encoder; ``finish()`` waits for the thread and
    re-raises its error, if any.
    """

    def __init__(self, container: Any, stream: Any):
        self.container = container
        self.stream = stream
        self.queue: queue.Queue[av.VideoFrame | None | object] = queue.Queue(maxsize=6)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="previz-encoder", daemon=True)
        self._stop = object()

    def start(self) -> None:
        self.thread.start()

    def put(self, frame: av.VideoFrame | None) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(frame, timeout=0.2)
                return
            except queue.Full:
                if not self.thread.is_alive():
                    raise RuntimeError("the previz encoder thread stopped") from self.error

    def finish(self) -> None:
        if self.thread.is_alive():
            with contextlib.suppress(queue.Full):
                self.queue.put(self._stop, timeout=5)
            self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is self._stop:
                    return
                for packet in self.stream.encode(item):
                    self.container.mux(packet)
                if item is None:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in finish()
            self.error = exc
            # drain so that a blocked put() returns
            while True:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break


def render_thumbnail(video: Path, out_jpg: Path, width: int = 320) -> None:
    """The previz take's thumbnail (same as :func:`studio.media.thumbnail`)."""
    thumbnail(video, out_jpg, width=width)
