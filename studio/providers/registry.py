"""Which providers exist, what they can do, what they cost, and how to build a client.

Capabilities and prices come from ``resources/providers.yaml``; the user's settings
(:mod:`studio.settings`) override prices, concurrency and base URLs. A provider's base URL
is ``STUDIO_<ID>_BASE_URL``, then the provider's own variable (``OPENAI_BASE_URL``), then
settings, then the default in providers.yaml. Whichever is used must be an http:// or
https:// URL with a host (:func:`check_base_url`): anything else is a
:class:`ProviderConfigError` naming the variable or setting, raised before any request.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
from pathlib import Path
from typing import Any

import httpx
import yaml

from studio.compiler import GenerationRequest
from studio.keys import get_key, key_source
from studio.providers.base import ModelCaps, ProviderCaps, ProviderConfigError, VideoProvider
from studio.providers.fitting import Fit, fit
from studio.resources import resources_dir
from studio.settings import Settings, base_url_problem, load_settings, settings_path

PROVIDER_BASE_URL_ENV = {"openai": "OPENAI_BASE_URL"}


def _model_caps(model_id: str, raw: dict[str, Any]) -> ModelCaps:
    rng = raw.get("duration_range")
    return ModelCaps(
        id=model_id,
        durations=tuple(float(d) for d in raw.get("durations") or ()),
        duration_range=(float(rng[0]), float(rng[1])) if rng else None,
        sizes=tuple(str(s) for s in raw.get("sizes") or ()),
        aspects=tuple(str(a) for a in raw.get("aspects") or ()),
        max_references=int(raw.get("max_references", 0)),
        style_references=bool(raw.get("style_references", False)),
        audio=bool(raw.get("audio", False)),
        remix=bool(raw.get("remix", False)),
        extend=bool(raw.get("extend", False)),
        price_per_second=float(raw.get("price_per_second", 0.0)),
        size_prices={str(k): float(v) for k, v in (raw.get("size_prices") or {}).items()},
    )


@functools.lru_cache(maxsize=4)
def _load_table(path: str) -> dict[str, ProviderCaps]:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProviderConfigError(f"{file}: cannot read the provider table ({exc})") from None
    out: dict[str, ProviderCaps] = {}
    for pid, raw in (data.get("providers") or {}).items():
        try:
            models = {m: _model_caps(m, r or {}) for m, r in (raw.get("models") or {}).items()}
            out[pid] = ProviderCaps(
                id=pid, name=str(raw.get("name", pid)), module=str(raw["module"]),
                default_model=str(raw.get("default_model") or next(iter(models))),
                models=models, local=bool(raw.get("local", False)),
                env_key=raw.get("env_key"), list_endpoint=bool(raw.get("list_endpoint", False)),
                cancel=bool(raw.get("cancel", False)), concurrency=int(raw.get("concurrency", 2)),
                default_base_url=raw.get("base_url"),
                max_prompt_chars=raw.get("max_prompt_chars"),
            )
        except (KeyError, TypeError, ValueError, StopIteration) as exc:
            raise ProviderConfigError(f"{file}: provider {pid!r} is malformed ({exc})") from None
    return out


def table_path() -> Path:
    return resources_dir() / "providers.yaml"


def provider_table(settings: Settings | None = None) -> dict[str, ProviderCaps]:
    """Every provider's capabilities, with the user's price overrides applied."""
    table = _load_table(str(table_path()))
    settings = settings if settings is not None else _settings_or_default()
    out: dict[str, ProviderCaps] = {}
    for pid, caps in table.items():
        ps = settings.provider(pid)
        models = caps.models
        if ps.prices:
            models = {m: (dataclasses.replace(mc, price_per_second=ps.prices[m], size_prices={})
                          if m in ps.prices else mc) for m, mc in models.items()}
        out[pid] = dataclasses.replace(
            caps, models=models,
            default_model=ps.default_model if ps.default_model in models else caps.default_model,
            concurrency=ps.concurrency or caps.concurrency)
    return out


def _settings_or_default() -> Settings:
    try:
        return load_settings()
    except Exception:  # noqa: BLE001 - a broken settings file must not stop fitting
        return Settings()


def provider_ids() -> list[str]:
    return list(provider_table())


def get_caps(provider_id: str, settings: Settings | None = None) -> ProviderCaps:
    table = provider_table(settings)
    try:
        return table[provider_id]
    except KeyError:
        raise ProviderConfigError(
            f"unknown provider {provider_id!r}; known providers: {', '.join(table)}"
        ) from None


def fit_request(provider_id: str, request: GenerationRequest, model: str | None = None,
                settings: Settings | None = None) -> Fit:
    """Fit a compiled request to ``provider_id`` (``.params``, ``.changes``, ``.cost``).

    A provider module may define ``refit(fit, request, caps) -> Fit`` for rules the table
    cannot express (runway: gen4_turbo needs an image; fal: text/image-to-video sibling).
    """
    caps = get_caps(provider_id, settings)
    fitted = fit(caps, request, model)
    refit = getattr(importlib.import_module(caps.module), "refit", None)
    return refit(fitted, request, caps) if refit is not None else fitted


def check_base_url(url: str, source: str) -> str:
    """``url`` without a trailing slash, or :class:`ProviderConfigError` saying that the
    base URL from ``source`` (an environment variable, a setting) is unusable."""
    problem = base_url_problem(url)
    if problem:
        raise ProviderConfigError(
            f"{source} is {url!r}, which is not a usable base URL ({problem}); fix or "
            "unset it (a base URL looks like https://api.example.com)"
        )
    return url.strip().rstrip("/")


def base_url_source(provider_id: str, settings: Settings | None = None) -> tuple[str, str]:
    """(the base URL as configured, where it comes from) — not validated."""
    name = f"STUDIO_{provider_id.upper()}_BASE_URL"
    if os.environ.get(name):
        return os.environ[name], f"the environment variable {name}"
    own = PROVIDER_BASE_URL_ENV.get(provider_id)
    if own and os.environ.get(own):
        return os.environ[own], f"the environment variable {own}"
    settings = settings if settings is not None else _settings_or_default()
    configured = settings.provider(provider_id).base_url
    if configured:
        return configured, (f"the setting providers.{provider_id}.base_url "
                            f"(Settings, {settings_path()})")
    caps = get_caps(provider_id, settings)
    if not caps.default_base_url:
        raise ProviderConfigError(f"provider {provider_id} has no base URL; set one in settings")
    return caps.default_base_url, f"base_url of {provider_id} in {table_path()}"


def base_url(provider_id: str, settings: Settings | None = None) -> str:
    """The provider's base URL (see the module docstring), checked: a malformed one is a
    :class:`ProviderConfigError` naming the variable or setting it came from."""
    url, source = base_url_source(provider_id, settings)
    return check_base_url(url, source)


def base_url_warning(provider_id: str, settings: Settings | None = None) -> str | None:
    """Why ``provider_id``'s jobs will fail before sending (a malformed base URL), or None.
    Local providers have no base URL."""
    try:
        if get_caps(provider_id, settings).local:
            return None
        base_url(provider_id, settings)
    except ProviderConfigError as exc:
        return str(exc)
    return None


def is_available(caps: ProviderCaps) -> bool:
    return caps.local or key_source(caps.id) is not None


def describe(settings: Settings | None = None) -> list[dict[str, Any]]:
    """The `studio providers --json` list."""
    items = []
    for caps in provider_table(settings).values():
        items.append({
            "id": caps.id,
            "name": caps.name,
            "available": is_available(caps),
            "local": caps.local,
            "key": "not needed" if caps.local else (key_source(caps.id) or "missing"),
            "env_key": caps.env_key,
            "list_endpoint": caps.list_endpoint,
            "cancel": caps.cancel,
            "concurrency": caps.concurrency,
            "default_model": caps.default_model,
            "models": [
                {
                    "id": m.id,
                    "durations": list(m.durations) if m.durations else None,
                    "duration_range": list(m.duration_range) if m.duration_range else None,
                    "sizes": list(m.sizes),
                    "aspects": sorted({_aspect(s) for s in m.sizes}) if m.sizes else ["any"],
                    "max_references": m.max_references,
                    "audio": m.audio,
                    "remix": m.remix,
                    "extend": m.extend,
                    "price": m.price_per_second,
                    "size_prices": m.size_prices,
                }
                for m in caps.models.values()
            ],
        })
    return items


def _aspect(size: str) -> str:
    from studio.providers.fitting import _aspect_of

    return _aspect_of(size)


def create_provider(provider_id: str, client: httpx.AsyncClient | None,
                    settings: Settings | None = None, sleep: Any = None) -> VideoProvider:  # noqa: ANN401
    """Instantiate ``provider_id``'s client (its module's ``Provider`` class)."""
    caps = get_caps(provider_id, settings)
    module = importlib.import_module(caps.module)
    cls = module.Provider
    if caps.local:
        return cls(caps)  # type: ignore[no-any-return]
    return cls(caps, client=client, base_url=base_url(provider_id, settings),  # type: ignore[no-any-return]
               key=lambda: get_key(provider_id), sleep=sleep)
