"""C2PA summary of a take (c2pa-python).

``c2pa_summary(path)`` is ``None`` for a file without a manifest, otherwise a small dict:
``{"issuer", "claim_generator", "validation_state", "error"}``. ``validation_state`` is the
SDK's (``Valid``, ``Trusted``, ``Invalid``) or ``"unreadable"`` when the manifest is there but
cannot be read (a broken JUMBF box, an unsupported layout). A failure never raises: the
library still opens and shows the status.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

UNREADABLE = "unreadable"
MAX_ERROR_CHARS = 300


def _claim_generator(manifest: dict[str, Any]) -> str | None:
    gen = manifest.get("claim_generator")
    if isinstance(gen, str) and gen:
        return gen
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name = str(info[0].get("name", ""))
        version = info[0].get("version")
        return f"{name} {version}".strip() if version else name or None
    return None


def c2pa_summary(path: Path) -> dict[str, Any] | None:
    """Summarise the C2PA manifest embedded in ``path`` (see module docstring)."""
    try:
        import c2pa
    except ImportError as exc:  # packaging problem; say so instead of failing ingest
        log.warning("c2pa-python is not available: %s", exc)
        return {"issuer": None, "claim_generator": None, "validation_state": UNREADABLE,
                "error": "c2pa-python is not installed"}
    try:
        reader = c2pa.Reader.try_create(str(path))
    except Exception as exc:  # noqa: BLE001 - native SDK: every failure becomes a status
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.info("C2PA manifest in %s is unreadable: %s", path, message)
        return {"issuer": None, "claim_generator": None, "validation_state": UNREADABLE,
                "error": f"{type(exc).__name__}: {message}"[:MAX_ERROR_CHARS]}
    if reader is None:
        return None
    try:
        with reader:
            manifest = reader.get_active_manifest() or {}
            state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
    except Exception as exc:  # noqa: BLE001 - as above
        return {"issuer": None, "claim_generator": None, "validation_state": UNREADABLE,
                "error": f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]}
    signature = manifest.get("signature_info") or {}
    error = None
    failures = (results.get("activeManifest") or {}).get("failure") if isinstance(
        results, dict) else None
    if failures:
        error = "; ".join(str(f.get("code", "")) for f in failures if isinstance(f, dict))
    return {
        "issuer": signature.get("issuer") or signature.get("common_name"),
        "claim_generator": _claim_generator(manifest),
        "validation_state": state or "Unknown",
        "error": error[:MAX_ERROR_CHARS] if error else None,
    }
