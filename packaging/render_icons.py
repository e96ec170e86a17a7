# ruff: noqa: T201 - a command-line script reports with print
"""Render the app icon SVG to the PNG sizes desktops and installers want.

    .venv/bin/python packaging/render_icons.py          # writes resources/icons/app/*.png
    .venv/bin/python packaging/render_icons.py --check  # exit 1 if a PNG is missing or stale

The PNGs are committed (packaging and the About box use them without rendering at run
time). Rendering uses Qt's own SVG renderer, so what the app draws from the SVG and the
PNGs agree. ``--check`` compares sizes and a coarse pixel digest, not bytes, so a different
zlib or Qt patch release does not make it fail.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICON_DIR = ROOT / "resources" / "icons" / "app"
SVG = ICON_DIR / "brief-studio.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def png_path(size: int) -> Path:
    return ICON_DIR / f"brief-studio-{size}.png"


def render(size: int):  # -> QImage (imported lazily so --help works without Qt)
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: Qt cannot parse this SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def digest(image) -> list[int]:  # noqa: ANN001 - QImage
    """Mean alpha and colour of an 8x8 grid: stable across renderer patch releases."""
    from PySide6.QtCore import Qt

    small = image.scaled(8, 8, Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    values: list[int] = []
    for y in range(8):
        for x in range(8):
            c = small.pixelColor(x, y)
            values += [c.red(), c.green(), c.blue(), c.alpha()]
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="verify the committed PNGs instead of writing them")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - keeps Qt alive
    problems: list[str] = []
    for size in SIZES:
        image = render(size)
        path = png_path(size)
        if args.check:
            if not path.is_file():
                problems.append(f"{path}: missing")
                continue
            saved = QImage(str(path))
            if saved.width() != size or saved.height() != size:
                problems.append(f"{path}: is {saved.width()}x{saved.height()}, want {size}x{size}")
                continue
            drift = max(abs(a - b) for a, b in zip(digest(saved), digest(image), strict=True))
            if drift > 12:
                problems.append(f"{path}: differs from the SVG (max channel drift {drift})")
        else:
            tmp = path.with_suffix(".png.tmp")
            if not image.save(str(tmp), "PNG"):
                raise SystemExit(f"{tmp}: cannot write PNG")
            os.replace(tmp, path)
            print(f"wrote {path.relative_to(ROOT)} ({size}x{size})")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("run: .venv/bin/python packaging/render_icons.py", file=sys.stderr)
        return 1
    if args.check:
        print(f"ok: {len(SIZES)} icon PNGs match {SVG.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
