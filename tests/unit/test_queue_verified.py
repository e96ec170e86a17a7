"""The engine's verification of a download is handed to ingest only for the same file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.queue.engine import _MediaProblem, _verify
from tests.unit.test_media import write_clip


def test_the_probe_goes_with_the_file_renamed_not_rewritten(tmp_path: Path) -> None:
    part = write_clip(tmp_path / "job.mp4.part", frames=12, fmt="mp4")
    verified = _verify(part, tmp_path / "job.jpg")
    assert (tmp_path / "job.jpg").is_file()
    final = tmp_path / "job.mp4"
    os.replace(part, final)
    probe = verified.probe_of(final)
    assert probe is not None
    assert probe.frames == 12
    # rewritten after the verification (same name, new bytes): ingest must decode it again
    write_clip(tmp_path / "other.mp4", frames=12)
    os.replace(tmp_path / "other.mp4", final)
    assert verified.probe_of(final) is None
    final.unlink()
    assert verified.probe_of(final) is None


def test_a_bad_download_is_a_media_problem(tmp_path: Path) -> None:
    bad = tmp_path / "job.mp4.part"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(_MediaProblem):
        _verify(bad, tmp_path / "job.jpg")
    assert not (tmp_path / "job.jpg").exists()
