"""Light and dark themes: a Fusion palette plus resources/style.qss with colour tokens.

``style.qss`` uses ``@token`` placeholders filled from :data:`LIGHT` or :data:`DARK`;
``style-dark.qss`` adds rules only the dark theme needs. "system" follows the platform's
colour scheme (Qt's QStyleHints.colorScheme).
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from studio.resources import resources_dir

log = logging.getLogger(__name__)

LIGHT = {
    "bg": "#f4f5f7", "surface": "#ffffff", "surface2": "#f0f1f4", "sidebar": "#e9ebf0",
    "border": "#d9dce3", "border_strong": "#b9bec9", "text": "#1c2030", "muted": "#6b7285",
    "accent": "#4a5bd4", "accent_hover": "#3c4cc0", "accent_text": "#ffffff",
    "accent_soft": "#e3e6fb", "prompt_bg": "#fbfbfd", "danger": "#d93f3f",
}
DARK = {
    "bg": "#1b1d24", "surface": "#23262f", "surface2": "#2a2e38", "sidebar": "#15171c",
    "border": "#343845", "border_strong": "#4a4f5f", "text": "#e6e8ee", "muted": "#9aa1b2",
    "accent": "#7886f0", "accent_hover": "#8b97f5", "accent_text": "#0f1117",
    "accent_soft": "#2d3357", "prompt_bg": "#1f2129", "danger": "#f06b6b",
}


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return bool(scheme and scheme() == Qt.ColorScheme.Dark)


def palette_for(colours: dict[str, str]) -> QPalette:
    pal = QPalette()
    c = {k: QColor(v) for k, v in colours.items()}
    role = QPalette.ColorRole
    pal.setColor(role.Window, c["bg"])
    pal.setColor(role.WindowText, c["text"])
    pal.setColor(role.Base, c["surface"])
    pal.setColor(role.AlternateBase, c["surface2"])
    pal.setColor(role.Text, c["text"])
    pal.setColor(role.Button, c["surface"])
    pal.setColor(role.ButtonText, c["text"])
    pal.setColor(role.Highlight, c["accent"])
    pal.setColor(role.HighlightedText, c["accent_text"])
    pal.setColor(role.ToolTipBase, c["surface"])
    pal.setColor(role.ToolTipText, c["text"])
    pal.setColor(role.PlaceholderText, c["muted"])
    pal.setColor(role.Mid, c["border"])
    pal.setColor(role.Dark, c["border_strong"])
    pal.setColor(role.Link, c["accent"])
    for group in (QPalette.ColorGroup.Disabled,):
        pal.setColor(group, role.Text, c["muted"])
        pal.setColor(group, role.ButtonText, c["muted"])
        pal.setColor(group, role.WindowText, c["muted"])
    return pal


def style_sheet(colours: dict[str, str], dark: bool) -> str:
    folder = resources_dir()
    try:
        text = (folder / "style.qss").read_text(encoding="utf-8")
        if dark and (folder / "style-dark.qss").is_file():
            text += "\n" + (folder / "style-dark.qss").read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("no style sheet: %s", exc)
        return ""
    # longest tokens first so @accent_hover is not eaten by @accent
    for key in sorted(colours, key=len, reverse=True):
        text = text.replace(f"@{key}", colours[key])
    leftover = set(re.findall(r"@[a-z_]+", text))
    if leftover:
        log.warning("style sheet has unknown tokens: %s", ", ".join(sorted(leftover)))
    return text


def apply_theme(app: QApplication, theme: str = "system") -> str:
    """Apply ``light``, ``dark`` or ``system``; returns the theme actually used."""
    dark = theme == "dark" or (theme == "system" and system_is_dark())
    colours = DARK if dark else LIGHT
    app.setStyle("Fusion")
    app.setPalette(palette_for(colours))
    app.setStyleSheet(style_sheet(colours, dark))
    return "dark" if dark else "light"
