"""Keys: keyring first, then the environment; no plaintext fallback; settings hold no secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from studio.errors import KeyringError, ProjectFileError, SchemaTooNewError
from studio.keys import get_key, key_source, keyring_usable, set_key
from studio.settings import ProviderSettings, Settings, load_settings, save_settings, settings_path

REPO = Path(__file__).resolve().parents[2]


def test_keyring_then_env(memory_keyring, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    assert get_key("openai") is None
    assert key_source("openai") is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert get_key("openai") == "sk-env"
    assert key_source("openai") == "env"
    set_key("openai", "  sk-ring\n")
    assert memory_keyring.store[("brief-studio", "openai")] == "sk-ring"
    assert get_key("openai") == "sk-ring"
    assert key_source("openai") == "keyring"


def test_no_backend_refuses_with_a_fix_and_writes_nothing(isolated_env: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert not keyring_usable()
    with pytest.raises(KeyringError, match="No usable keyring backend.*OPENAI_API_KEY"):
        set_key("openai", "sk-should-not-land-anywhere")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert get_key("openai") == "sk-env"
    for path in isolated_env.rglob("*"):
        assert not (path.is_file() and b"sk-should-not-land" in path.read_bytes())


def test_empty_or_spaced_key_is_refused(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyringError, match="no key given"):
        set_key("openai", "\n")
    with pytest.raises(KeyringError, match="spaces"):
        set_key("openai", "sk a b")


def test_cli_key_set_without_keyring_exits_1(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHON_KEYRING_BACKEND":
           "keyring.backends.fail.Keyring", "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_DATA_HOME": str(tmp_path / "d")}
    proc = subprocess.run([sys.executable, "-m", "ui.main", "key", "set", "openai"],
                          input="sk-cli-secret-123\n", capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=60)
    assert proc.returncode == 1
    assert "No usable keyring backend" in proc.stderr
    assert "sk-cli-secret-123" not in proc.stderr + proc.stdout
    for path in tmp_path.rglob("*"):
        assert not (path.is_file() and b"sk-cli-secret" in path.read_bytes())


def test_settings_round_trip_atomic_and_versioned(isolated_env: Path) -> None:
    assert load_settings() == Settings()
    s = Settings(providers={"openai": ProviderSettings(base_url="http://127.0.0.1:9/v1/",
                                                       concurrency=4, prices={"sora-2": 0.2})})
    path = save_settings(s)
    assert path == settings_path()
    assert str(isolated_env) in str(path)
    loaded = load_settings()
    assert loaded.providers["openai"].base_url == "http://127.0.0.1:9/v1"
    assert loaded.providers["openai"].concurrency == 4
    text = path.read_text()
    path.write_text(text.replace("schema_version: 1", "schema_version: 9"))
    with pytest.raises(SchemaTooNewError):
        load_settings()
    path.write_text(text + "\napi_key: sk-nope\n")
    with pytest.raises(ProjectFileError, match="api_key"):
        load_settings()
