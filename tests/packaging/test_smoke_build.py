"""Build the one-folder app with PyInstaller and run the built executable.

A real build (about 30 s of PyInstaller on an idle 2-core machine, ~390 MB written to a
temp folder), then packaging/smoke_test.py against it: --version, screenshots, and the CLI
workflow new → previz queue → review → export → verify → import (which failed in the
packaged app while OTIO's plugin adapters were not shipped as .py files). It fits the CI
budget, so it runs in the normal suite (marker ``packaging``, which is why PyInstaller is in
the ``test`` extras). Run it alone with:

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -m packaging tests/packaging

or build into dist/ and smoke-test in one go with ``bash scripts/build_package.sh``.
The smoke checks themselves live in packaging/smoke_test.py, shared with that script.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "packaging" / "brief-studio.spec"
SMOKE = REPO / "packaging" / "smoke_test.py"

pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed: pip install -e '.[test]' "
                    "(or run bash scripts/build_package.sh)")
    work = tmp_path_factory.mktemp("pyinstaller")
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(SPEC)],
        cwd=REPO, capture_output=True, text=True, timeout=1200,
    )
    took = time.monotonic() - start
    assert result.returncode == 0, f"PyInstaller failed after {took:.0f}s:\n{result.stderr[-6000:]}"
    app = work / "dist" / "brief-studio"
    size = sum(p.lstat().st_size for p in app.rglob("*") if p.is_file() and not p.is_symlink())
    sys.stderr.write(f"\nbuilt {app} in {took:.0f}s, {size / 1e6:.0f} MB\n")
    return app


@pytest.mark.timeout(1500)
def test_built_app_has_resources_sample_and_qt_plugins(built_app: Path) -> None:
    internal = built_app / "_internal"
    assert (built_app / "brief-studio").is_file()
    assert os.access(built_app / "brief-studio", os.X_OK)
    assert (internal / "resources" / "vocab.yaml").is_file()
    assert (internal / "resources" / "icons" / "app" / "brief-studio.svg").is_file()
    assert (internal / "projects" / "aurora-launch" / "project.yaml").is_file()
    assert not (internal / "projects" / "aurora-launch" / "studio.db").exists(), \
        "local state must not be bundled"
    # Help > User Guide (F1) and its pictures
    assert (internal / "docs" / "guide.md").is_file()
    assert (internal / "docs" / "screenshots" / "start.png").is_file()
    # OTIO loads plugin adapters from the .py file their manifest names (export needs them)
    for adapter in ("otio_cmx3600_adapter/cmx_3600.py", "otio_cmx3600_adapter/plugin_manifest.json",
                    "otio_fcpx_xml_adapter/fcpx_xml.py",
                    "otio_fcpx_xml_adapter/plugin_manifest.json",
                    "opentimelineio/adapters/builtin_adapters.plugin_manifest.json"):
        assert (internal / adapter).is_file(), adapter
    assert list(internal.glob("otio_cmx3600_adapter-*.dist-info/entry_points.txt"))
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for plugin in ("platforms/libqxcb.so", "platforms/libqoffscreen.so",
                   "platforms/libqwayland.so", "imageformats/libqsvg.so",
                   "iconengines/libqsvgicon.so"):
        assert (plugins / plugin).is_file(), plugin
    assert list((plugins / "multimedia").glob("*ffmpeg*")), "Qt Multimedia backend missing"


@pytest.mark.timeout(1500)
def test_built_app_runs_version_and_screenshot(built_app: Path, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, str(SMOKE), str(built_app), "--out", str(shots)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("smoke-start.png", "smoke-project.png"):
        with Image.open(shots / name) as image:
            assert image.width >= 900, name
            assert image.height >= 600, name
            # something was drawn: more than a handful of colours in a coarse sample
            colours = image.convert("RGB").resize((64, 40)).getcolors(64 * 40) or []
            assert len(colours) > 10, name
