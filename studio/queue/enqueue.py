"""Plan and enqueue jobs: compile, fit, estimate cost, check consent and the budget.

:func:`plan` is what the confirmation dialog shows (no writes); :func:`enqueue` stores the
jobs — refused shots become ``blocked`` jobs that carry the reason.

Three kinds of job (``jobs.kind``):

* ``generate`` — a new take of a shot from its compiled brief (``plan(..., shot_ids)``);
  "Variations" in the library is one more generate job of the take's shot.
* ``remix`` — a new take made from a finished take with a new prompt (OpenAI
  ``POST /videos/{id}/remix``); same size and length as the parent.
* ``extend`` — the finished take continued by ``seconds`` more (OpenAI
  ``POST /videos/extensions``).

A remix or extend (``plan(..., kind=..., parent_result_id=..., prompt=...)``) is offered
only where the parent take's provider model has the capability (resources/providers.yaml
``remix``/``extend``) and the take has a remote id there (:func:`derivations` says why
not). Its consent check runs with ``remix=True`` for every cameo the parent take shows (and
the shot's), here and again by the engine right before the request
(:func:`check_job_consent`). The new result's ``parent_id`` is the parent take.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.compiler import compile_shot
from studio.errors import ProviderError, QueueError
from studio.events import JOB_CHANGED, EventBus
from studio.model import Project, Shot, new_id
from studio.providers.base import ModelCaps, ProviderCaps
from studio.providers.fitting import Fit
from studio.providers.registry import fit_request, get_caps
from studio.queue import jobs as J
from studio.refpaths import reference_problem
from studio.store import Store

log = logging.getLogger(__name__)

GENERATE, REMIX, EXTEND = "generate", "remix", "extend"
KINDS = (GENERATE, REMIX, EXTEND)
DERIVED = (REMIX, EXTEND)


@dataclass
class PlannedJob:
    shot_id: str
    variant: int
    fit: Fit
    request: dict
    cameos: list[str]
    consent: list[str]                    # reasons consent refuses (empty: allowed)
    budget: str | None = None             # reason the budget refuses
    kind: str = GENERATE                  # generate | remix | extend
    parent_result_id: str | None = None   # the take a remix/extend starts from
    reference: str | None = None          # reason a reference image may not be sent

    @property
    def blocked_reason(self) -> str | None:
        if self.consent:
            return "consent: " + "; ".join(self.consent)
        return self.reference or self.budget

    @property
    def cost(self) -> float:
        return self.fit.cost


@dataclass
class Plan:
    provider: str
    items: list[PlannedJob] = field(default_factory=list)
    budget_usd: float | None = None
    spent_usd: float = 0.0
    kind: str = GENERATE
    parent_result_id: str | None = None

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


def check_job_consent(root: Path, project: Project, shot: Shot, kind: str = GENERATE,
                      cameos: Sequence[str] = ()) -> list[str]:
    """The consent gate for one job of ``kind`` (the engine calls it before every request).

    Every job checks the cameos recorded on it (``cameos``: what the shot showed when it was
    queued, and for a remix/extend the parent take's) together with everyone the shot shows
    now (studio.consent.shown_cameos) — removing a cameo from the brief after queueing does
    not let the job through. A remix or extend checks with ``remix=True``.
    """
    shown = list(dict.fromkeys([*cameos, *shot.cameos]))
    return check_consent(root, project, shot.model_copy(update={"cameos": shown}),
                         remix=kind in DERIVED)


def check_references(root: Path, references: Sequence[str]) -> str | None:
    """Why a job may not send these reference images (one outside the project folder,
    see :mod:`studio.refpaths`), or None."""
    problems = [p for rel in references if (p := reference_problem(root, rel)) is not None]
    if not problems:
        return None
    return ("reference: " + "; ".join(problems)
            + " (fix the path in the brief; nothing outside the project is sent)")


def shown_cameos(root: Path, project: Project, shot: Shot) -> list[str]:
    """The cameos a job of this shot shows (stored on the job; revocation blocks by it)."""
    try:
        from studio.consent import shown_cameos as shown
    except ImportError:
        return list(shot.cameos)
    return list(dict.fromkeys([*shot.cameos, *sorted(shown(root, project, shot))]))


def plan(root: Path, project: Project, shot_ids: Sequence[str] | None, provider: str | None,
         variants: int | None = None, model: str | None = None,
         names: dict[str, str] | None = None, *, kind: str = GENERATE,
         parent_result_id: str | None = None, prompt: str | None = None,
         seconds: float | None = None) -> Plan:
    """What queueing these shots would do (no writes).

    For ``kind`` remix/extend give ``parent_result_id`` and ``prompt`` (and, for extend,
    ``seconds``); ``shot_ids``, ``provider`` and ``model`` then come from the parent take
    (a different provider raises :class:`QueueError`).
    """
    if kind not in KINDS:
        raise QueueError(f"unknown job kind {kind!r}; kinds: {', '.join(KINDS)}")
    if kind in DERIVED:
        if not parent_result_id:
            raise QueueError(f"a {kind} needs the take it starts from (parent_result_id)")
        return _plan_derived(root, project, kind, parent_result_id, prompt or "", provider,
                             seconds, variants)
    if parent_result_id is not None:
        raise QueueError("a generate job starts from the brief, not from a take "
                         "(use kind='remix' or 'extend')")
    if not provider:
        raise QueueError("say which provider to queue on")
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
        request = compile_shot(project, shot, names=names, root=root)
        fitted = fit_request(provider, request, model)
        consent = check_consent(root, project, shot)
        reference = check_references(root, fitted.params.get("references") or [])
        for variant in range(1, (variants or shot.variants) + 1):
            item = PlannedJob(
                shot_id=shot.id, variant=variant, fit=fitted,
                request={"request": request.model_dump(mode="json"), "params": fitted.params},
                cameos=shown_cameos(root, project, shot), consent=consent, reference=reference)
            if not consent and not reference and project.budget_usd is not None:
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
                reason = ("consent: " + "; ".join(item.consent) if item.consent
                          else item.reference)
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
                    variant=item.variant, kind=item.kind,
                    parent_result_id=item.parent_result_id, now=now)
                if reason is None:
                    spent += item.cost
                ids.append(job_id)
        out = [J.get_job(conn, i) for i in ids]
    if bus is not None:
        for job in out:
            bus.publish(JOB_CHANGED, job_id=job.id, shot_id=job.shot_id, status=job.status,
                        progress=job.progress)
    log.info("queued %d %s job(s) on %s", len(out), the_plan.kind, the_plan.provider)
    return out


# -- remix / extend from a take ------------------------------------------------------------


@dataclass(frozen=True)
class ParentTake:
    """What a remix/extend needs to know about the take it starts from."""

    id: str
    shot_id: str | None
    provider: str | None
    model: str | None
    remote_id: str | None
    cameos: list[str]
    params: dict[str, Any]
    duration: float | None
    width: int | None
    height: int | None
    imported: bool

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> ParentTake:
        """From a :func:`studio.results.records.result_dict` (``studio results list --json``)."""
        return cls(id=str(info["id"]), shot_id=info.get("shot"), provider=info.get("provider"),
                   model=info.get("model"), remote_id=info.get("remote_id"),
                   cameos=list(info.get("cameos") or []), params=dict(info.get("params") or {}),
                   duration=info.get("duration"), width=info.get("width"),
                   height=info.get("height"), imported=bool(info.get("imported")))

    @property
    def size(self) -> str | None:
        size = self.params.get("size")
        if isinstance(size, str) and "x" in size:
            return size
        if self.width and self.height:
            return f"{self.width}x{self.height}"
        return None


def load_parent(root: Path, result_id: str) -> ParentTake:
    """The take ``result_id`` (a full id or a unique prefix) of this project."""
    store = Store.for_project(root)
    with store.session() as conn:
        rows = conn.execute(
            "SELECT id, shot_id, provider, model, remote_id, cameos_json, params_json, duration, "
            "width, height, imported FROM results WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY id "
            "LIMIT 3", (result_id, _like_prefix(result_id))).fetchall()
    exact = [r for r in rows if r["id"] == result_id]
    if not exact and len(rows) > 1:
        raise QueueError(f"{result_id!r} matches several takes; give more of the id")
    if not exact and not rows:
        raise QueueError(f"{Path(root)}: no take {result_id!r} in this project "
                         "(see `studio results list`)")
    row = (exact or rows)[0]
    return ParentTake(
        id=row["id"], shot_id=row["shot_id"], provider=row["provider"], model=row["model"],
        remote_id=row["remote_id"], cameos=_json_list(row["cameos_json"]),
        params=_json_dict(row["params_json"]), duration=row["duration"], width=row["width"],
        height=row["height"], imported=bool(row["imported"]))


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _json_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _json_dict(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_VERB = {REMIX: "remix", EXTEND: "extend"}


def derivation_problem(parent: ParentTake | dict[str, Any], kind: str) -> str | None:
    """Why ``kind`` (remix | extend) cannot start from this take, or None if it can.

    Needs no database or network: the UI asks it to enable its Remix/Extend actions.
    """
    if kind not in DERIVED:
        raise QueueError(f"{kind!r} is not remix or extend")
    take = parent if isinstance(parent, ParentTake) else ParentTake.from_info(parent)
    verb = _VERB[kind]
    if not take.provider or take.imported:
        return (f"This take was imported, not made by a provider, so there is nothing to "
                f"{verb} it from")
    try:
        caps = get_caps(take.provider)
    except ProviderError:
        return f"Provider {take.provider!r} is not known to this Brief Studio"
    model = _model_caps(caps, take.model)
    able = [c.name for c in _table().values() if any(getattr(m, kind) for m in c.models.values())]
    where = f" — it works with {', '.join(able)}" if able else " — no configured provider can"
    if model is None or not getattr(model, kind):
        return f"{caps.name} cannot {verb} a take{where}"
    if not take.remote_id:
        return (f"This take has no remote id on {caps.name}, so it cannot be {verb}ed there "
                "(only takes the queue downloaded can be)")
    if not take.shot_id:
        return f"This take belongs to no shot of the brief, so it cannot be {verb}ed"
    return None


def derivations(parent: ParentTake | dict[str, Any]) -> dict[str, str | None]:
    """``{"remix": reason or None, "extend": reason or None}`` for one take."""
    return {kind: derivation_problem(parent, kind) for kind in DERIVED}


def _table() -> dict[str, ProviderCaps]:
    from studio.providers.registry import provider_table

    return provider_table()


def _model_caps(caps: ProviderCaps, model: str | None) -> ModelCaps | None:
    try:
        return caps.model(model)
    except ProviderError:
        return None


def _plan_derived(root: Path, project: Project, kind: str, parent_id: str, prompt: str,
                  provider: str | None, seconds: float | None, variants: int | None) -> Plan:
    parent = load_parent(root, parent_id)
    problem = derivation_problem(parent, kind)
    if problem:
        raise QueueError(f"cannot {_VERB[kind]} {parent.id}: {problem}")
    assert parent.provider
    assert parent.shot_id
    if provider and provider != parent.provider:
        raise QueueError(f"take {parent.id} was made on {parent.provider}; a {kind} goes to the "
                         f"same provider, not {provider}")
    prompt = prompt.strip()
    if not prompt:
        raise QueueError(f"a {kind} needs a prompt saying what to change"
                         if kind == REMIX else "an extension needs a prompt saying what happens next")
    caps = get_caps(parent.provider)
    model = caps.model(parent.model)
    changes: list[str] = []
    if caps.max_prompt_chars and len(prompt) > caps.max_prompt_chars:
        prompt = prompt[: caps.max_prompt_chars]
        changes.append(f"prompt cut to {caps.max_prompt_chars} characters")
    try:
        shot = project.shot(parent.shot_id)
    except KeyError:
        raise QueueError(f"shot {parent.shot_id} of take {parent.id} is no longer in the brief; "
                         "put it back to remix or extend its takes") from None
    size = parent.size or shot.size or ""
    if kind == REMIX:
        # a remix keeps the parent's length and size; the price is that of a new take
        length = float(parent.params.get("duration") or parent.duration or shot.duration)
        duration = _allowed(length, model)
    else:
        want = float(seconds) if seconds is not None else _default_extension(model)
        if want <= 0:
            raise QueueError(f"an extension must be longer than 0 s (got {want:g})")
        duration = _allowed(want, model)
        if abs(duration - want) > 1e-9:
            changes.append(f"extension {want:g}s → {duration:g}s "
                           f"({model.id} allows {model.duration_text()} s)")
    params: dict[str, Any] = {
        "model": model.id, "prompt": prompt, "duration": duration, "size": size,
        "aspect": parent.params.get("aspect") or "", "references": [], "audio": model.audio,
        "kind": kind, "parent_result_id": parent.id,
    }
    cost = round(duration * model.price_for(size), 4)
    fitted = Fit(provider=caps.id, model=model.id, params=params, changes=changes, cost=cost)
    cameos = list(dict.fromkeys([*parent.cameos, *shown_cameos(root, project, shot)]))
    consent = check_job_consent(root, project, shot, kind, cameos)  # as the engine will
    store = Store.for_project(root)
    with store.session() as conn:
        spent = J.committed_spend(conn)
    result = Plan(provider=caps.id, budget_usd=project.budget_usd, spent_usd=spent, kind=kind,
                  parent_result_id=parent.id)
    running = spent
    for variant in range(1, (variants or 1) + 1):
        item = PlannedJob(
            shot_id=shot.id, variant=variant, fit=fitted,
            request={"request": {"kind": kind, "parent_result_id": parent.id,
                                 "parent_remote_id": parent.remote_id, "prompt": prompt,
                                 "shot_id": shot.id},
                     "params": params},
            cameos=cameos, consent=consent, kind=kind, parent_result_id=parent.id)
        if not consent and project.budget_usd is not None \
                and running + cost > project.budget_usd + 1e-9:
            item.budget = (f"budget: ${cost:.2f} would bring the project to "
                           f"${running + cost:.2f}, over its ${project.budget_usd:.2f} cap "
                           "(raise budget_usd in the brief or cancel other jobs)")
        if not item.blocked_reason:
            running += cost
        result.items.append(item)
    return result


def _allowed(want: float, model: ModelCaps) -> float:
    """The length the adapter would pick for ``want`` seconds (same policy as a generate)."""
    from studio.providers.fitting import _fit_duration

    return float(_fit_duration(want, model)[0])


def _default_extension(model: ModelCaps) -> float:
    """The shortest extension the model makes (cheapest), else 4 s."""
    if model.durations:
        return float(min(model.durations))
    if model.duration_range:
        return max(4.0, model.duration_range[0])
    return 4.0


def plan_from_take(root: Path, project: Project, result_id: str, kind: str, prompt: str,
                   seconds: float | None = None) -> Plan:
    """One remix/extend job from a take (what the library dialog and the CLI show)."""
    return plan(root, project, None, None, kind=kind, parent_result_id=result_id,
                prompt=prompt, seconds=seconds)
