"""The README is assembled from docs/readme/*.md and documents every CLI command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_is_up_to_date() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_readme.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_readme_names_every_subcommand_and_the_two_commands() -> None:
    from studio.cli import SUBCOMMANDS

    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/run.sh" in text and "bash scripts/test.sh" in text
    for name in SUBCOMMANDS:
        assert f"studio {name}" in text, name
    assert "scripts/test.sh" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
