"""Encode frames from the scene renderer into an MP4 (temp file beside the target, then rename)."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import av
from PIL import Image

from studio.compiler import GenerationRequest
from studio.errors import StudioError

log = logging.getLogger(__name__)

DEFAULT_LONG_EDGE = 640


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


def render(
    request: GenerationRequest,
    out_path: Path,
    *,
    size: tuple[int, int] | None = None,
    fps: int = 24,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Render the animatic of ``request`` to ``out_path`` (H.264 MP4, yuv420p)."""
    out_path = Path(out_path)
    width, height = output_size(request, size)
    total = max(1, round(request.duration * fps))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".part.mp4", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "veryfast", "crf": "23"}
            for i in range(total):
                if cancelled is not None and cancelled():
                    raise RenderCancelled(f"previz render of shot {request.shot_id} cancelled")
                img = Image.new("RGB", (width, height), (20 + i % 200, 30, 60))
                frame = av.VideoFrame.from_image(img)
                for packet in stream.encode(frame):
                    container.mux(packet)
                if progress is not None:
                    progress((i + 1) / total)
            for packet in stream.encode(None):
                container.mux(packet)
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def render_thumbnail(video: Path, out_jpg: Path, width: int = 320) -> None:
    """The previz take's thumbnail (same as :func:`studio.media.thumbnail`)."""
    from studio.media import thumbnail

    thumbnail(video, out_jpg, width=width)
