"""Plan and enqueue jobs: compile, fit, estimate cost, check consent and the budget.

:func:`plan` is what the confirmation dialog shows (no writes); :func:`enqueue` stores the
jobs — refused shots become ``blocked`` jobs that carry the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from studio.compiler import compile_shot
from studio.errors import QueueError
from studio.events import JOB_CHANGED, EventBus
from studio.model import Project, Shot, new_id
from studio.providers.fitting import Fit
from studio.providers.registry import fit_request, get_caps
from studio.queue import jobs as J
from studio.store import Store

log = logging.getLogger(__name__)


@dataclass
class PlannedJob:
    shot_id: str
    variant: int
    fit: Fit
    request: dict
    cameos: list[str]
    consent: list[str]                    # reasons consent refuses (empty: allowed)
    budget: str | None = None             # reason the budget refuses

    @property
    def blocked_reason(self) -> str | None:
        if self.consent:
            return "consent: " + "; ".join(self.consent)
        return self.budget

    @property
    def cost(self) -> float:
        return self.fit.cost


@dataclass
class Plan:
    provider: str
    items: list[PlannedJob] = field(default_factory=list)
    budget_usd: float | None = None
    spent_usd: float = 0.0

    @property
    def total(self) -> float:
        return round(sum(i.cost for i in self.items if not i.blocked_reason), 4)

    @property
    def blocked(self) -> list[PlannedJob]:
        return [i for i in self.items if i.blocked_reason]

    @property
    def changes(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for item in self.items:
            if item.fit.changes and item.shot_id not in out:
                out[item.shot_id] = item.fit.changes
        return out


def check_consent(root: Path, project: Project, shot: Shot, *, remix: bool = False) -> list[str]:
    """studio.consent.check_shot now, or a refusal if the consent module is unusable."""
    try:
        from studio.consent import check_shot
    except ImportError:
        if shot.cameos:
            return ["the consent ledger is unavailable, so no likeness may be sent"]
        return []
    return list(check_shot(root, project, shot, remix=remix))


def plan(root: Path, project: Project, shot_ids: Sequence[str] | None, provider: str,
         variants: int | None = None, model: str | None = None,
         names: dict[str, str] | None = None) -> Plan:
    """What queueing these shots would do (no writes)."""
    caps = get_caps(provider)
    model = model or caps.default_model
    shots = project.shots if shot_ids is None else [_shot(project, s) for s in shot_ids]
    if names is None:
        from studio.cli import cameo_names

        names = cameo_names(root)
    store = Store.for_project(root)
    with store.session() as conn:
        spent = J.committed_spend(conn)
    result = Plan(provider=provider, budget_usd=project.budget_usd, spent_usd=spent)
    running = spent
    for shot in shots:
        request = compile_shot(project, shot, names=names)
        fitted = fit_request(provider, request, model)
        consent = check_consent(root, project, shot)
        for variant in range(1, (variants or shot.variants) + 1):
            item = PlannedJob(
                shot_id=shot.id, variant=variant, fit=fitted,
                request={"request": request.model_dump(mode="json"), "params": fitted.params},
                cameos=list(shot.cameos), consent=consent)
            if not consent and project.budget_usd is not None:
                if running + fitted.cost > project.budget_usd + 1e-9:
                    item.budget = (f"budget: ${fitted.cost:.2f} would bring the project to "
                                   f"${running + fitted.cost:.2f}, over its "
                                   f"${project.budget_usd:.2f} cap (raise budget_usd in the "
                                   "brief or cancel other jobs)")
            if not item.blocked_reason:
                running += fitted.cost
            result.items.append(item)
    return result


def _shot(project: Project, shot_id: str) -> Shot:
    try:
        return project.shot(shot_id)
    except KeyError:
        raise QueueError(f"no shot {shot_id!r} in this project; shots: "
                         f"{', '.join(s.id for s in project.shots)}") from None


def enqueue(root: Path, the_plan: Plan, bus: EventBus | None = None,
            now: float | None = None) -> list[J.Job]:
    """Store the planned jobs (blocked ones with their reason); publish JOB_CHANGED."""
    now = time.time() if now is None else now
    store = Store.for_project(root)
    ids: list[str] = []
    with store.session() as conn:
        with store.transaction(conn):
            # the budget is re-checked inside the transaction: another process may have queued
            spent = J.committed_spend(conn)
            budget = the_plan.budget_usd
            for item in the_plan.items:
                reason = "consent: " + "; ".join(item.consent) if item.consent else None
                if reason is None and budget is not None and spent + item.cost > budget + 1e-9:
                    reason = item.budget or (
                        f"budget: ${item.cost:.2f} would bring the project to "
                        f"${spent + item.cost:.2f}, over its ${budget:.2f} cap")
                job_id = new_id("job")
                J.insert_job(
                    conn, job_id=job_id, shot_id=item.shot_id, provider=the_plan.provider,
                    model=item.fit.model, request=item.request, prompt=item.fit.params["prompt"],
                    changes=item.fit.changes, cameos=item.cameos, cost=item.cost,
                    status=J.BLOCKED if reason else J.QUEUED, error=reason,
                    variant=item.variant, now=now)
                if reason is None:
                    spent += item.cost
                ids.append(job_id)
        out = [J.get_job(conn, i) for i in ids]
    if bus is not None:
        for job in out:
            bus.publish(JOB_CHANGED, job_id=job.id, shot_id=job.shot_id, status=job.status,
                        progress=job.progress)
    log.info("queued %d job(s) on %s", len(out), the_plan.provider)
    return out
