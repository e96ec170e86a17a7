"""The previz renderer: real MP4s decoded back with PyAV, and frames measured with Pillow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from studio import media
from studio.compiler import GenerationRequest, compile_shot
from studio.previz import RenderCancelled, output_size, render, render_frame
from studio.previz.camera import KNOWN_MOVES, build_segments
from studio.previz.look import parse_colour
from studio.previz.overlay import lens_text, timecode
from studio.project import load_project

SAMPLE = Path(__file__).resolve().parents[2] / "projects" / "aurora-launch"


def make_request(movement: str | None = "static", *, duration: float = 2.0, size: str = "1280x720",
                 aspect: str = "16:9", prompt: str = "A seamless studio backdrop.",
                 cameos: list[str] | None = None, **direction: Any) -> GenerationRequest:
    d: dict[str, Any] = dict(
        shot_size="MS", angle="eye-level", lens_mm=35, lens_type="spherical", aperture=8,
        depth_of_field="deep", movement=movement, movement_speed="medium", emotion=None,
        lighting="high-key", palette=["charcoal", "ember orange"], beats=[], dialogue=[],
        title="Test shot",
    )
    d.update(direction)
    return GenerationRequest(
        project_id="pr-test", shot_id=f"t-{movement}", prompt=prompt, duration=duration,
        aspect=aspect, size=size, cameos=["maya-okafor"] if cameos is None else cameos,
        direction=d,
    )


def decode_frames(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def picture(img: Image.Image) -> Image.Image:
    """The picture without the text layers: below the beat box, above the caption bar."""
    w, h = img.size
    return img.crop((0, int(h * 0.2), w, int(h * 0.78)))


def dark_mask(img: Image.Image, level: int = 150) -> Image.Image:
    """The subject: everything clearly darker than the bright high-key studio around it."""
    return picture(img).convert("L").point(lambda v: 255 if v < level else 0)


def dark_area(img: Image.Image) -> int:
    return dark_mask(img).histogram()[255]


def dark_centre_x(img: Image.Image) -> float:
    box = dark_mask(img).getbbox()
    assert box is not None, "no subject in frame"
    return (box[0] + box[2]) / 2


def mean_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(picture(a), picture(b))).mean) / 3


@pytest.fixture(scope="module")
def sample_requests() -> dict[str, GenerationRequest]:
    doc = load_project(SAMPLE)
    return {shot.id: compile_shot(doc.project, shot) for shot in doc.project.shots}


def test_sample_shot_renders_to_h264_at_its_duration(
    sample_requests: dict[str, GenerationRequest], tmp_path: Path
) -> None:
    req = sample_requests["s03-maya-stride"]  # 8 s, 16:9, tracking, dialogue
    out = tmp_path / "take.mp4"
    seen: list[float] = []
    render(req, out, progress=seen.append)
    info = media.verify_video(out)
    assert info.codec == "h264"
    assert info.container == "mp4"
    assert (info.width, info.height) == (640, 360)
    assert info.fps == pytest.approx(24)
    assert info.duration == pytest.approx(8.0, abs=0.05)
    frames = decode_frames(out)
    assert abs(len(frames) - 192) <= 1
    assert frames[0].size == (640, 360)
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert len(seen) == 192
    assert [p.name for p in tmp_path.iterdir()] == ["take.mp4"]  # no temp file left


def test_vertical_shot_keeps_its_aspect(sample_requests: dict[str, GenerationRequest],
                                        tmp_path: Path) -> None:
    req = sample_requests["s06-city-reel"]  # 9:16, 5 s
    assert output_size(req) == (360, 640)
    out = tmp_path / "vertical.mp4"
    render(req, out, size=(181, 321), fps=12)  # odd sizes become even
    info = media.probe(out)
    assert (info.width, info.height) == (180, 320)
    assert abs((info.frames or 0) - 60) <= 1
    assert info.duration == pytest.approx(5.0, abs=0.1)


def test_same_request_same_bytes(tmp_path: Path) -> None:
    req = make_request("handheld", duration=1.0, lighting="golden-hour", angle="dutch",
                       dialogue=[{"speaker": "Maya", "line": "Again.", "at": 0.2}])
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    render(req, a, size=(320, 180))
    render(req, b, size=(320, 180))
    assert media.sha256_file(a) == media.sha256_file(b)


def test_cancellation_leaves_no_file(tmp_path: Path) -> None:
    req = make_request("dolly-in", duration=4.0)
    out = tmp_path / "cancelled.mp4"
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 10

    with pytest.raises(RenderCancelled, match="cancelled"):
        render(req, out, size=(320, 180), cancelled=cancelled)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_take_is_replaced_only_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "take.mp4"
    out.write_bytes(b"old take")
    with pytest.raises(RenderCancelled):
        render(make_request(duration=1.0), out, size=(160, 90), cancelled=lambda: True)
    assert out.read_bytes() == b"old take"
    render(make_request(duration=1.0), out, size=(160, 90))
    assert media.is_video_file(out)


def test_dolly_in_grows_the_subject_in_the_decoded_video(tmp_path: Path) -> None:
    out = tmp_path / "dolly.mp4"
    render(make_request("dolly-in", duration=2.0, shot_size="WS"), out, size=(320, 180), fps=12)
    frames = decode_frames(out)
    first, last = dark_area(frames[0]), dark_area(frames[-1])
    assert first > 500
    assert last > first * 1.5


def test_dolly_out_shrinks_the_subject() -> None:
    req = make_request("dolly-out")
    assert dark_area(render_frame(req, 2.0, size=(320, 180))) < 0.7 * dark_area(
        render_frame(req, 0.0, size=(320, 180)))


def test_pan_and_truck_move_the_subject_across_the_frame() -> None:
    for move in ("pan", "truck"):
        req = make_request(move)
        start = dark_centre_x(render_frame(req, 0.0, size=(320, 180)))
        end = dark_centre_x(render_frame(req, 2.0, size=(320, 180)))
        assert start - end > 40, move  # the subject slides from right to left


def test_orbit_keeps_the_subject_centred_while_the_world_moves() -> None:
    req = make_request("orbit", prompt="A runner on a moorland ridge.", lighting="golden-hour")
    a, b = render_frame(req, 0.0, size=(320, 180)), render_frame(req, 2.0, size=(320, 180))
    assert abs(dark_centre_x(a) - dark_centre_x(b)) < 12
    assert mean_diff(a, b) > 3


def test_dolly_zoom_holds_the_subject_size_but_changes_the_background() -> None:
    req = make_request("dolly-zoom", prompt="A runner on a moorland ridge.", lighting="overcast")
    a, b = render_frame(req, 0.0, size=(320, 180)), render_frame(req, 2.0, size=(320, 180))
    dolly = make_request("dolly-in", prompt="A runner on a moorland ridge.", lighting="overcast")
    c = render_frame(dolly, 2.0, size=(320, 180))
    assert dark_area(b) < dark_area(c)  # a plain dolly-in grows the subject far more
    assert mean_diff(a, b) > 2


def test_crash_zoom_fills_the_frame() -> None:
    req = make_request("crash-zoom", shot_size="WS")

    def width(img: Image.Image) -> int:
        box = dark_mask(img).getbbox()
        assert box is not None
        return box[2] - box[0]

    assert width(render_frame(req, 1.9, size=(320, 180))) > 2.5 * width(
        render_frame(req, 0.0, size=(320, 180)))


def test_static_is_still_and_every_move_changes_the_picture() -> None:
    static = make_request("static", prompt="A runner on a moorland ridge.", lighting="golden-hour")
    still_a = render_frame(static, 0.0, size=(320, 180))
    still_b = render_frame(static, 1.9, size=(320, 180))
    assert mean_diff(still_a, still_b) < 0.5
    for move in sorted(KNOWN_MOVES - {"static"}):
        req = make_request(move, prompt="A runner on a moorland ridge.", lighting="golden-hour",
                           depth_of_field="shallow", aperture=1.8)
        moved = render_frame(req, 1.9, size=(320, 180))
        assert mean_diff(still_b, moved) > 1.0, move


def test_shot_size_and_lens_change_the_framing() -> None:
    sizes = ["ECU", "CU", "MS", "WS", "EWS"]
    areas = [dark_area(render_frame(make_request(shot_size=s), 0.0, size=(320, 180)))
             for s in sizes]
    assert areas == sorted(areas, reverse=True), dict(zip(sizes, areas, strict=True))
    wide = render_frame(make_request(lens_mm=18, prompt="A moorland ridge.", lighting="golden-hour"),
                        0.0, size=(320, 180))
    long = render_frame(make_request(lens_mm=135, prompt="A moorland ridge.", lighting="golden-hour"),
                        0.0, size=(320, 180))
    assert mean_diff(wide, long) > 5


def test_dutch_angle_tilts_the_horizon() -> None:
    level = render_frame(make_request(prompt="A moorland ridge.", lighting="golden-hour",
                                      shot_size="WS"), 0.0, size=(320, 180))
    dutch = render_frame(make_request(prompt="A moorland ridge.", lighting="golden-hour",
                                      shot_size="WS", angle="dutch"), 0.0, size=(320, 180))

    def horizon_shift(img: Image.Image) -> int:
        """How far (rows) the picture at the right edge sits below the one at the left."""
        pic = picture(img).convert("L")
        left = list(pic.crop((20, 0, 21, pic.height)).tobytes())
        right = list(pic.crop((300, 0, 301, pic.height)).tobytes())
        n = len(left)

        def cost(shift: int) -> float:
            pairs = [(left[i], right[i + shift]) for i in range(n) if 0 <= i + shift < n]
            return sum(abs(a - b) for a, b in pairs) / len(pairs)

        return min(range(-70, 71), key=cost)

    assert abs(horizon_shift(level)) <= 2
    assert horizon_shift(dutch) > 25  # 12 degrees over 280 px is about 60 rows


def test_dialogue_is_subtitled_only_while_spoken() -> None:
    req = make_request(dialogue=[{"speaker": "Maya", "line": "Run before the sun.", "at": 1.0}],
                       lighting="low-key", prompt="A moorland ridge at night.", cameos=[])

    def white(img: Image.Image) -> int:
        w, h = img.size
        band = img.crop((0, int(h * 0.62), w, int(h * 0.84))).convert("L")
        return band.point(lambda v: 255 if v > 235 else 0).histogram()[255]

    before = render_frame(req, 0.5, size=(640, 360))
    during = render_frame(req, 1.5, size=(640, 360))
    assert white(during) > white(before) + 200


def test_beats_start_new_camera_moves() -> None:
    d = {"movement": "rack-focus", "beats": [{"at": 0, "action": "a"},
                                             {"at": 1.5, "action": "b", "camera": "rack-focus"}]}
    segs = build_segments(d, 4.0)
    assert [(s.start, s.end, s.moves) for s in segs] == [(1.5, 4.0, ("rack-focus",))]
    d = {"movement": "pan", "movement_speed": "fast",
         "beats": [{"at": 2, "action": "x", "camera": "dolly-in + handheld"}]}
    segs = build_segments(d, 5.0)
    assert [(s.start, s.moves) for s in segs] == [(0.0, ("pan",)), (2.0, ("dolly-in", "handheld"))]
    assert segs[0].speed == 1.6
    # the picture holds still before the beat's move and changes after it
    req = make_request(None, duration=3.0,
                       beats=[{"at": 1.5, "action": "push in", "camera": "dolly-in"}])
    f0, f1, f3 = (render_frame(req, t, size=(320, 180)) for t in (0.0, 1.4, 2.9))
    assert mean_diff(f0, f1) < 0.5
    assert dark_area(f3) > 1.3 * dark_area(f1)


def test_rack_focus_moves_the_sharp_plane() -> None:
    req = make_request("rack-focus", lighting="golden-hour", prompt="A moorland ridge.",
                       aperture=1.8, depth_of_field="shallow", shot_size="MCU")

    def sharpness(img: Image.Image, box: tuple[int, int, int, int]) -> float:
        edges = img.crop(box).convert("L").filter(__import__("PIL.ImageFilter").ImageFilter.FIND_EDGES)
        return ImageStat.Stat(edges).mean[0]

    start = render_frame(req, 0.0, size=(640, 360))
    end = render_frame(req, 2.0, size=(640, 360))
    fg_box = (40, 220, 220, 300)  # lower left: the foreground blades
    assert sharpness(start, fg_box) > 1.5 * sharpness(end, fg_box)


def test_helpers() -> None:
    assert parse_colour("deep navy") is not None
    navy = parse_colour("navy")
    deep = parse_colour("deep navy")
    assert navy
    assert deep
    assert sum(deep) < sum(navy)
    assert parse_colour("slate blue") == (106, 90, 205)
    assert parse_colour("#ff0000") == (255, 0, 0)
    assert parse_colour("ember orange") is not None
    assert parse_colour("unobtainium") is None
    assert lens_text({"lens_mm": 50, "lens_type": "anamorphic", "aperture": 2.0}) == "50mm anamorphic f/2"
    assert lens_text({"lens_mm": 85, "lens_type": "spherical", "aperture": 5.6}) == "85mm f/5.6"
    assert timecode(4.5, 24) == "00:00:04:12"
    assert timecode(61.0, 25) == "00:01:01:00"


def test_every_sample_shot_renders_a_frame(sample_requests: dict[str, GenerationRequest]) -> None:
    for shot_id, req in sample_requests.items():
        w, h = output_size(req)
        img = render_frame(req, req.duration / 2)
        assert img.size == (w, h), shot_id
        assert img.mode == "RGB", shot_id
        assert ImageStat.Stat(img.convert("L")).stddev[0] > 10, shot_id  # not a flat frame
