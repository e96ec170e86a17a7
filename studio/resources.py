"""Where the shipped resources live (resources/ beside the packages, or bundled)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    override = os.environ.get("STUDIO_RESOURCES_DIR")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def projects_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "projects"
    return Path(__file__).resolve().parent.parent / "projects"


def sample_project() -> Path:
    return projects_dir() / "aurora-launch"
