"""The animatic's world, drawn fresh for every camera as vector shapes (Pillow ImageDraw).

Drawing polygons is far cheaper than resampling bitmaps, and it makes every camera move
exact: a dolly really brings the subject closer, a zoom really narrows the view. Layers,
back to front: sky gradient and sun, far ridge (at infinity), ground plane with a grid,
mid layer, near props, the subject(s), foreground. Anti-aliasing: a layer in focus is drawn
at twice the size and halved; an out-of-focus layer is drawn smaller, box-blurred and scaled
up — depth-of-field blur for the price of a resize.

Scene kinds (picked from the prompt's words): landscape (ridges, trees), urban (skyline,
buildings, lamp posts) and studio (seamless backdrop, no horizon line).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFilter

from studio.previz.camera import Cam, Framing, blur_radius
from studio.previz.look import RGB, Look, mix

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

Point = tuple[float, float]

_URBAN = re.compile(r"\b(city|street|streets|urban|downtown|shop|store|office|building|buildings|"
                    r"alley|subway|station|traffic|commuter|commuters|rooftop|skyline)\b", re.I)
_STUDIO = re.compile(r"\b(seamless|backdrop|studio|tabletop|cyclorama|packshot|turntable|"
                     r"infinity cove)\b", re.I)


def scene_kind(prompt: str) -> str:
    """landscape, urban or studio, from the first paragraph of the prompt (the scene prose)."""
    prose = prompt.split("\n\n", 1)[0]
    if _STUDIO.search(prose):
        return "studio"
    if _URBAN.search(prose):
        return "urban"
    return "landscape"


def _hash01(*parts: int) -> float:
    """A stable pseudo-random number in [0, 1) for integer coordinates."""
    h = 2166136261
    for p in parts:
        h = ((h ^ (p & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
        h ^= h >> 13
        h = (h * 1274126177) & 0xFFFFFFFF
    return (h & 0xFFFFFF) / 0x1000000


class Noise1D:
    """Smooth 1-D noise as a sum of seeded sines (deterministic, unbounded domain)."""

    def __init__(self, seed: int, octaves: int = 4):
        self.terms = []
        for i in range(octaves):
            freq = (1.0 + _hash01(seed, i, 1)) * (2.1 ** i)
            phase = _hash01(seed, i, 2) * math.tau
            self.terms.append((freq, phase, 1.0 / (1.7 ** i)))
        self.norm = sum(a for _, _, a in self.terms)

    def __call__(self, x: float) -> float:
        return sum(a * math.sin(x * f + p) for f, p, a in self.terms) / self.norm


@dataclass
class View:
    """Projection for one camera at one drawing scale (``s`` canvas pixels per frame pixel)."""

    cam: Cam
    width: int
    height: int
    s: float = 1.0
    x0: float = 0.0
    y0: float = 0.0

    def __post_init__(self) -> None:
        c = self.cam
        self.f = c.f_px
        self.hz = self.height / 2 + self.f * math.tan(c.pitch)
        self.ox = self.width / 2 - self.f * c.yaw
        self.cos = math.cos(c.roll)
        self.sin = math.sin(c.roll)
        self.cx = self.width / 2
        self.cy = self.height / 2

    def screen(self, sx: float, sy: float) -> Point:
        """Unrolled frame coordinates -> canvas coordinates (roll, offset, scale)."""
        if self.sin:
            dx, dy = sx - self.cx, sy - self.cy
            sx = self.cx + dx * self.cos - dy * self.sin
            sy = self.cy + dx * self.sin + dy * self.cos
        return ((sx - self.x0) * self.s, (sy - self.y0) * self.s)

    def raw(self, x: float, y: float, z: float) -> Point | None:
        dz = z - self.cam.z
        if dz <= 0.02:
            return None
        return (self.ox + self.f * (x - self.cam.x) / dz, self.hz + self.f * (self.cam.y - y) / dz)

    def pt(self, x: float, y: float, z: float) -> Point | None:
        p = self.raw(x, y, z)
        return None if p is None else self.screen(*p)

    def world_x(self, sx: float, depth: float) -> float:
        """The world x seen at unrolled screen column ``sx`` on the plane at ``depth``."""
        return self.cam.x + (sx - self.ox) * (depth - self.cam.z) / self.f


class Scene:
    """Draws frames of one shot's world for any :class:`Cam`."""

    def __init__(self, framing: Framing, look: Look, seed: int, kind: str, subjects: Sequence[str],
                 human: bool, foreground: str | None, lens_type: str = ""):
        self.fr = framing
        self.look = look
        self.seed = seed & 0xFFFFFFFF
        self.kind = kind
        self.subjects = list(subjects)
        self.human = human
        self.foreground = foreground  # None, "ots" or "grass"
        self.lens_type = lens_type
        self.w, self.h = framing.width, framing.height
        self.margin = 0.25 * max(self.w, self.h)
        d = framing.distance
        self.mid_depth = max(2.5 * d + 40.0, 60.0)
        self.near_depth = 1.6 * d + 7.0
        self.ridge_far = Noise1D(self.seed ^ 0x51, 5)
        self.ridge_back = Noise1D(self.seed ^ 0x77, 4)
        self.ridge_mid = Noise1D(self.seed ^ 0x1234, 4)
        self.grid = _nice_step(max(0.08, d * 0.35)) if kind != "studio" else _nice_step(
            max(0.05, d * 0.5))
        self.rim_side = 1.0 if look.sun_azimuth >= 0 else -1.0
        self._vignette = _vignette_strips(self.w, self.h, look.vignette)
        floor_far = look.fog if kind != "studio" else look.sky_horizon
        floor_near = look.ground_near
        self.grid_colour = look.grid
        if kind == "studio":  # a seamless: light floor, a faint grid
            floor_near = mix(look.sky_horizon, look.ground_near, 0.3)
            self.grid_colour = mix(look.sky_horizon, look.ground_near, 0.45)
        self._sky_lut = [mix(look.sky_horizon, look.sky_top, i / 255) for i in range(256)]
        self._ground_lut = [mix(floor_far, floor_near, i / 255) for i in range(256)]
        self._flare: Image.Image | None = None

    # ----------------------------------------------------------------- frame
    def draw(self, cam: Cam) -> Image.Image:
        fr = self.fr
        bg_r = blur_radius(fr, cam, max(30.0, 6 * (fr.distance - cam.z)))
        bg_r += cam.zoom_blur * 0.02 * self.w
        frame = self._background(cam, bg_r)
        if self.subjects:
            self._group(frame, cam, self._subject_shapes, blur_radius(fr, cam, fr.distance - cam.z))
        if self.foreground:
            self._group(frame, cam, self._foreground_shapes,
                        blur_radius(fr, cam, fr.near_depth - cam.z))
        if self.look.rays:
            self._rays(frame, cam)
        if self.lens_type == "anamorphic":
            self._anamorphic_flare(frame, cam)
        if cam.motion_blur_px > 2:
            k = min(32.0, cam.motion_blur_px / 2.0)
            small = frame.resize((max(8, int(self.w / k)), self.h), Image.Resampling.BILINEAR)
            frame = small.resize((self.w, self.h), Image.Resampling.BILINEAR)
        for box, mask in self._vignette:
            frame.paste((0, 0, 0), box, mask)
        return frame

    def subject_anchor(self, cam: Cam) -> list[tuple[str, Point, float]]:
        """(label, head-top point in frame pixels, figure height in pixels) per subject."""
        view = View(cam, self.w, self.h)
        out = []
        for i, name in enumerate(self.subjects):
            x = self._subject_x(i, cam)
            top = view.pt(x, self.fr.subject_height + 0.05, self.fr.distance)
            foot = view.pt(x, 0.0, self.fr.distance)
            if top is None or foot is None:
                continue
            out.append((name, top, math.hypot(foot[0] - top[0], foot[1] - top[1])))
        return out

    # ------------------------------------------------------------ background
    def _background(self, cam: Cam, radius: float) -> Image.Image:
        w, h = self.w, self.h
        s = 2.0 if radius < 0.8 else min(0.5, 1.5 / radius)
        cw, ch = max(4, int(math.ceil(w * s))), max(4, int(math.ceil(h * s)))
        view = View(cam, w, h, s=s)
        if abs(cam.roll) < 1e-6:
            # no roll: sky and ground are one vertical gradient, a 1-pixel column stretched
            canvas = Image.new("RGB", (cw, ch), self.look.sky_top)
            draw = ImageDraw.Draw(canvas)
            runs = self._gradient(view, ch)
            for y0, y1, colour in runs:
                draw.rectangle((0, y0, cw, y1), fill=colour)
            if self.kind != "studio":
                box = self._sun(draw, view)
                if box is not None:
                    # the glow must not spill onto the ground: repaint the ground under it
                    top = int(view.hz * s) + 1
                    x0, x1 = max(0, int(box[0])), min(cw, int(box[2]) + 1)
                    for y0, y1, colour in runs:
                        if y1 >= top and y0 <= box[3]:
                            draw.rectangle((x0, max(y0, top), x1, y1), fill=colour)
                self._far_ridges(draw, view)
        else:
            canvas = Image.new("RGB", (cw, ch), self.look.sky_top)
            draw = ImageDraw.Draw(canvas)
            self._sky(draw, view)
            if self.kind != "studio":
                self._sun(draw, view)
                self._far_ridges(draw, view)
            self._ground(draw, view)
        self._grid(draw, view, s)
        if self.kind != "studio":
            self._mid_layer(draw, view)
            self._near_props(draw, view, s)
        if s == 2.0:
            return canvas.reduce(2)
        if s < 0.5:
            canvas = canvas.filter(ImageFilter.BoxBlur(1))
        return canvas.resize((w, h), Image.Resampling.BILINEAR)

    def _gradient(self, view: View, ch: int) -> list[tuple[int, int, RGB]]:
        """Sky above the horizon, ground below: (first row, last row, colour) runs."""
        s = view.s
        hz = view.hz
        f = view.f
        bottom = self.h + self.margin
        depth = max(1.0, bottom - hz)
        sky_span = math.radians(18.0 if self.kind == "studio" else 32.0)
        sky, ground = self._sky_lut, self._ground_lut
        runs: list[tuple[int, int, RGB]] = []
        start, current = 0, None
        for y in range(ch):
            fy = (y + 0.5) / s
            if fy < hz:
                colour = sky[int(min(1.0, math.atan((hz - fy) / f) / sky_span) ** 0.7 * 255)]
            else:
                colour = ground[int(min(1.0, ((fy - hz) / depth) ** 0.45 * 1.05) * 255)]
            if colour is not current:
                if current is not None:
                    runs.append((start, y - 1, current))
                start, current = y, colour
        if current is not None:
            runs.append((start, ch - 1, current))
        return runs

    def _band(self, view: View, y0: float, y1: float) -> list[Point]:
        m = self.margin
        return [view.screen(-m, y0), view.screen(self.w + m, y0), view.screen(self.w + m, y1),
                view.screen(-m, y1)]

    def _sky(self, draw: ImageDraw.ImageDraw, view: View) -> None:
        lk = self.look
        hz = view.hz
        top = -self.margin
        if hz <= top:
            return
        bottom = min(hz + 2, self.h + self.margin)
        n = 80
        studio = self.kind == "studio"
        for i in range(n):
            a = i / n
            b = (i + 1) / n
            ya = hz - (hz - top) * a ** 1.6
            yb = hz - (hz - top) * b ** 1.6
            elev = math.degrees(math.atan(max(0.0, hz - (ya + yb) / 2) / view.f))
            t = min(1.0, elev / (18.0 if studio else 32.0)) ** 0.7
            colour = mix(lk.sky_horizon, lk.sky_top, t)
            draw.polygon(self._band(view, min(ya, bottom), yb), fill=colour)

    def _sun(self, draw: ImageDraw.ImageDraw, view: View) -> tuple[float, float, float, float] | None:
        """Glow and disc; returns the glow's canvas bounding box (None: not drawn)."""
        lk = self.look
        if lk.sun_size <= 0:
            return None
        sx = view.ox + view.f * math.radians(lk.sun_azimuth)
        sy = view.hz - view.f * math.tan(math.radians(lk.sun_elevation))
        glow = 0.42 * min(self.w, self.h) * lk.sun_size
        if sx < -glow * 2 or sx > self.w + glow * 2 or sy < -glow * 2 or sy > self.h + glow * 2:
            return None
        cx, cy = view.screen(sx, sy)
        s = view.s
        steps = 9
        for i in range(steps):
            r = glow * (1 - i / steps) * s
            t = ((i + 1) / steps) ** 2.2 * 0.75
            base = lk.sky_horizon
            draw.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=mix(base, lk.sun, t))
        if lk.sun_elevation > -1.5:
            r = max(0.02 * min(self.w, self.h), view.f * 0.011) * s * lk.sun_size
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=lk.sun)
        big = glow * s
        return (cx - big, cy - big * 0.8, cx + big, cy + big * 0.8)

    def _far_ridges(self, draw: ImageDraw.ImageDraw, view: View) -> None:
        lk = self.look
        hz = view.hz
        if hz < -self.margin or hz - view.f * 0.2 > self.h + self.margin:
            return
        m = self.margin
        layers: list[tuple[Noise1D, float, float, RGB, float]] = [
            (self.ridge_back, 2.6, 2.2, mix(lk.far, lk.fog, 0.45), 1.7),
            (self.ridge_far, 1.2, 2.0, lk.far, 3.1),
        ]
        n = 64
        for noise, base_deg, amp_deg, colour, freq in layers:
            pts: list[Point] = []
            for i in range(n + 1):
                sx = -m + (self.w + 2 * m) * i / n
                az = (sx - view.ox) / view.f
                if self.kind == "urban":
                    cell = math.floor(az * 28 * freq / 3)
                    hgt = base_deg * 0.9 + amp_deg * 1.6 * _hash01(self.seed, cell, int(freq * 10))
                    e = math.radians(hgt)
                else:
                    e = math.radians(max(0.2, base_deg + amp_deg * noise(az * freq)))
                pts.append(view.screen(sx, hz - view.f * math.tan(e)))
            if self.kind == "urban":
                pts = _stepped(pts)
            pts.append(view.screen(self.w + m, hz + 1))
            pts.append(view.screen(-m, hz + 1))
            draw.polygon(pts, fill=colour)

    def _ground(self, draw: ImageDraw.ImageDraw, view: View) -> None:
        hz = view.hz
        bottom = self.h + self.margin
        if hz >= bottom:
            return
        start = max(hz, -self.margin)
        n = 40
        for i in range(n):
            ya = start + (bottom - start) * (i / n) ** 1.5
            yb = start + (bottom - start) * ((i + 1) / n) ** 1.5
            t = ((ya + yb) / 2 - hz) / max(1.0, bottom - hz)
            colour = self._ground_lut[int(min(1.0, t ** 0.45 * 1.05) * 255)]
            draw.polygon(self._band(view, ya, yb + 1), fill=colour)

    def _grid(self, draw: ImageDraw.ImageDraw, view: View, s: float) -> None:
        lk = self.look
        cam = view.cam
        g = self.grid
        hz = view.hz
        bottom = self.h + self.margin
        if cam.y <= 0.01 or hz >= bottom:
            return
        near = max(0.15, view.f * cam.y / max(1.0, bottom - hz))
        far = min(self.mid_depth * 0.95, 40 * g)
        if self.kind == "studio":
            far = min(far, 8 * g)
        width = max(1, int(round(s * 1.0)))
        far_colour = mix(lk.fog, lk.ground_near, 0.5) if self.kind != "studio" else lk.sky_horizon
        m = self.margin
        k = math.ceil((cam.z + near) / g)
        count = 0
        depth = max(1.0, bottom - hz)
        z_far = min(far, 16 * g)
        while count < 60:
            z = k * g
            dz = z - cam.z
            if dz > z_far:
                break
            y = hz + view.f * cam.y / dz
            under = self._ground_lut[int(min(1.0, ((y - hz) / depth) ** 0.45 * 1.05) * 255)]
            colour = mix(self.grid_colour, under, min(1.0, (dz / z_far) ** 0.5))
            draw.line([view.screen(-m, y), view.screen(self.w + m, y)], fill=colour, width=width)
            k += 1
            count += 1
        xc = math.floor(cam.x / g)
        span = int(min(24, max(6, (self.w / 2 + m) * far / view.f / g / 3)))
        segs = 3
        for j in range(xc - span, xc + span + 1):
            x = j * g
            for q in range(segs):
                za = cam.z + near + (far - near) * (q / segs) ** 2
                zb = cam.z + near + (far - near) * ((q + 1) / segs) ** 2
                a, b = view.pt(x, 0, za), view.pt(x, 0, zb)
                if a is None or b is None:
                    continue
                colour = mix(self.grid_colour, far_colour, min(1.0, ((q + 0.5) / segs) ** 0.8))
                draw.line([a, b], fill=colour, width=width)

    def _mid_layer(self, draw: ImageDraw.ImageDraw, view: View) -> None:
        lk = self.look
        depth = self.mid_depth
        dz = depth - view.cam.z
        if dz <= 1:
            return
        m = self.margin
        n = 56
        ground_y = view.hz + view.f * view.cam.y / dz
        pts: list[Point] = []
        if self.kind == "urban":
            cell_w = depth * 0.09
            x_left = view.world_x(-m, depth)
            x_right = view.world_x(self.w + m, depth)
            c0, c1 = math.floor(x_left / cell_w), math.ceil(x_right / cell_w)
            if c1 - c0 > 90:
                c1 = c0 + 90
            lights: list[tuple[float, float]] = []
            for c in range(c0, c1 + 1):
                hgt = depth * (0.05 + 0.11 * _hash01(self.seed, c, 7))
                a = view.raw(c * cell_w, hgt, depth)
                b = view.raw((c + 1) * cell_w, hgt, depth)
                if a is None or b is None:
                    continue
                pts += [view.screen(a[0], a[1]), view.screen(b[0], b[1])]
                if self.look.practicals:
                    for q in range(3):
                        if _hash01(self.seed, c, q, 9) < 0.5:
                            lights.append(((c + 0.2 + 0.25 * q) * cell_w,
                                           hgt * (0.2 + 0.6 * _hash01(self.seed, c, q))))
            pts += [view.screen(self.w + m, ground_y + 3), view.screen(-m, ground_y + 3)]
            draw.polygon(pts, fill=lk.mid)
            r = max(1.0, view.f * depth * 0.006 / dz) * view.s
            for lx, ly in lights:
                p = view.pt(lx, ly, depth)
                if p is not None:
                    draw.ellipse((p[0] - r, p[1] - r, p[0] + r, p[1] + r), fill=lk.sun)
            return
        for i in range(n + 1):
            sx = -m + (self.w + 2 * m) * i / n
            x = view.world_x(sx, depth)
            hgt = depth * (0.035 + 0.03 * self.ridge_mid(x / (depth * 0.22)))
            pts.append(view.screen(sx, view.hz + view.f * (view.cam.y - hgt) / dz))
        pts += [view.screen(self.w + m, ground_y + 3), view.screen(-m, ground_y + 3)]
        draw.polygon(pts, fill=lk.mid)

    def _near_props(self, draw: ImageDraw.ImageDraw, view: View, s: float) -> None:
        lk = self.look
        depth = self.near_depth
        dz = depth - view.cam.z
        if dz <= 0.5:
            return
        m = self.margin
        colour = mix(lk.near, lk.fog, 0.25)
        urban = self.kind == "urban"
        step = max(2.5, depth * 0.14) * (1.6 if urban else 1.0)
        x_left = view.world_x(-m, depth)
        x_right = view.world_x(self.w + m, depth)
        i0, i1 = math.floor(x_left / step) - 1, math.ceil(x_right / step) + 1
        if i1 - i0 > 60:
            return
        for i in range(i0, i1 + 1):
            r = _hash01(self.seed, i, 3)
            if r > (0.45 if urban else 0.55):
                continue
            x = (i + _hash01(self.seed, i, 4)) * step
            if urban:
                self._lamp_post(draw, view, x, depth, colour)
                continue
            hgt = 4.0 + 6.0 * _hash01(self.seed, i, 5)
            wid = hgt * (0.28 + 0.12 * _hash01(self.seed, i, 6))
            tiers = 3
            for tier in range(tiers):
                y0 = hgt * (0.25 + 0.22 * tier)
                y1 = min(hgt, y0 + hgt * 0.45)
                half = wid * (1 - tier / (tiers + 0.5)) / 2
                pts = [view.pt(x - half, y0, depth), view.pt(x + half, y0, depth),
                       view.pt(x, y1, depth)]
                if all(p is not None for p in pts):
                    draw.polygon(pts, fill=colour)  # type: ignore[arg-type]
            trunk = [view.pt(x - hgt * 0.025, 0, depth), view.pt(x + hgt * 0.025, 0, depth),
                     view.pt(x + hgt * 0.025, hgt * 0.3, depth), view.pt(x - hgt * 0.025, hgt * 0.3, depth)]
            if all(p is not None for p in trunk):
                draw.polygon(trunk, fill=colour)  # type: ignore[arg-type]

    def _lamp_post(self, draw: ImageDraw.ImageDraw, view: View, x: float, depth: float,
                   colour: RGB) -> None:
        pole = [view.pt(x - 0.07, 0, depth), view.pt(x + 0.07, 0, depth),
                view.pt(x + 0.05, 4.2, depth), view.pt(x - 0.05, 4.2, depth)]
        arm = [view.pt(x - 0.05, 4.1, depth), view.pt(x + 0.8, 4.2, depth),
               view.pt(x + 0.8, 4.0, depth), view.pt(x - 0.05, 3.95, depth)]
        for poly in (pole, arm):
            if all(p is not None for p in poly):
                draw.polygon(poly, fill=colour)  # type: ignore[arg-type]
        lamp = view.pt(x + 0.75, 3.95, depth)
        if lamp is not None and self.look.practicals:
            r = max(1.0, view.f * 0.12 / (depth - view.cam.z)) * view.s
            draw.ellipse((lamp[0] - r, lamp[1] - r, lamp[0] + r, lamp[1] + r), fill=self.look.sun)

    # --------------------------------------------------------- subject & fg
    def _subject_x(self, i: int, cam: Cam) -> float:
        n = len(self.subjects)
        gap = 0.75 if self.human else self.fr.subject_height * 1.6
        return (i - (n - 1) / 2) * gap + cam.subject_dx

    def _subject_shapes(self, view: View) -> list[tuple[list[Point], tuple[int, ...]]]:
        lk = self.look
        cam = view.cam
        z = self.fr.distance
        shapes: list[tuple[list[Point], tuple[int, ...]]] = []
        if not self.subjects:
            return shapes
        for i in range(len(self.subjects)):
            x = self._subject_x(i, cam)
            shadow = []
            for k in range(16):
                a = k / 16 * math.tau
                p = view.pt(x + math.cos(a) * self.fr.subject_height * 0.3, 0.0,
                            z + math.sin(a) * self.fr.subject_height * 0.12)
                if p is not None:
                    shadow.append(p)
            if len(shadow) > 2:
                shapes.append((shadow, (0, 0, 0, 90)))
            polys = _human(x, cam.walk + i * 0.37) if self.human else _product(
                x, self.fr.subject_height)
            projected: list[tuple[list[Point], int]] = []
            for poly, part in polys:
                pts = [view.pt(px, py, z) for px, py in poly]
                if any(p is None for p in pts):
                    continue
                projected.append((pts, part))  # type: ignore[arg-type]
            if not projected:
                continue
            height_px = view.f * self.fr.subject_height / max(0.05, z - cam.z) * view.s
            off = min(3.0 * view.s, max(1.0, 0.005 * height_px)) * self.rim_side
            rim = (*lk.rim, 255)
            for pts, _ in projected:
                shapes.append(([(px + off, py - abs(off) * 0.5) for px, py in pts], rim))
            for pts, part in projected:
                colour = lk.subject if part == 0 else mix(lk.subject, lk.accent, 0.75)
                shapes.append((pts, (*colour, 255)))
        return shapes

    def _foreground_shapes(self, view: View) -> list[tuple[list[Point], tuple[int, ...]]]:
        z = self.fr.near_depth
        dz = max(0.05, z - self.fr.base.z)
        colour = (*mix(self.look.subject, (0, 0, 0), 0.4), 255)
        shapes: list[tuple[list[Point], tuple[int, ...]]] = []
        if self.foreground == "ots":
            # the back of another person's head and shoulder, left of frame
            x = -0.36 * self.w / self.fr.f_px * dz - 0.05
            head = [(x + 0.11 * math.cos(a / 20 * math.tau), 1.60 + 0.14 * math.sin(a / 20 * math.tau))
                    for a in range(20)]
            shoulder = [(x - 0.35, 0.9), (x + 0.3, 0.9), (x + 0.26, 1.38), (x + 0.1, 1.47),
                        (x - 0.1, 1.48), (x - 0.3, 1.4)]
            for poly in (shoulder, head):
                pts = [view.pt(px, py, z) for px, py in poly]
                if all(p is not None for p in pts):
                    shapes.append((pts, colour))  # type: ignore[arg-type]
            return shapes
        # grass blades / twigs in the near plane, lower left: something to rack focus from.
        # Placed in frame terms at the starting camera, then they live in the world.
        base = self.fr.base
        f = self.fr.f_px
        hz0 = self.h / 2 + f * math.tan(base.pitch)
        unit = self.h * dz / f  # metres per frame height at this depth
        base_x = base.x + (0.2 - 0.5) * self.w * dz / f
        floor_y = base.y - (self.h * 1.05 - hz0) * dz / f
        for i in range(11):
            bx = base_x + (i - 5) * unit * 0.035 + _hash01(self.seed, i, 11) * unit * 0.03
            tip_h = unit * (0.45 + 0.4 * _hash01(self.seed, i, 12))
            lean = (_hash01(self.seed, i, 13) - 0.5) * unit * 0.22
            half = unit * 0.012
            blade = [(bx - half, floor_y), (bx + half, floor_y), (bx + lean, floor_y + tip_h)]
            pts = [view.pt(px, py, z) for px, py in blade]
            if all(p is not None for p in pts):
                shapes.append((pts, colour))  # type: ignore[arg-type]
        return shapes

    def _group(self, frame: Image.Image, cam: Cam,
               shapes_for: Callable[[View], list[tuple[list[Point], tuple[int, ...]]]],
               radius: float) -> None:
        """Draw shapes into a small RGBA layer over their bounding box, blur, paste."""
        probe = shapes_for(View(cam, self.w, self.h))
        xs = [p[0] for pts, _ in probe for p in pts]
        ys = [p[1] for pts, _ in probe for p in pts]
        if not xs:
            return
        pad = 3 + radius * 2.5
        x0 = max(0, int(math.floor(min(xs) - pad)))
        y0 = max(0, int(math.floor(min(ys) - pad)))
        x1 = min(self.w, int(math.ceil(max(xs) + pad)))
        y1 = min(self.h, int(math.ceil(max(ys) + pad)))
        bw, bh = x1 - x0, y1 - y0
        if bw <= 0 or bh <= 0:
            return
        s = 2.0 if radius < 0.8 else min(0.5, 1.5 / radius)
        cw, ch = max(2, int(math.ceil(bw * s))), max(2, int(math.ceil(bh * s)))
        layer = Image.new("RGBa", (cw, ch), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for pts, colour in probe:
            draw.polygon([((px - x0) * s, (py - y0) * s) for px, py in pts], fill=colour)
        if s == 2.0:
            layer = layer.reduce(2)
        else:
            if s < 0.5:
                layer = layer.filter(ImageFilter.BoxBlur(1))
            layer = layer.resize((bw, bh), Image.Resampling.BILINEAR)
        if layer.size != (bw, bh):
            layer = layer.resize((bw, bh), Image.Resampling.BILINEAR)
        rgba = layer.convert("RGBA")
        frame.paste(rgba, (x0, y0), rgba)

    # --------------------------------------------------------------- effects
    def _rays(self, frame: Image.Image, cam: Cam) -> None:
        view = View(cam, self.w, self.h)
        lk = self.look
        sx = view.ox + view.f * math.radians(lk.sun_azimuth)
        sy = view.hz - view.f * math.tan(math.radians(lk.sun_elevation))
        q = 4
        mask = Image.new("L", (self.w // q, self.h // q), 0)
        draw = ImageDraw.Draw(mask)
        ox, oy = view.screen(sx, sy)
        length = 2.0 * max(self.w, self.h)
        for i in range(7):
            a = math.radians(55 + i * 11 + 4 * _hash01(self.seed, i, 21)) + cam.roll
            half = math.radians(1.4 + 2.2 * _hash01(self.seed, i, 22))
            p1 = (ox + length * math.cos(a - half), oy + length * math.sin(a - half))
            p2 = (ox + length * math.cos(a + half), oy + length * math.sin(a + half))
            strength = int(26 + 30 * _hash01(self.seed, i, 23))
            draw.polygon([(ox / q, oy / q), (p1[0] / q, p1[1] / q), (p2[0] / q, p2[1] / q)],
                         fill=strength)
        mask = mask.filter(ImageFilter.BoxBlur(2)).resize((self.w, self.h), Image.Resampling.BILINEAR)
        frame.paste(lk.sun, (0, 0), mask)

    def _anamorphic_flare(self, frame: Image.Image, cam: Cam) -> None:
        view = View(cam, self.w, self.h)
        lk = self.look
        if lk.sun_size <= 0 or lk.sun_elevation < -1.5 or self.kind == "studio":
            return
        sx = view.ox + view.f * math.radians(lk.sun_azimuth)
        sy = view.hz - view.f * math.tan(math.radians(lk.sun_elevation))
        px, py = view.screen(sx, sy)
        if not (-self.w * 0.3 < px < self.w * 1.3 and 0 <= py < self.h):
            return
        if self._flare is None:
            fw, fh = int(self.w * 1.6), max(4, self.h // 40)
            streak = Image.new("L", (fw, fh), 0)
            d = ImageDraw.Draw(streak)
            for i in range(6):
                k = 1 - i / 6
                d.ellipse((fw * (0.5 - 0.5 * k), fh * (0.5 - 0.5 * k) + 0.5,
                           fw * (0.5 + 0.5 * k), fh * (0.5 + 0.5 * k) - 0.5), fill=int(20 + 26 * i))
            self._flare = streak.filter(ImageFilter.BoxBlur(1))
        flare = self._flare
        colour = mix(lk.sun, (120, 170, 255), 0.5)
        frame.paste(colour, (int(px - flare.width / 2), int(py - flare.height / 2)), flare)


def _nice_step(value: float) -> float:
    exp = math.floor(math.log10(value))
    base = value / 10 ** exp
    for nice in (1.0, 2.0, 2.5, 5.0, 10.0):
        if base <= nice:
            return nice * 10 ** exp
    return 10.0 ** (exp + 1)


def _stepped(pts: list[Point]) -> list[Point]:
    """A skyline: hold each sample's height until the next (flat roofs, vertical walls)."""
    out: list[Point] = []
    for i, p in enumerate(pts):
        if i:
            out.append((p[0], pts[i - 1][1]))
        out.append(p)
    return out


VIGNETTE_START = 0.5  # fraction of the half-diagonal-ish radius where darkening begins


def _vignette_strips(w: int, h: int, strength: float) -> list[tuple[tuple[int, int, int, int], Image.Image]]:
    """The vignette as four border strips (box, mask): its clear middle is never touched."""
    if strength <= 0.01:
        return []
    grad = Image.radial_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    peak = 255 * min(0.85, strength)
    lut = [int(peak * max(0.0, (v / 255 - VIGNETTE_START) / (1.2 - VIGNETTE_START)) ** 1.6)
           for v in range(256)]
    mask = grad.point(lut)
    # a rectangle inscribed in the clear ellipse, shrunk by a pixel for safety
    ix = int(w / 2 * VIGNETTE_START * 0.7) - 1
    iy = int(h / 2 * VIGNETTE_START * 0.7) - 1
    x0, x1, y0, y1 = w // 2 - ix, w // 2 + ix, h // 2 - iy, h // 2 + iy
    boxes = [(0, 0, w, y0), (0, y1, w, h), (0, y0, x0, y1), (x1, y0, w, y1)]
    return [(box, mask.crop(box)) for box in boxes if box[2] > box[0] and box[3] > box[1]]


def _human(x: float, walk: float) -> list[tuple[list[tuple[float, float]], int]]:
    """A standing (or walking, when ``walk`` >= 0) figure, feet at y = 0, facing camera."""
    swing = math.sin(walk * math.tau) * 0.32 if walk >= 0 else 0.0
    bob = abs(math.sin(walk * math.tau)) * 0.035 if walk >= 0 else 0.0
    y = bob
    polys: list[tuple[list[tuple[float, float]], int]] = []
    # legs
    for side, sw in ((-1, swing), (1, -swing)):
        hip = (x + side * 0.085, 0.93 + y)
        foot = (x + side * 0.1 + sw * 0.45, 0.0 + max(0.0, sw * side) * 0.06)
        polys.append(([(hip[0] - 0.07, hip[1]), (hip[0] + 0.07, hip[1]),
                       (foot[0] + 0.055, foot[1]), (foot[0] - 0.055, foot[1])], 0))
    # torso and hips: rounded shoulders sloping to the neck, a slight waist
    polys.append(([(x - 0.17, 0.9 + y), (x + 0.17, 0.9 + y), (x + 0.15, 1.08 + y),
                   (x + 0.19, 1.34 + y), (x + 0.195, 1.41 + y), (x + 0.175, 1.46 + y),
                   (x + 0.13, 1.49 + y), (x + 0.06, 1.515 + y), (x - 0.06, 1.515 + y),
                   (x - 0.13, 1.49 + y), (x - 0.175, 1.46 + y), (x - 0.195, 1.41 + y),
                   (x - 0.19, 1.34 + y), (x - 0.15, 1.08 + y)], 1))
    # arms (swing against the legs)
    for side, sw in ((-1, -swing), (1, swing)):
        sh = (x + side * 0.18, 1.46 + y)
        hand = (x + side * 0.24 + sw * 0.3, 0.84 + y + abs(sw) * 0.12)
        polys.append(([(sh[0] - 0.05, sh[1]), (sh[0] + 0.05, sh[1]),
                       (hand[0] + 0.037, hand[1]), (hand[0] - 0.037, hand[1])], 1))
    # neck and head
    polys.append(([(x - 0.055, 1.48 + y), (x + 0.055, 1.48 + y), (x + 0.048, 1.57 + y),
                   (x - 0.048, 1.57 + y)], 0))
    head = [(x + 0.094 * math.cos(a / 28 * math.tau), 1.65 + y + 0.115 * math.sin(a / 28 * math.tau)
             - (0.018 if math.sin(a / 28 * math.tau) < -0.6 else 0.0))
            for a in range(28)]
    polys.append((head, 0))
    return polys


def _product(x: float, h: float) -> list[tuple[list[tuple[float, float]], int]]:
    """A stand-in for a product: a rounded block with a coloured band, on a low plinth."""
    polys: list[tuple[list[tuple[float, float]], int]] = []
    pw = h * 1.4
    polys.append(([(x - pw / 2, 0), (x + pw / 2, 0), (x + pw / 2, h * 0.12),
                   (x - pw / 2, h * 0.12)], 0))
    bw, r = h * 1.0, h * 0.18
    base = h * 0.12
    body: list[tuple[float, float]] = []
    corners = ((x + bw / 2 - r, base + h - r, 0), (x - bw / 2 + r, base + h - r, 90),
               (x - bw / 2 + r, base + r, 180), (x + bw / 2 - r, base + r, 270))
    for cx, cy, start in corners:
        for k in range(5):
            a = math.radians(start + k * 22.5)
            body.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    polys.append((body, 0))
    polys.append(([(x - bw / 2, base + h * 0.42), (x + bw / 2, base + h * 0.42),
                   (x + bw / 2, base + h * 0.56), (x - bw / 2, base + h * 0.56)], 1))
    return polys
