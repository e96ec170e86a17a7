"""Media utilities: probe, verify, thumbnail and hash video files (PyAV + Pillow).

Used by the queue (verify a download before it is renamed into place), the results library
(probe, thumbnail, sha256 of every take) and the previz provider. Every failure is a
:class:`MediaError` whose message names the file and says what is wrong with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.video.reformatter import VideoReformatter
from PIL import Image

from studio.errors import StudioError
from studio.yamlio import atomic_write

log = logging.getLogger(__name__)

MIB = 1024 * 1024
_HEAD_BYTES = 64
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # WebM / Matroska
# ISO base media (MP4, MOV, M4V, 3GP): a box header whose type is one of these.
_ISO_BOX_TYPES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


class MediaError(StudioError):
    """A media file is missing, unreadable, of the wrong type, truncated or undecodable."""


@dataclass(frozen=True)
class Probe:
    """What a video file holds. ``frames`` is None when the container does not say."""

    duration: float
    width: int
    height: int
    fps: float
    codec: str
    has_audio: bool
    frames: int | None
    container: str

    def to_dict(self) -> dict[str, object]:
        return {
            "duration": self.duration,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "codec": self.codec,
            "has_audio": self.has_audio,
            "frames": self.frames,
            "container": self.container,
        }


def sniff_container(head: bytes) -> str | None:
    """``"mp4"`` (ISO BMFF: MP4/MOV), ``"matroska"`` (WebM/MKV) or None, from magic bytes."""
    if len(head) >= 8 and head[4:8] in _ISO_BOX_TYPES:
        return "mp4"
    if head.startswith(_EBML_MAGIC):
        return "matroska"
    return None


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(_HEAD_BYTES)
    except FileNotFoundError:
        raise MediaError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise MediaError(f"{path}: is a folder, not a video file") from None
    except OSError as exc:
        raise MediaError(f"{path}: cannot read ({exc.strerror or exc})") from None


def is_video_file(path: Path | str) -> bool:
    """True when ``path`` is a readable file whose magic bytes say MP4/MOV or WebM/Matroska."""
    try:
        return sniff_container(_read_head(Path(path))) is not None
    except MediaError:
        return False


def sha256_file(path: Path | str, chunk: int = MIB) -> str:
    """Hex SHA-256 of a file, read in ``chunk``-byte pieces."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
    except FileNotFoundError:
        raise MediaError(f"{path}: file not found") from None
    except OSError as exc:
        raise MediaError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return digest.hexdigest()


def _check_iso_boxes(path: Path) -> None:
    """Walk the top-level boxes of an MP4/MOV: a box that runs past the end of the file means
    the file was cut short (cheap, exact, and catches what metadata-only probing cannot)."""
    size = path.stat().st_size
    offset = 0
    boxes = 0
    with open(path, "rb") as fh:
        while offset < size:
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                raise MediaError(f"{path}: the file ends inside a box header at byte {offset}; "
                                 "it is truncated")
            box_size = int.from_bytes(header[:4], "big")
            box_type = header[4:8]
            if box_size == 1:
                if len(header) < 16:
                    raise MediaError(f"{path}: the file ends inside a box header at byte {offset}; "
                                     "it is truncated")
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:
                box_size = size - offset  # "to the end of the file"
            if box_size < 8:
                raise MediaError(f"{path}: invalid box size {box_size} at byte {offset}; "
                                 "the file is damaged")
            if offset + box_size > size:
                name = box_type.decode("latin-1", "replace")
                raise MediaError(
                    f"{path}: the '{name}' box at byte {offset} needs {offset + box_size} bytes "
                    f"but the file has {size}; it is truncated"
                )
            offset += box_size
            boxes += 1
            if boxes > 100_000:
                raise MediaError(f"{path}: too many top-level boxes; the file is damaged")


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except FileNotFoundError:
        raise MediaError(f"{path}: file not found") from None
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"{path}: not a readable video (the container cannot be opened: {_ff_reason(exc)}); "
            "the file may be truncated or of another type"
        ) from None


def _ff_reason(exc: BaseException) -> str:
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).strip() or type(exc).__name__


def _probe_open(path: Path, container: av.container.InputContainer) -> Probe:
    if not container.streams.video:
        raise MediaError(f"{path}: no video stream in the file")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    if duration <= 0 and container.duration is not None:
        duration = container.duration / av.time_base
    frames = int(stream.frames) if stream.frames else None
    return Probe(
        duration=round(duration, 6),
        width=int(ctx.width or 0),
        height=int(ctx.height or 0),
        fps=round(fps, 6),
        codec=str(ctx.name or ""),
        has_audio=bool(container.streams.audio),
        frames=frames,
        container=_container_name(container),
    )


def _container_name(container: av.container.InputContainer) -> str:
    """A short name: mp4, mov, webm, matroska (or ffmpeg's own format name)."""
    names = (container.format.name or "").split(",")
    if "mp4" in names or "mov" in names:
        brand = str(container.metadata.get("major_brand", "")).strip().lower()
        return "mov" if brand == "qt" else "mp4"
    if "webm" in names or "matroska" in names:
        codec = container.streams.video[0].codec_context.name if container.streams.video else ""
        return "webm" if codec in {"vp8", "vp9", "av1"} else "matroska"
    return names[0] if names else ""


def probe(path: Path | str) -> Probe:
    """Read a video's metadata (no decoding). Raises MediaError for anything unreadable."""
    path = Path(path)
    head = _read_head(path)  # clear errors for missing / unreadable / folders
    if sniff_container(head) == "mp4":
        _check_iso_boxes(path)
    with _open(path) as container:
        return _probe_open(path, container)


def verify_video(path: Path | str, expected_size: int | None = None, *,
                 thumbnail_to: Path | str | None = None, thumbnail_width: int = 320) -> Probe:
    """Check a downloaded or rendered video before it is trusted; return its probe.

    Checks, in order: the byte length (when ``expected_size`` is given), the container type by
    magic bytes (MP4/MOV or WebM/Matroska, whatever the file name says), that the container
    opens and has a video stream, that every packet the index promises is present (a file cut
    short fails here), and that every frame decodes.

    With ``thumbnail_to``, the frame :func:`thumbnail` would pick (one third in) is kept while
    the frames are decoded anyway, and once the file passed, the same JPEG :func:`thumbnail`
    makes is written there (no second decode; a plain write, not fsynced: a scratch file its
    caller copies). Best effort: a thumbnail that cannot be made is logged and not written;
    it never fails the verification.
    """
    path = Path(path)
    head = _read_head(path)
    size = path.stat().st_size
    if expected_size is not None and size != expected_size:
        raise MediaError(
            f"{path}: size is {size} bytes but {expected_size} were expected "
            f"({'truncated' if size < expected_size else 'longer than announced'})"
        )
    if size == 0:
        raise MediaError(f"{path}: the file is empty")
    kind = sniff_container(head)
    if kind is None:
        raise MediaError(
            f"{path}: not a video file (no MP4/MOV or WebM/Matroska signature in the first bytes)"
        )
    if kind == "mp4":
        _check_iso_boxes(path)
    grab: _FrameGrab | None = None
    small: Image.Image | None = None
    with _open(path) as container:
        info = _probe_open(path, container)
        if info.width <= 0 or info.height <= 0:
            raise MediaError(f"{path}: the video stream has no picture size")
        if thumbnail_to is not None:
            grab = _FrameGrab(info.duration / 3)
        decoded = _decode_check(path, container, grab)
        if grab is not None and grab.frame is not None:
            try:
                small = _thumbnail_image(grab.frame, thumbnail_width)
            except (ValueError, av.error.FFmpegError) as exc:
                log.warning("no thumbnail from %s: %s", path, exc)
    if decoded == 0:
        raise MediaError(f"{path}: no frame could be decoded")
    if info.frames is not None and kind == "mp4" and decoded < info.frames:
        raise MediaError(
            f"{path}: only {decoded} of {info.frames} frames are present; the file is truncated"
        )
    if small is not None and thumbnail_to is not None:
        try:
            _write_jpeg(small, Path(thumbnail_to), durable=False)
        except OSError as exc:
            log.warning("no thumbnail from %s: %s", path, exc)
            with contextlib.suppress(OSError):
                Path(thumbnail_to).unlink()
    return info


class _FrameGrab:
    """Keeps the frame :func:`_frame_at` would pick for ``when`` from frames seen in order:
    the first at or after it (or without a time), else the last one."""

    __slots__ = ("when", "frame", "done")

    def __init__(self, when: float) -> None:
        self.when = when
        self.frame: av.VideoFrame | None = None
        self.done = False

    def offer(self, frame: av.VideoFrame) -> None:
        if self.done:
            return
        self.frame = frame
        t = frame.time
        if t is None or t + 1e-6 >= self.when:
            self.done = True


def _decode_check(path: Path, container: av.container.InputContainer,
                  grab: _FrameGrab | None = None) -> int:
    """Demux and decode every video packet. Returns the number of packets (0: nothing decoded).
    Every decoded frame is offered to ``grab`` (in presentation order)."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    ctx = stream.codec_context
    packets = 0
    decoded_frames = 0
    try:
        for packet in container.demux(stream):
            if packet.size == 0 and packet.dts is None:
                continue  # the flush packet
            packets += 1
            if packet.is_corrupt:
                raise MediaError(
                    f"{path}: video packet {packets} is cut short or corrupt; "
                    "the file is damaged or truncated"
                )
            frames = ctx.decode(packet)
            decoded_frames += len(frames)
            if grab is not None and not grab.done:
                for frame in frames:
                    grab.offer(frame)
        frames = ctx.decode(None)
        decoded_frames += len(frames)
        if grab is not None and not grab.done:
            for frame in frames:
                grab.offer(frame)
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"{path}: frames do not decode after packet {packets} ({_ff_reason(exc)}); "
            "the file is damaged or truncated"
        ) from None
    if decoded_frames == 0:
        return 0
    return packets


def thumbnail(video: Path | str, out_jpg: Path | str, width: int = 320, at: float | None = None) -> None:
    """Write a JPEG of a representative frame, ``width`` pixels wide, atomically.

    ``at`` is the time in seconds; None picks one third into the video (past fades and
    slates, before the ending). Falls back to the first frame when seeking finds nothing.
    """
    video, out_jpg = Path(video), Path(out_jpg)
    if width < 2:
        raise ValueError("thumbnail width must be at least 2 pixels")
    _read_head(video)
    with _open(video) as container:
        info = _probe_open(video, container)
        when = info.duration / 3 if at is None else max(0.0, float(at))
        image = _thumbnail_image(_frame_at(video, container, when), width)
    _write_jpeg(image, out_jpg)


def _thumbnail_image(frame: av.VideoFrame, width: int) -> Image.Image:
    """``frame`` scaled to ``width`` pixels wide (aspect kept), as RGB: one swscale pass
    (colour conversion and Lanczos scaling together; converting the full frame to a Pillow
    image and resizing that costs 7× more at 1280×720)."""
    if width < 2:
        raise ValueError("thumbnail width must be at least 2 pixels")
    height = max(2, round(frame.height * width / frame.width))
    reformatter = getattr(_REFORMATTERS, "one", None)
    if reformatter is None:
        # kept per thread: it reuses its scaler while the sizes stay the same (setting up
        # the Lanczos tables again for every frame costs more than the scaling itself)
        reformatter = _REFORMATTERS.one = VideoReformatter()
    plane = reformatter.reformat(frame, width=width, height=height, format="rgb24",
                                 interpolation="LANCZOS").planes[0]
    # rows straight from the plane with its stride (to_image copies them one by one first)
    return Image.frombytes("RGB", (width, height), bytes(plane), "raw", "RGB",
                           plane.line_size, 1)


_REFORMATTERS = threading.local()


def _write_jpeg(image: Image.Image, out_jpg: Path, *, durable: bool = True) -> None:
    """``image`` as a JPEG at ``out_jpg``: an atomic, fsynced write, or (``durable=False``,
    a scratch file its caller copies or removes) a plain one."""
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=85, optimize=True)
    out_jpg.parent.mkdir(parents=True, exist_ok=True)
    if durable:
        atomic_write(out_jpg, buf.getvalue())
    else:
        out_jpg.write_bytes(buf.getvalue())


def _frame_at(path: Path, container: av.container.InputContainer,
              when: float) -> av.VideoFrame:
    stream = container.streams.video[0]
    grab = _FrameGrab(when)  # the same pick as verify_video's
    try:
        if when > 0 and stream.time_base:
            target = int(Fraction(when).limit_denominator(1_000_000) / stream.time_base)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            grab.offer(frame)
            if grab.done:
                break
        if grab.frame is None and when > 0:
            container.seek(0, stream=stream)
            for frame in container.decode(stream):
                grab.frame = frame
                break
    except av.error.FFmpegError as exc:
        if grab.frame is None:
            raise MediaError(f"{path}: no frame could be decoded ({_ff_reason(exc)})") from None
        log.debug("decode stopped early in %s: %s", path, exc)
    if grab.frame is None:
        raise MediaError(f"{path}: no frame could be decoded")
    return grab.frame


def file_size(path: Path | str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        raise MediaError(f"{path}: file not found") from None
