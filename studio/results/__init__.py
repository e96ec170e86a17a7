"""The results library: takes, their review, sidecars, provenance and search.

Public API (the queue calls :func:`ingest`; the CLI and the Library page call the rest)::

    ingest(root, src, *, shot_id, job_id=None, ...) -> result id   (idempotent per job)
    list_results(root, *, tag, status, text, shot, provider, min_rating, since, until,
                 order, limit, offset) -> [result_dict]
    get_result / lineage / all_tags
    set_tags / add_tags / remove_tags / set_rating / set_review / set_notes
    set_selected_take(doc, shot_id, result_id) / check_selected_take
    import_files(root, files) / rebuild(root)
    result_dict(row)

Modules: ``records`` (rows and changes), ``xmp`` (sidecars), ``provenance`` (C2PA),
``search`` (FTS5), ``importer`` (import and rebuild).
"""

from studio.results.importer import ImportOutcome, RebuildReport, import_files, rebuild
from studio.results.provenance import c2pa_summary
from studio.results.records import (
    ORDERS,
    REVIEW_STATUSES,
    ResultError,
    ResultFilter,
    add_tags,
    all_tags,
    check_selected_take,
    get_result,
    ingest,
    lineage,
    list_results,
    normalize_tag,
    remove_tags,
    result_dict,
    set_notes,
    set_rating,
    set_review,
    set_selected_take,
    set_tags,
    write_sidecar,
)

__all__ = [
    "ORDERS", "REVIEW_STATUSES", "ImportOutcome", "RebuildReport", "ResultError",
    "ResultFilter", "add_tags", "all_tags", "c2pa_summary", "check_selected_take",
    "get_result", "import_files", "ingest", "lineage", "list_results", "normalize_tag",
    "rebuild", "remove_tags", "result_dict", "set_notes", "set_rating", "set_review",
    "set_selected_take", "set_tags", "write_sidecar",
]
