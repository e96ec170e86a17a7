"""Core user settings: provider base URLs, concurrency and price overrides.

Lives in ``user_config_dir("brief-studio")/settings.yaml``; carries ``schema_version``;
written atomically; a file from a newer Brief Studio is refused, not mangled. Never holds a
secret: keys live in the OS keyring (:mod:`studio.keys`) and the schema has no field for
one (unknown fields are rejected). Window state (geometry ...) is kept by the UI elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from platformdirs import user_config_dir
from pydantic import BaseModel, ConfigDict, Field, field_validator

from studio.yamlio import atomic_write, load_model, model_to_yaml

SETTINGS_VERSION = 1
APP_DIR = "brief-studio"


def base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a provider's base URL (None: it can): it needs the scheme
    http or https and a host. Used for every base URL wherever it is read (environment,
    settings, the provider table) by :func:`studio.providers.registry.base_url`."""
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"it cannot be parsed: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return "it must start with http:// or https://"
    if not host:
        return "it has no host"
    if any(ch.isspace() for ch in text) or any(ch in host for ch in "<>\\\"{}|^`"):
        return "it contains spaces or characters a URL cannot have"
    return None


class ProviderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    base_url: str | None = None
    concurrency: Annotated[int, Field(ge=1, le=256)] | None = None
    prices: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)  # model -> $/s
    default_model: str | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not v.lower().startswith(("http://", "https://")):
            raise ValueError(f"base URL must start with http:// or https://, got {v!r}")
        # any other problem (no host, ...) is kept as written and reported, naming this
        # setting, when the URL is used (studio.providers.registry.base_url): a settings file
        # that fails to load would silently send jobs to the default URL instead
        trimmed = v.rstrip("/")
        return trimmed if base_url_problem(trimmed) is None else v


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    schema_version: int = SETTINGS_VERSION
    default_provider: str = "previz"
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)

    def provider(self, provider_id: str) -> ProviderSettings:
        return self.providers.get(provider_id) or ProviderSettings()


def settings_path() -> Path:
    override = os.environ.get("STUDIO_SETTINGS")
    if override:
        return Path(override)
    return Path(user_config_dir(APP_DIR)) / "settings.yaml"


MIGRATIONS: dict[int, Any] = {0: lambda data: data}  # v0: written before versioning


def load_settings(path: Path | None = None) -> Settings:
    """The user's settings (defaults when there is no file yet)."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    settings, _ = load_model(path, Settings, current_version=SETTINGS_VERSION,
                             migrations=MIGRATIONS, kind="settings")
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, model_to_yaml(settings))
    return path
