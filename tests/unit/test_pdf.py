"""brief.pdf: rendered with pdftoppm, one cover + one page per shot, text that reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from test_bundle_support import populate

from studio.bundle import ExportOptions, plan_export
from studio.bundle import pdf as pdf_mod
from studio.bundle.pdf import render_brief_pdf
from studio.project import load_project, save_project

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="poppler-utils (pdftoppm) is not installed")


def _render(pdf: bytes, tmp_path: Path) -> list[Path]:
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")],
                   check=True, capture_output=True)
    return sorted(tmp_path.glob("page-*.png"))


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_one_cover_and_one_page_per_shot(sample_copy: Path, tmp_path: Path) -> None:
    populate(sample_copy)
    plan = plan_export(sample_copy)
    pdf = render_brief_pdf(plan)
    pages = _render(pdf, tmp_path)
    assert len(pages) == 1 + len(plan.doc.project.shots) == 7
    with Image.open(pages[0]) as cover:  # the navy band at the top of the cover
        r, g, b = cover.convert("RGB").getpixel((cover.width // 2, 10))
        assert b > r
        assert b < 90
    with Image.open(pages[3]) as shot3:  # s03 shows its chosen take's thumbnail (orange)
        rgb = shot3.convert("RGB")
        w, h = rgb.size
        orange = sum(1 for x in range(w // 2, w, 4) for y in range(0, h // 3, 4)
                     if (lambda p: p[0] > 150 and p[2] < 80)(rgb.getpixel((x, y))))
        assert orange > 20
    text = _text(pdf, tmp_path)
    for needle in ("Aurora Trail 2", "Aurora Outdoor Co.", "social, paid ads", "GB, IE, US",
                   "Maya finds her stride", "Cinematography:", "Every morning",
                   "Chosen take r-s03a", "Take notes for r-s03a", "No take chosen yet",
                   "Keep the breath visible"):
        assert needle in text, needle


def test_long_shot_still_fits_one_page(sample_copy: Path, tmp_path: Path) -> None:
    doc = load_project(sample_copy)
    shot = doc.project.shots[0]
    shot.prose = " ".join(["The mist rolls over the ridge and the light changes slowly."] * 40)
    shot.notes = "A long note. " * 60
    save_project(doc)
    pdf = render_brief_pdf(plan_export(sample_copy, ExportOptions()))
    assert len(_render(pdf, tmp_path)) == 1 + len(doc.project.shots)


def test_core_font_fallback(sample_copy: Path, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_mod, "FONT_DIRS", ())
    doc = load_project(sample_copy)
    doc.project.shots[1].title = "Lace up — “quickly” ✓ 日本"
    save_project(doc)
    pdf = render_brief_pdf(plan_export(sample_copy))
    assert len(_render(pdf, tmp_path)) == 7
    text = _text(pdf, tmp_path)
    assert "Aurora Trail 2 - Run Before the Sun" in text
    assert 'Lace up - "quickly"' in text
