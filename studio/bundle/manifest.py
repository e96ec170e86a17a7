"""manifest.json: what a bundle holds, with the size and sha256 of every entry.

The manifest lists every entry of the zip except itself (a file cannot carry its own
checksum). :func:`verify_bundle` therefore checks manifest.json by its zip CRC-32 and its
structure, and prints its sha256 so that it can be compared with the value the exporter
printed (or sent along out of band) for tamper evidence.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from studio.errors import BundleError

BUNDLE_FORMAT = "brief-studio-bundle"
BUNDLE_VERSION = 1
MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_PATH_CHARS = 512
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

ROLES = (
    "project", "cameo", "consent-summary", "reference", "evidence", "take", "thumbnail",
    "xmp", "brief-pdf", "shotlist", "timeline", "provenance", "readme",
)


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    size: int
    sha256: str
    role: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "role": self.role}


@dataclass
class Manifest:
    project_id: str
    project_name: str
    app_version: str
    created: str
    entries: list[ManifestEntry] = field(default_factory=list)
    format: str = BUNDLE_FORMAT
    version: int = BUNDLE_VERSION
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "version": self.version,
            "project": {"id": self.project_id, "name": self.project_name},
            "app_version": self.app_version,
            "created": self.created,
            "options": self.options,
            "entries": [e.to_json() for e in self.entries],
        }

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def by_path(self) -> dict[str, ManifestEntry]:
        return {e.path: e for e in self.entries}


def check_member_name(name: str) -> str | None:
    """Why ``name`` is not an acceptable bundle path, or None if it is.

    Accepted: relative POSIX paths of plain, printable components; no ``..`` or ``.``, no
    empty components, no backslashes, no drive letters, no control characters.
    """
    if not name:
        return "empty name"
    if len(name) > MAX_PATH_CHARS:
        return f"name longer than {MAX_PATH_CHARS} characters"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if "\\" in name:
        return "backslash in path"
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return "control character in name"
    parts = name.split("/")
    if any(p == ".." for p in parts):
        return "'..' in path"
    if any(p in ("", ".") for p in parts):
        return "empty or '.' path component (or a folder entry)"
    if any(p != p.strip() or p.endswith(".") for p in parts):
        return "path component with leading/trailing space or trailing dot"
    return None


def fold(name: str) -> str:
    """The key under which two names collide on a case-insensitive file system."""
    return unicodedata.normalize("NFC", name).casefold()


def parse_manifest(raw: bytes) -> Manifest:
    """Parse and validate manifest.json; :class:`BundleError` says what is wrong."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise BundleError(f"{MANIFEST_NAME}: too large ({len(raw)} bytes)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{MANIFEST_NAME}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BundleError(f"{MANIFEST_NAME}: must be a JSON object")
    if data.get("format") != BUNDLE_FORMAT:
        raise BundleError(
            f"{MANIFEST_NAME}: not a Brief Studio bundle (format {data.get('format')!r}, "
            f"expected {BUNDLE_FORMAT!r})"
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError(f"{MANIFEST_NAME}: version must be a positive whole number")
    if version > BUNDLE_VERSION:
        raise BundleError(
            f"{MANIFEST_NAME}: bundle version {version} was written by a newer Brief Studio "
            f"(this one reads up to {BUNDLE_VERSION})"
        )
    project = data.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("id"), str) \
            or not isinstance(project.get("name"), str):
        raise BundleError(f"{MANIFEST_NAME}: 'project' must hold an id and a name")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        raise BundleError(f"{MANIFEST_NAME}: 'entries' must be a list")
    entries: list[ManifestEntry] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(raw_entries):
        where = f"{MANIFEST_NAME}: entries[{i}]"
        if not isinstance(item, dict):
            raise BundleError(f"{where}: must be an object")
        path, size, digest, role = (item.get(k) for k in ("path", "size", "sha256", "role"))
        if not isinstance(path, str):
            raise BundleError(f"{where}: path must be text")
        problem = check_member_name(path)
        if problem:
            raise BundleError(f"{where} {path!r}: {problem}")
        if path == MANIFEST_NAME:
            raise BundleError(f"{where}: the manifest cannot list itself")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BundleError(f"{where} {path!r}: size must be a whole number ≥ 0")
        if not isinstance(digest, str) or not SHA256_RE.match(digest):
            raise BundleError(f"{where} {path!r}: sha256 must be 64 lowercase hex digits")
        if not isinstance(role, str) or not role:
            raise BundleError(f"{where} {path!r}: role must be text")
        key = fold(path)
        if key in seen:
            raise BundleError(f"{where} {path!r}: collides with {seen[key]!r}")
        seen[key] = path
        entries.append(ManifestEntry(path, size, digest, role))
    return Manifest(
        project_id=project["id"], project_name=project["name"],
        app_version=str(data.get("app_version", "")), created=str(data.get("created", "")),
        entries=entries, version=version,
        options=data.get("options") if isinstance(data.get("options"), dict) else {},
    )
