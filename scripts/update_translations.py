"""Extract the UI's translatable strings and compile the catalogues.

    python scripts/update_translations.py          # lupdate ui/ -> resources/i18n/*.ts, lrelease -> .qm
    python scripts/update_translations.py --check  # only report how many strings lupdate finds

``resources/i18n/brief-studio_en.ts`` is the template: every ``self.tr()`` /
``QCoreApplication.translate()`` / ``QT_TRANSLATE_NOOP`` string in ``ui/``. To add a language,
copy it to ``brief-studio_<lang>.ts`` (e.g. ``brief-studio_de.ts``), translate it in
``pyside6-linguist`` and rerun this script: every ``.ts`` in resources/i18n is updated from the
source (obsolete strings dropped) and compiled to ``.qm``, which the app loads for the
system locale (ui/i18n.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
I18N = REPO / "resources" / "i18n"
TEMPLATE = I18N / "brief-studio_en.ts"


def tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease beside this Python (the venv), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"update_translations: {name} not found (pip install PySide6)")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(REPO)) for p in (REPO / "ui").rglob("*.py")
                  if "__pycache__" not in p.parts)


def lupdate(ts_files: list[Path]) -> int:
    """Run lupdate over ui/ into ``ts_files``; return the number of source texts found."""
    out = subprocess.run(
        [tool("pyside6-lupdate"), "-no-obsolete", "-locations", "relative", *sources(),
         "-ts", *map(str, ts_files)],
        cwd=REPO, check=True, capture_output=True, text=True)
    found = re.findall(r"Found (\d+) source text", out.stdout + out.stderr)
    return int(found[0]) if found else 0


def lrelease(ts: Path, qm: Path | None = None) -> Path:
    qm = qm or ts.with_suffix(".qm")
    subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)],
                   check=True, capture_output=True, text=True)
    return qm


def count_strings() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        return lupdate([Path(tmp) / "probe.ts"])


def main(argv: list[str]) -> int:
    if "--check" in argv:
        print(f"lupdate: {count_strings()} source texts in ui/")
        return 0
    I18N.mkdir(parents=True, exist_ok=True)
    ts_files = sorted(set(I18N.glob("brief-studio_*.ts")) | {TEMPLATE})
    n = lupdate(ts_files)
    for ts in ts_files:
        lrelease(ts)  # the template's .qm is empty: English loads nothing
    print(f"update_translations: {n} source texts -> "
          + ", ".join(str(t.relative_to(REPO)) for t in ts_files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
