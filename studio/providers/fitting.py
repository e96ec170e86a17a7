"""The adapter: fit a compiled GenerationRequest to one provider model and say what changed.

Deterministic and offline. Changes say what moved and why, like "duration 6s → 5s (the nearest
allowed; fal-ai/pika/v2.2/text-to-video allows 5, 10 s)". Durations go to the nearest allowed
value; a tie goes to the longer one ("6s → 8s" on sora-2's 4, 8, 12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.compiler import GenerationRequest
from studio.providers.base import ModelCaps, ProviderCaps


@dataclass
class Fit:
    provider: str
    model: str
    params: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    cost: float = 0.0           # estimate in USD for one take

    @property
    def duration(self) -> float:
        return float(self.params["duration"])


def _ratio(size_or_aspect: str) -> float:
    sep = "x" if "x" in size_or_aspect else ":"
    w, h = (float(x) for x in size_or_aspect.split(sep))
    return w / h


def _fit_duration(want: float, caps: ModelCaps) -> tuple[float, str]:
    """The allowed duration nearest to ``want`` (a tie goes to the longer) and why it was chosen.

    Nearest rather than next-longer: a 6 s shot on a 5/10 s model costs half as much at 5 s and
    is one second off instead of four. The reason is empty when nothing changed.
    """
    eps = 1e-9
    if caps.durations:
        allowed = sorted(caps.durations)
        if want > allowed[-1] + eps:
            return allowed[-1], f"the longest {caps.id} allows"
        if want < allowed[0] - eps:
            return allowed[0], f"the shortest {caps.id} allows"
        best = min(allowed, key=lambda d: (round(abs(d - want), 6), -d))
        if abs(best - want) <= eps:
            return best, ""
        tied = [d for d in allowed if abs(abs(d - want) - abs(best - want)) <= eps]
        if len(tied) > 1:
            return best, f"{tied[0]:g}s and {tied[-1]:g}s are equally near; took the longer"
        return best, "the nearest allowed"
    if caps.duration_range:
        lo, hi = caps.duration_range
        if want > hi + eps:
            return hi, f"the longest {caps.id} allows"
        if want < lo - eps:
            return lo, f"the shortest {caps.id} allows"
    return want, ""


def _fit_size(size: str, aspect: str, caps: ModelCaps) -> str:
    if not caps.sizes or size in caps.sizes:
        return size
    want = _ratio(aspect)
    want_px = _area(size)
    # closest aspect first (log ratio), then closest pixel count
    import math

    return min(caps.sizes, key=lambda s: (round(abs(math.log(_ratio(s) / want)), 3),
                                          abs(_area(s) - want_px)))


def _area(size: str) -> int:
    w, h = (int(x) for x in size.split("x"))
    return w * h


#: the aspect ratios people name; a size within :data:`ASPECT_TOLERANCE` of one is called by
#: it (1366x768 is 16:9, not 683:384)
CONVENTIONAL_ASPECTS = ("16:9", "9:16", "4:3", "3:4", "1:1", "3:2", "2:3", "4:5", "5:4",
                        "21:9", "9:21", "2:1", "1:2")
ASPECT_TOLERANCE = 0.01  # relative difference of width/height


def _aspect_of(size: str) -> str:
    """The aspect of a ``WxH`` size: the conventional name when the size is within ~1% of
    one (``1366x768`` → ``16:9``, ``1080x1920`` → ``9:16``), else the reduced ratio."""
    from math import gcd

    w, h = (int(x) for x in size.split("x"))
    ratio = w / h
    near = min(CONVENTIONAL_ASPECTS, key=lambda a: abs(_ratio(a) / ratio - 1))
    if abs(_ratio(near) / ratio - 1) <= ASPECT_TOLERANCE:
        return near
    g = gcd(w, h)
    return f"{w // g}:{h // g}"


def fit(provider: ProviderCaps, request: GenerationRequest, model: str | None = None) -> Fit:
    caps = provider.model(model)
    name = caps.id
    changes: list[str] = []

    duration, why = _fit_duration(request.duration, caps)
    if abs(duration - request.duration) > 1e-9:
        changes.append(f"duration {request.duration:g}s → {duration:g}s "
                       f"({why}; {name} allows {caps.duration_text()} s)")

    size = _fit_size(request.size, request.aspect, caps)
    aspect = request.aspect
    if size != request.size:
        aspect = _aspect_of(size)
        changes.append(f"size {request.size} → {size} ({name} renders "
                       f"{', '.join(caps.sizes)})")
        if abs(_ratio(size) - _ratio(request.aspect)) > 0.02:
            changes.append(f"aspect {request.aspect} → {aspect}: reframe or crop in the edit")

    # the shot's own images first (a first frame or an asset); the style guide's images only
    # to a model that takes them as style references (Veo's STYLE), never as a first frame
    references = list(request.references)
    if caps.style_references:
        references += [r for r in request.style_references if r not in references]
    if len(references) > caps.max_references:
        kept = references[: caps.max_references]
        if caps.max_references == 0:
            changes.append(f"references dropped ({name} takes no reference image)")
        else:
            changes.append(f"references {len(references)} → {len(kept)} "
                           f"({name} takes {caps.max_references}; kept {', '.join(kept)})")
        references = kept

    prompt = request.prompt
    if provider.max_prompt_chars and len(prompt) > provider.max_prompt_chars:
        prompt = prompt[: provider.max_prompt_chars]
        changes.append(f"prompt cut to {provider.max_prompt_chars} characters")

    if request.has_dialogue and not caps.audio:
        changes.append(f"dialogue will not be voiced ({name} makes no audio); "
                       "it appears as subtitles only" if provider.local else
                       f"dialogue will not be voiced ({name} makes no audio)")

    params: dict[str, Any] = {
        "model": name,
        "prompt": prompt,
        "duration": duration,
        "size": size,
        "aspect": aspect,
        "references": references,
        "audio": caps.audio,
    }
    cost = round(duration * caps.price_for(size), 4)
    return Fit(provider=provider.id, model=name, params=params, changes=changes, cost=cost)
