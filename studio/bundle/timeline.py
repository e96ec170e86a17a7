"""The chosen takes in shot order as an OpenTimelineIO timeline, a CMX3600 EDL and FCP XML.

Each shot with a chosen take becomes a clip (media: ``takes/<shot>/<id>.mp4``, relative to
the bundle); a shot without one becomes a gap of the shot's duration, so the cut keeps the
brief's timing. The EDL and FCP XML are written by the OTIO adapters
(``cmx_3600`` from otio-cmx3600-adapter, ``fcpx_xml`` from otio-fcpx-xml-adapter).

The timeline's rate must be one every writer supports: SMPTE timecode (the EDL; OTIO refuses
12, 15 or 16 fps) and the FCP XML writer's frame-duration table (24, 25, 30, 50, 60, 23.98,
29.97, 59.94). It is the first chosen take's rate when that is one of those (an NTSC
23.976 take gives 23.98), else the smallest standard rate that is a whole multiple of it
(12 -> 24, 15 -> 30), else the nearest integer standard rate (16 -> 24, 48 -> 50). Every
clip's length is expressed in the timeline's rate (a 25 fps take in a 24 fps cut keeps its
seconds); the take's own rate is kept in the clip's ``brief_studio`` metadata as ``fps``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import opentimelineio as otio

if TYPE_CHECKING:
    from studio.bundle.export import ExportPlan

log = logging.getLogger(__name__)

DEFAULT_RATE = 24.0
EDL_ADAPTER = "cmx_3600"
FCPXML_ADAPTER = "fcpx_xml"


# the rates every writer accepts: SMPTE timecode (OTIO, the EDL) and the FCP XML writer's
# frameDuration table (which knows NTSC rates only as 23.98, 29.97 and 59.94, and no 48)
INTEGER_RATES = (24.0, 25.0, 30.0, 50.0, 60.0)
NTSC_RATES = (23.98, 29.97, 59.94)
STANDARD_RATES = INTEGER_RATES + NTSC_RATES


def timeline_rate(fps: float | None) -> float:
    """A rate every timeline writer accepts for a take's frame rate (see the module doc)."""
    if not fps or not fps > 0 or fps == float("inf"):  # None, 0, negative, NaN, inf
        return DEFAULT_RATE
    for standard in STANDARD_RATES:
        if abs(fps - standard) < 0.01:  # 24000/1001 is 23.976...: the writers' 23.98
            return standard
    for standard in INTEGER_RATES:  # 12 -> 24, 15 -> 30, 10 -> 30, 20 -> 60: frames stay whole
        multiple = standard / fps
        if abs(multiple - round(multiple)) < 1e-6:
            return standard
    return min(INTEGER_RATES, key=lambda standard: (abs(standard - fps), standard))


def _rate(plan: ExportPlan) -> float:
    for take in plan.chosen.values():
        if take.fps and take.fps > 0:
            return timeline_rate(take.fps)
    return DEFAULT_RATE


def build_timeline(plan: ExportPlan) -> otio.schema.Timeline:
    project = plan.doc.project
    rate = _rate(plan)
    timeline = otio.schema.Timeline(name=project.name)
    timeline.global_start_time = otio.opentime.RationalTime(0, rate)
    timeline.metadata["brief_studio"] = {"project_id": project.id}
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for shot in project.shots:
        take = plan.chosen.get(shot.id)
        if take is None:
            frames = round(shot.duration * rate)
            gap = otio.schema.Gap(
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(frames, rate)
                )
            )
            gap.metadata["brief_studio"] = {"shot": shot.id, "title": shot.title}
            track.append(gap)
            continue
        seconds = take.duration if take.duration and take.duration > 0 else shot.duration
        frames = max(1, round(seconds * rate))
        available = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(frames, rate)
        )
        ref = otio.schema.ExternalReference(target_url=take.bundle_path(),
                                            available_range=available)
        ref.name = take.id
        clip = otio.schema.Clip(name=f"{shot.id} {take.id}", media_reference=ref,
                                source_range=available)
        clip.metadata["brief_studio"] = {
            "shot": shot.id, "title": shot.title, "take": take.id,
            "review_status": take.review_status,
            "fps": (round(take.fps, 3) if take.fps and take.fps > 0 else None),
        }
        track.append(clip)
    return timeline


def timeline_files(timeline: otio.schema.Timeline) -> dict[str, bytes]:
    """{"timeline.otio": ..., "timeline.edl": ..., "timeline.fcpxml": ...}"""
    files = {"timeline.otio": otio.adapters.write_to_string(timeline, "otio_json")}
    files["timeline.edl"] = otio.adapters.write_to_string(timeline, EDL_ADAPTER)
    files["timeline.fcpxml"] = otio.adapters.write_to_string(timeline, FCPXML_ADAPTER)
    return {name: text.encode("utf-8") for name, text in files.items()}
