"""Cameos and consent: records, enforcement before every send, revocation, audit log.

The API other parts call::

    check_shot(root, project, shot, now=None, *, remix=False) -> list[str]   # the gate
    shown_cameos(root, project, shot) -> set[str]       # who a shot shows (listed, character,
                                                        # likeness reference)
    appearances(root, project, cameo_id) -> list[Appearance]  # shots showing a cameo, how,
                                                              # and whether they speak
    take_consent(root, cameos, shot_id) -> (cameos, reasons)   # ingest and bundle re-check
    shot_consent_problems(root, project, shot)                               # for cards
    revoke(root, cameo_id, reason, actor, bus=None) -> RevokeReport
    load_cameos(root) -> list[CameoEntry]
    consent_status(root, cameo_id, now=None) -> str
    consent_summary(root, project, *, include_private=False) -> list[dict]   # bundle
    cameo_states(root, now=None) -> list[CameoState]                         # UI list
    save_cameo / confirm / attach_file / audit / expiring

Modules: :mod:`.model` (the pydantic record), :mod:`.ledger` (hash-chained audit log),
:mod:`.records` (files and status), :mod:`.enforce` (gate and changes), :mod:`.lint`
(linter rules).
"""

from studio.consent.enforce import (
    AuditResult,
    RevokeReport,
    attach_file,
    audit,
    cameo_states,
    check_cameos,
    check_shot,
    confirm,
    consent_status,
    consent_summary,
    default_actor,
    expiring,
    load_cameos,
    revoke,
    save_cameo,
    scope_problems,
    shot_consent_problems,
    shots_showing,
    take_consent,
)
from studio.consent.ledger import AuditEvent, ChainReport, Ledger, verify_chain
from studio.consent.model import (
    CAMEO_SCHEMA_VERSION,
    METHOD_LABELS,
    Cameo,
    Contact,
    Grants,
    Guardian,
    Restrictions,
    Revocation,
    Signature,
    Verification,
    VerificationMethod,
    canonical_json,
    content_sha256,
)
from studio.consent.records import (
    EXPIRING_DAYS,
    STATUSES,
    CameoEntry,
    CameoState,
    ensure_ledger,
    read_cameo,
    state_of,
)
from studio.consent.shown import Appearance, appearances, shown_cameos, shown_via

__all__ = [
    "CAMEO_SCHEMA_VERSION", "EXPIRING_DAYS", "METHOD_LABELS", "STATUSES",
    "Appearance", "AuditEvent", "AuditResult", "Cameo", "CameoEntry", "CameoState", "ChainReport",
    "Contact", "Grants", "Guardian", "Ledger", "Restrictions", "Revocation", "RevokeReport",
    "Signature", "Verification", "VerificationMethod",
    "appearances", "attach_file", "audit", "cameo_states", "canonical_json", "check_cameos", "check_shot",
    "confirm", "ensure_ledger", "shown_cameos", "shown_via", "take_consent",
    "consent_status", "consent_summary", "content_sha256", "default_actor", "expiring",
    "load_cameos", "read_cameo", "revoke", "save_cameo", "scope_problems",
    "shot_consent_problems", "shots_showing", "state_of", "verify_chain",
]
