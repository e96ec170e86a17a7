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
