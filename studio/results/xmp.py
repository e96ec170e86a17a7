"""XMP sidecars beside each take (``media/<id>/take.xmp``).

Written on every change so Bridge, Lightroom, exiftool and other DAM tools see the tags
(``dc:subject``), rating (``xmp:Rating``, −1 reject … 5), the prompt (``dc:description``)
and the model-release ids of the real people shown (PLUS / IPTC Extension). Everything
Brief Studio needs to rebuild its index lives in our own namespace (``bstudio:``).

Reading is defensive: sidecars come from disk and from other people's tools. We parse with
defusedxml (no DTDs, no entities, no external references), refuse files over
:data:`MAX_SIDECAR_BYTES`, and turn every failure into :class:`XmpError` with a one-line
reason — never a crash, never a half-read record.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from studio import APP_NAME, __version__
from studio.errors import StudioError
from studio.yamlio import atomic_write

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_SIDECAR_BYTES = MIB  # a real sidecar is a few KiB

NS_X = "adobe:ns:meta/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
NS_PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
NS_BSTUDIO = "https://briefstudio.app/ns/1.0/"
NS_XML = "http://www.w3.org/XML/1998/namespace"

# PLUS model-release status vocabulary (IPTC Photo Metadata, "Model Release Status")
MR_NOT_APPLICABLE = "http://ns.useplus.org/ldf/vocab/MR-NAP"
MR_LIMITED = "http://ns.useplus.org/ldf/vocab/MR-LMR"
MR_NONE = "http://ns.useplus.org/ldf/vocab/MR-NON"

CREATOR_TOOL = f"{APP_NAME} {__version__}"

# bstudio: simple text properties <-> XmpRecord attribute names
_TEXT_FIELDS = {
    "ResultID": "result_id",
    "JobID": "job_id",
    "ShotID": "shot_id",
    "Provider": "provider",
    "Model": "model",
    "RemoteID": "remote_id",
    "ParentID": "parent_id",
    "ReviewStatus": "review_status",
    "Reviewer": "reviewer",
    "ReviewNote": "review_note",
    "Notes": "notes",
    "ConsentFlag": "consent_flag",
    "Sha256": "sha256",
}


class XmpError(StudioError):
    """A sidecar that cannot be used (too big, hostile, corrupt). ``str()`` says why."""


@dataclass
class XmpRecord:
    """What a sidecar carries. Unknown / missing fields stay at their defaults."""

    result_id: str | None = None
    job_id: str | None = None
    shot_id: str | None = None
    provider: str | None = None
    model: str | None = None
    remote_id: str | None = None
    parent_id: str | None = None
    prompt: str = ""
    tags: list[str] = field(default_factory=list)
    rating: int = 0
    review_status: str = "pending"
    reviewer: str | None = None
    review_note: str | None = None
    reviewed_at: float | None = None
    notes: str = ""
    cameos: list[str] = field(default_factory=list)
    consent_flag: str | None = None
    cost: float | None = None
    imported: bool = False
    created_at: float | None = None
    sha256: str | None = None


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_iso(text: str) -> float | None:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters other than tab/newline)."""
    return "".join(
        ch for ch in text
        if ch in "\t\n\r" or (0x20 <= ord(ch) <= 0xD7FF) or (0xE000 <= ord(ch) <= 0xFFFD)
        or 0x10000 <= ord(ch) <= 0x10FFFF
    )


def _simple(prefix: str, name: str, value: object, indent: str) -> str:
    return f"{indent}<{prefix}:{name}>{escape(_clean(str(value)))}</{prefix}:{name}>\n"


def _bag(prefix: str, name: str, items: list[str], indent: str) -> str:
    lis = "".join(f"{indent}  <rdf:li>{escape(_clean(i))}</rdf:li>\n" for i in items)
    return f"{indent}<{prefix}:{name}>\n{indent} <rdf:Bag>\n{lis}{indent} </rdf:Bag>\n{indent}</{prefix}:{name}>\n"


def render_xmp(rec: XmpRecord) -> str:
    """The sidecar text: one XMP packet, UTF-8, with a writable padding tail."""
    ind = "   "
    body = ""
    body += _simple("xmp", "CreatorTool", CREATOR_TOOL, ind)
    created = _iso(rec.created_at)
    if created:
        body += _simple("xmp", "CreateDate", created, ind)
        body += _simple("xmp", "MetadataDate", _iso(datetime.now(UTC).timestamp()), ind)
    body += _simple("xmp", "Rating", int(rec.rating), ind)
    if rec.tags:
        body += _bag("dc", "subject", rec.tags, ind)
    if rec.prompt:
        body += (
            f"{ind}<dc:description>\n{ind} <rdf:Alt>\n"
            f"{ind}  <rdf:li xml:lang=\"x-default\">{escape(_clean(rec.prompt))}</rdf:li>\n"
            f"{ind} </rdf:Alt>\n{ind}</dc:description>\n"
        )
    if rec.cameos:
        status = MR_NONE if rec.consent_flag else MR_LIMITED
        body += _simple("plus", "ModelReleaseStatus", status, ind)
        body += _bag("plus", "ModelReleaseID", rec.cameos, ind)
        body += _bag("bstudio", "Cameos", rec.cameos, ind)
    else:
        body += _simple("plus", "ModelReleaseStatus", MR_NOT_APPLICABLE, ind)
    for prop, attr in _TEXT_FIELDS.items():
        value = getattr(rec, attr)
        if value not in (None, ""):
            body += _simple("bstudio", prop, value, ind)
    if rec.reviewed_at is not None:
        body += _simple("bstudio", "ReviewDate", _iso(rec.reviewed_at), ind)
    if rec.cost is not None and math.isfinite(rec.cost):
        body += _simple("bstudio", "Cost", f"{rec.cost:.4f}", ind)
    body += _simple("bstudio", "Imported", "True" if rec.imported else "False", ind)
    head = (
        "<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
        f"<x:xmpmeta xmlns:x=\"{NS_X}\" x:xmptk={quoteattr(CREATOR_TOOL)}>\n"
        f" <rdf:RDF xmlns:rdf=\"{NS_RDF}\">\n"
        "  <rdf:Description rdf:about=\"\"\n"
        f"    xmlns:dc=\"{NS_DC}\"\n"
        f"    xmlns:xmp=\"{NS_XMP}\"\n"
        f"    xmlns:Iptc4xmpExt=\"{NS_IPTC_EXT}\"\n"
        f"    xmlns:plus=\"{NS_PLUS}\"\n"
        f"    xmlns:bstudio=\"{NS_BSTUDIO}\">\n"
    )
    tail = "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
    padding = (" " * 99 + "\n") * 20  # room for in-place edits by other tools
    return head + body + tail + padding + "<?xpacket end=\"w\"?>\n"


def write_xmp(path: Path, rec: XmpRecord) -> None:
    """Write the sidecar atomically (temp + fsync + rename)."""
    atomic_write(Path(path), render_xmp(rec))


# -- reading ---------------------------------------------------------------------------


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _prop(desc: Element, ns: str, name: str) -> Element | str | None:
    """A property given as an attribute (Bridge style) or a child element."""
    attr = desc.get(_q(ns, name))
    if attr is not None:
        return attr
    return desc.find(_q(ns, name))


def _text(value: Element | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    # a simple property, or an rdf:Alt (take the x-default / first entry)
    alt = value.find(_q(NS_RDF, "Alt"))
    if alt is not None:
        items = alt.findall(_q(NS_RDF, "li"))
        for li in items:
            if li.get(_q(NS_XML, "lang")) == "x-default":
                return li.text or ""
        return (items[0].text or "") if items else None
    return value.text or ""


def _list(value: Element | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    out: list[str] = []
    for container in ("Bag", "Seq", "Alt"):
        node = value.find(_q(NS_RDF, container))
        if node is not None:
            out.extend((li.text or "").strip() for li in node.findall(_q(NS_RDF, "li")))
    return [v for v in out if v]


def parse_xmp(data: bytes, *, source: str = "sidecar") -> XmpRecord:
    """Parse sidecar bytes safely. Raises :class:`XmpError` naming ``source``."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise XmpError(
            f"{source}: {len(data) / MIB:.1f} MiB is over the {MAX_SIDECAR_BYTES / MIB:.0f} MiB "
            "limit for an XMP sidecar; ignored"
        )
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except DefusedXmlException as exc:
        raise XmpError(
            f"{source}: refused an unsafe XMP sidecar ({type(exc).__name__}: DTDs, entities "
            "and external references are not allowed); ignored"
        ) from None
    except (ParseError, ValueError, UnicodeError) as exc:
        raise XmpError(f"{source}: not a readable XMP sidecar ({exc}); ignored") from None
    descs = list(root.iter(_q(NS_RDF, "Description")))
    if not descs:
        raise XmpError(f"{source}: no rdf:Description in this XMP sidecar; ignored")
    rec = XmpRecord()
    problems: list[str] = []
    for desc in descs:
        _read_description(desc, rec, problems)
    for problem in problems:
        log.warning("%s: %s", source, problem)
    return rec


def _read_description(desc: Element, rec: XmpRecord, problems: list[str]) -> None:
    for prop, attr in _TEXT_FIELDS.items():
        value = _text(_prop(desc, NS_BSTUDIO, prop))
        if value is not None and value.strip():
            setattr(rec, attr, value.strip() if attr not in ("notes", "review_note") else value)
    tags = _list(_prop(desc, NS_DC, "subject"))
    if tags:
        rec.tags = list(dict.fromkeys(tags))
    prompt = _text(_prop(desc, NS_DC, "description"))
    if prompt:
        rec.prompt = prompt
    rating = _text(_prop(desc, NS_XMP, "Rating"))
    if rating is not None and rating.strip():
        try:
            value = round(float(rating))
        except ValueError:
            problems.append(f"xmp:Rating {rating!r} is not a number; ignored")
        else:
            if -1 <= value <= 5:
                rec.rating = value
            else:
                problems.append(f"xmp:Rating {rating!r} is outside -1…5; ignored")
    created = _text(_prop(desc, NS_XMP, "CreateDate"))
    if created:
        rec.created_at = _parse_iso(created) or rec.created_at
    reviewed = _text(_prop(desc, NS_BSTUDIO, "ReviewDate"))
    if reviewed:
        rec.reviewed_at = _parse_iso(reviewed)
    cameos = _list(_prop(desc, NS_PLUS, "ModelReleaseID")) or _list(
        _prop(desc, NS_BSTUDIO, "Cameos"))
    if cameos:
        rec.cameos = cameos
    cost = _text(_prop(desc, NS_BSTUDIO, "Cost"))
    if cost:
        try:
            rec.cost = float(cost)
        except ValueError:
            problems.append(f"bstudio:Cost {cost!r} is not a number; ignored")
    imported = _text(_prop(desc, NS_BSTUDIO, "Imported"))
    if imported:
        rec.imported = imported.strip().lower() in ("true", "1", "yes")


def read_xmp(path: Path) -> XmpRecord:
    """Read a sidecar from disk (size checked before reading). Raises :class:`XmpError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            raise XmpError(
                f"{path}: {size / MIB:.1f} MiB is over the {MAX_SIDECAR_BYTES / MIB:.0f} MiB "
                "limit for an XMP sidecar; ignored"
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        raise XmpError(f"{path}: cannot read the XMP sidecar ({exc.strerror or exc})") from None
    return parse_xmp(data, source=str(path))
