"""Draw the sample project's reference images (run once; the PNGs are committed).

They are made for the brief: a palette board, the location at dawn, the shoe, and an
illustrated likeness reference for the cameo (a stand-in for the talent's photo).
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "projects/aurora-launch/references")
PALETTE = ["#1B2A41", "#324A5F", "#F2A541", "#F4D8A6", "#E4572E", "#F7F4EA"]


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def lerp(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(int(a[i] + (b[i] - a[i]) * t) for i in range(3))  # type: ignore[return-value]


def hex_rgb(h: str) -> tuple[int, int, int]:
    return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def sky(w: int, h: int, top: str, bottom: str) -> Image.Image:
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    a, b = hex_rgb(top), hex_rgb(bottom)
    for y in range(h):
        d.line([(0, y), (w, y)], fill=lerp(a, b, y / h))
    return img


def ridge(d: ImageDraw.ImageDraw, w: int, h: int, base: float, amp: float, color: str, seed: int) -> None:
    rnd = random.Random(seed)
    pts = [(0, h)]
    phase = rnd.random() * 6
    for x in range(0, w + 8, 8):
        y = base + amp * (0.6 * math.sin(x / 140 + phase) + 0.3 * math.sin(x / 47 + phase * 2)
                          + 0.1 * rnd.uniform(-1, 1))
        pts.append((x, y))
    pts.append((w, h))
    d.polygon(pts, fill=color)


def location(path: Path) -> None:
    w, h = 1280, 720
    img = sky(w, h, "#243B55", "#F6B26B")
    d = ImageDraw.Draw(img)
    d.ellipse([840, 470, 960, 590], fill="#FFE7B0")
    img = img.filter(ImageFilter.GaussianBlur(1))
    d = ImageDraw.Draw(img)
    ridge(d, w, h, 470, 60, "#5B6C8F", 1)
    ridge(d, w, h, 540, 50, "#3B4A6B", 2)
    ridge(d, w, h, 620, 35, "#1B2A41", 3)
    # trail
    d.line([(200, 720), (420, 640), (610, 600), (760, 560)], fill="#C98F5A", width=6)
    d.text((24, 20), "LOCATION REF — Kinder Scout ridge, 05:40", font=font(26), fill="#F7F4EA")
    img.save(path, optimize=True)


def palette(path: Path) -> None:
    w, h = 1200, 400
    img = Image.new("RGB", (w, h), "#F7F4EA")
    d = ImageDraw.Draw(img)
    sw = w // len(PALETTE)
    for i, c in enumerate(PALETTE):
        d.rectangle([i * sw, 0, (i + 1) * sw, 300], fill=c)
        d.text((i * sw + 16, 320), c, font=font(24), fill="#1B2A41")
    d.text((16, 360), "Aurora 'Run Before the Sun' — palette & grade", font=font(18), fill="#324A5F")
    img.save(path, optimize=True)


def shoe(path: Path) -> None:
    w, h = 1024, 1024
    img = sky(w, h, "#F7F4EA", "#F4D8A6")
    d = ImageDraw.Draw(img)
    # sole
    d.rounded_rectangle([150, 620, 880, 690], radius=30, fill="#1B2A41")
    d.polygon([(170, 620), (220, 430), (420, 380), (560, 470), (800, 520), (880, 620)], fill="#E4572E")
    d.polygon([(220, 430), (300, 330), (420, 320), (420, 380)], fill="#F2A541")
    for i in range(5):
        x = 380 + i * 40
        d.line([(x, 420 + i * 8), (x + 30, 400 + i * 8)], fill="#F7F4EA", width=6)
    d.arc([560, 520, 760, 600], 180, 360, fill="#F7F4EA", width=8)
    d.text((40, 40), "PRODUCT REF — Aurora Trail 2 (Ember)", font=font(34), fill="#1B2A41")
    img.save(path, optimize=True)


def portrait(path: Path) -> None:
    w, h = 768, 1024
    img = sky(w, h, "#324A5F", "#1B2A41")
    d = ImageDraw.Draw(img)
    d.ellipse([234, 200, 534, 560], fill="#8D5B3C")          # face
    d.pieslice([200, 140, 568, 520], 180, 360, fill="#231A14")  # hair
    d.ellipse([300, 340, 340, 370], fill="#231A14")
    d.ellipse([428, 340, 468, 370], fill="#231A14")
    d.arc([330, 420, 440, 490], 20, 160, fill="#5A2E1F", width=6)
    d.rounded_rectangle([150, 600, 618, 1024], radius=120, fill="#E4572E")  # jacket
    d.text((24, 24), "LIKENESS REF — Maya Okafor (illustration)", font=font(26), fill="#F7F4EA")
    img.save(path, optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    location(OUT / "ridge-dawn.png")
    palette(OUT / "palette.png")
    shoe(OUT / "aurora-trail-2.png")
    portrait(OUT / "maya-okafor.png")


if __name__ == "__main__":
    main()
