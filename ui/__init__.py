"""Brief Studio's PySide6 user interface. Imports the core (studio); never the reverse.

Two start-up measures live here because they must act before the app's modules are imported
(benchmarks/bench_startup.py, docs/performance.md "startup_ratio"):

* The garbage collector: until the first window has painted, importing the app (PySide6
  builds a Python enum class for each Qt enum it touches, pydantic builds the brief's
  schemas) creates ~65,000 objects the collector tracks, nearly all long-lived, and with the
  default threshold (700) the young-generation collector ran ~95 times over them before the
  first frame (≈ 15 ms). Importing ``ui`` raises that threshold; :func:`startup_done`
  (called by the main window after its first frame with the project, or 2 s after it was
  made; ui.main calls it at once for a CLI command, which has no window) freezes what
  start-up built (``gc.freeze()``, as ui.queue_bridge.calm_gc already does) and restores
  the default threshold. The price: a garbage cycle made during start-up is frozen with the
  rest and never freed.
* PySide6's import hook: for every module imported after PySide6 it asks whether the
  module's source mentions "PySide6" (for ``from __feature__ import …``), with
  ``inspect.getsource``, which decodes each file into the line cache: ≈ 15 ms (and a few
  MB) for the ~250 modules the window imports. :func:`quicken_pyside_import_checks` gives
  the same answer by reading the file's bytes (modules without a .py file still go to
  PySide's own check).
"""

from __future__ import annotations

import gc as _gc
import sys as _sys
from types import ModuleType

_STARTUP_THRESHOLD = 200_000
_default_threshold: tuple[int, int, int] | None = None

if _gc.isenabled() and 0 < _gc.get_threshold()[0] < _STARTUP_THRESHOLD:
    _default_threshold = _gc.get_threshold()
    _gc.set_threshold(_STARTUP_THRESHOLD, *_default_threshold[1:])


def startup_done(freeze: bool = True) -> None:
    """Start-up is over: freeze what it built (never scanned again by the collector) and
    restore the collector's default threshold. Idempotent. ``freeze=False`` (a CLI command,
    the queue worker: no window) only restores the threshold."""
    global _default_threshold
    if _default_threshold is None:
        return
    threshold, _default_threshold = _default_threshold, None
    if freeze:
        _gc.freeze()
    _gc.set_threshold(*threshold)


def quicken_pyside_import_checks() -> bool:
    """Once PySide6 is imported: make its per-module "does it use PySide6?" check read the
    source file's bytes instead of tokenizing it. Returns whether the check is (now) the
    quick one; False when this PySide6 has no such check (nothing to do)."""
    feature = _sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if getattr(original, "_brief_studio_quick", False):
        return True

    def _mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(original(module))

    _mod_uses_pyside._brief_studio_quick = True  # type: ignore[attr-defined]
    _mod_uses_pyside._original = original  # type: ignore[attr-defined]
    feature._mod_uses_pyside = _mod_uses_pyside  # type: ignore[attr-defined]
    return True


if "shibokensupport.feature" in _sys.modules:  # PySide6 came first (tests, benchmarks)
    quicken_pyside_import_checks()
