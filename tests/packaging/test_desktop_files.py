"""Desktop integration files: .desktop entry, AppStream metainfo, bundle MIME type, icons.

Quick checks for every test run. The external validators (desktop-file-validate from
desktop-file-utils, appstreamcli from appstream, update-mime-database from shared-mime-info)
are run when installed; a test that needs one skips, naming the apt package, when it is not.
"""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest
from PIL import Image

from studio import __version__

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
DESKTOP = PACKAGING / "brief-studio.desktop"
METAINFO = PACKAGING / "app.briefstudio.BriefStudio.metainfo.xml"
MIME_XML = PACKAGING / "mime" / "brief-studio-bundle.xml"
SPEC = PACKAGING / "brief-studio.spec"
ICON_DIR = REPO / "resources" / "icons" / "app"
MIME_TYPE = "application/x-brief-studio-bundle"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def need(tool: str, apt_package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt install {apt_package}); validator not run")
    return path


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_validate_passes() -> None:
    tool = need("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # hints and warnings count too: the file should be clean, not merely valid
    assert result.stdout.strip() == "", result.stdout


def test_desktop_entry_opens_bundles_and_names_the_icon() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    exec_words = entry["Exec"].split()
    assert exec_words[0] == "brief-studio"
    assert "%f" in exec_words, "a double-clicked bundle must be passed to the app"
    assert MIME_TYPE in entry["MimeType"].split(";")
    assert entry["Icon"] == "brief-studio"
    assert entry["Terminal"] == "false"


def test_metainfo_is_well_formed_and_complete() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == METAINFO.name.removesuffix(".metainfo.xml")
    assert root.findtext("name") == "Brief Studio"
    assert root.find("launchable").text == DESKTOP.name  # type: ignore[union-attr]
    assert len(root.findall("description/p")) >= 2
    screenshots = root.findall("screenshots/screenshot")
    assert len(screenshots) >= 1
    for shot in screenshots:
        assert shot.findtext("caption")
        image = shot.findtext("image")
        assert image is not None
        assert image.startswith("https://")
    releases = root.findall("releases/release")
    assert releases, "metainfo needs a <releases> entry"
    assert releases[0].get("version") == __version__, "newest release must match studio.__version__"
    assert releases[0].get("date")
    assert root.findtext("provides/mediatype") == MIME_TYPE
    assert root.findtext("content_rating") is not None or root.find("content_rating") is not None


def test_metainfo_screenshots_are_the_real_docs_screenshots() -> None:
    """Every screenshot URL names a PNG in docs/screenshots/ (published under the base URL)
    with the width and height the metainfo states."""
    root = ET.parse(METAINFO).getroot()
    base = "https://brief-studio.example/screenshots/"
    names = []
    for image in root.findall("screenshots/screenshot/image"):
        url = image.text or ""
        assert url.startswith(base), url
        name = url.removeprefix(base)
        names.append(name)
        path = REPO / "docs" / "screenshots" / name
        assert path.is_file(), f"{url}: no {path.relative_to(REPO)}"
        with Image.open(path) as png:
            assert (int(image.get("width", 0)), int(image.get("height", 0))) == png.size, url
    assert len(names) == len(set(names))
    assert names[0] == "start.png", "the default screenshot is the start screen"


def test_appstreamcli_validates_metainfo() -> None:
    tool = need("appstreamcli", "appstream")
    result = subprocess.run(
        [tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # errors (E:) and warnings (W:) fail; infos (I:) such as a newer tag unknown to an old
    # appstream release are fine
    bad = [line for line in result.stdout.splitlines() if line.startswith(("E:", "W:"))]
    assert not bad, result.stdout


def test_mime_type_is_well_formed_and_matches_bundles() -> None:
    root = ET.parse(MIME_XML).getroot()
    types = root.findall(f"{MIME_NS}mime-type")
    assert [t.get("type") for t in types] == [MIME_TYPE]
    globs = [g.get("pattern") for g in types[0].findall(f"{MIME_NS}glob")]
    assert globs == ["*.briefbundle.zip"]
    assert types[0].find(f"{MIME_NS}sub-class-of").get("type") == "application/zip"  # type: ignore[union-attr]


def test_update_mime_database_accepts_the_type(tmp_path: Path) -> None:
    tool = need("update-mime-database", "shared-mime-info")
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(MIME_XML, packages / MIME_XML.name)
    result = subprocess.run(
        [tool, str(tmp_path / "mime")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower(), result.stderr
    globs2 = (tmp_path / "mime" / "globs2").read_text(encoding="utf-8")
    assert f"60:{MIME_TYPE}:*.briefbundle.zip" in globs2
    subclasses = (tmp_path / "mime" / "subclasses").read_text(encoding="utf-8")
    assert f"{MIME_TYPE} application/zip" in subclasses


def test_icon_svg_and_png_sizes() -> None:
    svg = ET.parse(ICON_DIR / "brief-studio.svg").getroot()
    assert svg.get("viewBox") == "0 0 512 512"
    for size in ICON_SIZES:
        path = ICON_DIR / f"brief-studio-{size}.png"
        with Image.open(path) as image:
            assert image.size == (size, size), path
            assert image.mode == "RGBA", path
            # transparent corner (rounded tile), opaque centre
            assert image.getpixel((0, 0))[3] == 0, path
            assert image.getpixel((size // 2, size // 2))[3] == 255, path


def test_icon_pngs_match_the_svg() -> None:
    """The committed PNGs are renders of the current SVG (run render_icons.py after an edit)."""
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "render_icons.py"), "--check"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_spec_bundles_resources_projects_and_qt_multimedia() -> None:
    source = SPEC.read_text(encoding="utf-8")
    ast.parse(source, filename=str(SPEC))
    for needle in ("resources", "projects", "PySide6.QtMultimedia", "collect_submodules",
                   "COLLECT(", "name=APP_NAME"):
        assert needle in source, f"{SPEC.name} lacks {needle!r}"


def test_install_desktop_registers_and_removes(tmp_path: Path) -> None:
    """packaging/install_desktop.sh into a private HOME, against a stand-in app folder."""
    app = tmp_path / "app"
    app.mkdir()
    exe = app / "brief-studio"
    exe.write_text("#!/bin/sh\necho 'Brief Studio'\n", encoding="utf-8")
    exe.chmod(0o755)
    home = tmp_path / "home"
    data = home / ".local" / "share"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(data)}
    script = PACKAGING / "install_desktop.sh"

    result = subprocess.run(["bash", str(script), str(app)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (home / ".local" / "bin" / "brief-studio").resolve() == exe
    # the installed launcher names the executable by absolute path (works without
    # ~/.local/bin on PATH); every other line is the shipped entry's
    expected = [f"Exec={exe} %f" if line.startswith("Exec=") else
                f"TryExec={exe}" if line.startswith("TryExec=") else line
                for line in DESKTOP.read_text(encoding="utf-8").splitlines()]
    installed = data / "applications" / DESKTOP.name
    assert installed.read_text(encoding="utf-8").splitlines() == expected
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True,
                               text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        assert not check.stdout.strip(), check.stdout
    assert (data / "metainfo" / METAINFO.name).is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "brief-studio.svg").is_file()
    for size in ICON_SIZES:
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "brief-studio.png").is_file()
    if shutil.which("update-mime-database"):
        assert f"{MIME_TYPE}:*.briefbundle.zip" in (data / "mime" / "globs2").read_text(encoding="utf-8")

    result = subprocess.run(["bash", str(script), "--uninstall"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (home / ".local" / "bin" / "brief-studio").exists()
    assert not (data / "applications" / DESKTOP.name).exists()
    assert not (data / "icons" / "hicolor" / "48x48" / "apps" / "brief-studio.png").exists()
    if (data / "mime" / "globs2").exists():
        assert MIME_TYPE not in (data / "mime" / "globs2").read_text(encoding="utf-8")


def test_install_desktop_quotes_an_app_folder_with_spaces(tmp_path: Path) -> None:
    """Exec quotes the path (Desktop Entry spec) so the launcher runs the right file."""
    app = tmp_path / "My Apps" / "Brief Studio 50%"
    app.mkdir(parents=True)
    exe = app / "brief-studio"
    exe.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    exe.chmod(0o755)
    home = tmp_path / "home"
    data = home / ".local" / "share"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(data), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(["bash", str(PACKAGING / "install_desktop.sh"), str(app)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = (data / "applications" / DESKTOP.name).read_text(encoding="utf-8").splitlines()
    assert f'Exec="{str(exe).replace("%", "%%")}" %f' in lines
    assert f"TryExec={exe}" in lines
    # ~/.local/bin is not on this PATH: the script says so, and the launcher still works
    assert "add" in result.stdout
    assert ".local/bin" in result.stdout


def test_install_desktop_refuses_a_missing_build(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share")}
    result = subprocess.run(["bash", str(PACKAGING / "install_desktop.sh"), str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "build first: bash scripts/build_package.sh" in result.stderr
    assert not (tmp_path / "share" / "applications").exists()
