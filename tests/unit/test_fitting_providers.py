"""Capability fitting over every model in resources/providers.yaml."""

from __future__ import annotations

import math

import pytest

from studio.compiler import GenerationRequest
from studio.model import size_for_aspect
from studio.providers.fitting import fit
from studio.providers.registry import describe, fit_request, provider_table

TABLE = provider_table()
MODELS = [(pid, mid) for pid, caps in TABLE.items() for mid in caps.models]
ASPECTS = ["16:9", "9:16", "1:1", "4:3", "21:9", "2:3"]
DURATIONS = [1.0, 4.0, 5.0, 6.0, 7.5, 9.0, 12.0, 30.0]


def request(duration: float, aspect: str, refs: int = 0) -> GenerationRequest:
    return GenerationRequest(project_id="p", shot_id="s", prompt="a ridge at dawn",
                             duration=duration, aspect=aspect, size=size_for_aspect(aspect),
                             references=[f"references/r{i}.png" for i in range(refs)])


def ratio(size: str) -> float:
    w, h = (int(x) for x in size.split("x"))
    return w / h


def test_every_issue_provider_is_in_the_table() -> None:
    ids = [p["id"] for p in describe()]
    for pid in ("previz", "openai", "veo", "runway", "luma", "fal"):
        assert pid in ids
    for item in describe():
        assert item["models"]
        for model in item["models"]:
            assert model["durations"] or model["duration_range"]
            assert model["aspects"]
            assert model["price"] >= 0


@pytest.mark.parametrize(("provider", "model"), MODELS)
def test_duration_and_aspect_map_to_the_nearest_allowed(provider: str, model: str) -> None:
    caps = TABLE[provider]
    mc = caps.models[model]
    for aspect in ASPECTS:
        for duration in DURATIONS:
            fitted = fit(caps, request(duration, aspect, refs=4), model)
            got = fitted.duration
            if mc.durations:
                assert got in mc.durations
                # nearest allowed; a tie goes to the longer
                best = min(abs(d - duration) for d in mc.durations)
                assert abs(got - duration) == pytest.approx(best)
                tied = [d for d in mc.durations if abs(abs(d - duration) - best) < 1e-9]
                assert got == max(tied)
            elif mc.duration_range:
                lo, hi = mc.duration_range
                assert got == min(max(duration, lo), hi)
            changed_duration = abs(got - duration) > 1e-9
            assert changed_duration == any(c.startswith("duration ") for c in fitted.changes)
            size = fitted.params["size"]
            if mc.sizes:
                assert size in mc.sizes
                want = math.log(ratio(size_for_aspect(aspect)))
                best = min(abs(math.log(ratio(s)) - want) for s in mc.sizes)
                assert abs(abs(math.log(ratio(size)) - want) - best) < 1e-3
                assert (size != size_for_aspect(aspect)) == any(
                    c.startswith("size ") for c in fitted.changes)
            refs = fitted.params["references"]
            assert len(refs) <= mc.max_references
            if mc.max_references < 4:
                assert any(c.startswith("references") for c in fitted.changes)
            price = mc.price_for(size)
            assert fitted.cost == pytest.approx(round(got * price, 4))


def test_provider_rules_beyond_the_table() -> None:
    # runway: gen4_turbo without an image switches to gen4.5 and says so
    f = fit_request("runway", request(5, "16:9"), "gen4_turbo")
    assert f.model == "gen4.5"
    assert "gen4_turbo" in f.changes[0]
    assert fit_request("runway", request(5, "16:9", refs=1), "gen4_turbo").model == "gen4_turbo"
    # fal: an image picks Pika image-to-video, none keeps text-to-video
    assert fit_request("fal", request(5, "16:9", refs=1)).model.endswith("image-to-video")
    assert fit_request("fal", request(5, "16:9")).model == "fal-ai/pika/v2.2/text-to-video"
    # luma: 6 s becomes 5 s ("5s", nearer than 9 s), 8 s becomes 9 s; 21:9 is a Luma aspect
    lf = fit_request("luma", request(6, "21:9"))
    assert lf.params["luma"] == {"duration": "5s", "aspect_ratio": "21:9", "resolution": "720p"}
    assert any(c.startswith("duration 6s → 5s (the nearest allowed;") for c in lf.changes)
    assert fit_request("luma", request(8, "16:9")).params["luma"]["duration"] == "9s"
    # veo: at most 3 references
    assert len(fit_request("veo", request(8, "16:9", refs=5)).params["references"]) == 3


def test_duration_goes_to_the_nearest_not_the_next_longer() -> None:
    # Pika 5/10: 6 s is one second from 5 s and four from 10 s; 10 s would double the cost
    pika = fit_request("fal", request(6, "16:9"))
    assert pika.duration == 5
    assert pika.changes[0] == ("duration 6s → 5s (the nearest allowed; "
                               "fal-ai/pika/v2.2/text-to-video allows 5, 10 s)")
    assert pika.cost == pytest.approx(5 * TABLE["fal"].models[pika.model].price_for(
        pika.params["size"]))
    assert fit_request("fal", request(7.5, "16:9")).duration == 10     # tie → the longer
    assert fit_request("fal", request(7.4, "16:9")).duration == 5
    # sora-2 4/8/12: 6 s is equally near 4 and 8 → 8, and the text says why
    sora = fit_request("openai", request(6, "16:9"))
    assert sora.changes[0] == ("duration 6s → 8s (4s and 8s are equally near; took the longer; "
                               "sora-2 allows 4, 8, 12 s)")
    assert fit_request("openai", request(5, "16:9")).duration == 4
    # out of range: capped, and said so
    capped = fit_request("openai", request(30, "16:9"))
    assert capped.duration == 12
    assert "(the longest sora-2 allows;" in capped.changes[0]
    short = fit_request("luma", request(1, "16:9"))
    assert short.duration == 5
    assert "the shortest" in short.changes[0]


def test_previz_keeps_any_duration_in_its_range() -> None:
    for seconds in (0.5, 1.0, 6.0, 7.25, 120.0):
        f = fit_request("previz", request(seconds, "16:9"))
        assert f.duration == seconds
        assert not any(c.startswith("duration") for c in f.changes)
    f = fit_request("previz", request(200, "16:9"))
    assert f.duration == 120
    assert f.changes[0].startswith("duration 200s → 120s (the longest")


def test_fal_hailuo_aspect_change_uses_the_conventional_name() -> None:
    # 1366x768 is 16:9 within 0.05%: the label says so, not the reduced 683:384
    hailuo = "fal-ai/minimax/hailuo-02/standard/text-to-video"
    fitted = fit(TABLE["fal"], request(6.0, "9:16"), hailuo)
    assert fitted.params["size"] == "1366x768"
    assert fitted.params["aspect"] == "16:9"
    assert "aspect 9:16 → 16:9: reframe or crop in the edit" in fitted.changes
    assert not any("683:384" in c for c in fitted.changes)
    same = fit(TABLE["fal"], request(6.0, "16:9"), hailuo)
    assert same.params["aspect"] == "16:9"
    assert not any(c.startswith("aspect") for c in same.changes)
    fal = next(p for p in describe() if p["id"] == "fal")
    assert next(m for m in fal["models"] if m["id"] == hailuo)["aspects"] == ["16:9"]


@pytest.mark.parametrize(("size", "name"), [
    ("1366x768", "16:9"), ("768x1366", "9:16"), ("1280x720", "16:9"), ("1920x1080", "16:9"),
    ("1024x768", "4:3"), ("1080x1080", "1:1"), ("1080x1350", "4:5"), ("854x480", "16:9"),
    ("2560x1080", "64:27"), ("1000x700", "10:7"),
])
def test_aspect_names(size: str, name: str) -> None:
    from studio.providers.fitting import _aspect_of

    assert _aspect_of(size) == name
