"""User settings and window state in one small JSON file (atomic writes, versioned).

Location: ``platformdirs.user_config_dir("brief-studio")/settings.json``. The file holds
no secrets (provider keys live in the OS keyring). A file written by a newer Brief Studio
is left untouched: we run on defaults and never save over it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from studio.yamlio import atomic_write

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
MAX_RECENT = 10
APP_DIR_NAME = "brief-studio"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_DIR_NAME))


def settings_path() -> Path:
    return config_dir() / "settings.json"


@dataclass
class Settings:
    """User choices (theme) and window state (geometry, splitters, recent projects)."""

    theme: str = "system"  # system | light | dark
    providers_setup: str = ""  # "" (first run: show the setup), "previz" or "keys"
    recent: list[str] = field(default_factory=list)
    window: dict[str, str] = field(default_factory=dict)  # name -> base64 Qt state blob
    path: Path | None = None
    read_only: bool = False  # a newer file we must not overwrite

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_path()
        settings = cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings file %s: %s", path, exc)
            return settings
        if not isinstance(data, dict):
            log.warning("ignoring settings file %s: not a JSON object", path)
            return settings
        version = data.get("version", 0)
        if not isinstance(version, int) or version > SETTINGS_VERSION:
            log.warning("settings file %s is from a newer Brief Studio; using defaults", path)
            settings.read_only = True
            return settings
        if data.get("theme") in ("system", "light", "dark"):
            settings.theme = data["theme"]
        if data.get("providers_setup") in ("", "previz", "keys"):
            settings.providers_setup = data["providers_setup"]
        recent = data.get("recent")
        if isinstance(recent, list):
            settings.recent = [str(r) for r in recent if isinstance(r, str)][:MAX_RECENT]
        window = data.get("window")
        if isinstance(window, dict):
            settings.window = {str(k): str(v) for k, v in window.items() if isinstance(v, str)}
        return settings

    def to_json(self) -> dict[str, Any]:
        return {"version": SETTINGS_VERSION, "theme": self.theme,
                "providers_setup": self.providers_setup, "recent": self.recent,
                "window": self.window}

    def save(self) -> None:
        if self.read_only or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(self.to_json(), indent=2) + "\n")
        except OSError as exc:
            log.warning("could not save settings to %s: %s", self.path, exc)

    def add_recent(self, root: Path) -> None:
        text = str(Path(root).resolve())
        self.recent = [text, *[r for r in self.recent if r != text]][:MAX_RECENT]

    def remove_recent(self, root: Path | str) -> None:
        text = str(root)
        self.recent = [r for r in self.recent if r != text]
