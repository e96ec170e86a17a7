"""Agency bundles: one verified zip with the brief, the chosen takes and the consent summary.

* :mod:`studio.bundle.export` — plan a selection (:func:`plan_export`) and write the zip
  (:func:`export_bundle`): streamed, ZIP64, takes stored, text deflated, sha256 on the way,
  temp name then rename; progress callback and cancel.
* :mod:`studio.bundle.verify` — :func:`verify_bundle` checks the manifest and every checksum.
* :mod:`studio.bundle.importer` — :func:`import_bundle`: hostile-input hardened import into a
  temp folder beside DEST, then one rename.
* :mod:`studio.bundle.pdf`, :mod:`studio.bundle.timeline`, :mod:`studio.bundle.shotlist` —
  brief.pdf, timeline.otio/.edl/.fcpxml and shotlist.csv (usable on their own).
"""

from studio.bundle.export import (
    ExportCancelled,
    ExportOptions,
    ExportPlan,
    ExportResult,
    TakeInfo,
    Withheld,
    export_bundle,
    plan_export,
    withheld_likeness,
)
from studio.bundle.importer import ImportResult, import_bundle
from studio.bundle.manifest import BUNDLE_FORMAT, BUNDLE_VERSION, Manifest, ManifestEntry
from studio.bundle.verify import VerifyReport, verify_bundle

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "ExportCancelled",
    "ExportOptions",
    "ExportPlan",
    "ExportResult",
    "ImportResult",
    "Manifest",
    "ManifestEntry",
    "TakeInfo",
    "VerifyReport",
    "Withheld",
    "export_bundle",
    "import_bundle",
    "plan_export",
    "verify_bundle",
    "withheld_likeness",
]
