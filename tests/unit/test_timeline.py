"""The timeline of chosen takes: OTIO, CMX3600 EDL and FCP XML, each read back."""

from __future__ import annotations

import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest
from test_bundle_support import populate

from studio.bundle import export_bundle, plan_export
from studio.bundle.timeline import build_timeline, timeline_files


@pytest.fixture
def files(sample_copy: Path, tmp_path: Path) -> dict[str, Path]:
    populate(sample_copy)
    out = tmp_path / "b.zip"
    export_bundle(sample_copy, out)
    paths = {}
    with zipfile.ZipFile(out) as zf:
        for name in ("timeline.otio", "timeline.edl", "timeline.fcpxml"):
            paths[name] = tmp_path / name
            paths[name].write_bytes(zf.read(name))
    return paths


EXPECTED = [  # (shot, take, seconds) in shot order; s04 and s06 have no chosen take
    ("s01-ridge-dawn", "r-s01a", 1.5), ("s02-lace-up", "r-s02b", 1.0),
    ("s03-maya-stride", "r-s03a", 2.0), ("s05-packshot", "r-s05a", 1.0),
]


def _clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    return list(timeline.find_clips())


def test_otio_reads_back(files: dict[str, Path]) -> None:
    timeline = otio.adapters.read_from_file(str(files["timeline.otio"]))
    clips = _clips(timeline)
    assert [(c.metadata["brief_studio"]["shot"], c.metadata["brief_studio"]["take"],
             c.duration().to_seconds()) for c in clips] == EXPECTED
    assert clips[2].media_reference.target_url == "takes/s03-maya-stride/r-s03a.mp4"
    track = timeline.tracks[0]
    gaps = [item for item in track if isinstance(item, otio.schema.Gap)]
    assert [g.duration().to_seconds() for g in gaps] == [6.0, 5.0]  # s04, s06 keep their time
    assert timeline.duration().to_seconds() == pytest.approx(1.5 + 1 + 2 + 6 + 1 + 5)


def test_edl_reads_back(files: dict[str, Path]) -> None:
    timeline = otio.adapters.read_from_file(str(files["timeline.edl"]), adapter_name="cmx_3600",
                                            rate=24)
    clips = _clips(timeline)
    assert [c.duration().to_seconds() for c in clips] == [e[2] for e in EXPECTED]
    assert [c.name for c in clips] == [f"{s} {t}" for s, t, _ in EXPECTED]
    # the packshot starts after the 6 s gap left for s04
    start = clips[3].range_in_parent().start_time.to_seconds()
    assert start == pytest.approx(1.5 + 1 + 2 + 6)


def test_fcpxml_reads_back(files: dict[str, Path]) -> None:
    result = otio.adapters.read_from_file(str(files["timeline.fcpxml"]),
                                          adapter_name="fcpx_xml")
    timelines = (list(result.find_children(descended_from_type=otio.schema.Timeline))
                 if isinstance(result, otio.schema.SerializableCollection) else [result])
    assert timelines
    clips = _clips(timelines[0])
    assert [round(c.duration().to_seconds(), 3) for c in clips] == [e[2] for e in EXPECTED]
    assert [c.name for c in clips] == [f"{s} {t}" for s, t, _ in EXPECTED]


def test_timeline_without_takes_is_all_gaps(sample_copy: Path) -> None:
    timeline = build_timeline(plan_export(sample_copy))
    assert _clips(timeline) == []
    assert timeline.duration().to_seconds() == pytest.approx(33.0)
    assert set(timeline_files(timeline)) == {"timeline.otio", "timeline.edl", "timeline.fcpxml"}


def _read_all(out: Path, tmp_path: Path, rate: float) -> dict[str, otio.schema.Timeline]:
    timelines = {}
    with zipfile.ZipFile(out) as zf:
        for name in ("timeline.otio", "timeline.edl", "timeline.fcpxml"):
            (tmp_path / name).write_bytes(zf.read(name))
    timelines["otio"] = otio.adapters.read_from_file(str(tmp_path / "timeline.otio"))
    timelines["edl"] = otio.adapters.read_from_file(str(tmp_path / "timeline.edl"),
                                                    adapter_name="cmx_3600", rate=rate)
    result = otio.adapters.read_from_file(str(tmp_path / "timeline.fcpxml"),
                                          adapter_name="fcpx_xml")
    timelines["fcpxml"] = (
        next(iter(result.find_children(descended_from_type=otio.schema.Timeline)))
        if isinstance(result, otio.schema.SerializableCollection) else result)
    return timelines


@pytest.mark.parametrize("first_fps", [12, 15, 16])
def test_non_smpte_and_mixed_rates_export(sample_copy: Path, tmp_path: Path,
                                          first_fps: int) -> None:
    """A 12/15/16 fps take (not a SMPTE rate) next to a 25 fps one: every writer accepts
    the timeline and every clip keeps its length (in the timeline's standard rate)."""
    from test_bundle_support import add_take

    from studio.cli import main

    add_take(sample_copy, "s01-ridge-dawn", "r-slow", review_status="approved",
             seconds=1.5, fps=first_fps)
    add_take(sample_copy, "s02-lace-up", "r-pal", review_status="approved", seconds=2.0,
             fps=25, color_index=2)
    timeline = build_timeline(plan_export(sample_copy))
    rate = timeline.global_start_time.rate
    assert otio.opentime.to_timecode(otio.opentime.RationalTime(1, rate), rate)  # SMPTE-valid
    out = tmp_path / "mixed.zip"
    assert main(["export", str(sample_copy), "-o", str(out)]) == 0
    for kind, read in _read_all(out, tmp_path, rate).items():
        clips = _clips(read)
        assert len(clips) == 2, kind
        assert [round(c.duration().to_seconds(), 2) for c in clips] == [1.5, 2.0], kind
    native = [c.metadata["brief_studio"].get("fps")
              for c in _clips(_read_all(out, tmp_path, rate)["otio"])]
    assert native == [first_fps, 25]


@pytest.mark.parametrize("fps", [7.5, 8, 10, 12, 15, 16, 20, 23.976, 24000 / 1001, 24, 25,
                                 29.97, 30000 / 1001, 30, 48, 50, 59.94, 60, 90, 120, None, 0])
def test_timeline_rate_is_accepted_by_every_writer(fps: float | None) -> None:
    from otio_fcpx_xml_adapter.fcpx_xml import FcpxOtio

    from studio.bundle.timeline import timeline_rate

    rate = timeline_rate(fps)
    assert otio.opentime.to_timecode(otio.opentime.RationalTime(1, rate), rate)
    assert FcpxOtio._framerate_to_frame_duration(rate)
    if fps in (24, 25, 30, 50, 60):
        assert rate == fps
