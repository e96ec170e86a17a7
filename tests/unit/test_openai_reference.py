"""The OpenAI create's reference image: fitted to the video size as a JPEG, or sent as it is
when it already is that picture (no decode and re-encode)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from studio.providers import openai as O


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    O._REFERENCES.clear()


def picture(path: Path, size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB",
            **save: object) -> Path:
    w, h = size
    img = Image.linear_gradient("L").resize((w, h)).convert(mode)
    img.save(path, format=fmt, **save)
    return path


def sent(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                          ("WEBP", "image/webp")])
def test_an_image_of_the_video_size_is_sent_unchanged(tmp_path: Path, fmt: str,
                                                      mime: str) -> None:
    src = picture(tmp_path / f"ref.{fmt.lower()}", (1280, 720), fmt)
    name, data, got_mime = O.reference_bytes(src, "1280x720", tmp_path / "cache")
    assert (name, data, got_mime) == (src.name, src.read_bytes(), mime)
    assert not (tmp_path / "cache").exists()  # nothing fitted, nothing cached


@pytest.mark.parametrize("case", ["other size", "rgba", "rotated", "icc", "too big"])
def test_anything_else_is_fitted_to_a_jpeg_of_the_video_size(tmp_path: Path, case: str) -> None:
    if case == "other size":
        src = picture(tmp_path / "ref.png", (1024, 1024))
    elif case == "rgba":
        src = picture(tmp_path / "ref.png", (1280, 720), mode="RGBA")
    elif case == "rotated":
        exif = Image.Exif()
        exif[0x0112] = 6
        src = picture(tmp_path / "ref.jpg", (1280, 720), "JPEG", exif=exif)
    elif case == "icc":
        from PIL import ImageCms

        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        src = picture(tmp_path / "ref.png", (1280, 720), icc_profile=icc)
    else:
        src = tmp_path / "ref.png"
        Image.effect_noise((1280, 720), 90).convert("RGB").save(src, format="PNG")
        assert src.stat().st_size > O.AS_IS_MAX_BYTES
    name, data, mime = O.reference_bytes(src, "1280x720", tmp_path / "cache")
    assert (name, mime) == (src.stem + ".jpg", "image/jpeg")
    img = sent(data)
    assert (img.format, img.size, img.mode) == ("JPEG", (1280, 720), "RGB")
    assert len(list((tmp_path / "cache").iterdir())) == 1  # kept for a restarted worker


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_still_fits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A phone-photo-sized JPEG is drafted (DCT scaling) before the Lanczos fit: same
    picture, the size asked for."""
    from PIL import JpegImagePlugin

    src = tmp_path / "photo.jpg"
    base = Image.linear_gradient("L").resize((4032, 3024))
    Image.merge("RGB", (base, base.transpose(Image.Transpose.ROTATE_180), base)).save(
        src, quality=90)
    drafts: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def draft(self: JpegImagePlugin.JpegImageFile, mode: str | None,
              size: tuple[int, int] | None) -> object:
        result = real_draft(self, mode, size)
        drafts.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft)
    _, data, _ = O.reference_bytes(src, "1280x720")
    assert drafts == [(2016, 1512)]  # decoded at half size: still covers 1280x720
    img = sent(data).convert("RGB")
    assert img.size == (1280, 720)
    with Image.open(src) as full:
        from PIL import ImageChops, ImageOps, ImageStat

        reference = ImageOps.fit(full.convert("RGB"), (1280, 720),
                                 method=Image.Resampling.LANCZOS)
    assert max(ImageStat.Stat(ImageChops.difference(img, reference)).mean) < 3


def sideways_photo(path: Path, stored: tuple[int, int]) -> Path:
    """A phone photo as phones store it: the sensor's landscape picture plus EXIF
    orientation 6 (turn 90° clockwise to view). Upright, its top is red, its bottom blue."""
    w, h = stored
    img = Image.new("RGB", (w, h), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, w // 2, h))  # stored left half = upright top half
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(path, format="JPEG", quality=95, exif=exif)
    return path


def colour(img: Image.Image, x: float, y: float) -> str:
    r, _g, b = img.convert("RGB").getpixel((int(img.width * x), int(img.height * y)))
    return "red" if r > 200 and b < 60 else "blue" if b > 200 and r < 60 else f"{r},{b}"


@pytest.mark.parametrize("stored", [(400, 200), (4000, 2000)])  # small; large (draft decode)
def test_a_sideways_phone_photo_is_sent_upright(tmp_path: Path,
                                                stored: tuple[int, int]) -> None:
    src = sideways_photo(tmp_path / "phone.jpg", stored)
    _name, data, mime = O.reference_bytes(src, "720x1280", tmp_path / "cache")
    got = sent(data)
    assert (mime, got.size) == ("image/jpeg", (720, 1280))
    assert (colour(got, 0.5, 0.1), colour(got, 0.5, 0.9)) == ("red", "blue")


def test_other_providers_send_a_sideways_photo_upright(tmp_path: Path) -> None:
    from studio.providers.restkit import image_bytes

    src = sideways_photo(tmp_path / "phone.jpg", (400, 200))
    for size in (None, "720x1280"):
        got = sent(image_bytes(src, size)[0])
        assert got.size == ((200, 400) if size is None else (720, 1280))
        assert (colour(got, 0.5, 0.1), colour(got, 0.5, 0.9)) == ("red", "blue")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_image_with_metadata_is_re_encoded_without_it(tmp_path: Path, fmt: str) -> None:
    """A phone photo of exactly the video size still carries where and with what it was
    taken: it is never uploaded as it is."""
    from PIL import PngImagePlugin

    img = Image.linear_gradient("L").resize((1280, 720)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}  # GPS
    src = tmp_path / f"ref.{fmt.lower()}"
    extra: dict[str, object] = {"exif": exif.tobytes()}
    if fmt == "JPEG":
        extra["comment"] = b"secret note"
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Location", "52.52N 13.41E")
        extra["pnginfo"] = text
    img.save(src, format=fmt, **extra)
    _name, data, mime = O.reference_bytes(src, "1280x720", tmp_path / "cache")
    assert data != src.read_bytes()
    assert mime == "image/jpeg"
    got = sent(data)
    assert got.size == (1280, 720)
    assert not got.getexif()
    for secret in (b"secret note", b"52.52N", b"PhoneMaker"):
        assert secret not in data
    if fmt == "PNG":  # a text chunk alone (no EXIF) is enough to re-encode
        plain = tmp_path / "text-only.png"
        img.save(plain, format="PNG", pnginfo=extra["pnginfo"])
        assert O.reference_bytes(plain, "1280x720", tmp_path / "cache")[1] != plain.read_bytes()


def test_other_providers_send_no_comment_or_exif(tmp_path: Path) -> None:
    from studio.providers.restkit import image_bytes

    img = Image.linear_gradient("L").resize((640, 360)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    src = tmp_path / "ref.jpg"
    img.save(src, format="JPEG", exif=exif.tobytes(), comment=b"secret note")
    for size in (None, "1280x720"):
        data = image_bytes(src, size)[0]
        for secret in (b"secret note", b"PhoneMaker"):
            assert secret not in data
