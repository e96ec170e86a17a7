"""`studio [PROJECT] --screenshot PNG`: a real process renders the window offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from tests.conftest import SAMPLE

REPO = Path(__file__).resolve().parents[2]


def studio(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [sys.executable, "-m", "ui.main", *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )


def assert_real_screenshot(path: Path) -> Image.Image:
    image = Image.open(path).convert("RGB")
    assert image.width >= 900
    assert image.height >= 600
    stat = ImageStat.Stat(image)
    assert max(stat.stddev) > 10, "the screenshot is (nearly) uniform"
    assert len(image.getcolors(maxcolors=1_000_000) or []) > 50
    return image


def test_screenshot_of_the_sample_project(tmp_path: Path, sample_copy: Path) -> None:
    out = tmp_path / "shots.png"
    result = studio(str(sample_copy), "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    image = assert_real_screenshot(out)
    assert image.size == (1280, 800)
    # the selected first card has the accent border; the sidebar is lighter than black
    assert image.getpixel((100, 400))[0] > 180
    assert not (sample_copy / ".studio-autosave.yaml").exists()


@pytest.mark.parametrize("page", ["brief", "cameos", "queue", "library"])
def test_screenshot_of_each_page(tmp_path: Path, sample_copy: Path, page: str) -> None:
    out = tmp_path / f"{page}.png"
    result = studio(str(sample_copy), "--page", page, "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    assert_real_screenshot(out)


def test_screenshot_of_the_start_screen(tmp_path: Path) -> None:
    out = tmp_path / "start.png"
    result = studio("--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    assert_real_screenshot(out)


def test_broken_project_exits_1_and_leaves_the_file(tmp_path: Path) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    text = "schema_version: 1\nname: Broken\nshots:\n  - id: s1\n    duration: [oops\n"
    (root / "project.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "x.png"
    result = studio(str(root), "--screenshot", str(out))
    assert result.returncode == 1
    assert "project.yaml:" in result.stderr
    assert not out.exists()
    assert (root / "project.yaml").read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--page", "nowhere"], "unknown page"),
        (["--screenshot", "/nonexistent-folder/x.png"], "does not exist"),
        (["--screenshot", "shot.jpg"], ".png"),
        (["no-such-project", "--screenshot", "x.png"], "no such project folder"),
    ],
)
def test_problems_exit_1_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    args = [a if a != "x.png" else str(tmp_path / "x.png") for a in args]
    if args[0] == "--page":
        args = [str(SAMPLE), *args, "--screenshot", str(tmp_path / "p.png")]
    result = studio(*args, cwd=tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert message in result.stderr
