"""Provider API keys: the OS keyring (service "brief-studio", user = provider id), else the
provider's usual environment variable. Never a plaintext file, never logged.

With no usable keyring backend (``keyring.backends.fail`` or an empty chainer),
:func:`set_key` raises :class:`KeyringError` saying how to fix it; reading falls back to the
environment variable.
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors

from studio.errors import KeyringError

log = logging.getLogger(__name__)

SERVICE = "brief-studio"

ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "veo": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "runway": ("RUNWAYML_API_SECRET",),
    "luma": ("LUMAAI_API_KEY",),
    "fal": ("FAL_KEY",),
}

FIX_HINT = (
    "No usable keyring backend: Brief Studio stores API keys only in the OS keyring and "
    "never in a plaintext file. Start or unlock your desktop's secret service "
    "(GNOME Keyring / KWallet via Secret Service, macOS Keychain, Windows Credential Locker), "
    "or on a headless machine set the provider's environment variable instead "
    "(e.g. OPENAI_API_KEY)."
)


def keyring_usable() -> bool:
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module.startswith("keyring.backends.fail"):
        return False
    if module.startswith("keyring.backends.chainer"):
        return bool(getattr(backend, "backends", []))
    if module.startswith("keyring.backends.null"):
        return False
    return True


def env_var_names(provider_id: str) -> tuple[str, ...]:
    return ENV_VARS.get(provider_id, (f"STUDIO_{provider_id.upper()}_API_KEY",))


def _from_keyring(provider_id: str) -> str | None:
    if not keyring_usable():
        return None
    try:
        return keyring.get_password(SERVICE, provider_id) or None
    except keyring.errors.KeyringError as exc:
        log.warning("keyring read failed for %s: %s", provider_id, type(exc).__name__)
        return None


def _from_env(provider_id: str) -> str | None:
    import os

    for name in env_var_names(provider_id):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def get_key(provider_id: str) -> str | None:
    """The key for ``provider_id`` (keyring first, then its environment variable)."""
    return _from_keyring(provider_id) or _from_env(provider_id)


def key_source(provider_id: str) -> str | None:
    """Where the key comes from: "keyring", "env" or None (never the key itself)."""
    if _from_keyring(provider_id):
        return "keyring"
    if _from_env(provider_id):
        return "env"
    return None


def set_key(provider_id: str, key: str) -> None:
    key = key.strip()
    if not key:
        raise KeyringError(f"no key given for {provider_id} (read from stdin); nothing stored")
    if any(ch.isspace() for ch in key):
        raise KeyringError(f"the key for {provider_id} contains spaces or line breaks; "
                           "paste only the key")
    if not keyring_usable():
        raise KeyringError(FIX_HINT)
    try:
        keyring.set_password(SERVICE, provider_id, key)
    except keyring.errors.KeyringError as exc:
        raise KeyringError(
            f"the keyring refused to store the key for {provider_id} ({type(exc).__name__}). "
            + FIX_HINT) from None
    log.info("stored a key for %s in the keyring", provider_id)


def delete_key(provider_id: str) -> bool:
    if not keyring_usable():
        raise KeyringError(FIX_HINT)
    try:
        keyring.delete_password(SERVICE, provider_id)
    except keyring.errors.PasswordDeleteError:
        return False
    return True
