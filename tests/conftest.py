"""Shared fixtures: every test runs with its own home, config, keyring and no network keys."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "projects" / "aurora-launch"

PROVIDER_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY",
    "RUNWAYML_API_SECRET", "LUMAAI_API_KEY", "FAL_KEY",
    "STUDIO_OPENAI_BASE_URL", "STUDIO_VEO_BASE_URL", "STUDIO_RUNWAY_BASE_URL",
    "STUDIO_LUMA_BASE_URL", "STUDIO_FAL_BASE_URL",
)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring for tests (the machine has no Secret Service)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    for var in PROVIDER_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STUDIO_NO_NETWORK_DEFAULTS", "1")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    return backend


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the sample project (without any local state)."""
    dest = tmp_path / "aurora-launch"
    shutil.copytree(
        SAMPLE, dest,
        ignore=shutil.ignore_patterns("studio.db*", "media", ".studio-autosave*", "*.tmp"),
    )
    return dest
