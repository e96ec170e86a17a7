"""studio.media against real files written with PyAV (MP4/H.264, MOV, WebM/VP8)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import pytest
from PIL import Image

from studio import media
from studio.media import MediaError


def write_clip(path: Path, *, frames: int = 24, size: tuple[int, int] = (160, 90), fps: int = 24,
               codec: str = "libx264", fmt: str | None = None, faststart: bool = True) -> Path:
    """A real little clip: a bar sweeping across a gradient, so every frame differs."""
    w, h = size
    options = {"movflags": "+faststart"} if faststart and codec == "libx264" else {}
    with av.open(str(path), mode="w", format=fmt, options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            img = Image.new("RGB", (w, h), (30, 40 + i * 3 % 200, 90))
            x = int(w * i / max(1, frames))
            img.paste((240, 200, 40), (x, 0, min(w, x + w // 8), h))
            frame = av.VideoFrame.from_image(img)
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("media") / "clip.mp4", frames=48)


def test_probe_reads_an_mp4(clip: Path) -> None:
    info = media.probe(clip)
    assert (info.width, info.height) == (160, 90)
    assert info.codec == "h264"
    assert info.container == "mp4"
    assert info.fps == pytest.approx(24.0)
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.frames == 48
    assert info.has_audio is False
    assert info.to_dict()["codec"] == "h264"


def test_verify_accepts_a_good_file_and_its_exact_size(clip: Path) -> None:
    info = media.verify_video(clip, expected_size=clip.stat().st_size)
    assert info.frames == 48


def test_verify_rejects_a_wrong_expected_size(clip: Path) -> None:
    size = clip.stat().st_size
    with pytest.raises(MediaError) as err:
        media.verify_video(clip, expected_size=size + 10)
    message = str(err.value)
    assert str(clip) in message
    assert f"{size} bytes" in message
    assert f"{size + 10} were expected" in message
    assert "truncated" in message


@pytest.mark.parametrize("keep", [0.97, 0.6, 0.2, 0.01])
def test_probe_and_verify_reject_a_truncated_file(clip: Path, tmp_path: Path, keep: float) -> None:
    cut = tmp_path / "cut.mp4"
    data = clip.read_bytes()
    cut.write_bytes(data[: int(len(data) * keep)])
    for check in (media.probe, media.verify_video):
        with pytest.raises(MediaError) as err:
            check(cut)
        assert str(cut) in str(err.value)
        assert "truncated" in str(err.value)


def test_truncated_file_without_faststart_is_rejected(tmp_path: Path) -> None:
    whole = write_clip(tmp_path / "slow.mp4", faststart=False)
    cut = tmp_path / "slow-cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(MediaError, match="truncated"):
        media.verify_video(cut)


def test_verify_catches_damage_inside_the_media_data(clip: Path, tmp_path: Path) -> None:
    """Same length, box structure intact, but the middle of mdat is zeroed: frames fail."""
    bad = tmp_path / "damaged.mp4"
    data = bytearray(clip.read_bytes())
    start = len(data) // 3
    data[start:start + len(data) // 3] = bytes(len(data) // 3)
    bad.write_bytes(bytes(data))
    with pytest.raises(MediaError) as err:
        media.verify_video(bad)
    assert str(bad) in str(err.value)


def test_a_text_file_named_mp4_is_not_a_video(tmp_path: Path) -> None:
    fake = tmp_path / "take.mp4"
    fake.write_text("<html>403 Forbidden</html>\n" * 20)
    assert media.is_video_file(fake) is False
    with pytest.raises(MediaError) as err:
        media.verify_video(fake)
    assert str(fake) in str(err.value)
    assert "not a video file" in str(err.value)
    with pytest.raises(MediaError, match="take.mp4"):
        media.probe(fake)


def test_empty_missing_and_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        media.verify_video(empty)
    with pytest.raises(MediaError, match="not found"):
        media.verify_video(tmp_path / "missing.mp4")
    with pytest.raises(MediaError, match="not found"):
        media.probe(tmp_path / "missing.mp4")
    with pytest.raises(MediaError, match="folder"):
        media.probe(tmp_path)
    assert media.is_video_file(tmp_path / "missing.mp4") is False
    assert media.is_video_file(tmp_path) is False


def test_mov_and_webm_are_recognised(tmp_path: Path) -> None:
    mov = write_clip(tmp_path / "clip.mov", fmt="mov", faststart=False)
    webm = write_clip(tmp_path / "clip.webm", fmt="webm", codec="libvpx", frames=12)
    assert media.is_video_file(mov)
    assert media.is_video_file(webm)
    assert media.probe(mov).container == "mov"
    info = media.verify_video(webm)
    assert info.container == "webm"
    assert info.codec == "vp8"
    assert (info.width, info.height) == (160, 90)
    # the magic bytes decide, not the name
    renamed = tmp_path / "actually-webm.mp4"
    renamed.write_bytes(webm.read_bytes())
    assert media.verify_video(renamed).container == "webm"


def test_sha256_file_matches_hashlib(clip: Path) -> None:
    assert media.sha256_file(clip) == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert media.sha256_file(clip, chunk=1000) == media.sha256_file(clip)
    with pytest.raises(MediaError, match="not found"):
        media.sha256_file(clip.with_name("nope.mp4"))


@pytest.mark.parametrize("width", [320, 97])
def test_thumbnail_is_a_jpeg_of_the_asked_width(clip: Path, tmp_path: Path, width: int) -> None:
    out = tmp_path / "thumbs" / "thumb.jpg"
    media.thumbnail(clip, out, width=width)
    assert out.read_bytes()[:3] == b"\xff\xd8\xff"
    with Image.open(out) as img:
        assert img.format == "JPEG"
        assert img.width == width
        assert img.height == max(2, round(90 * width / 160))
    assert sorted(p.name for p in out.parent.iterdir()) == ["thumb.jpg"]  # no temp left


def test_thumbnail_at_a_time_shows_that_moment(clip: Path, tmp_path: Path) -> None:
    """The sweeping bar sits left early in the clip and right late in it."""
    early, late = tmp_path / "early.jpg", tmp_path / "late.jpg"
    media.thumbnail(clip, early, width=160, at=0.1)
    media.thumbnail(clip, late, width=160, at=1.8)

    def bar_x(path: Path) -> int:
        with Image.open(path) as img:
            mask = img.convert("RGB").point(lambda v: 255 if v > 180 else 0).convert("L")
            box = mask.getbbox()
            assert box is not None
            return box[0]

    assert bar_x(early) < 40 < bar_x(late)


def test_thumbnail_of_a_non_video_fails_and_writes_nothing(tmp_path: Path) -> None:
    fake = tmp_path / "x.mp4"
    fake.write_bytes(b"\x00" * 64)
    out = tmp_path / "thumb.jpg"
    with pytest.raises(MediaError, match="x.mp4"):
        media.thumbnail(fake, out)
    assert not out.exists()


def test_verify_writes_the_thumbnail_that_thumbnail_would(clip: Path, tmp_path: Path) -> None:
    """verify_video(thumbnail_to=...) keeps the frame one third in while it decodes every
    frame anyway: the same JPEG as media.thumbnail's, with no second decode."""
    own, ref = tmp_path / "own.jpg", tmp_path / "ref.jpg"
    info = media.verify_video(clip, thumbnail_to=own)
    assert info.frames == 48
    media.thumbnail(clip, ref)
    assert own.read_bytes() == ref.read_bytes()
    with Image.open(own) as img:
        assert (img.format, img.width) == ("JPEG", 320)


def test_verify_writes_no_thumbnail_for_a_bad_file(clip: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    out = tmp_path / "thumb.jpg"
    with pytest.raises(MediaError):
        media.verify_video(cut, thumbnail_to=out)
    assert not out.exists()
