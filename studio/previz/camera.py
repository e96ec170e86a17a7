"""The animatic's camera: framing from the brief, and what it does over time.

World units are metres: x to the right, y up, z away from the camera's start. Projection is
a pinhole with a focal length in pixels (``f_px`` = long edge x lens_mm / 36, the full-frame
horizontal field of view); pan and tilt shift the image (verticals stay vertical), roll turns
it. The subject stands at depth ``framing.distance`` so that the shot size's span (how many
metres of subject fill the frame height) fits; a longer lens therefore puts the camera
farther back and shows less of the world behind — the field of view follows the focal length.

Moves come from ``direction.movement`` and from beats that carry ``camera`` (a new move from
that beat's time to the next one). Their effects accumulate: after a dolly in, the camera
stays in. Everything is a pure function of time, so any frame can be drawn on its own and
the same request always gives the same pictures.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Any

SPEED = {"slow": 0.6, "medium": 1.0, "fast": 1.6}
# metres of a standing person (1.75 m) that fill the frame height, per shot size
HUMAN_SPAN = {"ECU": 0.10, "CU": 0.34, "MCU": 0.58, "MS": 0.98, "MWS": 1.35, "WS": 2.7,
              "EWS": 12.0, "ELS": 48.0}
# multiples of an object's height that fill the frame height
OBJECT_SPAN = {"ECU": 0.45, "CU": 1.25, "MCU": 1.7, "MS": 2.4, "MWS": 3.5, "WS": 6.0,
               "EWS": 30.0, "ELS": 140.0}
KNOWN_MOVES = {"static", "pan", "tilt", "dolly-in", "dolly-out", "truck", "pedestal", "crane",
               "orbit", "tracking", "handheld", "steadicam", "whip-pan", "crash-zoom",
               "dolly-zoom", "rack-focus"}
ANGLES = {"eye-level", "high", "low", "dutch", "birds-eye", "worms-eye", "ots", "pov"}


def seed_for(text: str) -> int:
    """A stable seed (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def ease(u: float) -> float:
    u = 0.0 if u < 0 else 1.0 if u > 1 else u
    return u * u * (3 - 2 * u)


def ease_in(u: float) -> float:
    u = 0.0 if u < 0 else 1.0 if u > 1 else u
    return u * u * u


@dataclass
class Cam:
    """The camera (and the subject's motion) at one instant."""

    x: float = 0.0
    y: float = 1.6
    z: float = 0.0
    yaw: float = 0.0  # radians, + turns right (image moves left)
    pitch: float = 0.0  # radians, + looks up (tan(pitch) shifts the horizon)
    roll: float = 0.0  # radians
    f_px: float = 900.0
    f_mm: float = 50.0
    focus: float = 3.0  # metres
    subject_dx: float = 0.0  # the subject's own travel (tracking)
    walk: float = -1.0  # walk-cycle phase in cycles; < 0: standing
    motion_blur_px: float = 0.0  # horizontal smear (whip pan)
    zoom_blur: float = 0.0  # 0..1 (crash zoom)
    moves: tuple[str, ...] = ()  # the moves active now, for the caption


@dataclass(frozen=True)
class Framing:
    width: int
    height: int
    lens_mm: float
    f_px: float
    subject_height: float
    human: bool
    span: float
    distance: float
    aim_y: float
    base: Cam
    dof_mult: float
    aperture: float
    angle: str
    near_depth: float  # the foreground plane (rack focus / over the shoulder)


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    moves: tuple[str, ...]
    speed: float


def _aperture(direction: dict[str, Any]) -> tuple[float, float]:
    dof = str(direction.get("depth_of_field") or "")
    aperture = direction.get("aperture")
    default = {"shallow": 2.0, "medium": 4.0, "deep": 11.0}.get(dof, 5.6)
    n = float(aperture) if aperture else default
    mult = {"shallow": 1.35, "medium": 0.9, "deep": 0.35}.get(dof, 1.0)
    return n, mult


def frame_shot(direction: dict[str, Any], width: int, height: int, human: bool) -> Framing:
    """Where the camera stands for this shot size, angle and lens."""
    lens_mm = float(direction.get("lens_mm") or 35)
    long_edge = max(width, height)
    f_px = long_edge * lens_mm / 36.0
    lens_type = str(direction.get("lens_type") or "")
    if lens_type == "anamorphic":
        f_px *= 0.75  # squeezed glass: a wider horizontal view for the same focal length
    elif lens_type == "fisheye":
        f_px *= 0.55
    size = str(direction.get("shot_size") or ("MS" if human else "CU"))
    subject_h = 1.75 if human else 0.32
    if human:
        span = HUMAN_SPAN.get(size, HUMAN_SPAN["MS"])
    else:
        span = OBJECT_SPAN.get(size, OBJECT_SPAN["CU"]) * subject_h
    distance = f_px * span / height
    top = subject_h + (0.04 if human else 0.12) * span + 0.02 * subject_h
    aim_y = max(top - span * 0.5, span * 0.3)
    if not human and span < subject_h * 1.5:
        aim_y = subject_h * 0.5
    angle = str(direction.get("angle") or "eye-level")
    eye = 1.6 if human else subject_h * 0.7
    roll = 0.0
    cam_y = eye
    if size in ("EWS", "ELS"):
        cam_y = max(eye, span * 0.12)
    if angle == "high":
        cam_y = aim_y + distance * math.tan(math.radians(28))
    elif angle == "birds-eye":
        cam_y = aim_y + distance * math.tan(math.radians(60))
    elif angle == "low":
        cam_y = max(0.08, min(eye * 0.3, aim_y - distance * math.tan(math.radians(14))))
    elif angle == "worms-eye":
        cam_y = 0.05
    elif angle == "dutch":
        roll = math.radians(12)
    tan_pitch = (aim_y - cam_y) / distance
    if angle == "worms-eye":
        tan_pitch = max(tan_pitch, math.tan(math.radians(22)))
    if size in ("EWS", "ELS"):
        # establishing views keep the horizon in frame: where depends on the angle
        horizon = {"high": 0.22, "birds-eye": 0.06, "low": 0.68, "worms-eye": 0.8}.get(angle, 0.4)
        tan_pitch = (horizon - 0.5) * height / f_px
    n, mult = _aperture(direction)
    base = Cam(x=0.0, y=cam_y, z=0.0, yaw=0.0, pitch=math.atan(tan_pitch), roll=roll,
               f_px=f_px, f_mm=lens_mm, focus=distance)
    return Framing(width=width, height=height, lens_mm=lens_mm, f_px=f_px,
                   subject_height=subject_h, human=human, span=span, distance=distance,
                   aim_y=aim_y, base=base, dof_mult=mult, aperture=n, angle=angle,
                   near_depth=distance * 0.42)


def split_moves(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(m.strip().lower() for m in str(text).split("+") if m.strip())


def build_segments(direction: dict[str, Any], duration: float) -> list[Segment]:
    """The camera moves over time: the shot's movement, then each beat's ``camera``."""
    speed = SPEED.get(str(direction.get("movement_speed") or ""), 1.0)
    base = split_moves(direction.get("movement"))
    beats = sorted(
        (b for b in direction.get("beats") or [] if isinstance(b, dict) and b.get("camera")),
        key=lambda b: float(b.get("at") or 0),
    )
    starts: list[tuple[float, tuple[str, ...]]] = []
    if beats:
        first_at = min(float(beats[0].get("at") or 0), duration)
        first_moves = split_moves(beats[0].get("camera"))
        if base and first_at > 0.05 and set(first_moves) != set(base):
            starts.append((0.0, base))
        for b in beats:
            starts.append((min(float(b.get("at") or 0), duration), split_moves(b.get("camera"))))
    elif base:
        starts.append((0.0, base))
    segments = []
    for i, (start, moves) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else duration
        if end - start < 1e-3 and i + 1 < len(starts):
            continue
        segments.append(Segment(start, max(end, start + 1e-3), moves, speed))
    return segments


@dataclass
class Timeline:
    framing: Framing
    segments: list[Segment]
    seed: int
    rack_start_near: bool = field(init=False)

    def __post_init__(self) -> None:
        self.rack_start_near = any("rack-focus" in s.moves for s in self.segments)

    def camera_at(self, t: float) -> Cam:
        fr = self.framing
        c = replace(fr.base)
        d = fr.distance
        w, h = fr.width, fr.height
        dyaw = dpitch = 0.0
        zoom = 1.0
        look_at = False
        focus_near = 1.0 if self.rack_start_near else 0.0
        active: list[str] = []
        for seg in self.segments:
            if t < seg.start:
                break
            length = seg.end - seg.start
            local = t - seg.start
            u = ease(local / length)
            k = seg.speed
            live = t < seg.end or seg is self.segments[-1]
            if live:
                active = list(seg.moves)
            for move in seg.moves:
                if move == "pan":
                    dyaw += (ease(local / length) - 0.5) * 0.55 * (w / c.f_px) * k
                elif move == "tilt":
                    dpitch += (u - 0.5) * 0.5 * (h / c.f_px) * k
                elif move == "dolly-in":
                    c.z += 0.42 * d * u * min(k, 1.4)
                elif move == "dolly-out":
                    c.z -= 0.9 * d * u * k
                elif move == "truck":
                    c.x += (u - 0.5) * 0.5 * w * d / c.f_px * k
                elif move == "pedestal":
                    c.y += (u - 0.3) * 0.45 * fr.span * k
                elif move == "crane":
                    c.y += u * max(1.5, 0.9 * fr.span) * k
                    c.z -= u * 0.25 * d * k
                    look_at = True
                elif move == "orbit":
                    theta = (u - 0.5) * math.radians(50) * k
                    c.x += d * math.sin(theta)
                    c.z += d * (1 - math.cos(theta))
                    look_at = True
                elif move == "tracking":
                    travel = 1.6 * k * local if live else 1.6 * k * length
                    c.subject_dx += travel
                    c.x += travel
                    if live:
                        c.walk = local * 1.5 * k
                elif move == "steadicam":
                    c.z += 0.22 * d * u * k
                    if live:
                        c.x += math.sin(local * 0.9 + 1.3) * 0.04 * d
                        dyaw += math.sin(local * 0.6) * 0.012
                        c.roll += math.sin(local * 0.7 + 0.4) * 0.008
                elif move == "handheld":
                    if live:
                        env = min(1.0, local / 0.3)
                        amp = 0.8 + 0.4 * k
                        dyaw += self._noise(t, 0) * 0.006 * amp * env
                        dpitch += self._noise(t, 1) * 0.005 * amp * env
                        c.roll += self._noise(t, 2) * 0.006 * amp * env
                elif move == "whip-pan":
                    dur = min(0.45, max(0.2, length * 0.3)) / k ** 0.5
                    start = min(0.25, length * 0.15)
                    v = (local - start) / dur
                    dyaw += ease_in(v) * math.radians(75) if v < 1 else math.radians(75)
                    if live and 0 < v < 1:
                        # angular speed in px per frame at 24 fps, shaped by the ease
                        speed = 3 * v * v * math.radians(75) / dur * c.f_px / 24
                        c.motion_blur_px = max(c.motion_blur_px, speed)
                elif move == "crash-zoom":
                    dur = min(0.4, max(0.18, length * 0.25)) / k ** 0.5
                    start = min(0.3, length * 0.15)
                    v = (local - start) / dur
                    amount = ease_in(v) if v < 1 else 1.0
                    zoom *= 1 + 2.2 * amount
                    # crash in on the face (people) or the middle of the object
                    target_y = fr.subject_height * (0.93 if fr.human else 0.5)
                    aim = math.atan((target_y - c.y) / max(0.05, d - c.z))
                    dpitch += (aim - fr.base.pitch) * amount
                    if live and 0 < v < 1:
                        c.zoom_blur = max(c.zoom_blur, 3 * v * v * 0.4)
                elif move == "dolly-zoom":
                    travel = 0.5 * d * u * min(k, 1.5)
                    c.z += travel
                    zoom *= (d - travel) / d
                elif move == "rack-focus":
                    target = 0.0 if focus_near > 0.5 else 1.0
                    focus_near = focus_near + (target - focus_near) * u
        if look_at:
            dz = d - c.z
            c.yaw = math.atan2(c.subject_dx - c.x, dz)
            c.pitch = math.atan((fr.aim_y - c.y) / dz)
        c.yaw += dyaw
        c.pitch += dpitch
        c.f_px *= zoom
        c.f_mm *= zoom
        # focus: the subject, or the foreground plane (in diopters, so racks look even)
        subj = max(0.05, fr.distance - c.z)
        near = max(0.05, fr.near_depth - c.z)
        c.focus = 1.0 / (focus_near / near + (1 - focus_near) / subj)
        c.moves = tuple(active)
        return c

    def _noise(self, t: float, channel: int) -> float:
        """Deterministic smooth noise in -1..1: a few incommensurate sines, seeded per shot."""
        s = self.seed >> (channel * 8)
        total = 0.0
        for i, freq in enumerate((1.7, 3.1, 5.3, 8.9)):
            phase = ((s >> (i * 5)) & 31) / 31 * math.tau
            total += math.sin(t * freq * math.tau / 4 + phase) / (i + 1)
        return total / 1.6


def blur_radius(fr: Framing, cam: Cam, depth: float) -> float:
    """Depth-of-field blur radius in pixels for something ``depth`` metres from the camera."""
    depth = max(0.05, depth)
    f = cam.f_mm
    coc_mm = (f * f / fr.aperture) * abs(1.0 / cam.focus - 1.0 / depth) / 1000.0
    px = coc_mm * max(fr.width, fr.height) / 36.0
    radius = px * 0.5 * fr.dof_mult
    return min(radius, 0.03 * max(fr.width, fr.height))
