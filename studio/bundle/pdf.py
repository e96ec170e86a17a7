"""brief.pdf: a cover, then one page per shot (direction, prompt, beats, dialogue, take).

Drawn with fpdf2 in the core, so the CLI and the window make the same file. Fonts: DejaVu
Sans (and Sans Mono for the prompt) from the system when present, so every character of the
brief prints; otherwise the PDF core fonts with text reduced to Latin-1.

Each shot gets exactly one page: the page is laid out at full size and, if it would overflow,
again with a smaller type scale (down to 60 %); at the smallest scale long text is cut at
the page's end rather than spilling onto another page.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from studio import __version__
from studio.compiler import compile_shot, speaker_name
from studio.model import Shot, size_for_aspect

if TYPE_CHECKING:
    from studio.bundle.export import ExportPlan, TakeInfo

log = logging.getLogger(__name__)

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts/dejavu"))
SCALES = (1.0, 0.9, 0.8, 0.7, 0.6)
MARGIN = 15.0
INK = (33, 37, 46)
MUTED = (110, 116, 128)
ACCENT = (214, 96, 44)
NAVY = (24, 35, 58)
RULE = (215, 219, 226)
PANEL = (245, 246, 248)

_REPLACEMENTS = {
    "\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u2022": "*", "\u00b7": ".", "\u2192": "->", "\u2264": "<=",
    "\u2265": ">=", "\u00d7": "x",
}


def _find_font(name: str) -> Path | None:
    for folder in FONT_DIRS:
        path = folder / name
        if path.is_file():
            return path
    return None


class _Doc(FPDF):
    """FPDF with our fonts, footer and a sanitiser for the core-font fallback."""

    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.set_creator(f"Brief Studio {__version__}")
        regular, bold = _find_font("DejaVuSans.ttf"), _find_font("DejaVuSans-Bold.ttf")
        mono = _find_font("DejaVuSansMono.ttf")
        if regular and bold and mono:
            self.add_font("Sans", "", str(regular))
            self.add_font("Sans", "B", str(bold))
            oblique = _find_font("DejaVuSans-Oblique.ttf") or regular
            self.add_font("Sans", "I", str(oblique))
            self.add_font("Mono", "", str(mono))
            self.sans, self.mono, self.unicode = "Sans", "Mono", True
        else:
            self.sans, self.mono, self.unicode = "Helvetica", "Courier", False

    def close_fonts(self) -> None:
        """fpdf2 opens TrueType files lazily and never closes them; do it here."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def t(self, text: object) -> str:
        """Text the current fonts can print."""
        value = "" if text is None else str(text)
        if self.unicode:
            return value
        for src, dst in _REPLACEMENTS.items():
            value = value.replace(src, dst)
        value = unicodedata.normalize("NFKC", value)
        return value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(self.sans, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.t(self.footer_text), new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_x(MARGIN)
        self.cell(0, 5, self.t(f"{self.page_no()}"), align="R")


class _Layout:
    """Drawing helpers at a type scale ``s``."""

    def __init__(self, pdf: _Doc, scale: float = 1.0):
        self.pdf = pdf
        self.s = scale

    def font(self, size: float, style: str = "", mono: bool = False,
             color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(self.pdf.mono if mono else self.pdf.sans, style, size * self.s)
        self.pdf.set_text_color(*color)

    def lh(self, size: float) -> float:
        return size * self.s * 0.45

    def heading(self, text: str) -> None:
        pdf = self.pdf
        pdf.ln(2.5 * self.s)
        self.font(8, "B", color=ACCENT)
        pdf.cell(0, self.lh(8) + 1, pdf.t(text.upper()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = pdf.get_y()
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.ln(1.2 * self.s)

    def para(self, text: str, size: float = 9.5, style: str = "", width: float = 0,
             mono: bool = False, color: tuple[int, int, int] = INK) -> None:
        if not text:
            return
        self.font(size, style, mono, color)
        x = self.pdf.get_x()
        self.pdf.multi_cell(width, self.lh(size), self.pdf.t(text), align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if width:
            self.pdf.set_x(x)

    def rows(self, rows: list[tuple[str, str]], x: float, width: float, label_w: float,
             size: float = 9) -> float:
        """A two-column label/value table at ``x``; returns the y below it."""
        pdf = self.pdf
        for label, value in rows:
            if not value:
                continue
            y = pdf.get_y()
            pdf.set_xy(x, y)
            self.font(size - 1, "B", color=MUTED)
            pdf.cell(label_w, self.lh(size) + 1, pdf.t(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.font(size)
            pdf.multi_cell(width - label_w, self.lh(size) + 1, pdf.t(value), align="L",
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_draw_color(*RULE)
            pdf.line(x, pdf.get_y() + 0.4, x + width, pdf.get_y() + 0.4)
            pdf.set_y(pdf.get_y() + 1.0)
        return pdf.get_y()

    def table(self, header: list[str], body: list[list[str]], widths: list[float],
              size: float = 8.5) -> None:
        pdf = self.pdf
        x0 = pdf.l_margin
        self.font(size - 0.5, "B", color=MUTED)
        pdf.set_x(x0)
        for text, w in zip(header, widths, strict=True):
            pdf.cell(w, self.lh(size) + 1.5, pdf.t(text), new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.ln(self.lh(size) + 1.5)
        self.font(size)
        for row in body:
            y = pdf.get_y()
            heights = []
            for text, w in zip(row, widths, strict=True):
                lines = pdf.multi_cell(w - 1.5, self.lh(size) + 0.8, pdf.t(text), dry_run=True,
                                       output="LINES")
                heights.append(len(lines) * (self.lh(size) + 0.8))
            h = max(heights or [0])
            if y + h > pdf.page_break_trigger:
                pdf.add_page()  # only ever in a trial layout: the caller shrinks the scale
                y = pdf.get_y()
            x = x0
            for text, w in zip(row, widths, strict=True):
                pdf.set_xy(x, y)
                pdf.multi_cell(w - 1.5, self.lh(size) + 0.8, pdf.t(text), align="L")
                x += w
            pdf.set_xy(x0, y + h + 0.6)
            pdf.set_draw_color(*RULE)
            pdf.line(x0, pdf.get_y() - 0.3, x0 + sum(widths), pdf.get_y() - 0.3)


def _fmt_s(value: float | None) -> str:
    return "" if value is None else f"{value:g}s"


def _cover(pdf: _Doc, plan: ExportPlan) -> None:
    project = plan.doc.project
    lay = _Layout(pdf)
    pdf.add_page()
    pdf.set_fill_color(*NAVY)
    pdf.rect(0, 0, pdf.w, 78, style="F")
    pdf.set_fill_color(*ACCENT)
    pdf.rect(MARGIN, 22, 14, 1.6, style="F")
    pdf.set_xy(MARGIN, 28)
    lay.font(9, "B", color=(200, 205, 215))
    pdf.cell(0, 5, pdf.t("DIRECTORIAL BRIEF"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    lay.font(24, "B", color=(255, 255, 255))
    pdf.multi_cell(pdf.w - 2 * MARGIN, 10, pdf.t(project.name), align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    lay.font(12, "", color=(225, 228, 235))
    pdf.cell(0, 6, pdf.t(project.client or ""), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(88)

    total = sum(s.duration for s in project.shots)
    lay.heading("Production")
    lay.rows([
        ("Client", project.client or "-"),
        ("Usage", ", ".join(u.value.replace("_", " ") for u in project.usage)),
        ("Territories", ", ".join(project.territories)),
        ("Aspect", project.style.aspect),
        ("Shots", f"{len(project.shots)} shots, {total:g}s in total"),
        ("Takes in bundle", f"{len(plan.takes)} ({len(plan.chosen)} chosen for the cut)"),
        ("Budget", f"US$ {project.budget_usd:g}" if project.budget_usd is not None else ""),
        ("Prepared", f"{date.today().isoformat()} with Brief Studio {__version__}"),
    ], pdf.l_margin, pdf.w - 2 * MARGIN, 38)

    style = project.style
    lay.heading("Look")
    lay.rows([("Look", style.look), ("Grade", style.grade),
              ("Palette", ", ".join(style.palette))], pdf.l_margin, pdf.w - 2 * MARGIN, 38)
    if project.characters:
        lay.heading("Characters")
        lay.rows([(c.name, c.description + (f" (played by cameo {c.cameo})" if c.cameo else ""))
                  for c in project.characters], pdf.l_margin, pdf.w - 2 * MARGIN, 38)
    guard = project.guardrails
    if guard.avoid_terms or guard.notes:
        lay.heading("Guardrails")
        lay.rows([("Never show", ", ".join(guard.avoid_terms)), ("Notes", guard.notes)],
                 pdf.l_margin, pdf.w - 2 * MARGIN, 38)
    lay.heading("Shots")
    lay.table(
        ["#", "Shot", "Title", "Length", "Chosen take"],
        [[str(i), s.id, s.title, _fmt_s(s.duration),
          plan.chosen[s.id].id if s.id in plan.chosen else "-"]
         for i, s in enumerate(project.shots, start=1)],
        [8, 44, 78, 18, 32], size=8.5,
    )


def _direction_rows(shot: Shot, plan: ExportPlan) -> list[tuple[str, str]]:
    d = shot.direction
    project = plan.doc.project
    aspect = project.shot_aspect(shot)
    lens = " ".join(x for x in (f"{d.lens_mm}mm" if d.lens_mm else "", d.lens_type or "") if x)
    move = " ".join(x for x in (d.movement or "", f"({d.movement_speed})"
                                if d.movement_speed else "") if x)
    palette = d.palette or project.style.palette
    return [
        ("Frame", f"{aspect}, {shot.size or size_for_aspect(aspect)}"),
        ("Shot size", d.shot_size or ""), ("Angle", d.angle or ""), ("Lens", lens),
        ("Aperture", f"f/{d.aperture:g}" if d.aperture else ""),
        ("Depth of field", d.depth_of_field or ""), ("Movement", move),
        ("Emotion", d.emotion or ""), ("Lighting", d.lighting or ""),
        ("Palette", ", ".join(palette)), ("Cameos", ", ".join(shot.cameos)),
        ("Avoid", ", ".join(shot.avoid)),
    ]


def _take_panel(lay: _Layout, take: TakeInfo | None, root: Path, x: float, y: float,
                w: float) -> float:
    pdf = lay.pdf
    img_h = w * 9 / 16
    pdf.set_fill_color(*PANEL)
    drawn = False
    if take is not None and take.thumbnail and (root / take.thumbnail).is_file():
        try:
            from PIL import Image

            with Image.open(root / take.thumbnail) as im:
                iw, ih = im.size
            img_h = min(w * ih / max(iw, 1), 95)
            pdf.image(str(root / take.thumbnail), x=x, y=y, w=img_h * iw / max(ih, 1),
                      h=img_h)
            drawn = True
        except (OSError, ValueError, RuntimeError) as exc:  # an unreadable thumbnail
            log.warning("thumbnail of %s not drawn: %s", take.id, exc)
    if not drawn:
        pdf.rect(x, y, w, img_h, style="F")
        pdf.set_xy(x, y + img_h / 2 - 3)
        lay.font(9, "", color=MUTED)
        pdf.cell(w, 6, pdf.t("No take chosen yet" if take is None else "No thumbnail"),
                 align="C")
    pdf.set_xy(x, y + img_h + 2)
    if take is not None:
        lay.font(8.5, "B")
        pdf.cell(w, lay.lh(8.5) + 1, pdf.t(f"Chosen take {take.id}"),
                 new_x=XPos.LEFT, new_y=YPos.NEXT)
        lay.font(8, "", color=MUTED)
        bits = [take.review_status.replace("_", " ")]
        if take.rating:
            bits.append(f"rated {take.rating}/5")
        if take.duration:
            bits.append(f"{take.duration:g}s")
        if take.provider:
            bits.append(take.provider + (f" / {take.model}" if take.model else ""))
        pdf.multi_cell(w, lay.lh(8) + 0.8, pdf.t(" · ".join(bits)), align="L",
                       new_x=XPos.LEFT, new_y=YPos.NEXT)
        notes = "\n".join(n for n in (take.notes, take.review_note) if n)
        if notes:
            pdf.set_xy(x, pdf.get_y() + 1)
            lay.font(8.5, "I")
            pdf.multi_cell(w, lay.lh(8.5) + 0.8, pdf.t(notes), align="L",
                           new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _shot_page(pdf: _Doc, plan: ExportPlan, index: int, shot: Shot, prompt: str,
               scale: float) -> None:
    project = plan.doc.project
    lay = _Layout(pdf, scale)
    pdf.add_page()
    lay.font(8, "B", color=ACCENT)
    pdf.cell(0, 4.5, pdf.t(f"SHOT {index} OF {len(project.shots)}  ·  {shot.id}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    lay.font(18, "B")
    pdf.multi_cell(0, lay.lh(18) + 1.5, pdf.t(shot.title or shot.id), align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    lay.font(9.5, "", color=MUTED)
    pdf.cell(0, 5, pdf.t(f"{shot.duration:g} seconds"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    top = pdf.get_y()
    full = pdf.w - 2 * MARGIN
    right_w = 74.0
    left_w = full - right_w - 6
    bottom_left = lay.rows(_direction_rows(shot, plan), pdf.l_margin, left_w, 30, size=9)
    take = plan.chosen.get(shot.id)
    bottom_right = _take_panel(lay, take, plan.doc.root, pdf.l_margin + left_w + 6, top,
                               right_w)
    pdf.set_xy(pdf.l_margin, max(bottom_left, bottom_right))

    if shot.prose:
        lay.heading("Scene")
        lay.para(" ".join(shot.prose.split()), size=9.5)
    if shot.beats:
        lay.heading("Beats")
        lay.table(["At", "Action", "Camera"],
                  [[_fmt_s(b.at), b.action, b.camera or ""]
                   for b in sorted(shot.beats, key=lambda b: b.at)], [16, 130, 34])
    if shot.dialogue:
        lay.heading("Dialogue")
        lay.table(["At", "Speaker", "Line", "Delivery"],
                  [[_fmt_s(dl.at), speaker_name(project, dl.speaker, {}), dl.line, dl.delivery]
                   for dl in shot.dialogue], [16, 30, 96, 38])
    sound = shot.sound
    if sound.ambience or sound.effects or sound.music:
        lay.heading("Sound")
        lay.rows([("Ambience", sound.ambience), ("Effects", ", ".join(sound.effects)),
                  ("Music", sound.music)], pdf.l_margin, full, 30, size=9)
    lay.heading("Compiled prompt")
    lay.font(7.5, mono=True)
    pdf.set_fill_color(*PANEL)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(full, lay.lh(7.5) + 0.4, pdf.t(prompt), align="L", fill=True,
                   padding=(2, 2.5, 2, 2.5), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if shot.notes:
        lay.heading("Notes")
        lay.para(shot.notes, size=9.5, style="I")


def _fits(trial: _Doc, draw: Callable[[_Doc], None]) -> bool:
    """Does ``draw`` stay on one page? (drawn on a scratch document)"""
    before = trial.page
    draw(trial)
    return trial.page == before + 1


def render_brief_pdf(plan: ExportPlan) -> bytes:
    """The whole brief as PDF bytes: 1 cover page + one page per shot."""
    from studio.cli import cameo_names

    project = plan.doc.project
    names = cameo_names(plan.doc.root)
    footer = f"{project.name}  ·  {project.client}" if project.client else project.name

    pdf = _Doc(footer)
    trial = _Doc(footer)
    _cover(pdf, plan)
    for index, shot in enumerate(project.shots, start=1):
        prompt = compile_shot(project, shot, names=names).prompt
        for scale in SCALES:
            if _fits(trial, lambda d, i=index, sh=shot, pr=prompt, s=scale:
                     _shot_page(d, plan, i, sh, pr, s)):
                break
        else:
            log.warning("shot %s does not fit one page even at %s%%; cutting it", shot.id,
                        int(SCALES[-1] * 100))
        before = pdf.page
        pdf.set_auto_page_break(False)
        _shot_page(pdf, plan, index, shot, prompt, scale)
        pdf.set_auto_page_break(True, margin=MARGIN + 4)
        assert pdf.page == before + 1
    pdf.set_title(f"{project.name} — brief")
    pdf.set_subject(project.client or "")
    try:
        return bytes(pdf.output())
    finally:
        pdf.close_fonts()
        trial.close_fonts()
