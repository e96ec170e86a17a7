"""The chosen takes in shot order as an OpenTimelineIO timeline, a CMX3600 EDL and FCP XML.

Each shot with a chosen take becomes a clip (media: ``takes/<shot>/<id>.mp4``, relative to
the bundle); a shot without one becomes a gap of the shot's duration, so the cut keeps the
brief's timing. The EDL and FCP XML are written by the OTIO adapters
(``cmx_3600`` from otio-cmx3600-adapter, ``fcpx_xml`` from otio-fcpx-xml-adapter).
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


def _rate(plan: ExportPlan) -> float:
    for take in plan.chosen.values():
        if take.fps and take.fps > 0:
            return float(round(take.fps, 3))
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
        }
        track.append(clip)
    return timeline


def timeline_files(timeline: otio.schema.Timeline) -> dict[str, bytes]:
    """{"timeline.otio": ..., "timeline.edl": ..., "timeline.fcpxml": ...}"""
    files = {"timeline.otio": otio.adapters.write_to_string(timeline, "otio_json")}
    files["timeline.edl"] = otio.adapters.write_to_string(timeline, EDL_ADAPTER)
    files["timeline.fcpxml"] = otio.adapters.write_to_string(timeline, FCPXML_ADAPTER)
    return {name: text.encode("utf-8") for name, text in files.items()}
