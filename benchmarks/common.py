"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import resource
import sys
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def entry(value: float, unit: str, target: float, ok: bool, **extra: Any) -> dict[str, Any]:  # noqa: ANN401
    out = {"value": round(value, 3), "unit": unit, "target": target, "ok": bool(ok)}
    out.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    out.update(extra)
    return out


def emit(results: dict[str, dict[str, Any]], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(results) + "\n")
    else:
        for name, e in results.items():
            sys.stdout.write(f"{name}: {e['value']} {e['unit']} (target {e['target']}, "
                             f"{'ok' if e['ok'] else 'MISSED'}, peak {e.get('peak_rss_mb')} MB)\n")
