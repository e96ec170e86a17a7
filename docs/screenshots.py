"""Render the screenshots in docs/screenshots/ (README, user guide, AppStream metainfo).

    xvfb-run -a .venv/bin/python docs/screenshots.py          # under Xvfb
    .venv/bin/python docs/screenshots.py                      # or offscreen (no display)

It copies the sample project into a temporary folder, renders a previz take of every shot
through the real CLI (``studio queue add --all --provider previz`` and ``studio queue run
--until-idle``), approves and tags a few takes, then opens the window on that copy and saves
the start screen, each page and the compare / export dialogs at 1280x800 or smaller,
optimised. Nothing is written to the sample project, the user's settings or keyring.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
SIZE = (1280, 800)


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def studio(*args: str) -> str:
    """Run the real `studio` CLI on the copy; fail loudly."""
    result = subprocess.run([sys.executable, "-m", "ui.main", *args], cwd=REPO,
                            capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise SystemExit(f"studio {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def prepare(workdir: Path) -> Path:
    root = workdir / "aurora-launch"
    shutil.copytree(REPO / "projects" / "aurora-launch", root,
                    ignore=shutil.ignore_patterns("studio.db*", "media", ".studio-autosave*"))
    t0 = time.monotonic()
    studio("queue", "add", str(root), "--all", "--provider", "previz", "--variants", "1")
    studio("queue", "run", str(root), "--until-idle")
    takes = json.loads(studio("results", "list", str(root), "--json"))
    say(f"rendered {len(takes)} previz take(s) in {time.monotonic() - t0:.1f} s")
    by_shot = {t["shot"]: t["id"] for t in takes}
    for shot, tags in (("s01-ridge-dawn", ["hero", "opening"]), ("s03-maya-stride", ["hero"]),
                       ("s05-packshot", ["packshot"])):
        if shot in by_shot:
            studio("results", "review", str(root), by_shot[shot], "approved",
                   "--reviewer", "Creative director", "--note", "Pacing works")
            studio("results", "tag", str(root), by_shot[shot], *tags)
    if "s04-summit" in by_shot:  # the one shot without a reference image shows its take
        from studio.project import load_project
        from studio.results import set_selected_take

        set_selected_take(load_project(root), "s04-summit", by_shot["s04-summit"])
    if "s02-lace-up" in by_shot:
        studio("results", "review", str(root), by_shot["s02-lace-up"], "changes_requested",
               "--reviewer", "Creative director", "--note", "Closer on the laces")
        studio("results", "rate", str(root), by_shot["s02-lace-up"], "3")
    return root


def _memory_keyring() -> None:
    """Screenshots must not read the user's keyring or show its absence on a build box."""
    import keyring
    import keyring.backend

    class Empty(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError("screenshots never store keys")

        def delete_password(self, service: str, username: str) -> None:
            return None

    keyring.set_keyring(Empty())


def shoot(root: Path, out: Path, only: set[str] | None) -> list[Path]:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _memory_keyring()
    from PIL import Image
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QWidget

    from studio.project import load_project
    from ui.mainwindow import MainWindow, application, probe_store
    from ui.settings import Settings
    from ui.tasks import wait_for_tasks
    from ui.widgets.theme import apply_theme

    app = application()
    app.setApplicationName("Brief Studio")
    apply_theme(app, "light")
    window = MainWindow(Settings(path=None), interactive=False, restore_geometry=False)
    window.resize(*SIZE)
    window.show()
    saved: list[Path] = []

    def settle(ms: int = 900) -> None:
        deadline = time.monotonic() + ms / 1000
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            wait_for_tasks(50)
        app.processEvents()

    def wait_until(check: object, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not check() and time.monotonic() < deadline:  # type: ignore[operator]
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            wait_for_tasks(50)

    def save(widget: QWidget, name: str) -> None:
        if only and name not in only:
            return
        settle()
        path = out / f"{name}.png"
        widget.grab().save(str(path), "PNG")
        image = Image.open(path).convert("RGB")
        if image.width > SIZE[0] or image.height > SIZE[1]:
            image.thumbnail(SIZE, Image.Resampling.LANCZOS)
        # 256 colours without dithering: UI text stays crisp at a third of the size
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                       dither=Image.Dither.NONE).save(path, "PNG", optimize=True)
        saved.append(path)
        say(f"saved {path} ({image.width}x{image.height}, "
              f"{path.stat().st_size // 1024} KB)")

    save(window, "start")

    probe_store(root)
    window.set_document(load_project(root))
    for key in ("brief", "shots", "cameos", "queue", "library"):
        window.show_page(key)
        if key == "shots":
            window.page("shots").select_shot("s03-maya-stride")
        settle(1500 if key in ("library", "shots") else 900)
        save(window, key)

    from ui.compare_view import CompareProvidersDialog
    from ui.export_dialog import ExportDialog

    compare = CompareProvidersDialog(window.ctx, "s03-maya-stride", window)
    compare.resize(1180, 520)
    compare.show()
    wait_until(lambda: bool(compare.rows))
    save(compare, "compare")
    compare.close()

    export = ExportDialog(window.ctx, window)
    export.resize(820, 680)
    export.show()
    wait_until(lambda: export.state == "ready")
    save(export, "export")
    export.close()

    QTimer.singleShot(0, window.close)
    settle(200)
    window.close()
    wait_for_tasks(10_000)
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    parser.add_argument("--only", nargs="*", help="names to save (start, brief, shots, …)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))
    workdir = Path(tempfile.mkdtemp(prefix="brief-studio-shots-"))
    # the app's own settings, logs and caches go to the temporary folder too
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        os.environ[var] = str(workdir / sub)
    try:
        root = prepare(workdir)
        saved = shoot(root, args.out, set(args.only) if args.only else None)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    say(f"{len(saved)} screenshot(s) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
