"""Results library core: ingest real MP4s, list/filter, tags, ratings, reviews, sidecars,
C2PA status, import, rebuild, lineage and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image

from studio import results
from studio.cli import main as cli_main
from studio.events import RESULT_ADDED, RESULT_CHANGED, Event, EventBus
from studio.project import load_project
from studio.results import records
from studio.results.xmp import NS_BSTUDIO, NS_DC, NS_RDF, NS_XMP, read_xmp
from studio.store import Store


def make_mp4(path: Path, color: tuple[int, int, int] = (200, 60, 30), frames: int = 6,
             size: tuple[int, int] = (64, 36), fps: int = 12) -> Path:
    """A real H.264 MP4: a few frames of solid colour."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        img = Image.new("RGB", size, color)
        for i in range(frames):
            frame = av.VideoFrame.from_image(img)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture
def project(sample_copy: Path) -> Path:
    Store.for_project(sample_copy).connect().close()
    return sample_copy


def _ingest(root: Path, tmp: Path, name: str, **kw: object) -> str:
    src = make_mp4(tmp / f"{name}.mp4", color=kw.pop("color", (10, 120, 200)))  # type: ignore[arg-type]
    kw.setdefault("shot_id", "s01")
    return results.ingest(root, src, **kw)  # type: ignore[arg-type]


def test_ingest_writes_take_thumb_sidecar_and_row(project: Path, tmp_path: Path) -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    src = make_mp4(tmp_path / "dl.mp4")
    rid = results.ingest(project, src, shot_id="s03", job_id="job-1", provider="previz",
                         model="animatic-1", prompt="Maya walks along the ridge at dawn",
                         params={"seconds": 4}, cost=0.0, cameos=["maya-okafor"], bus=bus)
    folder = project / "media" / rid
    assert (folder / "take.mp4").is_file()
    assert (folder / "thumb.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert (folder / "take.xmp").is_file()
    assert not src.exists(), "move=True removes the source once committed"
    assert not list((project / "media").glob(".*partial"))
    info = results.get_result(project, rid)
    assert info["shot"] == "s03" and info["job_id"] == "job-1"
    assert info["width"] == 64 and info["height"] == 36 and info["duration"] > 0
    assert info["codec"] == "h264" and info["has_audio"] is False
    assert len(info["sha256"]) == 64 and info["c2pa"] is None
    assert info["cameos"] == ["maya-okafor"] and info["consent_flag"] is None
    assert info["review"]["status"] == "pending" and info["rating"] == 0
    assert info["path"] == str(folder / "take.mp4")
    assert [e.kind for e in seen] == [RESULT_ADDED]
    assert seen[0].data["result_id"] == rid


def test_ingest_is_idempotent_per_job(project: Path, tmp_path: Path) -> None:
    first = _ingest(project, tmp_path, "a", job_id="job-7")
    again_src = make_mp4(tmp_path / "b.mp4")
    again = results.ingest(project, again_src, shot_id="s01", job_id="job-7")
    assert again == first
    assert again_src.exists(), "a repeated ingest touches nothing"
    assert len(list((project / "media").iterdir())) == 1


def test_ingest_copy_keeps_source_and_uses_given_thumbnail(project: Path, tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "keep.mp4")
    thumb = tmp_path / "t.jpg"
    shutil.copyfile(project / "references" / "palette.png", thumb)
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    with pytest.MonkeyPatch.context() as mp:
        if os.path.isdir("/proc/self/fd"):
            mp.setattr(os, "fsync", fsync)
        rid = results.ingest(project, src, shot_id=None, move=False, thumbnail_src=thumb)
    assert src.exists()
    assert (project / "media" / rid / "thumb.jpg").read_bytes() == thumb.read_bytes()
    if os.path.isdir("/proc/self/fd"):  # on disk before the result is committed
        assert "thumb.jpg" in synced


def test_non_video_is_refused_and_nothing_written(project: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video\n" * 50)
    with pytest.raises(results.ResultError, match="notes.mp4"):
        results.ingest(project, bogus, shot_id="s01")
    assert bogus.exists()
    assert not (project / "media").exists() or not any((project / "media").iterdir())
    assert results.list_results(project) == []


def test_truncated_video_is_refused(project: Path, tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "cut.mp4", frames=24)
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])
    with pytest.raises(results.ResultError, match="cut.mp4"):
        results.ingest(project, src, shot_id="s01")
    assert results.list_results(project) == []


def test_list_filter_tag_rate_review_roundtrip(project: Path, tmp_path: Path) -> None:
    a = _ingest(project, tmp_path, "a", prompt="Wide shot of the aurora over the ridge",
                provider="previz")
    b = _ingest(project, tmp_path, "b", shot_id="s02-lace-up", prompt="Close-up of Maya smiling",
                provider="openai")
    bus = EventBus()
    changed: list[Event] = []
    bus.subscribe(changed.append)
    assert results.set_tags(project, a, ["Hero ", "dawn", "hero"], bus=bus) == ["dawn", "hero"]
    assert results.add_tags(project, b, ["hero", "alt"]) == ["alt", "hero"]
    assert results.remove_tags(project, b, ["alt"]) == ["hero"]
    results.set_rating(project, a, 5, bus=bus)
    results.set_rating(project, b, -1)
    results.set_review(project, a, "approved", reviewer="Ines", note="the one", bus=bus)
    results.set_notes(project, b, "flicker in the sky, redo")
    assert [e.kind for e in changed] == [RESULT_CHANGED] * 3

    ids = lambda **kw: [r["id"] for r in results.list_results(project, **kw)]  # noqa: E731
    assert set(ids()) == {a, b}
    assert set(ids(tag="hero")) == {a, b}
    assert ids(tag=["hero", "dawn"]) == [a]
    assert ids(status="approved") == [a]
    assert ids(min_rating=1) == [a]
    assert ids(shot="s02-lace-up") == [b]
    assert ids(provider="openai") == [b]
    assert ids(text="aurora") == [a]
    assert ids(text="smil") == [b], "prefix search"
    assert ids(text="flicker") == [b], "notes are searched"
    assert ids(text="dawn") == [a], "tags are searched"
    assert ids(text='"aurora" -( *') == [a], "FTS syntax in the input is plain text"
    assert ids(order="rating") == [a, b]
    assert ids(limit=1, offset=1, order="rating") == [b]
    info = results.get_result(project, a)
    assert info["review"]["status"] == "approved" and info["review"]["reviewer"] == "Ines"
    assert info["review"]["note"] == "the one" and info["review"]["at"].endswith("Z")

    rec = read_xmp(project / "media" / a / "take.xmp")
    assert rec.tags == ["dawn", "hero"] and rec.rating == 5 and rec.review_status == "approved"
    assert rec.prompt.startswith("Wide shot") and rec.result_id == a and rec.shot_id == "s01"


@pytest.mark.parametrize("bad", [6, -2, "3.5", "x", True])
def test_bad_rating_is_refused(project: Path, tmp_path: Path, bad: object) -> None:
    rid = _ingest(project, tmp_path, "a")
    with pytest.raises(results.ResultError, match="rating"):
        results.set_rating(project, rid, bad)  # type: ignore[arg-type]
    assert results.get_result(project, rid)["rating"] == 0


def test_bad_review_status_tag_and_unknown_result(project: Path, tmp_path: Path) -> None:
    rid = _ingest(project, tmp_path, "a")
    with pytest.raises(results.ResultError, match="review status"):
        results.set_review(project, rid, "maybe")
    with pytest.raises(results.ResultError, match="empty"):
        results.add_tags(project, rid, ["  "])
    with pytest.raises(results.ResultError, match="rs-nope"):
        results.set_rating(project, "rs-nope", 3)
    results.set_review(project, rid, "changes requested")
    assert results.get_result(project, rid)["review"]["status"] == "changes_requested"


def test_sidecar_is_strict_xml_with_our_fields(project: Path, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    rid = _ingest(project, tmp_path, "a", prompt="Tom & Jerry <at> dawn", job_id="j1",
                  provider="previz", model="m", cameos=["maya-okafor"], parent_id=None)
    results.set_tags(project, rid, ["hero", "b-roll"])
    results.set_rating(project, rid, 4)
    text = (project / "media" / rid / "take.xmp").read_text(encoding="utf-8")
    assert text.startswith("<?xpacket begin=")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    desc = root.find(f"{{{NS_RDF}}}RDF/{{{NS_RDF}}}Description")
    assert desc is not None
    assert desc.findtext(f"{{{NS_XMP}}}Rating") == "4"
    assert desc.findtext(f"{{{NS_XMP}}}CreatorTool").startswith("Brief Studio ")
    bag = desc.find(f"{{{NS_DC}}}subject/{{{NS_RDF}}}Bag")
    assert [li.text for li in bag] == ["b-roll", "hero"]
    alt = desc.find(f"{{{NS_DC}}}description/{{{NS_RDF}}}Alt/{{{NS_RDF}}}li")
    assert alt.text == "Tom & Jerry <at> dawn"
    assert desc.findtext(f"{{{NS_BSTUDIO}}}ResultID") == rid
    assert desc.findtext(f"{{{NS_BSTUDIO}}}JobID") == "j1"
    assert "ModelReleaseID" in text and "maya-okafor" in text


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_reads_tags_and_rating(project: Path, tmp_path: Path) -> None:
    rid = _ingest(project, tmp_path, "a", prompt="aurora", cameos=["maya-okafor"])
    results.set_tags(project, rid, ["hero", "night sky"])
    results.set_rating(project, rid, 3)
    out = subprocess.run(
        ["exiftool", "-j", "-XMP:all", str(project / "media" / rid / "take.xmp")],
        capture_output=True, text=True, check=True, timeout=60,
    )
    data = json.loads(out.stdout)[0]
    assert data["Subject"] == ["hero", "night sky"]
    assert data["Rating"] == 3
    assert data["Description"] == "aurora"
    assert data["CreatorTool"].startswith("Brief Studio")
    assert data["ModelReleaseID"] == "maya-okafor"
    assert data["ResultID"] == rid


def test_c2pa_status_for_broken_manifest(tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "plain.mp4")
    assert results.c2pa_summary(src) is None
    # a C2PA 'uuid' box (the C2PA UUID) whose JUMBF payload is garbage
    c2pa_uuid = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
    payload = b"\x00\x00\x00\x00" + b"c2pa\x00" + b"\x00" * 8 + b"\xde\xad\xbe\xef" * 64
    box = (8 + 16 + len(payload)).to_bytes(4, "big") + b"uuid" + c2pa_uuid + payload
    data = src.read_bytes()
    ftyp_len = int.from_bytes(data[:4], "big")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[:ftyp_len] + box + data[ftyp_len:])
    summary = results.c2pa_summary(broken)
    assert summary is not None
    assert summary["validation_state"] in ("unreadable", "Invalid")
    assert summary["issuer"] is None


def test_import_reads_sidecar_and_skips_duplicates(project: Path, tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "ext" / "clip.mp4", color=(0, 200, 0))
    (tmp_path / "ext" / "clip.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:Rating="4"><dc:subject><rdf:Bag>'
        '<rdf:li>From Bridge</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF>'
        '</x:xmpmeta>', encoding="utf-8")
    bogus = tmp_path / "ext" / "readme.txt"
    bogus.write_text("hello")
    out = results.import_files(project, [clip, bogus, clip])
    assert out[0].result_id and out[0].error is None
    assert out[1].error and "readme.txt" in out[1].error and out[1].result_id is None
    assert out[2].duplicate and out[2].result_id == out[0].result_id
    info = results.get_result(project, out[0].result_id)
    assert info["imported"] is True and info["tags"] == ["from bridge"] and info["rating"] == 4
    assert clip.exists()
    assert len([p for p in (project / "media").iterdir()]) == 1


def test_rebuild_from_media_after_db_loss(project: Path, tmp_path: Path) -> None:
    a = _ingest(project, tmp_path, "a", prompt="ridge", job_id="job-a", provider="previz")
    b = _ingest(project, tmp_path, "b", parent_id=None)
    c = _ingest(project, tmp_path, "c", parent_id=a, prompt="ridge again")
    results.set_tags(project, a, ["hero"])
    results.set_rating(project, a, 5)
    results.set_review(project, b, "rejected", reviewer="Ines", note="soft focus")
    before = {r["id"]: r for r in results.list_results(project)}
    # a hostile sidecar on one take: the take still comes back, without metadata
    (project / "media" / b / "take.xmp").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    db = project / "studio.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"garbage, not a database" * 100)
    report = results.rebuild(project)
    assert report.moved_aside is not None and report.moved_aside.exists()
    assert sorted(report.restored) == sorted([a, b, c])
    assert any("unsafe" in p for p in report.problems)
    after = {r["id"]: r for r in results.list_results(project)}
    assert after[a]["tags"] == ["hero"] and after[a]["rating"] == 5
    assert after[a]["job_id"] == "job-a" and after[a]["provider"] == "previz"
    assert after[a]["sha256"] == before[a]["sha256"]
    assert after[c]["parent"] == a
    assert after[b]["review"]["status"] == "pending"
    assert [r["id"] for r in results.list_results(project, text="ridge")] != []
    # the queue's idempotency survives a rebuild
    assert results.ingest(project, make_mp4(tmp_path / "z.mp4"), shot_id="s01",
                          job_id="job-a") == a
    again = results.rebuild(project)
    assert again.restored == [] and again.kept == 3


def test_lineage_tree(project: Path, tmp_path: Path) -> None:
    a = _ingest(project, tmp_path, "a")
    b = _ingest(project, tmp_path, "b", parent_id=a)
    c = _ingest(project, tmp_path, "c", parent_id=b)
    d = _ingest(project, tmp_path, "d", parent_id=a)
    tree = results.lineage(project, c)
    assert tree["id"] == a
    assert [n["id"] for n in tree["children"]] == [b, d]
    assert tree["children"][0]["children"][0]["id"] == c


def test_selected_take_saved_in_brief(project: Path, tmp_path: Path) -> None:
    rid = _ingest(project, tmp_path, "a", shot_id="s02-lace-up")
    doc = load_project(project)
    results.set_selected_take(doc, "s02-lace-up", rid)
    assert load_project(project).project.shot("s02-lace-up").selected_take == rid
    with pytest.raises(results.ResultError, match="s02-lace-up"):
        results.set_selected_take(doc, "s01-ridge-dawn", rid)


def test_search_index_kept_in_step(project: Path, tmp_path: Path) -> None:
    rid = _ingest(project, tmp_path, "a", prompt="aurora")
    results.set_notes(project, rid, "needs colour grade")
    with sqlite3.connect(project / "studio.db") as conn:
        rows = conn.execute("SELECT count(*) FROM results_fts").fetchone()[0]
        assert rows == 1
    results.set_notes(project, rid, "")
    assert results.list_results(project, text="grade") == []


# -- CLI ---------------------------------------------------------------------------------


def test_cli_round_trip(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_mp4(tmp_path / "clip.mp4")
    assert cli_main(["results", "import", str(project), str(clip)]) == 0
    rid = capsys.readouterr().out.split()[1]
    assert rid.startswith("rs-")
    assert cli_main(["results", "tag", str(project), rid, "hero", "dawn"]) == 0
    assert cli_main(["results", "rate", str(project), rid, "4"]) == 0
    assert cli_main(["results", "review", str(project), rid, "approved", "--note", "nice",
                     "--reviewer", "Ines"]) == 0
    capsys.readouterr()
    assert cli_main(["results", "list", str(project), "--tag", "hero", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 1
    item = data[0]
    for key in ("id", "shot", "path", "thumbnail", "duration", "tags", "rating", "review",
                "c2pa", "provider", "model", "cost", "consent_flag", "created"):
        assert key in item
    assert item["tags"] == ["dawn", "hero"] and item["rating"] == 4
    assert item["review"]["status"] == "approved" and item["c2pa"] is None
    assert Path(item["path"]).is_file() and Path(item["thumbnail"]).is_file()
    assert cli_main(["results", "list", str(project), "--status", "rejected", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli_main(["results", "list", str(project)]) == 0
    assert rid in capsys.readouterr().out


def test_cli_errors(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "x.mov"
    bogus.write_bytes(b"\x00" * 100)
    assert cli_main(["results", "import", str(project), str(bogus)]) == 1
    assert "x.mov" in capsys.readouterr().err
    assert cli_main(["results", "rate", str(project), "rs-missing", "3"]) == 1
    assert "rs-missing" in capsys.readouterr().err
    rid = _ingest(project, tmp_path, "a")
    # out-of-range rating and unknown review status: usage errors (exit 2), as README says
    with pytest.raises(SystemExit) as exc:
        cli_main(["results", "rate", str(project), rid, "9"])
    assert exc.value.code == 2
    assert "-1 to 5" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli_main(["results", "review", str(project), rid, "meh"])
    assert exc.value.code == 2
    assert "review status" in capsys.readouterr().err
    assert cli_main(["results", "list", str(tmp_path / "nope")]) == 1


def test_cli_rebuild(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rid = _ingest(project, tmp_path, "a")
    for suffix in ("", "-wal", "-shm"):
        Path(str(project / "studio.db") + suffix).unlink(missing_ok=True)
    assert cli_main(["results", "rebuild", str(project)]) == 0
    assert "restored 1" in capsys.readouterr().out
    assert results.get_result(project, rid)["id"] == rid


def test_records_module_constants() -> None:
    assert records.REVIEW_STATUSES == ("pending", "approved", "rejected", "changes_requested")


# -- paging SQL (the library grid's queries) ---------------------------------------------


def _bulk(root: Path, n: int) -> list[tuple[str, float, int, list[str], str]]:
    """``n`` result rows written with SQL (no media): (id, created, rating, tags, prompt)."""
    import random

    from studio.results import search

    rng = random.Random(3)
    words = "aurora ridge dawn runner trail city rain neon summit".split()
    rows = []
    store = Store.for_project(root)
    with store.session() as conn, store.transaction(conn):
        for i in range(n):
            rid = f"rs-{i:06d}"
            created = 1.7e9 + rng.randrange(0, n // 3)  # ties on created_at on purpose
            rating = rng.randint(-1, 5)
            tags = sorted(rng.sample(["hero", "wide", "night", "b-roll"], rng.randint(0, 2)))
            prompt = " ".join(rng.choice(words) for _ in range(5))
            conn.execute(
                "INSERT INTO results (id, shot_id, path, sha256, size, prompt, created_at, "
                "rating) VALUES (?, 's01', ?, '0', 1, ?, ?, ?)",
                (rid, f"media/{rid}/take.mp4", prompt, created, rating))
            conn.executemany("INSERT INTO tags (result_id, tag) VALUES (?, ?)",
                             [(rid, t) for t in tags])
            rows.append((rid, created, rating, tags, prompt))
        search.rebuild(conn)
    return rows


def test_page_sql_pages_match_a_plain_sort(project: Path) -> None:
    rows = _bulk(project, 600)
    cases = [
        ({"tags": ["hero"]}, lambda r: "hero" in r[3]),
        ({"text": "aurora sum"}, lambda r: "aurora" in r[4].split() and "summit" in r[4]),
        ({"tags": ["night"], "min_rating": 2}, lambda r: "night" in r[3] and r[2] >= 2),
        ({}, lambda r: True),
    ]
    with Store.for_project(project).session() as conn:
        for kw, keep in cases:
            expected = [r[0] for r in sorted((r for r in rows if keep(r)),
                                             key=lambda r: (r[1], r[0]), reverse=True)]
            flt = records.ResultFilter(**kw)  # type: ignore[arg-type]
            got: list[str] = []
            for offset in range(0, 700, 97):  # odd page size: page edges fall on ties
                sql, params = flt.page_sql("r.id", 97, offset)
                got += [i for (i,) in conn.execute(sql, params)]
            assert got == expected, kw
            sql, params = flt.count_sql()
            assert conn.execute(sql, params).fetchone()[0] == len(expected)
    # list_results pages through the same SQL
    page2 = results.list_results(project, tag="hero", limit=10, offset=10)
    assert [r["id"] for r in page2] == [
        r[0] for r in sorted((r for r in rows if "hero" in r[3]),
                             key=lambda r: (r[1], r[0]), reverse=True)][10:20]


def test_page_sql_uses_covering_indexes(project: Path) -> None:
    """The plan that keeps a tag / text filter fast on 100,000 takes: the page is ordered
    from index entries (no table row read per match), without planner statistics."""
    _bulk(project, 50)
    with Store.for_project(project).session() as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
                            ).fetchone()[0] == 0

        def plan(**kw: object) -> str:
            sql, params = records.ResultFilter(**kw).page_sql("r.*", 240, 0)  # type: ignore[arg-type]
            return "\n".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))

        tag_plan = plan(tags=["hero"])
        assert "COVERING INDEX results_cover_id" in tag_plan
        assert "COVERING INDEX tags_tag_result" in tag_plan
        assert "COVERING INDEX results_cover_key" in plan(text="aurora")
        assert "COVERING INDEX results_cover_id" in plan(tags=["hero"], text="aurora",
                                                         min_rating=1, order="rating")
        assert "COVERING INDEX results_created_id" in plan()
