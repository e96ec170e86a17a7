"""XMP sidecars: render/parse round trip, and hostile or corrupt input gives a clear status."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.results.xmp import MAX_SIDECAR_BYTES, XmpError, XmpRecord, parse_xmp, read_xmp, \
    render_xmp, write_xmp

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>&lol4;</rdf:li>
</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>&secret;</rdf:li>
</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_round_trip_all_fields(tmp_path: Path) -> None:
    rec = XmpRecord(result_id="rs-1", job_id="jb-1", shot_id="s01", provider="openai",
                    model="sora-2", remote_id="video_1", parent_id="rs-0", prompt="a & b <c>",
                    tags=["hero", "night sky"], rating=-1, review_status="rejected",
                    reviewer="Ines", review_note="soft", reviewed_at=1_700_000_100.0,
                    notes="line1\nline2", cameos=["maya-okafor"], consent_flag="revoked",
                    cost=0.4, imported=True, created_at=1_700_000_000.0, sha256="ab" * 32)
    path = tmp_path / "take.xmp"
    write_xmp(path, rec)
    back = read_xmp(path)
    assert back == rec
    ET.fromstring(path.read_bytes())  # a strict parser accepts it


_TEXT = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")


@settings(max_examples=40, deadline=None)
@given(prompt=st.text(_TEXT, max_size=200),
       tags=st.lists(st.text(_TEXT, min_size=1, max_size=20).map(str.strip).filter(bool),
                     max_size=5, unique=True),
       rating=st.integers(-1, 5))
def test_round_trip_any_text(prompt: str, tags: list[str], rating: int) -> None:
    rec = XmpRecord(result_id="rs-1", prompt=prompt, tags=tags, rating=rating)
    back = parse_xmp(render_xmp(rec).encode("utf-8"))
    assert back.rating == rating
    assert back.prompt == prompt
    assert back.tags == list(dict.fromkeys(tags))


def test_bridge_style_attributes() -> None:
    data = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
            b'02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/'
            b'xap/1.0/" xmp:Rating="2" xmp:CreateDate="2026-01-02T03:04:05+01:00"/></rdf:RDF>'
            b'</x:xmpmeta>')
    rec = parse_xmp(data)
    assert rec.rating == 2 and rec.created_at == 1767319445.0


@pytest.mark.parametrize(("data", "match"), [
    (BILLION_LAUGHS, "unsafe"),
    (EXTERNAL_ENTITY, "unsafe"),
    (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", "not a readable"),
    (b"\xff\xfe\x00garbage", "not a readable"),
    (b"<root/>", "no rdf:Description"),
])
def test_hostile_or_corrupt_sidecar_is_a_clear_status(tmp_path: Path, data: bytes,
                                                        match: str) -> None:
    path = tmp_path / "take.xmp"
    path.write_bytes(data)
    with pytest.raises(XmpError, match=match) as info:
        read_xmp(path)
    assert str(path) in str(info.value)
    assert "root:" not in str(info.value), "no file content leaks into the message"


def test_huge_sidecar_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "take.xmp"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB (sparse)
    with pytest.raises(XmpError, match="50.0 MiB is over the 1 MiB"):
        read_xmp(path)
    with pytest.raises(XmpError, match="over the"):
        parse_xmp(b" " * (MAX_SIDECAR_BYTES + 1))


def test_out_of_range_rating_is_ignored() -> None:
    rec = parse_xmp(render_xmp(XmpRecord(rating=3)).encode().replace(
        b"<xmp:Rating>3</xmp:Rating>", b"<xmp:Rating>99</xmp:Rating>"))
    assert rec.rating == 0


def test_missing_sidecar(tmp_path: Path) -> None:
    with pytest.raises(XmpError, match="cannot read"):
        read_xmp(tmp_path / "nope.xmp")
