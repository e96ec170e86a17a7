"""Review status survives a re-import and a rebuild; one spelling rule and exit code 2 for
bad values across `studio results` (reviewer gaps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_results import make_mp4

from studio import results
from studio.cli import main as cli_main
from studio.results.xmp import read_xmp
from studio.store import Store


@pytest.fixture
def project(sample_copy: Path) -> Path:
    Store.for_project(sample_copy).connect().close()
    return sample_copy


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli_main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _import(capsys: pytest.CaptureFixture[str], root: Path, clip: Path) -> str:
    code, out, err = _cli(capsys, "results", "import", str(root), str(clip))
    assert code == 0, err
    return out.split()[1]


@pytest.mark.parametrize("status", ["approved", "rejected", "changes-requested"])
def test_review_survives_reimport_into_another_project(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        status: str) -> None:
    rid = _import(capsys, project, make_mp4(tmp_path / "clip.mp4"))
    code, _, err = _cli(capsys, "results", "review", str(project), rid, status,
                        "--reviewer", "Ines", "--note", "tighter on the ridge")
    assert code == 0, err
    stored = status.replace("-", "_")
    sidecar = project / "media" / rid / "take.xmp"
    assert read_xmp(sidecar).review_status == stored
    before = results.get_result(project, rid)["review"]
    # the take folder (take.mp4 + take.xmp) imported into another project
    other = tmp_path / "other"
    other.mkdir()
    (other / "project.yaml").write_bytes((project / "project.yaml").read_bytes())
    new = _import(capsys, other, project / "media" / rid / "take.mp4")
    after = results.get_result(other, new)["review"]
    assert after == before
    assert after["status"] == stored
    assert after["reviewer"] == "Ines"
    assert after["note"] == "tighter on the ridge"
    assert after["at"]
    # and its own sidecar carries the review on
    assert read_xmp(other / "media" / new / "take.xmp").review_status == stored
    code, out, _ = _cli(capsys, "results", "list", str(other), "--status", status, "--json")
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == [new]


def test_review_survives_rebuild_from_sidecars(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rid = _import(capsys, project, make_mp4(tmp_path / "clip.mp4"))
    results.set_review(project, rid, "changes requested", reviewer="Ines", note="warmer")
    before = results.get_result(project, rid)["review"]
    for suffix in ("", "-wal", "-shm"):
        Path(str(project / "studio.db") + suffix).unlink(missing_ok=True)
    code, out, err = _cli(capsys, "results", "rebuild", str(project))
    assert code == 0, err
    assert results.get_result(project, rid)["review"] == before


def test_sidecar_written_by_another_tool_with_hyphen_or_case(
        project: Path, tmp_path: Path) -> None:
    rid = results.ingest(project, make_mp4(tmp_path / "a.mp4"), shot_id="s01-ridge-dawn")
    sidecar = project / "media" / rid / "take.xmp"
    results.set_review(project, rid, "approved", reviewer="Ines")
    text = sidecar.read_text().replace(">approved<", ">Changes-Requested<")
    sidecar.write_text(text)
    for suffix in ("", "-wal", "-shm"):
        Path(str(project / "studio.db") + suffix).unlink(missing_ok=True)
    results.rebuild(project)
    assert results.get_result(project, rid)["review"]["status"] == "changes_requested"


def test_status_spellings_are_the_same_in_review_and_list(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rid = _import(capsys, project, make_mp4(tmp_path / "clip.mp4"))
    for spelling in ("changes-requested", "changes_requested", "Changes-Requested"):
        code, out, err = _cli(capsys, "results", "review", str(project), rid, spelling)
        assert code == 0, err
        assert out.strip() == f"{rid}: changes_requested"
        code, out, err = _cli(capsys, "results", "list", str(project), "--status", spelling,
                              "--json")
        assert code == 0, err
        assert [r["id"] for r in json.loads(out)] == [rid]
    assert results.list_results(project, status="changes-requested")[0]["id"] == rid


@pytest.mark.parametrize("argv", [
    ("rate", "RID", "6"), ("rate", "RID", "-2"), ("rate", "RID", "three"),
    ("review", "RID", "maybe"), ("list", "--status", "maybe"),
    ("list", "--min-rating", "7"),
])
def test_bad_values_are_usage_errors_exit_2(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        argv: tuple[str, ...]) -> None:
    rid = _import(capsys, project, make_mp4(tmp_path / "clip.mp4"))
    action, *rest = (a.replace("RID", rid) for a in argv)
    code, _, err = _cli(capsys, "results", action, str(project), *rest)
    assert code == 2
    assert "usage:" in err
    assert results.get_result(project, rid)["rating"] == 0
    assert results.get_result(project, rid)["review"]["status"] == "pending"
