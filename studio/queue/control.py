"""User actions on jobs from the CLI or the window: cancel, retry, decide, remove."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from studio.errors import ProviderError, QueueError
from studio.events import JOB_CHANGED, EventBus
from studio.queue import jobs as J
from studio.store import Store

log = logging.getLogger(__name__)


def _publish(bus: EventBus | None, job: J.Job) -> None:
    if bus is not None:
        bus.publish(JOB_CHANGED, job_id=job.id, shot_id=job.shot_id, status=job.status,
                    progress=job.progress, error=job.error, result_id=job.result_id)


def cancel_job(root: Path, job_ref: str, bus: EventBus | None = None) -> J.Job:
    """Mark a job cancelled. A running worker cancels it remotely; without one, do it here."""
    from studio.queue.lock import worker_running

    store = Store.for_project(root)
    with store.session() as conn:
        job = J.find_job(conn, job_ref)
        if job.status not in J.ACTIVE and job.status != J.BLOCKED:
            raise QueueError(f"job {job.id} is already {job.status}")
        if not J.transition(store, conn, job.id, (*J.ACTIVE, J.BLOCKED), J.CANCELLED,
                            "cancelled by the user", error="cancelled"):
            raise QueueError(f"job {job.id} finished before it could be cancelled")
        job = J.get_job(conn, job.id)
    _publish(bus, job)
    if job.remote_id and not worker_running(root):
        _remote_cancel(root, job)
    return job


def _remote_cancel(root: Path, job: J.Job) -> None:
    from studio.providers.registry import create_provider, get_caps

    try:
        caps = get_caps(job.provider)
    except ProviderError:
        return
    if caps.local or not caps.cancel:
        return

    async def go() -> None:
        import httpx

        async with httpx.AsyncClient(timeout=30) as client:
            await create_provider(job.provider, client).cancel(job.remote_id or "", job.remote)

    try:
        asyncio.run(go())
    except ProviderError as exc:
        log.warning("could not cancel %s on %s: %s", job.remote_id, job.provider, exc)


def retry_job(root: Path, job_ref: str, bus: EventBus | None = None) -> J.Job:
    """Put a failed/cancelled/blocked job back in the queue (consent and budget re-checked)."""
    from studio.project import load_project
    from studio.queue.enqueue import check_job_consent, check_references

    doc = load_project(root)
    store = Store.for_project(root)
    with store.session() as conn:
        job = J.find_job(conn, job_ref)
        held = job.status == J.QUEUED and (job.error or "").startswith("key rejected by ")
        if job.status not in (J.FAILED, J.CANCELLED, J.BLOCKED) and not held:
            raise QueueError(f"job {job.id} is {job.status}; only failed, cancelled or blocked "
                             "jobs (or jobs waiting for a rejected key) can be retried")
        reason = None
        try:
            shot = doc.project.shot(job.shot_id)
        except KeyError:
            raise QueueError(f"shot {job.shot_id} is no longer in the brief") from None
        consent = check_job_consent(root, doc.project, shot, job.kind, job.cameos)
        references = check_references(
            root, ((job.request or {}).get("params") or {}).get("references") or [])
        if consent:
            reason = "consent: " + "; ".join(consent)
        elif references:
            reason = references
        elif doc.project.budget_usd is not None:
            spent = J.committed_spend(conn, exclude=job.id)
            if spent + job.cost_estimate > doc.project.budget_usd + 1e-9:
                reason = (f"budget: ${job.cost_estimate:.2f} more would pass the project's "
                          f"${doc.project.budget_usd:.2f} cap")
        # A result this job already has (ingested before it was cancelled or failed) keeps
        # its job_id: that is its provenance (take.xmp, bundles), and it stays in the library.
        # Ingest is idempotent per job *and take* (remote id), so the retry's new take
        # becomes a new result, which the job then points at.
        previous = f" (previous remote id {job.remote_id})" if job.remote_id else ""
        if reason:
            J.transition(store, conn, job.id, (job.status,), J.BLOCKED, reason, error=reason)
        else:
            J.transition(store, conn, job.id, (job.status,), J.QUEUED, "retry" + previous,
                         error=None, remote_id=None, remote_json=None, result_id=None,
                         needs_decision=0, progress=0.0, attempts=0, next_poll_at=None,
                         finished_at=None, expires_at=None, submitted_at=None)
        job = J.get_job(conn, job.id)
    _publish(bus, job)
    return job


def decide_job(root: Path, job_ref: str, *, resend: bool, bus: EventBus | None = None) -> J.Job:
    store = Store.for_project(root)
    with store.session() as conn:
        job = J.find_job(conn, job_ref)
        if not job.needs_decision:
            raise QueueError(f"job {job.id} is not waiting for a decision")
        if resend:
            J.transition(store, conn, job.id, (J.SUBMITTING,), J.QUEUED,
                         "user chose to send again", needs_decision=0, error=None)
        else:
            J.transition(store, conn, job.id, (J.SUBMITTING,), J.FAILED, "abandoned by the user",
                         needs_decision=0,
                         error=(f"abandoned: {job.provider} may have made this video anyway; "
                                "check its dashboard"))
        job = J.get_job(conn, job.id)
    _publish(bus, job)
    return job


def remove(root: Path, job_ref: str, bus: EventBus | None = None) -> None:
    store = Store.for_project(root)
    with store.session() as conn:
        job = J.find_job(conn, job_ref)
        J.remove_job(store, conn, job.id)
    if bus is not None:
        bus.publish(JOB_CHANGED, job_id=job.id, shot_id=job.shot_id, status="removed",
                    progress=0.0, error=None, result_id=None)
