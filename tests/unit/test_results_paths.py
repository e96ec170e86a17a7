"""`studio results list`: absolute paths whatever PROJECT looks like, and missing takes shown."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_results import make_mp4

from studio import results
from studio.cli import main as cli_main
from studio.store import Store


@pytest.fixture
def project(sample_copy: Path, tmp_path: Path) -> Path:
    Store.for_project(sample_copy).connect().close()
    return sample_copy


def _two_takes(project: Path, tmp_path: Path) -> tuple[str, str]:
    a = results.ingest(project, make_mp4(tmp_path / "a.mp4"), shot_id="s01-ridge-dawn")
    b = results.ingest(project, make_mp4(tmp_path / "b.mp4", color=(0, 200, 0)),
                       shot_id="s02-lace-up")
    return a, b


def test_relative_project_gives_absolute_paths(project: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = _two_takes(project, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rel = os.path.relpath(project, elsewhere)  # "../aurora-launch"
    assert not Path(rel).is_absolute()
    assert cli_main(["results", "list", rel, "--json"]) == 0
    items = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    take = items[a]
    for key in ("path", "thumbnail"):
        assert Path(take[key]).is_absolute(), take[key]
        assert ".." not in Path(take[key]).parts
        assert Path(take[key]).is_file()
    assert Path(take["path"]) == (project / "media" / a / "take.mp4").resolve()
    assert take["missing"] is False
    # the API gives the same absolute form
    assert results.list_results(Path(rel))[0]["path"].startswith(str(project.resolve()))
    assert results.get_result(Path(rel), a)["path"] == take["path"]


def test_missing_take_is_flagged_in_json_and_text(project: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _two_takes(project, tmp_path)
    (project / "media" / a / "take.mp4").unlink()
    assert cli_main(["results", "list", str(project), "--json"]) == 0
    items = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert items[a]["missing"] is True
    assert items[b]["missing"] is False
    assert cli_main(["results", "list", str(project)]) == 0
    lines = capsys.readouterr().out.splitlines()
    line_a = next(line for line in lines if line.startswith(a))
    line_b = next(line for line in lines if line.startswith(b))
    assert "MISSING: no file at " in line_a
    assert str((project / "media" / a / "take.mp4").resolve()) in line_a
    assert "MISSING" not in line_b
    # without a root the file cannot be checked: missing is null, paths stay relative
    with Store.for_project(project).session() as conn:
        row = conn.execute("SELECT * FROM results WHERE id = ?", (a,)).fetchone()
    plain = results.result_dict(row)
    assert plain["missing"] is None
    assert plain["path"] == f"media/{a}/take.mp4"
