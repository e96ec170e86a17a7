"""Translations: a QTranslator for the system locale from resources/i18n.

``scripts/update_translations.py`` extracts every ``tr()``/``translate()`` string from
``ui/`` into ``resources/i18n/brief-studio_en.ts`` (the template translators copy to
``brief-studio_<lang>.ts``) and compiles each ``.ts`` to ``.qm``. At start-up the app loads
``brief-studio_<locale>.qm`` (e.g. de_DE, then de) when one exists; with none it stays in
English, silently.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

log = logging.getLogger(__name__)

CATALOG = "brief-studio"


def i18n_dir() -> Path:
    from studio.resources import resources_dir

    return resources_dir() / "i18n"


def install_translator(app: QCoreApplication, locale: QLocale | None = None,
                       folder: Path | None = None) -> QTranslator | None:
    """Load the catalogue matching ``locale`` (default: ``QLocale.system()``) and install it
    on ``app``. Returns the translator, or None when no matching .qm exists (English)."""
    locale = locale if locale is not None else QLocale.system()
    folder = folder if folder is not None else i18n_dir()
    if not folder.is_dir():
        return None
    translator = QTranslator(app)
    try:
        # tries brief-studio_de_DE.qm, brief-studio_de.qm, ... for each UI language
        ok = translator.load(locale, CATALOG, "_", str(folder), ".qm")
    except Exception:  # noqa: BLE001 - a broken catalogue must never stop the app starting
        log.warning("could not load a translation from %s", folder, exc_info=True)
        return None
    if not ok or translator.isEmpty():
        return None
    if not app.installTranslator(translator):
        return None
    log.info("translation %s installed", translator.filePath())
    return translator
