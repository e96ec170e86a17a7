# ruff: noqa: T201 - a command-line script reports with print
"""Smoke-test a built one-folder app: it starts, knows its version and draws its window.

    .venv/bin/python packaging/smoke_test.py [dist/brief-studio] [--platform offscreen|xcb]

Runs the packaged executable (not the source tree) with a fresh, empty HOME and XDG folders,
so it sees what a first run on a new machine sees:

1. ``brief-studio --version`` exits 0 and prints ``Brief Studio <version>``;
2. ``brief-studio --screenshot start.png`` (no project: the start screen) exits 0 and writes
   a PNG of at least 900x600 that is not one flat colour;
3. ``brief-studio <copy of the bundled sample> --screenshot project.png`` does the same with
   the sample project open (the copy lives in the temp HOME, so nothing is written inside
   the app folder);
4. the workflow through the packaged CLI, which loads code PyInstaller's import scanner
   cannot see (OpenTimelineIO's plugin adapters are read from .py files named in their
   manifests; PyAV's encoder for the previz takes; fpdf2 for the brief PDF):
   ``new`` (from a template) → ``queue add --all --provider previz`` → ``queue run
   --until-idle`` → ``results list --json`` → ``results review … approved`` → ``export -o
   NAME.briefbundle.zip`` (must hold brief.pdf, timeline.otio/.edl/.fcpxml and the take)
   → ``verify --json`` (ok) → ``import`` into a new folder;
5. nothing was written inside the app folder (no studio.db beside the shipped sample).

``--platform xcb`` runs under ``xvfb-run`` (a real X server, the xcb plugin and its system
libraries); ``offscreen`` (the default) needs no display at all. Exit 0 when every check
passes, 1 otherwise; each failure is printed with the command's output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_WIDTH, MIN_HEIGHT = 900, 600
TIMEOUT = 180


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no imaging library needed)."""
    head = path.read_bytes()[:24]
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG file")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def distinct_colours(path: Path, limit: int = 8) -> int:
    """How many distinct colours a coarse sample of the image has (capped at ``limit``)."""
    try:
        from PIL import Image
    except ImportError:  # the check is a bonus; size is the contract
        return limit
    with Image.open(path) as image:
        small = image.convert("RGB").resize((32, 20))
        return min(limit, len(small.getcolors(32 * 20) or []))


class Smoke:
    def __init__(self, app_dir: Path, platform: str, workdir: Path) -> None:
        self.app_dir = app_dir
        self.exe = app_dir / ("brief-studio.exe" if os.name == "nt" else "brief-studio")
        self.platform = platform
        self.workdir = workdir
        self.failures: list[str] = []
        home = workdir / "home"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_RUNTIME_DIR": str(workdir / "runtime"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "QT_QPA_PLATFORM": platform,
            # no provider keys, no keyring daemon: a first run on a new machine
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        for sub in (".config", ".local/share", ".cache", ".local/state"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        (workdir / "runtime").mkdir(mode=0o700, exist_ok=True)

    def run(self, label: str, args: list[str]) -> subprocess.CompletedProcess[str] | None:
        cmd = [str(self.exe), *args]
        if self.platform == "xcb":
            xvfb = shutil.which("xvfb-run")
            if xvfb is None:
                self.failures.append(f"{label}: --platform xcb needs xvfb-run (apt install xvfb)")
                return None
            cmd = [xvfb, "-a", "-s", "-screen 0 1600x1000x24", *cmd]
        start = time.monotonic()
        try:
            result = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                                    timeout=TIMEOUT, cwd=self.workdir)
        except subprocess.TimeoutExpired:
            self.failures.append(f"{label}: no exit within {TIMEOUT}s: {' '.join(cmd)}")
            return None
        took = time.monotonic() - start
        print(f"  {label}: exit {result.returncode} in {took:.1f}s")
        if result.returncode != 0:
            self.failures.append(
                f"{label}: exit {result.returncode}: {' '.join(cmd)}\n"
                f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
            )
            return None
        return result

    def check_version(self) -> None:
        sys.path.insert(0, str(ROOT))
        from studio import __version__

        result = self.run("--version", ["--version"])
        if result is not None:
            text = (result.stdout + result.stderr).strip()
            if text != f"Brief Studio {__version__}":
                self.failures.append(f"--version printed {text!r}, want 'Brief Studio {__version__}'")

    def check_screenshot(self, label: str, png: Path, extra: list[str]) -> None:
        result = self.run(label, [*extra, "--screenshot", str(png)])
        if result is None:
            return
        if not png.is_file():
            self.failures.append(f"{label}: exit 0 but no PNG at {png}\n{result.stderr}")
            return
        width, height = png_size(png)
        print(f"  {label}: {png} is {width}x{height}")
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            self.failures.append(f"{label}: {png} is {width}x{height}, want >= {MIN_WIDTH}x{MIN_HEIGHT}")
        if distinct_colours(png) < 3:
            self.failures.append(f"{label}: {png} is (nearly) one flat colour: nothing was drawn")

    def check_workflow(self) -> None:
        """new → queue (previz) → review → export → verify → import, all by the packaged CLI."""
        project = self.workdir / "pk"
        if self.run("new", ["new", str(project), "--template", "social-ad"]) is None:
            return
        if self.run("queue add", ["queue", "add", str(project), "--all",
                                  "--provider", "previz"]) is None:
            return
        if self.run("queue run", ["queue", "run", str(project), "--until-idle"]) is None:
            return
        listed = self.run("results list", ["results", "list", str(project), "--json"])
        if listed is None:
            return
        try:
            takes = json.loads(listed.stdout)
        except ValueError:
            self.failures.append(f"results list --json printed no JSON:\n{listed.stdout[:2000]}")
            return
        done = [t for t in takes if t.get("codec") == "h264" and t.get("duration", 0) > 0]
        if not done:
            self.failures.append(f"queue run made no playable previz take: {listed.stdout[:2000]}")
            return
        take = done[0]["id"]
        if self.run("results review", ["results", "review", str(project), take,
                                       "approved"]) is None:
            return
        bundle = self.workdir / "pk.briefbundle.zip"
        if self.run("export", ["export", str(project), "-o", str(bundle)]) is None:
            return
        try:
            with zipfile.ZipFile(bundle) as archive:
                names = archive.namelist()
        except (OSError, zipfile.BadZipFile) as exc:
            self.failures.append(f"export: {bundle} is not a readable zip: {exc}")
            return
        for want in ("brief.pdf", "timeline.otio", "timeline.edl", "timeline.fcpxml",
                     "shotlist.csv", "manifest.json"):
            if want not in names:
                self.failures.append(f"export: {bundle.name} has no {want}: {names}")
        if not any(n.startswith("takes/") and n.endswith(f"/{take}.mp4") for n in names):
            self.failures.append(f"export: {bundle.name} lacks the approved take {take}: {names}")
        checked = self.run("verify", ["verify", str(bundle), "--json"])
        if checked is not None:
            report = json.loads(checked.stdout)
            if not report.get("ok") or not report.get("entries"):
                self.failures.append(f"verify: bundle not ok: {checked.stdout[:2000]}")
            else:
                print(f"  verify: {report['entries']} entries, {report['bytes']} bytes checked")
        imported = self.workdir / "imported"
        if self.run("import", ["import", str(bundle), str(imported)]) is not None \
                and not (imported / "project.yaml").is_file():
            self.failures.append(f"import: exit 0 but no {imported / 'project.yaml'}")

    def check_app_folder_untouched(self) -> None:
        """The packaged app never writes inside its install folder (it may be read-only)."""
        written = list(self.app_dir.rglob("studio.db*"))
        written += [p for p in self.app_dir.rglob("media") if p.is_dir()]
        if written:
            self.failures.append(f"the app wrote inside its install folder: {written}")

    def sample_copy(self) -> Path | None:
        bundled = next((p for p in (self.app_dir / "_internal" / "projects" / "aurora-launch",
                                    self.app_dir / "projects" / "aurora-launch") if p.is_dir()), None)
        if bundled is None:
            self.failures.append(f"the sample project is not bundled under {self.app_dir}")
            return None
        dest = self.workdir / "home" / "aurora-launch"
        shutil.copytree(bundled, dest)
        return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke-test the built Brief Studio app.")
    parser.add_argument("app_dir", nargs="?", default=str(ROOT / "dist" / "brief-studio"))
    parser.add_argument("--platform", choices=("offscreen", "xcb"), default="offscreen")
    parser.add_argument("--out", help="keep the screenshots in this folder")
    args = parser.parse_args(argv)

    app_dir = Path(args.app_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="brief-studio-smoke-") as tmp:
        smoke = Smoke(app_dir, args.platform, Path(tmp))
        if not smoke.exe.is_file():
            print(f"smoke: no executable at {smoke.exe}; build first: bash scripts/build_package.sh",
                  file=sys.stderr)
            return 1
        out = Path(args.out).resolve() if args.out else Path(tmp) / "shots"
        out.mkdir(parents=True, exist_ok=True)
        print(f"smoke: {smoke.exe} ({args.platform})")
        smoke.check_version()
        smoke.check_screenshot("start screen", out / "smoke-start.png", [])
        sample = smoke.sample_copy()
        if sample is not None:
            smoke.check_screenshot("sample project", out / "smoke-project.png", [str(sample)])
        smoke.check_workflow()
        smoke.check_app_folder_untouched()
        for failure in smoke.failures:
            print(f"smoke: FAILED {failure}", file=sys.stderr)
        if smoke.failures:
            return 1
        print("smoke: ok")
        return 0


if __name__ == "__main__":
    sys.exit(main())
