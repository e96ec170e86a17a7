"""The adapter fits a compiled request to a provider model and says what it changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.compiler import GenerationRequest, compile_shot
from studio.project import load_project
from studio.providers.base import ProviderConfigError
from studio.providers.registry import describe, fit_request, get_caps
from studio.settings import ProviderSettings, Settings


def req(**kw) -> GenerationRequest:  # type: ignore[no-untyped-def]
    base = dict(project_id="p", shot_id="s", prompt="a ridge", duration=6.0, aspect="16:9",
                size="1280x720")
    base.update(kw)
    return GenerationRequest(**base)


def test_duration_goes_to_the_nearest_allowed_value_tie_to_the_longer() -> None:
    fit = fit_request("openai", req(duration=6))
    assert fit.params["duration"] == 8
    assert fit.changes == ["duration 6s → 8s (4s and 8s are equally near; took the longer; "
                           "sora-2 allows 4, 8, 12 s)"]
    assert fit.cost == pytest.approx(0.8)
    fit = fit_request("openai", req(duration=9))
    assert fit.params["duration"] == 8
    assert fit.changes == ["duration 9s → 8s (the nearest allowed; sora-2 allows 4, 8, 12 s)"]


def test_duration_past_the_maximum_is_capped() -> None:
    assert fit_request("openai", req(duration=20)).params["duration"] == 12


def test_exact_request_changes_nothing() -> None:
    fit = fit_request("openai", req(duration=8))
    assert fit.changes == []
    assert fit.params["size"] == "1280x720"


def test_size_and_aspect_go_to_the_closest_allowed() -> None:
    fit = fit_request("openai", req(aspect="9:16", size="720x1280", duration=4))
    assert fit.params["size"] == "720x1280"
    assert fit.changes == []
    fit = fit_request("openai", req(aspect="1:1", size="1080x1080", duration=4))
    assert fit.params["size"] in ("1280x720", "720x1280")
    assert any(c.startswith("size 1080x1080 →") for c in fit.changes)
    assert any(c.startswith("aspect 1:1 →") for c in fit.changes)
    fit = fit_request("openai", req(aspect="4:5", size="1024x1280", duration=4))
    assert fit.params["size"] == "720x1280"


def test_references_are_trimmed_to_the_maximum() -> None:
    fit = fit_request("openai", req(duration=4, references=["a.png", "b.png"]))
    assert fit.params["references"] == ["a.png"]
    assert any("references 2 → 1" in c for c in fit.changes)


def test_pro_prices_by_size_and_settings_override_prices() -> None:
    fit = fit_request("openai", req(duration=4, size="1792x1024", aspect="16:9"), "sora-2-pro")
    assert fit.params["size"] == "1792x1024"
    assert fit.cost == pytest.approx(2.0)
    settings = Settings(providers={"openai": ProviderSettings(prices={"sora-2": 0.25})})
    assert fit_request("openai", req(duration=4), settings=settings).cost == pytest.approx(1.0)


def test_previz_keeps_everything_but_notes_unvoiced_dialogue() -> None:
    fit = fit_request("previz", req(duration=6.5, has_dialogue=True, size="1000x500", aspect="2:1"))
    assert fit.params["duration"] == 6.5
    assert fit.params["size"] == "1000x500"
    assert fit.cost == 0
    assert fit.changes
    assert "subtitles" in fit.changes[0]


def test_unknown_provider_and_model_are_clear() -> None:
    with pytest.raises(ProviderConfigError, match="known providers: previz, openai"):
        fit_request("nope", req())
    with pytest.raises(ProviderConfigError, match="no model 'sora-9'"):
        fit_request("openai", req(), "sora-2".replace("2", "9"))


def test_sample_shots_fit_deterministically(sample_copy: Path) -> None:
    doc = load_project(sample_copy)
    a = [fit_request("openai", compile_shot(doc.project, s)).params for s in doc.project.shots]
    b = [fit_request("openai", compile_shot(doc.project, s)).params for s in doc.project.shots]
    assert a == b
    assert all(str(int(p["duration"])) in ("4", "8", "12") for p in a)


def test_describe_lists_capabilities_and_availability(monkeypatch: pytest.MonkeyPatch) -> None:
    items = {p["id"]: p for p in describe()}
    assert items["previz"]["available"] is True
    assert items["openai"]["available"] is False
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    items = {p["id"]: p for p in describe()}
    assert items["openai"]["available"] is True
    assert items["openai"]["key"] == "env"
    sora = items["openai"]["models"][0]
    assert sora["durations"] == [4, 8, 12]
    assert sora["price"] == 0.10
    assert sora["aspects"] == ["16:9", "9:16"]
    assert get_caps("openai").list_endpoint is True
