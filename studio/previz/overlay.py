"""Text on the animatic: caption bar (shot, lens, movement, timecode), beat text, subtitles.

Everything that does not change from frame to frame is rendered once into small RGBA
images; per frame only the timecode and the progress line are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from studio.previz.camera import SPEED, Segment
from studio.previz.look import Look, mix

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

MOVE_LABELS = {
    "static": "static", "pan": "pan", "tilt": "tilt", "dolly-in": "dolly in",
    "dolly-out": "dolly out", "truck": "truck", "pedestal": "pedestal", "crane": "crane",
    "orbit": "orbit", "tracking": "tracking", "handheld": "handheld", "steadicam": "Steadicam",
    "whip-pan": "whip pan", "crash-zoom": "crash zoom", "dolly-zoom": "dolly zoom",
    "rack-focus": "rack focus",
}


_FONT_FILES = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               "Arial.ttf", "Helvetica.ttc", "segoeui.ttf")
_fallback_font = False


def font(size: int) -> Font:
    """A system sans (DejaVu Sans where present: wide glyph coverage), else Pillow's own."""
    global _fallback_font
    for name in _FONT_FILES:
        try:
            return ImageFont.truetype(name, max(8, size))
        except OSError:
            continue
    _fallback_font = True
    return ImageFont.load_default(size=max(8, size))


_ASCII = str.maketrans({"—": "-", "–": "-", "→": "->", "▸": ">", "•": "*", "…": "..."})


def clean(text: str) -> str:
    """Text safe for the font in use (Pillow's bundled font lacks dashes and arrows)."""
    return text.translate(_ASCII) if _fallback_font else text


def text_width(f: Font, text: str) -> float:
    return float(f.getlength(text))


def fit(f: Font, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` pixels."""
    text = clean(text)
    if text_width(f, text) <= width:
        return text
    while text and text_width(f, text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


def wrap(f: Font, text: str, width: float, max_lines: int) -> list[str]:
    words = clean(text).split()
    lines: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}".strip()
        if text_width(f, trial) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = fit(f, lines[-1] + " …", width)
    return [fit(f, line, width) for line in lines]


def timecode(t: float, fps: int) -> str:
    frames = int(round(t * fps))
    ff = frames % fps
    secs = frames // fps
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}:{ff:02d}"


def lens_text(direction: dict[str, Any]) -> str:
    """``50mm anamorphic f/2`` (whatever of it the brief gives)."""
    parts = []
    if direction.get("lens_mm"):
        parts.append(f"{direction['lens_mm']}mm")
    if direction.get("lens_type") and direction.get("lens_type") != "spherical":
        parts.append(str(direction["lens_type"]))
    if direction.get("aperture"):
        parts.append(f"f/{float(direction['aperture']):g}")
    return " ".join(parts)


def move_text(moves: tuple[str, ...], speed: float) -> str:
    if not moves:
        return "static"
    label = " + ".join(MOVE_LABELS.get(m, m) for m in moves)
    names = {v: k for k, v in SPEED.items()}
    if moves != ("static",) and speed in names and speed != 1.0:
        label += f" ({names[speed]})"
    return label


@dataclass
class Timed:
    start: float
    end: float
    image: Image.Image
    pos: tuple[int, int]


class Overlay:
    """Pre-rendered text layers for one shot, composited onto each frame."""

    def __init__(self, request: Any, width: int, height: int, fps: int, look: Look,
                 segments: list[Segment]):
        self.w, self.h, self.fps = width, height, fps
        self.duration = float(request.duration)
        d = request.direction or {}
        unit = min(width, height)
        self.pad = max(4, round(unit * 0.022))
        self.f_title = font(round(unit * 0.045))
        self.f_small = font(round(unit * 0.036))
        self.f_sub = font(round(unit * 0.05))
        self.f_tag = font(round(unit * 0.032))
        line_h = self.f_title.size + self.f_small.size  # type: ignore[union-attr]
        self.bar_h = line_h + self.pad * 3
        self.bar_y = height - self.bar_h
        self.accent = mix(look.accent, (255, 255, 255), 0.2)
        self.tc_font = self.f_title
        self.tc_w = int(text_width(self.tc_font, "00:00:00:00")) + 2
        self.bar = self._bar(request, d)
        self.moves = [
            Timed(seg.start, seg.end, self._move_label(move_text(seg.moves, seg.speed)), (0, 0))
            for seg in segments
        ] or [Timed(0.0, self.duration, self._move_label("static"), (0, 0))]
        self.beats = self._beats(d)
        self.subs = self._subtitles(d)
        self.tag = self._tag("PREVIZ", (255, 255, 255), (0, 0, 0, 120))
        self.labels: dict[str, Image.Image] = {}

    # ------------------------------------------------------------ builders
    def _bar(self, request: Any, d: dict[str, Any]) -> Image.Image:
        w, p = self.w, self.pad
        bar = Image.new("RGBA", (w, self.bar_h), (8, 10, 14, 178))
        draw = ImageDraw.Draw(bar)
        draw.line([(0, 0), (w, 0)], fill=(*self.accent, 200), width=1)
        title = f"{request.shot_id} · {d.get('title') or ''}".rstrip(" ·")
        draw.text((p, p), fit(self.f_title, title, w - 3 * p - self.tc_w), font=self.f_title,
                  fill=(245, 245, 245, 255))
        bits = [str(d.get("shot_size") or ""), str(d.get("angle") or ""), lens_text(d)]
        info = "  ·  ".join(b for b in bits if b)
        y2 = p * 2 + self.f_title.size  # type: ignore[union-attr]
        self.line2_y = y2
        self.info_w = int(text_width(self.f_small, info))
        draw.text((p, y2), fit(self.f_small, info, w * 0.55), font=self.f_small,
                  fill=(200, 205, 212, 255))
        # beat ticks on the progress line
        for beat in d.get("beats") or []:
            x = int(w * min(1.0, float(beat.get("at") or 0) / self.duration))
            draw.line([(x, self.bar_h - 5), (x, self.bar_h)], fill=(*self.accent, 255), width=1)
        return bar

    def _move_label(self, text: str) -> Image.Image:
        p = self.pad
        room = self.w - p * 3 - min(self.info_w, int(self.w * 0.55))
        text = fit(self.f_small, "▸ " + text, max(20, room))
        tw = int(text_width(self.f_small, text)) + 2
        img = Image.new("RGBA", (tw, self.f_small.size + 4), (0, 0, 0, 0))  # type: ignore[union-attr]
        ImageDraw.Draw(img).text((0, 0), text, font=self.f_small, fill=(*self.accent, 255))
        return img

    def _boxed(self, lines: list[str], f: Font, fg: tuple[int, int, int], bg: tuple[int, ...],
               centre: bool = False, stroke: int = 0) -> Image.Image:
        p = self.pad
        lh = int(f.size * 1.22)  # type: ignore[union-attr]
        tw = max(int(text_width(f, line)) for line in lines) if lines else 0
        img = Image.new("RGBA", (tw + 2 * p, lh * len(lines) + p + p // 2), bg)
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            x = p + ((tw - text_width(f, line)) / 2 if centre else 0)
            draw.text((x, p // 2 + i * lh), line, font=f, fill=(*fg, 255),
                      stroke_width=stroke, stroke_fill=(0, 0, 0, 230))
        return img

    def _beats(self, d: dict[str, Any]) -> list[Timed]:
        beats = sorted((b for b in d.get("beats") or [] if b.get("action")),
                       key=lambda b: float(b.get("at") or 0))
        out = []
        width = self.w * 0.62 - 2 * self.pad
        for i, beat in enumerate(beats):
            start = float(beat.get("at") or 0)
            end = float(beats[i + 1].get("at") or 0) if i + 1 < len(beats) else self.duration
            head = f"{int(start // 60)}:{start % 60:04.1f}"
            lines = wrap(self.f_small, f"{head}  {beat['action']}", width, 2)
            img = self._boxed(lines, self.f_small, (240, 240, 240), (8, 10, 14, 150))
            out.append(Timed(start, max(end, start + 0.001), img, (self.pad, self.pad)))
        return out

    def _subtitles(self, d: dict[str, Any]) -> list[Timed]:
        lines = list(d.get("dialogue") or [])
        out: list[Timed] = []
        cursor = 0.3
        timed = []
        for line in lines:
            text = " ".join(str(line.get("line") or "").split())
            if not text:
                continue
            start = float(line["at"]) if line.get("at") is not None else cursor
            length = max(1.6, 0.5 + 0.36 * len(text.split()))
            timed.append((start, length, f"{line.get('speaker') or '…'}: {text}"))
            cursor = start + length + 0.2
        timed.sort(key=lambda x: x[0])
        for i, (start, length, text) in enumerate(timed):
            end = min(start + length, self.duration)
            if i + 1 < len(timed):
                end = min(end, timed[i + 1][0])
            if end <= start:
                continue
            wrapped = wrap(self.f_sub, text, self.w * 0.86, 2)
            img = self._boxed(wrapped, self.f_sub, (255, 255, 255), (0, 0, 0, 0), centre=True,
                              stroke=max(1, round(self.f_sub.size / 9)))  # type: ignore[union-attr]
            x = (self.w - img.width) // 2
            y = self.bar_y - img.height - self.pad // 2
            out.append(Timed(start, end, img, (x, y)))
        return out

    def _tag(self, text: str, fg: tuple[int, int, int], bg: tuple[int, ...]) -> Image.Image:
        f = self.f_tag
        tw = int(text_width(f, text))
        p = max(3, self.pad // 2)
        img = Image.new("RGBA", (tw + 2 * p, f.size + 2 * p), (0, 0, 0, 0))  # type: ignore[union-attr]
        draw = ImageDraw.Draw(img)
        draw.rounded_rectangle((0, 0, img.width - 1, img.height - 1), radius=p, fill=bg)
        draw.text((p, p - 1), text, font=f, fill=(*fg, 255))
        return img

    # --------------------------------------------------------------- frame
    def apply(self, frame: Image.Image, t: float,
              anchors: list[tuple[str, tuple[float, float], float]]) -> None:
        beat_box = None
        for item in self.beats:
            if item.start <= t < item.end or (item is self.beats[-1] and t >= item.start):
                beat_box = (item.pos[0], item.pos[1], item.pos[0] + item.image.width,
                            item.pos[1] + item.image.height)
                break
        self._labels(frame, anchors, beat_box)
        if beat_box is not None:
            frame.paste(item.image, item.pos, item.image)
        for item in self.subs:
            if item.start <= t < item.end:
                frame.paste(item.image, item.pos, item.image)
        frame.paste(self.tag, (self.w - self.tag.width - self.pad, self.pad), self.tag)
        frame.paste(self.bar, (0, self.bar_y), self.bar)
        move = self.moves[0]
        for item in self.moves:
            if item.start <= t:
                move = item
        frame.paste(move.image, (self.w - self.pad - move.image.width, self.bar_y + self.line2_y),
                    move.image)
        draw = ImageDraw.Draw(frame)
        tc = timecode(t, self.fps)
        draw.text((self.w - self.pad - self.tc_w, self.bar_y + self.pad), tc, font=self.tc_font,
                  fill=(245, 245, 245))
        x = int(self.w * min(1.0, t / self.duration)) if self.duration else 0
        draw.rectangle((0, self.h - 3, x, self.h - 1), fill=self.accent)

    def _labels(self, frame: Image.Image, anchors: list[tuple[str, tuple[float, float], float]],
                avoid: tuple[int, int, int, int] | None = None) -> None:
        for name, (x, y), size in anchors:
            if size > self.h * 0.75 or not name:
                continue
            img = self.labels.get(name)
            if img is None:
                img = self._tag(name.upper(), (20, 20, 20), (*self.accent, 230))
                self.labels[name] = img
            px = int(x - img.width / 2)
            py = int(y - img.height - max(3, self.pad // 2))
            if py < self.pad or py + img.height > self.bar_y or px + img.width < 0 or px > self.w:
                continue
            if avoid is not None and px < avoid[2] and px + img.width > avoid[0] \
                    and py < avoid[3] and py + img.height > avoid[1]:
                continue  # would sit under the beat text
            frame.paste(img, (px, py), img)
