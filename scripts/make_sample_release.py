"""Draw the sample project's signed talent release (run once; the PDF is committed).

    .venv/bin/python scripts/make_sample_release.py [projects/aurora-launch]

Writes evidence/maya-okafor-release.pdf and prints its sha256 (the value recorded in
cameos/maya-okafor.yaml under verification.evidence_sha256). The output is byte-for-byte
reproducible (fixed creation date, core fonts only), so re-running it does not change the
hash. The people, company and signatures are fictional.
"""

from __future__ import annotations

import hashlib
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else "projects/aurora-launch")
OUT = ROOT / "evidence" / "maya-okafor-release.pdf"
SIGNED = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)

NAVY = (27, 42, 65)
EMBER = (228, 87, 46)
GREY = (90, 98, 110)

CLAUSES = [
    ("1. Grant",
     "I, Maya Okafor, grant Aurora Outdoor Co. and its agency Northlight Films Ltd the right to "
     "use my likeness and voice, including AI-generated video depicting me, in the campaign "
     "'Aurora Trail 2 - Run Before the Sun' (project id pr-aurora-rbts) only."),
    ("2. Media and territories",
     "Organic social media and paid social / online advertising, in the United Kingdom (GB), "
     "Ireland (IE) and the United States (US). Not for broadcast television, cinema or "
     "out-of-home."),
    ("3. Voice",
     "My voice may be recorded or synthesised for lines approved in the brief. Remixing or "
     "extending generated takes of me beyond the approved brief is not permitted."),
    ("4. Term",
     "From 1 March 2026 until 30 November 2027 inclusive. Material may not be published "
     "after that date without a new written release."),
    ("5. Restrictions",
     "My likeness must not be shown drinking or promoting alcohol, in any political or "
     "campaigning content, gambling, or injured or in distress."),
    ("6. Revocation",
     "I may withdraw this consent in writing at any time. On withdrawal no new material "
     "depicting me will be generated, and material not yet published will be withdrawn."),
    ("7. Verification",
     "My identity was checked in person against my passport by the undersigned producer on "
     "the date below."),
]


def signature(pdf: FPDF, x: float, y: float, seed: float, width: float = 55) -> None:
    """A hand-drawn-looking signature stroke."""
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.5)
    points = []
    for i in range(90):
        t = i / 89
        px = x + t * width
        py = y + 4 * math.sin(t * 9.5 + seed) * (1 - 0.6 * t) + 2.2 * math.sin(t * 31 + seed * 2)
        points.append((px, py))
    for a, b in zip(points, points[1:], strict=False):
        pdf.line(a[0], a[1], b[0], b[1])
    pdf.line(x + 4, y + 6.5, x + width * 0.8, y + 5.5)


def build() -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(SIGNED)
    pdf.set_title("Talent likeness and voice release - Maya Okafor")
    pdf.set_author("Northlight Films Ltd")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()

    pdf.set_fill_color(*NAVY)
    pdf.rect(0, 0, 210, 28, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 18)
    pdf.set_xy(20, 9)
    pdf.cell(0, 10, "Talent Likeness & Voice Release")
    pdf.set_fill_color(*EMBER)
    pdf.rect(0, 28, 210, 2, style="F")

    pdf.set_text_color(*GREY)
    pdf.set_font("Helvetica", "", 9)
    pdf.set_xy(20, 35)
    pdf.cell(0, 5, "Release no. NLF-2026-0147  |  Northlight Films Ltd, 14 Ancoats Street, "
                   "Manchester M4 6AE")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(20, 44)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(40, 6, "Talent:")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, "Maya Okafor (adult, date of birth on file)")
    pdf.set_xy(20, 50)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(40, 6, "Client:")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, "Aurora Outdoor Co.")
    pdf.set_xy(20, 56)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(40, 6, "Campaign:")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, "Aurora Trail 2 - Run Before the Sun")

    y = 68
    for title, text in CLAUSES:
        pdf.set_xy(20, y)
        pdf.set_font("Helvetica", "B", 10.5)
        pdf.set_text_color(*NAVY)
        pdf.cell(0, 6, title)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("Helvetica", "", 10)
        pdf.set_xy(20, y + 6)
        pdf.multi_cell(170, 5, text)
        y = pdf.get_y() + 4

    y = max(y + 6, 215)
    for col, (role, name, seed) in enumerate([
        ("Talent", "Maya Okafor", 0.7),
        ("Producer (ID checked in person)", "Priya Shah, Northlight Films", 2.1),
    ]):
        x = 20 + col * 90
        signature(pdf, x + 2, y + 8, seed)
        pdf.set_draw_color(*GREY)
        pdf.set_line_width(0.2)
        pdf.line(x, y + 16, x + 75, y + 16)
        pdf.set_xy(x, y + 17)
        pdf.set_font("Helvetica", "", 9)
        pdf.set_text_color(*GREY)
        pdf.cell(75, 5, role)
        pdf.set_xy(x, y + 22)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(75, 5, name)
        pdf.set_xy(x, y + 27)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(75, 5, "Signed 2 March 2026, Manchester")

    pdf.set_xy(20, 282)
    pdf.set_font("Helvetica", "I", 7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 4, "Sample document for Brief Studio. All names, companies and signatures "
                   "are fictional.")
    return bytes(pdf.output())


def main() -> int:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    print(f"{OUT}  sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
