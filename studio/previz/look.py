"""Colours of the animatic: palette words -> RGB, graded by the lighting and the mood.

A palette in a brief is prose ("deep navy", "ember orange", "warm sand"), so colour names
are read word by word: CSS names and a few film-and-fashion words are bases, adjectives
such as deep, pale, warm or muted modify them. The lighting preset gives the sky, sun and
contrast; the palette tints it; the emotion grades everything (saturation, brightness, tint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from PIL import ImageColor

RGB = tuple[int, int, int]

EXTRA_COLOURS: dict[str, RGB] = {
    "ember": (226, 88, 34), "sand": (214, 188, 140), "granite": (118, 118, 122),
    "slate": (86, 100, 122), "moss": (96, 112, 60), "rust": (170, 80, 40),
    "amber": (255, 176, 0), "cream": (245, 235, 210), "charcoal": (50, 52, 56),
    "sky": (135, 190, 230), "forest": (34, 80, 50), "ocean": (20, 90, 140),
    "sage": (150, 170, 130), "terracotta": (200, 100, 70), "copper": (184, 115, 51),
    "ochre": (204, 119, 34), "burgundy": (128, 0, 32), "midnight": (20, 24, 50),
    "stone": (140, 134, 124), "mustard": (206, 165, 40), "bone": (227, 218, 201),
    "concrete": (150, 150, 146), "steel": (110, 122, 136), "petrol": (0, 80, 96),
    "blush": (222, 160, 160), "emerald": (20, 140, 90), "sapphire": (20, 60, 150),
    "ruby": (170, 20, 50), "jade": (0, 150, 110), "neon": (255, 40, 200),
    "dusk": (90, 80, 130), "dawn": (250, 180, 150), "fog": (200, 205, 210),
    "ink": (20, 22, 35), "mist": (200, 210, 215), "chrome": (200, 205, 210),
}
_MODIFIERS = {"deep", "dark", "light", "pale", "soft", "warm", "cool", "muted", "dusty",
              "bright", "vivid", "rich", "faded"}


def clamp8(v: float) -> int:
    return 0 if v < 0 else 255 if v > 255 else int(round(v))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (clamp8(a[0] + (b[0] - a[0]) * t), clamp8(a[1] + (b[1] - a[1]) * t),
            clamp8(a[2] + (b[2] - a[2]) * t))


def luma(c: RGB) -> float:
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def saturate(c: RGB, s: float) -> RGB:
    y = luma(c)
    return (clamp8(y + (c[0] - y) * s), clamp8(y + (c[1] - y) * s), clamp8(y + (c[2] - y) * s))


def scale(c: RGB, k: float) -> RGB:
    return (clamp8(c[0] * k), clamp8(c[1] * k), clamp8(c[2] * k))


def chroma(c: RGB) -> float:
    return float(max(c) - min(c))


def _base(word: str) -> RGB | None:
    if word in EXTRA_COLOURS:
        return EXTRA_COLOURS[word]
    try:
        r, g, b = ImageColor.getrgb(word)[:3]
    except ValueError:
        return None
    return (r, g, b)


def parse_colour(name: str) -> RGB | None:
    """``"deep navy"`` -> RGB, or None when no word names a colour."""
    text = name.strip().lower()
    if text.startswith("#"):
        try:
            r, g, b = ImageColor.getrgb(text)[:3]
            return (r, g, b)
        except ValueError:
            return None
    words = re.findall(r"[a-z]+", text)
    if not words:
        return None
    joined = _base("".join(w for w in words if w not in _MODIFIERS))
    bases = [c for w in words if w not in _MODIFIERS and (c := _base(w)) is not None]
    if joined is not None:
        colour = joined
    elif bases:
        colour = bases[-1]
        for other in bases[:-1]:
            colour = mix(colour, other, 0.4)
    else:
        return None
    for w in words:
        if w in ("deep", "dark", "rich"):
            colour = scale(colour, 0.72)
        elif w in ("light", "pale"):
            colour = mix(colour, (255, 255, 255), 0.4)
        elif w in ("soft", "faded"):
            colour = mix(saturate(colour, 0.7), (235, 235, 235), 0.15)
        elif w == "warm":
            colour = mix(colour, (255, 170, 90), 0.18)
        elif w == "cool":
            colour = mix(colour, (90, 150, 255), 0.18)
        elif w in ("muted", "dusty"):
            colour = saturate(colour, 0.55)
        elif w in ("bright", "vivid"):
            colour = saturate(colour, 1.3)
    return colour


@dataclass(frozen=True)
class Look:
    sky_top: RGB
    sky_horizon: RGB
    sun: RGB
    fog: RGB
    far: RGB
    mid: RGB
    near: RGB
    ground_near: RGB
    grid: RGB
    subject: RGB
    rim: RGB
    accent: RGB
    sun_elevation: float = 4.0  # degrees above the horizon (negative: below, glow only)
    sun_azimuth: float = 12.0  # degrees right of the initial view
    sun_size: float = 1.0
    vignette: float = 0.35  # 0..1
    rays: bool = False
    practicals: bool = False


_LIGHTING: dict[str, dict[str, object]] = {
    "golden-hour": dict(sky_top=(70, 92, 140), sky_horizon=(255, 184, 110), sun=(255, 226, 160),
                        fog=(236, 170, 120), sun_elevation=3.0, vignette=0.35),
    "blue-hour": dict(sky_top=(18, 28, 70), sky_horizon=(120, 140, 190), sun=(255, 170, 120),
                      fog=(96, 110, 150), sun_elevation=-2.5, vignette=0.45, practicals=True),
    "high-key": dict(sky_top=(190, 215, 240), sky_horizon=(248, 248, 244), sun=(255, 255, 250),
                     fog=(236, 238, 238), sun_elevation=40.0, vignette=0.08),
    "low-key": dict(sky_top=(8, 10, 16), sky_horizon=(52, 56, 66), sun=(210, 210, 200),
                    fog=(40, 42, 50), sun_elevation=25.0, vignette=0.7),
    "rembrandt": dict(sky_top=(30, 30, 36), sky_horizon=(110, 92, 74), sun=(255, 214, 160),
                      fog=(90, 80, 70), sun_elevation=30.0, vignette=0.55),
    "butterfly": dict(sky_top=(60, 60, 70), sky_horizon=(200, 190, 180), sun=(255, 246, 230),
                      fog=(170, 165, 160), sun_elevation=45.0, vignette=0.35),
    "split": dict(sky_top=(14, 16, 22), sky_horizon=(90, 96, 108), sun=(240, 240, 235),
                  fog=(70, 74, 84), sun_elevation=20.0, vignette=0.6),
    "silhouette": dict(sky_top=(230, 150, 90), sky_horizon=(255, 230, 170), sun=(255, 250, 220),
                       fog=(250, 200, 140), sun_elevation=2.0, vignette=0.3),
    "practical": dict(sky_top=(16, 18, 30), sky_horizon=(70, 60, 60), sun=(255, 190, 110),
                      fog=(60, 52, 50), sun_elevation=-8.0, vignette=0.5, practicals=True),
    "neon": dict(sky_top=(20, 8, 40), sky_horizon=(150, 30, 140), sun=(40, 240, 255),
                 fog=(90, 30, 110), sun_elevation=-8.0, vignette=0.5, practicals=True),
    "overcast": dict(sky_top=(150, 158, 166), sky_horizon=(206, 208, 208), sun=(230, 230, 228),
                     fog=(190, 192, 192), sun_elevation=30.0, vignette=0.15, sun_size=0.0),
    "hard-noon": dict(sky_top=(40, 110, 200), sky_horizon=(170, 210, 240), sun=(255, 255, 240),
                      fog=(190, 210, 225), sun_elevation=70.0, vignette=0.2),
    "candlelight": dict(sky_top=(10, 6, 4), sky_horizon=(80, 44, 20), sun=(255, 170, 80),
                        fog=(60, 36, 20), sun_elevation=-6.0, vignette=0.7, practicals=True),
    "volumetric": dict(sky_top=(60, 70, 90), sky_horizon=(230, 210, 170), sun=(255, 240, 200),
                       fog=(180, 170, 150), sun_elevation=18.0, vignette=0.4, rays=True),
}
_DEFAULT_LIGHT: dict[str, object] = dict(
    sky_top=(80, 120, 180), sky_horizon=(210, 220, 228), sun=(255, 250, 235), fog=(190, 200, 210),
    sun_elevation=22.0, vignette=0.25,
)

# emotion -> (saturation, brightness, tint colour, tint amount)
_MOOD: dict[str, tuple[float, float, RGB, float]] = {
    "joyful": (1.2, 1.08, (255, 220, 150), 0.06),
    "serene": (0.85, 1.03, (170, 210, 230), 0.06),
    "hopeful": (1.05, 1.05, (255, 210, 160), 0.05),
    "nostalgic": (0.75, 1.0, (230, 180, 120), 0.14),
    "tense": (0.8, 0.88, (120, 150, 120), 0.1),
    "melancholic": (0.55, 0.9, (120, 140, 170), 0.12),
    "mysterious": (0.8, 0.8, (60, 80, 120), 0.15),
    "triumphant": (1.2, 1.08, (255, 200, 120), 0.08),
    "playful": (1.3, 1.06, (255, 150, 200), 0.05),
    "intimate": (0.95, 0.95, (240, 170, 140), 0.1),
    "awe": (1.1, 1.04, (200, 210, 255), 0.05),
    "urgent": (1.1, 0.92, (230, 70, 50), 0.1),
    "confident": (1.05, 1.02, (240, 230, 210), 0.03),
}


def build_look(direction: dict[str, object], urban: bool = False) -> Look:
    """The graded colours for a shot's ``direction`` (lighting, palette, emotion)."""
    light = dict(_DEFAULT_LIGHT)
    light.update(_LIGHTING.get(str(direction.get("lighting") or ""), {}))
    sky_top: RGB = light.pop("sky_top")  # type: ignore[assignment]
    horizon: RGB = light.pop("sky_horizon")  # type: ignore[assignment]
    sun: RGB = light.pop("sun")  # type: ignore[assignment]
    fog: RGB = light.pop("fog")  # type: ignore[assignment]

    raw_palette = direction.get("palette") or []
    palette = [c for name in raw_palette if isinstance(name, str) and (c := parse_colour(name))]
    darkest = min(palette, key=luma) if palette else None
    lightest = max(palette, key=luma) if palette else None
    vivid = max(palette, key=chroma) if palette else None

    if darkest is not None:
        sky_top = mix(sky_top, darkest, 0.45)
    if lightest is not None:
        horizon = mix(horizon, lightest, 0.3)
        fog = mix(fog, lightest, 0.25)
    base_dark = darkest if darkest is not None else mix(sky_top, (20, 24, 30), 0.6)
    far = mix(fog, sky_top, 0.45)
    mid = mix(mix(base_dark, fog, 0.45), horizon, 0.12)
    near = mix(base_dark, (12, 14, 18), 0.25)
    ground_near = mix(base_dark, horizon, 0.18)
    grid = mix(ground_near, horizon, 0.35)
    subject = mix(base_dark, (10, 10, 14), 0.55)
    accent = vivid if vivid is not None and chroma(vivid) > 60 else mix(sun, (255, 140, 60), 0.3)
    rim = mix(sun, accent, 0.35)
    if urban:
        mid = mix(mid, (110, 112, 120), 0.3)

    look = Look(sky_top=sky_top, sky_horizon=horizon, sun=sun, fog=fog, far=far, mid=mid,
                near=near, ground_near=ground_near, grid=grid, subject=subject, rim=rim,
                accent=accent, **light)  # type: ignore[arg-type]
    mood = _MOOD.get(str(direction.get("emotion") or ""))
    if mood is None:
        return look
    sat, bright, tint, amount = mood
    graded: dict[str, RGB] = {}
    for f in fields(Look):
        value = getattr(look, f.name)
        if isinstance(value, tuple):
            c = mix(scale(saturate(value, sat), bright), tint, amount)
            graded[f.name] = c
    return replace(look, **graded)  # type: ignore[arg-type]
